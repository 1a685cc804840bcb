"""Economics: what pre-flight blocking and the surrogate's answers saved, counted from the job
records and priced with athena's functions (``lto.athena.economics``).

Counted in the window (jobs by when they were submitted, predictions by when they were made):

- **pre-flighted** jobs (those the surrogate predicted before the queue) and how many of them
  pre-flight **blocked** (compute not spent);
- **surrogate answers**: what-if predictions (``POST /tradeoffs/predict``) the surrogate was
  sure of (no reason to recommend the physics), each a physics run not needed; those that
  recommended the physics are counted, never credited;
- **physics runs** done (a stored result) and failed.

A physics run is priced at the mean compute cost of the runs in the window (their measured wall
time on ``physics_cores`` CPU cores, plus one GPU where the run says it ran on one), a surrogate
call at the mean measured inference time on one core; athena's ``preflight_savings`` gives the
saving of each. The expected yield loss avoided is athena's ``expected_yield_loss`` of the
blocked jobs' predicted yield risk: the money at risk had their settings been exposed. Prices
are assumptions, not facts: the answer states the ones used and each can be given.

Engineers see their own jobs' and predictions' figures; operators, admins and services
everyone's (the jobs' visibility rule).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Query

from lto.athena.economics import (
    Prices,
    compute_cost,
    expected_yield_loss,
    preflight_savings,
    surrogate_cost,
)
from lto.atlas.lifecycle import Job, JobState
from lto.capricorn.api.auth import Principal
from lto.capricorn.api.deps import Services, require
from lto.capricorn.api.time_window import Since, Until, window
from lto.capricorn.api.views import API, Out
from lto.capricorn.repositories import PredictionRecord
from lto.capricorn.service.unit_of_work import UnitOfWork

router = APIRouter(prefix=f"{API}/economics", tags=["economics"])

Reader = Annotated[Principal, Depends(require("jobs:read"))]
PAGE = 500
MAX_JOBS = 20_000  # the most jobs (and, apart, predictions) one answer reads
MAX_PREDICTIONS = 50_000
DEFAULTS = Prices()
WAFER_VALUE = 10_000.0  # a processed 300 mm wafer at an advanced node, order of magnitude


# --- what the route answers ---------------------------------------------------------------------


class PricesOut(Out):
    currency: str
    cpu_core_hour: float
    gpu_hour: float
    physics_cores: int
    wafer_value: float
    wafers_per_job: float


class CountsOut(Out):
    jobs: int
    preflighted: int
    blocked: int
    surrogate_answers: int
    surrogate_recommended_physics: int
    physics_runs: int
    failed_runs: int


class PerRunOut(Out):
    physics_wall_time_s: float | None
    physics_cost: float | None
    surrogate_inference_ms: float | None
    surrogate_cost: float | None


class SavingOut(Out):
    """athena's ``preflight_savings``: every job on physics against the surrogate first."""

    jobs: int
    avoided_runs: int
    cost_run_everything: float
    cost_with_surrogate: float
    saving: float


class EconomicsOut(Out):
    since: datetime
    until: datetime
    scope: Literal["yours", "everyone"]
    prices: PricesOut
    counts: CountsOut
    per_run: PerRunOut
    physics_spent: float
    surrogate_spent: float
    preflight: SavingOut | None
    surrogate_answers: SavingOut | None
    compute_saved: float | None
    expected_yield_loss_avoided: float
    truncated: bool
    notes: list[str]


