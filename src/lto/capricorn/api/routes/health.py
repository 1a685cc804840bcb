"""Health: whether the service answers (no credentials needed: load balancers and probes ask),
and each component's state."""

from __future__ import annotations

import time
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from lto import __version__
from lto.capricorn.api.deps import Services
from lto.capricorn.api.views import API, Out

router = APIRouter(prefix=API, tags=["health"])
STARTED = time.time()
Status = Literal["ok", "degraded", "down"]


class HealthOut(Out):
    status: Status
    version: str
    uptime_s: float


class ComponentOut(Out):
    status: Status
    detail: dict[str, Any]


class ComponentsOut(Out):
    status: Status
    components: dict[str, ComponentOut]


def _identified(request: Request) -> bool:
    if "x-api-key" not in request.headers and "authorization" not in request.headers:
        return False
    try:
        request.app.state.authenticator.authenticate(request.headers)
    except Exception:
        return False
    return True


def overall(statuses: list[str]) -> Status:
    if "down" in statuses:
        return "down"
    return "degraded" if "degraded" in statuses else "ok"


@router.get("/health", response_model=HealthOut, summary="Is the API up?")
def health() -> HealthOut:
    return HealthOut(status="ok", version=__version__, uptime_s=round(time.time() - STARTED, 1))


@router.get(
    "/health/components",
    response_model=ComponentsOut,
    summary="The database, broker, simulator and model store, one by one",
    responses={503: {"model": ComponentsOut, "description": "a component is down"}},
)
def components(request: Request, services: Services) -> JSONResponse:
    """Each component's status for anyone (probes and load balancers ask); what was found
    (hosts, databases, queue depths, errors) only for a caller with a valid credential."""
    found = services.component_health()
    detailed = _identified(request)
    parts = {
        name: ComponentOut(
            status=info.get("status", "down"),
            detail={k: v for k, v in info.items() if k != "status"} if detailed else {},
        )
        for name, info in found.items()
    }
    state = overall([p.status for p in parts.values()])
    body = ComponentsOut(status=state, components=parts)
    return JSONResponse(body.model_dump(mode="json"), 503 if state == "down" else 200)
