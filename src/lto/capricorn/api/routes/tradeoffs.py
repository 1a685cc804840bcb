"""Tradeoffs: the production surrogate's prediction of a job's six scores without running the
physics (the what-if), the caller's past predictions, and how the scores trend.

A prediction is answered by the surrogate pre-flight uses (the champion, its challenger
predicting beside it in shadow), checked against the job's constraint profile, and recorded
(``tradeoff_predictions``, with the caller as the parameters' ``submitted_by``) so that the
history and the trends can show it. Engineers see their own predictions; operators, admins
and services everyone's. The trends are the whole fab's: means over time, no one's job.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from lto.atlas.contracts import SIGNAL_NAMES, JobParameters
from lto.atlas.identity import new_id
from lto.atlas.policies import check_job, infer_profile_name
from lto.capricorn.api.auth import Principal
from lto.capricorn.api.deps import Config, CursorsDep, Services, require
from lto.capricorn.api.predictor import predictor_of
from lto.capricorn.api.problems import Problem
from lto.capricorn.api.routes.jobs import JobSubmission
from lto.capricorn.api.time_window import Bucket, Since, Until, bucket_width, window
from lto.capricorn.api.views import API, Out, Page, ViolationOut
from lto.capricorn.repositories import PredictionRecord, ScoreBucket, ScoreSource
from lto.capricorn.service.preflight import NoSurrogate

router = APIRouter(prefix=f"{API}/tradeoffs", tags=["tradeoffs"])

Reader = Annotated[Principal, Depends(require("tradeoffs:read"))]


# --- what the routes answer ---------------------------------------------------------------------


class ScoreOut(Out):
    value: float
    lower: float
    upper: float


class ScoresOut(Out):
    """The six tradeoff scores, each in [0, 1] (docs/tradeoffs.md): the predicted value and
    its interval at the prediction's confidence level. Only yield_risk is higher-is-worse."""

    resolution_vs_dof: ScoreOut
    yield_risk: ScoreOut
    speed_vs_accuracy: ScoreOut
    cost_vs_fidelity: ScoreOut
    surrogate_reliability: ScoreOut
    overall_health: ScoreOut


class FlagsOut(Out):
    high_uncertainty: bool
    out_of_distribution: bool
    drift_detected: bool
    ood_distance: float


class ConstraintCheckOut(Out):
    ok: bool
    profile: str | None
    violations: list[ViolationOut]


class AttributionOut(Out):
    feature: str
    contribution: float


class PredictionOut(Out):
    id: str
    created_at: datetime
    model_version: str
    scores: ScoresOut
    flags: FlagsOut
    confidence_level: float
    recommend_physics: bool
    constraints: ConstraintCheckOut
    attributions: dict[str, list[AttributionOut]]
    inference_time_ms: float
    parameters: dict[str, Any]


class PredictionPageOut(Page):
    items: list[PredictionOut]


class TrendPointOut(Out):
    start: datetime
    count: int
    mean: float


class SeriesOut(Out):
    source: Literal["actual", "predicted"]
    points: list[TrendPointOut]
    slope_per_day: float | None
    change: float | None


class ScoreTrendOut(Out):
    actual: SeriesOut
    predicted: SeriesOut


class TrendsOut(Out):
    bucket: Bucket
    since: datetime
    until: datetime
    sources: dict[str, str]
    scores: dict[str, ScoreTrendOut]


SOURCES = {
    "actual": "the physics' scores of finished jobs (their stored results), by when the result "
    "was stored",
    "predicted": "the surrogate's predicted means (what-if predictions and pre-flight), by when "
    "they were made",
}


# --- predict ------------------------------------------------------------------------------------


def constraint_check(parameters: JobParameters) -> ConstraintCheckOut:
    violations = check_job(parameters)
    return ConstraintCheckOut(
        ok=not violations,
        profile=parameters.constraint_profile
        or infer_profile_name(parameters.wavelength_nm, parameters.na),
        violations=[ViolationOut(field=v.field, rule=v.rule) for v in violations],
    )


def no_surrogate() -> Problem:
    return Problem(
        503,
        "no surrogate is trained yet: run `lto train` (a few minutes), then ask again",
        headers={"Retry-After": "60"},
        kind="no-surrogate",
    )


@router.post(
    "/predict",
    response_model=PredictionOut,
    summary="The six tradeoff scores with intervals, in milliseconds, without physics",
    responses={
        403: {"description": "the scope is missing, or submitted_by is someone else"},
        422: {"description": "a field breaks the job contract (each one named)"},
        503: {"description": "no surrogate is trained yet"},
    },
)
async def predict(
    body: JobSubmission,
    request: Request,
    principal: Reader,
    services: Services,
    explain: Annotated[
        bool, Query(description="with each learned score's strongest feature attributions")
    ] = True,
) -> PredictionOut:
    """Not a creating POST: an Idempotency-Key is accepted and ignored (asking twice predicts
    twice, and records both). Concurrent requests are answered together (api/predictor.py):
    ``inference_time_ms`` is the surrogate time of this request's batch. Async: the work is
    done by the predictor's threads; the event loop only waits for it."""
    parameters = body.model_copy(
        update={"submitted_by": principal.acting_as(body.submitted_by, "predict")}
    )
    constraints = constraint_check(parameters)
    predictor = predictor_of(request.app.state, services)
    try:
        found, elapsed_ms = await asyncio.wrap_future(predictor.submit(parameters, explain=explain))
    except NoSurrogate:
        raise no_surrogate() from None
    prediction = found.model_copy(update={"inference_time_ms": elapsed_ms})
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.observe_inference(elapsed_ms)
    record = PredictionRecord(
        id=new_id("pred"),
        created_at=datetime.now(UTC),
        model_version=prediction.model_version,
        parameters=parameters.model_dump(mode="json"),
        prediction=prediction.model_dump(mode="json"),
        recommend_physics=prediction.flags.recommend_physics,
    )
    await asyncio.wrap_future(predictor.submit_record(record))
    return prediction_out(record, constraints)