# --- counting -----------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the window's jobs and predictions hold, as plain numbers."""

    jobs: int = 0
    blocked_risks: list[float] = field(default_factory=list)
    blocked: int = 0
    preflight_ms: list[float] = field(default_factory=list)
    runs: list[tuple[float, int]] = field(default_factory=list)  # wall time, GPUs
    failed: int = 0
    answered_ms: list[float] = field(default_factory=list)
    recommended_physics: int = 0
    truncated: bool = False

    def add_job(self, job: Job) -> None:
        self.jobs += 1
        if job.prediction is not None:
            self.preflight_ms.append(_inference_ms(job.prediction))
        if job.state is JobState.BLOCKED:
            self.blocked += 1
            risk = _yield_risk(job.prediction)
            if risk is not None:
                self.blocked_risks.append(risk)
        elif job.state is JobState.FAILED:
            self.failed += 1
        if job.result is not None:
            compute = job.result.get("compute") or {}
            wall = compute.get("wall_time_s")
            if isinstance(wall, int | float) and wall >= 0:
                gpus = 0 if str(compute.get("device", "cpu")).lower() == "cpu" else 1
                self.runs.append((float(wall), gpus))

    def add_prediction(self, record: PredictionRecord) -> None:
        if record.recommend_physics:
            self.recommended_physics += 1
        else:
            self.answered_ms.append(_inference_ms(record.prediction))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if np.isfinite(value) else None


def _inference_ms(prediction: dict[str, Any]) -> float:
    found = _number(prediction.get("inference_time_ms"))
    return found if found is not None and found >= 0 else 0.0


def _yield_risk(prediction: dict[str, Any] | None) -> float | None:
    entry = ((prediction or {}).get("scores") or {}).get("yield_risk") or {}
    found = _number(entry.get("mean") if isinstance(entry, dict) else None)
    return found if found is not None and 0.0 <= found <= 1.0 else None


def _jobs(
    uow: UnitOfWork, submitted_by: str | None, since: datetime, until: datetime
) -> Iterator[Job]:
    after = None
    while True:
        page = uow.jobs.page(
            submitted_by=submitted_by, since=since, until=until, after=after, limit=PAGE
        )
        yield from page.jobs
        if page.next_cursor is None:
            return
        after = page.next_cursor


def _predictions(
    uow: UnitOfWork, submitted_by: str | None, since: datetime, until: datetime
) -> Iterator[PredictionRecord]:
    """What-if predictions in [since, until), newest first (the pages start at ``until``)."""
    after: tuple[datetime, str] | None = (until, "")
    while after is not None:
        page = uow.records.prediction_page(
            submitted_by=submitted_by, standalone=True, after=after, limit=PAGE
        )
        for record in page.predictions:
            if record.created_at < since:
                return
            yield record
        after = page.next_cursor


def tally(uow: UnitOfWork, submitted_by: str | None, since: datetime, until: datetime) -> Tally:
    found = Tally()
    for job in _jobs(uow, submitted_by, since, until):
        if found.jobs >= MAX_JOBS:
            found.truncated = True
            break
        found.add_job(job)
    for i, record in enumerate(_predictions(uow, submitted_by, since, until)):
        if i >= MAX_PREDICTIONS:
            found.truncated = True
            break
        found.add_prediction(record)
    return found


# --- pricing ------------------------------------------------------------------------------------


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def _saving(jobs: int, avoided: int, physics: float, surrogate: float) -> SavingOut:
    result = preflight_savings(
        jobs,
        block_rate=avoided / jobs,
        physics_cost_per_job=physics,
        surrogate_cost_per_job=surrogate,
    )
    return SavingOut(
        jobs=jobs,
        avoided_runs=result.blocked,
        cost_run_everything=result.cost_run_everything,
        cost_with_surrogate=result.cost_with_preflight,
        saving=result.saving,
    )


