"""The API's routers, one module per resource; ``app.py`` mounts every one in ``ROUTERS``."""

from __future__ import annotations

from fastapi import APIRouter

from lto.capricorn.api.routes import (
    alerts,
    auth,
    cells,
    health,
    ingest,
    jobs,
    live,
    models,
    optimisations,
    reports,
    tradeoffs,
)

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    auth.router,
    jobs.router,
    tradeoffs.router,
    models.router,
    optimisations.router,
    alerts.router,
    ingest.router,
    cells.router,
    reports.router,
    live.router,
)

__all__ = ["ROUTERS"]
