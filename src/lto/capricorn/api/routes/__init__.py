"""The API's routers, one module per resource; ``app.py`` mounts every one in ``ROUTERS``."""

from __future__ import annotations

from fastapi import APIRouter

from lto.capricorn.api.routes import (
    alerts,
    auth,
    cells,
    economics,
    health,
    ingest,
    jobs,
    live,
    models,
    optimisations,
    plot_data,
    reports,
    tradeoffs,
)

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    auth.router,
    jobs.router,
    tradeoffs.router,
    models.router,
    economics.router,
    optimisations.router,
    alerts.router,
    ingest.router,
    cells.router,
    reports.router,
    plot_data.router,
    live.router,
)

__all__ = ["ROUTERS"]