def prediction_out(record: PredictionRecord, constraints: ConstraintCheckOut) -> PredictionOut:
    stored = record.prediction
    scores = stored.get("scores") or {}
    flags = stored.get("flags") or {}
    return PredictionOut(
        id=record.id,
        created_at=record.created_at,
        model_version=record.model_version,
        scores=ScoresOut(
            **{
                name: ScoreOut(
                    value=float(scores[name]["mean"]),
                    lower=float(scores[name]["lower"]),
                    upper=float(scores[name]["upper"]),
                )
                for name in SIGNAL_NAMES
            }
        ),
        flags=FlagsOut(
            high_uncertainty=bool(flags.get("high_uncertainty", False)),
            out_of_distribution=bool(flags.get("out_of_distribution", False)),
            drift_detected=bool(flags.get("drift_detected", False)),
            ood_distance=float(flags.get("ood_distance", 0.0)),
        ),
        confidence_level=float(stored.get("confidence_level", 0.95)),
        recommend_physics=record.recommend_physics,
        constraints=constraints,
        attributions={
            score: [
                AttributionOut(feature=feature, contribution=float(value))
                for feature, value in sorted(
                    features.items(), key=lambda item: abs(item[1]), reverse=True
                )
            ]
            for score, features in (stored.get("attributions") or {}).items()
        },
        inference_time_ms=float(stored.get("inference_time_ms", 0.0)),
        parameters=record.parameters,
    )


# --- history ------------------------------------------------------------------------------------


@router.get(
    "/history",
    response_model=PredictionPageOut,
    summary="Your past predictions (everyone's for operators and admins), newest first",
    responses={400: {"description": "a cursor altered, or from a listing with other filters"}},
)
def history(
    principal: Reader,
    services: Services,
    cursors: CursorsDep,
    config: Config,
    submitted_by: Annotated[
        str | None, Query(min_length=1, max_length=200, description="only this user's")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PredictionPageOut:
    limit = min(limit, config.page_limit_max)
    if not principal.sees_everything:
        if submitted_by not in (None, principal.name):
            return PredictionPageOut(items=[], next_cursor=None, limit=limit)
        submitted_by = principal.name
    filters = {"submitted_by": submitted_by}
    after = cursors.after("predictions", cursor, filters)
    with services.uow() as uow:
        page = uow.records.prediction_page(submitted_by=submitted_by, after=after, limit=limit)
    next_cursor = cursors.next("predictions", page.next_cursor, filters)
    return PredictionPageOut(
        items=[prediction_out(p, _stored_check(p)) for p in page.predictions],
        next_cursor=next_cursor,
        limit=limit,
    )


def _stored_check(record: PredictionRecord) -> ConstraintCheckOut:
    """The recorded parameters checked again (against today's profiles: checking is cheap
    and pure, and the table keeps the prediction as the surrogate gave it)."""
    try:
        parameters = JobParameters.model_validate(record.parameters)
    except ValueError:
        return ConstraintCheckOut(
            ok=False,
            profile=None,
            violations=[ViolationOut(field="parameters", rule="no longer a valid job")],
        )
    return constraint_check(parameters)


# --- trends -------------------------------------------------------------------------------------


@router.get(
    "/trends",
    response_model=TrendsOut,
    summary="Each score's mean per hour or day: the physics' actual scores and the predictions",
)
def trends(
    principal: Reader,
    services: Services,
    bucket: Annotated[Bucket, Query(description="the width of each point")] = "day",
    since: Since = None,
    until: Until = None,
) -> TrendsOut:
    start, end = window(since, until)
    width = bucket_width(start, end, bucket)
    sources: dict[str, ScoreSource] = {"actual": "results", "predicted": "predictions"}
    with services.uow() as uow:
        found = {
            name: uow.records.score_means(source, since=start, until=end, bucket_s=width)
            for name, source in sources.items()
        }
    return TrendsOut(
        bucket=bucket,
        since=start,
        until=end,
        sources=SOURCES,
        scores={
            score: ScoreTrendOut(
                actual=series("actual", found["actual"], score),
                predicted=series("predicted", found["predicted"], score),
            )
            for score in SIGNAL_NAMES
        },
    )


def series(
    source: Literal["actual", "predicted"], buckets: list[ScoreBucket], score: str
) -> SeriesOut:
    points = [
        TrendPointOut(start=b.start, count=b.count, mean=b.means[score])
        for b in buckets
        if math.isfinite(b.means.get(score, math.nan))
    ]
    return SeriesOut(
        source=source,
        points=points,
        slope_per_day=slope_per_day(points),
        change=points[-1].mean - points[0].mean if len(points) > 1 else None,
    )


def slope_per_day(points: list[TrendPointOut]) -> float | None:
    """The least-squares slope of the bucket means against time, per day; None with fewer
    than two buckets."""
    if len(points) < 2:
        return None
    origin = points[0].start
    xs = [(p.start - origin).total_seconds() / 86400.0 for p in points]
    ys = [p.mean for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mx) ** 2 for x in xs)
    if spread == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / spread


__all__ = ["router"]
