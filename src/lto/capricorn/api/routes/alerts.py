"""Alerts: what an engineer must look at (an anomalous job, drift, an unhealthy component).
Active ones, the history, and acknowledging one (once: a second acknowledgement is 409).

Alerts concern the fab, not one user: whoever holds ``alerts:read`` sees them all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from lto.atlas.alerts import Alert, Severity
from lto.capricorn.api.auth import Principal
from lto.capricorn.api.deps import Config, CursorsDep, IdempotencyDep, Services, require
from lto.capricorn.api.pagination import Cursors
from lto.capricorn.api.problems import Problem
from lto.capricorn.api.views import API, Out, Page
from lto.capricorn.service.commands import AcknowledgeAlert

router = APIRouter(prefix=f"{API}/alerts", tags=["alerts"])

Reader = Annotated[Principal, Depends(require("alerts:read"))]
Writer = Annotated[Principal, Depends(require("alerts:write"))]

SeverityQuery = Annotated[Severity | None, Query(description="only alerts of this severity")]
CursorQuery = Annotated[str | None, Query(max_length=1000)]
LimitQuery = Annotated[int, Query(ge=1, le=200)]


class AcknowledgeRequest(BaseModel):
    """Acknowledging takes no fields (an alert keeps who acknowledged it and when, no note):
    a body, if sent, is ``{}``, and any field in it is refused by name rather than dropped."""

    model_config = ConfigDict(extra="forbid")


class AlertLinks(Out):
    self: str
    acknowledge: str
    job: str | None


class AlertOut(Out):
    id: str
    severity: Severity
    source: str
    message: str
    job_id: str | None
    fired_at: datetime
    active: bool
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    links: AlertLinks


class AlertPageOut(Page):
    items: list[AlertOut]


def alert_out(alert: Alert) -> AlertOut:
    base = f"{API}/alerts/{alert.id}"
    return AlertOut(
        id=alert.id,
        severity=alert.severity,
        source=alert.source,
        message=alert.message,
        job_id=alert.job_id,
        fired_at=alert.fired_at,
        active=alert.active,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_at=alert.acknowledged_at,
        links=AlertLinks(
            self=base,
            acknowledge=f"{base}/acknowledge",
            job=f"{API}/jobs/{alert.job_id}" if alert.job_id else None,
        ),
    )


def _page(
    services: Services,
    cursors: Cursors,
    kind: str,
    *,
    active: bool | None,
    severity: Severity | None,
    cursor: str | None,
    limit: int,
) -> AlertPageOut:
    filters: dict[str, Any] = {"active": active, "severity": severity.value if severity else None}
    after = cursors.after(kind, cursor, filters)
    with services.uow() as uow:
        page = uow.alerts.page(
            active=active, severity=filters["severity"], after=after, limit=limit
        )
    next_cursor = cursors.next(kind, page.next_cursor, filters)
    return AlertPageOut(
        items=[alert_out(a) for a in page.alerts], next_cursor=next_cursor, limit=limit
    )


@router.get(
    "",
    response_model=AlertPageOut,
    summary="Alerts not yet acknowledged (or, with active=false, those that were), newest first",
)
def active_alerts(
    principal: Reader,
    services: Services,
    cursors: CursorsDep,
    config: Config,
    active: Annotated[
        bool, Query(description="true: unacknowledged alerts; false: acknowledged ones")
    ] = True,
    severity: SeverityQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> AlertPageOut:
    return _page(
        services,
        cursors,
        "alerts",
        active=active,
        severity=severity,
        cursor=cursor,
        limit=min(limit, config.page_limit_max),
    )


@router.get(
    "/history",
    response_model=AlertPageOut,
    summary="Every alert, acknowledged or not, newest first, a page at a time",
)
def alert_history(
    principal: Reader,
    services: Services,
    cursors: CursorsDep,
    config: Config,
    severity: SeverityQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> AlertPageOut:
    return _page(
        services,
        cursors,
        "alert-history",
        active=None,
        severity=severity,
        cursor=cursor,
        limit=min(limit, config.page_limit_max),
    )


@router.post(
    "/{alert_id}/acknowledge",
    response_model=AlertOut,
    summary="Acknowledge an alert (once); an Idempotency-Key makes a retry safe",
    responses={
        404: {"description": "no such alert"},
        409: {"description": "the alert was already acknowledged (the answer says by whom)"},
        422: {"description": "the body has a field: acknowledging takes none"},
    },
)
def acknowledge(
    alert_id: str,
    request: Request,
    principal: Writer,
    services: Services,
    idempotency: IdempotencyDep,
    body: Annotated[AcknowledgeRequest | None, Body()] = None,  # read only to refuse fields
) -> JSONResponse:
    def ack(_unused: str) -> tuple[int, dict[str, Any]]:
        services.bus.handle(AcknowledgeAlert(alert_id, by=principal.name))
        with services.uow() as uow:
            alert = uow.alerts.get(alert_id)
        if alert is None:  # pragma: no cover - acknowledged a moment ago
            raise Problem(404, f"no alert {alert_id!r}", kind="not-found")
        return 200, alert_out(alert).model_dump(mode="json")

    return idempotency.respond(request, principal, {}, ack, id_prefix="ack", required=False)


__all__ = ["alert_out", "router"]