def priced(
    found: Tally, prices: Prices, *, physics_cores: int, wafer_value: float, wafers_per_job: float
) -> dict[str, Any]:
    """The figures of ``EconomicsOut`` but the window's, from the tally and the prices."""
    run_costs = [
        float(compute_cost(wall, cores=physics_cores, gpus=gpus, prices=prices))
        for wall, gpus in found.runs
    ]
    physics = _mean(run_costs)
    preflight_ms, answered_ms = _mean(found.preflight_ms), _mean(found.answered_ms)
    all_ms = found.preflight_ms + found.answered_ms
    notes = []
    if physics is None:
        notes.append(
            "no physics run finished in this window: a run cannot be priced, so the compute "
            "saved is unknown (widen the window)"
        )
    preflight = surrogate_answers = None
    if physics is not None and found.preflight_ms:
        preflight = _saving(
            len(found.preflight_ms),
            found.blocked,
            physics,
            float(surrogate_cost(preflight_ms or 0.0, prices=prices)),
        )
    if physics is not None and found.answered_ms:
        surrogate_answers = _saving(
            len(found.answered_ms),
            len(found.answered_ms),
            physics,
            float(surrogate_cost(answered_ms or 0.0, prices=prices)),
        )
    if found.blocked > len(found.blocked_risks):
        notes.append(
            f"{found.blocked - len(found.blocked_risks)} blocked job(s) carry no predicted yield "
            "risk and add nothing to the yield loss avoided"
        )
    saved = None
    if physics is not None:
        saved = sum(s.saving for s in (preflight, surrogate_answers) if s is not None)
    risks = found.blocked_risks
    return {
        "counts": CountsOut(
            jobs=found.jobs,
            preflighted=len(found.preflight_ms),
            blocked=found.blocked,
            surrogate_answers=len(found.answered_ms),
            surrogate_recommended_physics=found.recommended_physics,
            physics_runs=len(found.runs),
            failed_runs=found.failed,
        ),
        "per_run": PerRunOut(
            physics_wall_time_s=_mean([wall for wall, _ in found.runs]),
            physics_cost=physics,
            surrogate_inference_ms=_mean(all_ms),
            surrogate_cost=(
                float(surrogate_cost(_mean(all_ms) or 0.0, prices=prices)) if all_ms else None
            ),
        ),
        "physics_spent": float(sum(run_costs)),
        "surrogate_spent": float(np.sum(surrogate_cost(all_ms, prices=prices))) if all_ms else 0.0,
        "preflight": preflight,
        "surrogate_answers": surrogate_answers,
        "compute_saved": saved,
        "expected_yield_loss_avoided": (
            float(
                np.sum(expected_yield_loss(risks, wafer_value=wafer_value, wafers=wafers_per_job))
            )
            if risks
            else 0.0
        ),
        "truncated": found.truncated,
        "notes": notes,
    }


# --- the route ----------------------------------------------------------------------------------


@router.get(
    "",
    response_model=EconomicsOut,
    summary="What pre-flight blocking and the surrogate's answers saved, priced (athena)",
)
def economics(
    principal: Reader,
    services: Services,
    since: Since = None,
    until: Until = None,
    cpu_core_hour: Annotated[
        float, Query(ge=0.0, le=1000.0, description="price of one CPU core for an hour")
    ] = DEFAULTS.cpu_core_hour,
    gpu_hour: Annotated[
        float, Query(ge=0.0, le=10_000.0, description="price of one GPU for an hour")
    ] = DEFAULTS.gpu_hour,
    physics_cores: Annotated[
        int, Query(ge=1, le=1024, description="CPU cores one physics run holds")
    ] = 2,
    wafer_value: Annotated[
        float, Query(ge=0.0, le=1e7, description="value of one processed wafer")
    ] = WAFER_VALUE,
    wafers_per_job: Annotated[
        float, Query(ge=0.0, le=10_000.0, description="wafers a job's settings would expose")
    ] = 1.0,
) -> EconomicsOut:
    start, end = window(since, until)
    prices = Prices(cpu_core_hour=cpu_core_hour, gpu_hour=gpu_hour, currency=DEFAULTS.currency)
    submitted_by = None if principal.sees_everything else principal.name
    with services.uow() as uow:
        found = tally(uow, submitted_by, start, end)
    return EconomicsOut(
        since=start,
        until=end,
        scope="everyone" if submitted_by is None else "yours",
        prices=PricesOut(
            currency=prices.currency,
            cpu_core_hour=prices.cpu_core_hour,
            gpu_hour=prices.gpu_hour,
            physics_cores=physics_cores,
            wafer_value=wafer_value,
            wafers_per_job=wafers_per_job,
        ),
        **priced(
            found,
            prices,
            physics_cores=physics_cores,
            wafer_value=wafer_value,
            wafers_per_job=wafers_per_job,
        ),
    )


__all__ = ["router"]
