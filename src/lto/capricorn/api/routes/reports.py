"""A job's report: ``GET /api/v1/jobs/{job_id}/report``, as JSON (the default) or as one
self-contained HTML page (``?format=html``, or ``Accept: text/html``) to attach to a review.

Who sees what is the jobs' rule: engineers their own jobs, operators, admins and services all;
another user's job is 404. A job without a result (queued, rejected, blocked, failed) still
has a report saying where it stands and why.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from lto.atlas.lifecycle import JobState
from lto.capricorn.api.auth import Principal
from lto.capricorn.api.deps import Services, require
from lto.capricorn.api.report import ReportData, report_html, report_json
from lto.capricorn.api.report_figures import job_figures
from lto.capricorn.api.routes.jobs import visible_job
from lto.capricorn.api.views import API, Out, StateChangeOut

router = APIRouter(prefix=f"{API}/jobs", tags=["jobs"])

Reader = Annotated[Principal, Depends(require("jobs:read"))]
Value = str | float | int | bool | None


class ParameterOut(Out):
    name: str
    label: str
    value: Value
    unit: str


class PreflightOut(Out):
    model_version: str | None
    confidence_level: float | None
    inference_time_ms: float | None
    recommend_physics: bool
    high_uncertainty: bool
    out_of_distribution: bool
    drift_detected: bool


class ScoreOut(Out):
    name: str
    label: str
    higher_is_worse: bool
    predicted_mean: float | None
    lower: float | None
    upper: float | None
    actual: float | None
    within: bool | None  # the actual inside the predicted interval; None: nothing to compare
    judged: bool  # the evaluation judged this score (the learned ones, given a prediction)


class MetricOut(Out):
    name: str
    label: str
    value: float | None
    unit: str
    is_bound: bool  # a lower bound: the window was still open where the search stopped


class ResultOut(Out):
    simulator: str
    backend: str | None
    device: str | None
    method: str | None
    wall_time_s: float | None
    grid_shape: list[int] | None
    window_status: str | None
    window_reason: str | None
    dose_range_mj_cm2: list[float] | None
    focus_range_nm: list[float] | None
    metrics: list[MetricOut]
    resist_profile: dict[str, Any] | None
    stored_at: datetime


class VerdictOut(Out):
    outcome: Literal["passed", "anomaly", "rejected", "blocked", "failed", "cancelled", "pending"]
    summary: str
    details: list[str]
    anomalous: list[str]
    alternative: dict[str, Any] | None
    reviewed_by: str | None
    review_note: str | None


class FigureOut(Out):
    name: str
    title: str
    caption: str
    available: bool
    note: str  # why there is no picture
    data_uri: str | None  # a PNG data URI, with ?figures=true


class ReportLinks(Out):
    job: str
    report: str
    report_html: str


class ReportOut(Out):
    job_id: str
    title: str
    generated_at: datetime
    lto_version: str
    state: JobState
    state_summary: str
    submitted_by: str
    submitted_at: datetime
    updated_at: datetime
    profile: str | None
    cd_tolerance_fraction: float
    required_exposure_latitude: float
    parameters: list[ParameterOut]
    metadata: dict[str, str | int | float | bool]
    history: list[StateChangeOut]
    preflight: PreflightOut | None
    preflight_note: str
    scores: list[ScoreOut]
    result: ResultOut | None
    verdict: VerdictOut
    figures: list[FigureOut]
    notes: list[str]
    links: ReportLinks


def _wants_html(format: str | None, accept: str) -> bool:
    """``format`` decides; without it, an Accept header that prefers text/html to JSON."""
    if format is not None:
        return format == "html"
    weights: dict[str, float] = {}
    for part in accept.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        weights[kind.lower()] = max(quality, weights.get(kind.lower(), 0.0))
    html = max(weights.get("text/html", 0.0), weights.get("application/xhtml+xml", 0.0))
    json = max(weights.get("application/json", 0.0), weights.get("*/*", 0.0) * 0.99)
    return html > 0 and html >= json


@router.get(
    "/{job_id}/report",
    response_model=ReportOut,
    summary="A job's report: parameters, prediction against physics, result, verdict, pictures",
    responses={
        200: {
            "content": {"text/html": {"schema": {"type": "string"}}},
            "description": "the report: JSON, or with format=html one self-contained HTML page",
        },
        404: {"description": "no such job, or not yours"},
    },
)
def job_report(
    job_id: str,
    request: Request,
    principal: Reader,
    services: Services,
    format: Annotated[
        Literal["json", "html"] | None,
        Query(description="json (the default) or html; without it, the Accept header decides"),
    ] = None,
    figures: Annotated[
        bool, Query(description="JSON only: put each picture in as a PNG data URI")
    ] = False,
) -> Response:
    job = visible_job(services, principal, job_id)
    with services.uow() as uow:
        record = uow.records.result(job_id)
    html = _wants_html(format, request.headers.get("accept", ""))
    drawn = job_figures(
        job, record, services.artifacts, lambda: _setup(services, job), draw=html or figures
    )
    data = ReportData(job, record, drawn, datetime.now(UTC))
    if html:
        name = f"lto-report-{job.id}.html"
        disposition = f'inline; filename="{name}"'
        return HTMLResponse(
            report_html(data), headers={"Content-Disposition": disposition, "Vary": "Accept"}
        )
    body = ReportOut.model_validate(report_json(data, include_figures=figures))
    return JSONResponse(body.model_dump(mode="json"), headers={"Vary": "Accept"})


def _setup(services: Services, job: Any) -> Any | None:
    make = getattr(services, "physics_setup", None)
    return make(job.parameters) if callable(make) else None


__all__ = ["ReportOut", "router"]
