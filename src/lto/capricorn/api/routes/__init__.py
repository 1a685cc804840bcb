"""The API's routers, one module per resource; ``app.py`` mounts every one in ``ROUTERS``."""

from __future__ import annotations

from fastapi import APIRouter

from lto.capricorn.api.routes import auth, health, jobs

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    auth.router,
    jobs.router,
)

__all__ = ["ROUTERS"]
