"""Optimisations: search a job's free parameters over the production surrogate for the best
settings (one objective) or the Pareto front (several), in the background.

``POST`` checks the whole problem first (every name, range and rule, against the job's
constraint profile) and answers 202 with the run, queued; ``GET`` the run then shows its
progress and, once completed, its result; ``POST .../cancel`` stops a queued or running one
(after the trial it is on). The physics is not searched here (minutes a trial):
``lto optimize --evaluator physics`` does that, on the CLI or a worker.

Who sees what: engineers see (and cancel) their own runs; operators, admins and services
every run. Another user's run is 404 to those who may not see it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from lto.atlas.contracts import JobParameters
from lto.atlas.policies import ConstraintProfile, constraint_profile, infer_profile_name
from lto.capricorn.api.auth import Principal
from lto.capricorn.api.deps import Config, CursorsDep, IdempotencyDep, Services, require
from lto.capricorn.api.problems import Problem
from lto.capricorn.api.views import API, Out, Page
from lto.capricorn.repositories import UNFINISHED_OPTIMISATION_STATES, OptimisationRecord
from lto.capricorn.service.optimisations import OptimisationRunner
from lto.metis.problem import (
    FREE_PARAMETERS,
    PHYSICS_DIRECTIONS,
    SCORE_DIRECTIONS,
    FreeParameter,
    Objective,
    OptimizationProblem,
    OutcomeConstraint,
    ProblemError,
    canonical,
    default_range,
    within_profile,
)

router = APIRouter(prefix=f"{API}/optimisations", tags=["optimisations"])

Reader = Annotated[Principal, Depends(require("optimisations:read"))]
Writer = Annotated[Principal, Depends(require("optimisations:write"))]

State = Literal["queued", "running", "completed", "failed", "cancelled"]
MAX_TRIALS = 500
PHYSICS_ELSEWHERE = (
    "the API searches the surrogate only: the physics takes minutes a trial, so optimise over "
    "it with `lto optimize --evaluator physics` (or two-stage) on the CLI or a worker"
)


def get_runner(request: Request) -> OptimisationRunner:
    return request.app.state.optimisations  # type: ignore[no-any-return]


Runner = Annotated[OptimisationRunner, Depends(get_runner)]


# --- what a client sends --------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)


class FreeParameterIn(_In):
    name: str = Field(
        min_length=1,
        max_length=40,
        description=f"one of {', '.join(FREE_PARAMETERS)} (aliases dose, focus, thickness)",
    )
    low: float | None = Field(
        default=None, description="with high; both absent: the profile's range"
    )
    high: float | None = None


class ObjectiveIn(_In):
    name: str = Field(
        min_length=1,
        max_length=40,
        description=f"a tradeoff score: {', '.join(SCORE_DIRECTIONS)} (alias health)",
    )
    direction: Literal["maximize", "minimize", "max", "min"] | None = Field(
        default=None, description="absent: the score's natural direction (yield_risk: minimize)"
    )


class ConstraintIn(_In):
    name: str = Field(min_length=1, max_length=40, description="a tradeoff score")
    operator: Literal["<=", ">="]
    bound: float


class JobTemplate(JobParameters):
    """The job whose free parameters are searched (``JobParameters``); every other field keeps
    its value. ``submitted_by``, if given, must be the caller (the run is the caller's)."""

    submitted_by: str | None = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]


class OptimisationRequest(_In):
    job: JobTemplate
    free: list[FreeParameterIn] = Field(min_length=1, max_length=len(FREE_PARAMETERS))
    objectives: list[ObjectiveIn] = Field(min_length=1, max_length=len(SCORE_DIRECTIONS))
    constraints: list[ConstraintIn] = Field(default_factory=list, max_length=20)
    trials: int = Field(default=60, ge=1, le=MAX_TRIALS)
    evaluator: Literal["surrogate"] = Field(
        default="surrogate", description="the surrogate only (see `lto optimize` for physics)"
    )
    sampler: Literal["auto", "tpe", "nsga2", "gp", "random"] = "auto"
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)

    @field_validator("evaluator", mode="before")
    @classmethod
    def _surrogate_only(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("physics", "two-stage"):
            raise ValueError(PHYSICS_ELSEWHERE)
        return value


# --- what it gets back ----------------------------------------------------------------------


class OptimisationLinks(Out):
    self: str


class TrialOut(Out):
    number: int
    params: dict[str, float]
    objectives: dict[str, float]
    feasible: bool
    reasons: list[str]
    outcome: dict[str, float | None]
    flags: dict[str, Any]


class ProgressOut(Out):
    trials_done: int
    trials_total: int
    feasible_trials: int
    best_so_far: dict[str, float]
    best_params_so_far: dict[str, float]
    heartbeat_at: datetime | None


class ResultOut(Out):
    model_version: str
    trials: int
    feasible_trials: int
    best: TrialOut | None
    pareto_front: list[TrialOut]
    importance: dict[str, dict[str, float]]
    flat_objectives: list[str]
    note: str | None
    warnings: list[str]
    history: list[TrialOut] | None = None


class FreeOut(Out):
    name: str
    low: float
    high: float


class ObjectiveOut(Out):
    name: str
    direction: Literal["maximize", "minimize"]


class ConstraintOut(Out):
    name: str
    operator: Literal["<=", ">="]
    bound: float


class ProblemOut(Out):
    template: dict[str, Any]
    profile: str
    free: list[FreeOut]
    objectives: list[ObjectiveOut]
    constraints: list[ConstraintOut]
    evaluator: Literal["surrogate"]
    trials: int
    sampler: str
    seed: int | None
    notes: list[str]


class OptimisationSummaryOut(Out):
    id: str
    state: State
    owner: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    free: list[str]
    objectives: list[str]
    trials: int
    progress: ProgressOut | None
    error: str | None
    links: OptimisationLinks


class OptimisationOut(OptimisationSummaryOut):
    problem: ProblemOut
    result: ResultOut | None


class OptimisationPageOut(Page):
    items: list[OptimisationSummaryOut]


def _progress(record: OptimisationRecord) -> ProgressOut | None:
    found = record.progress
    if not found:
        return None
    total = int(found.get("trials_total") or record.request.get("trials", 0))
    return ProgressOut(
        trials_done=int(found.get("trials_done", 0)),
        trials_total=total,
        feasible_trials=int(found.get("feasible_trials", 0)),
        best_so_far=found.get("best_so_far") or {},
        best_params_so_far=found.get("best_params_so_far") or {},
        heartbeat_at=found.get("heartbeat_at"),
    )


def optimisation_summary(record: OptimisationRecord) -> OptimisationSummaryOut:
    problem = record.request["problem"]
    return OptimisationSummaryOut(
        id=record.id,
        state=record.state,
        owner=record.owner,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        free=[p["name"] for p in problem["free"]],
        objectives=[o["name"] for o in problem["objectives"]],
        trials=int(record.request["trials"]),
        progress=_progress(record),
        error=record.error,
        links=OptimisationLinks(self=f"{API}/optimisations/{record.id}"),
    )


def optimisation_out(record: OptimisationRecord, *, history: bool = False) -> OptimisationOut:
    request = record.request
    problem = request["problem"]
    result = None
    if record.result is not None:
        shown = dict(record.result)
        if not history:
            shown["history"] = None
        result = ResultOut.model_validate(shown)
    return OptimisationOut(
        **optimisation_summary(record).model_dump(),
        problem=ProblemOut(
            template=problem["template"],
            profile=problem["profile"],
            free=problem["free"],
            objectives=problem["objectives"],
            constraints=problem["constraints"],
            evaluator="surrogate",
            trials=int(request["trials"]),
            sampler=str(request.get("sampler", "auto")),
            seed=request.get("seed"),
            notes=list(request.get("notes", [])),
        ),
        result=result,
    )


# --- posing the problem ---------------------------------------------------------------------


def _invalid(field: str, rule: str) -> Problem:
    return Problem(
        422, f"{field}: {rule}", errors=[{"field": field, "rule": rule}], kind="invalid-input"
    )


def _rule(error: ProblemError) -> str:
    """ProblemError's message without the name it starts with (the field says it)."""
    text = str(error)
    head, sep, rest = text.partition(": ")
    return rest if sep and len(head) < 60 else text


def _profile(job: JobParameters) -> ConstraintProfile:
    name = job.constraint_profile or infer_profile_name(job.wavelength_nm, job.na)
    if name is None:
        raise _invalid(
            "job.wavelength_nm",
            f"no exposure technology at {job.wavelength_nm:g} nm with NA {job.na:g}: give "
            "job.constraint_profile (see `lto profiles`)",
        )
    try:
        return constraint_profile(name)
    except Exception as exc:  # UnknownName lists the profiles there are
        raise _invalid("job.constraint_profile", str(exc)) from None


def build_problem(body: OptimisationRequest, owner: str) -> tuple[OptimizationProblem, list[str]]:
    """The problem the body poses, every range cut to what the profile allows (a note says
    where it was cut); a Problem (422) naming the field at fault otherwise."""
    job = JobParameters.model_validate(
        body.job.model_dump(exclude={"submitted_by"}) | {"submitted_by": owner}
    )
    profile = _profile(job)
    free, notes = [], []
    for i, asked in enumerate(body.free):
        where = f"free.{i}"
        name = canonical(asked.name)
        if name not in FREE_PARAMETERS:
            raise _invalid(
                f"{where}.name",
                f"{asked.name!r} is not a searchable parameter; choose from "
                f"{', '.join(FREE_PARAMETERS)} (aliases dose, focus, thickness)",
            )
        if (asked.low is None) != (asked.high is None):
            raise _invalid(where, "give both low and high, or neither (the profile's range)")
        try:
            if asked.low is None or asked.high is None:
                low, high = default_range(name, job, profile)
            else:
                low, high = asked.low, asked.high
            parameter, note = within_profile(FreeParameter(name, low, high), job, profile)
        except ProblemError as exc:
            raise _invalid(where, _rule(exc)) from None
        free.append(parameter)
        notes += [note] if note else []
    objectives = []
    for i, wanted in enumerate(body.objectives):
        objectives.append(_objective(i, wanted))
    constraints = []
    for i, bound in enumerate(body.constraints):
        constraints.append(_constraint(i, bound))
    try:
        problem = OptimizationProblem(
            template=job,
            free=tuple(free),
            objectives=tuple(objectives),
            constraints=tuple(constraints),
            profile_name=profile.name,
        )
    except ProblemError as exc:
        raise _invalid(_problem_field(str(exc)), _rule(exc)) from None
    return problem, notes


def _objective(i: int, wanted: ObjectiveIn) -> Objective:
    where = f"objectives.{i}.name"
    name = canonical(wanted.name)
    if name in PHYSICS_DIRECTIONS:
        raise _invalid(where, f"{name} is a physics output; {PHYSICS_ELSEWHERE}")
    if name not in SCORE_DIRECTIONS:
        raise _invalid(
            where,
            f"{wanted.name!r} is not a tradeoff score; choose from {', '.join(SCORE_DIRECTIONS)}",
        )
    direction = {"max": "maximize", "min": "minimize"}.get(wanted.direction or "", wanted.direction)
    try:
        return Objective(name, direction or SCORE_DIRECTIONS[name])  # type: ignore[arg-type]
    except ProblemError as exc:
        raise _invalid(f"objectives.{i}", _rule(exc)) from None


def _constraint(i: int, bound: ConstraintIn) -> OutcomeConstraint:
    where = f"constraints.{i}.name"
    name = canonical(bound.name)
    if name in PHYSICS_DIRECTIONS:
        raise _invalid(where, f"{name} is a physics output; {PHYSICS_ELSEWHERE}")
    if name not in SCORE_DIRECTIONS:
        raise _invalid(
            where,
            f"{bound.name!r} is not a tradeoff score; choose from {', '.join(SCORE_DIRECTIONS)}",
        )
    try:
        return OutcomeConstraint(name, bound.operator, bound.bound)
    except ProblemError as exc:
        raise _invalid(f"constraints.{i}", _rule(exc)) from None


def _problem_field(message: str) -> str:
    """Which part of the body a whole-problem rule is about."""
    for prefix, field in (
        ("free", "free"),
        ("objective", "objectives"),
        ("constraint", "constraints"),
        ("wavelength_nm", "job.wavelength_nm"),
    ):
        if message.startswith(prefix):
            return field
    return "body"


# --- the routes -----------------------------------------------------------------------------


def visible_run(services: Services, principal: Principal, run_id: str) -> OptimisationRecord:
    with services.uow() as uow:
        record = uow.optimisations.get(run_id)
    if record is None or not (principal.sees_everything or record.owner == principal.name):
        raise Problem(404, f"no optimisation {run_id!r}", kind="not-found")
    return record


@router.post(
    "",
    status_code=202,
    response_model=OptimisationOut,
    summary="Start an optimisation over the surrogate: answered at once, run in the background",
    responses={
        400: {"description": "no Idempotency-Key, or malformed JSON"},
        409: {"description": "a request with this Idempotency-Key is in flight"},
        422: {
            "description": "the problem cannot be posed (the field is named), or the key was "
            "used for another body"
        },
        503: {"description": "no surrogate is trained yet (run `lto train`)"},
    },
)
def create(
    body: OptimisationRequest,
    request: Request,
    principal: Writer,
    services: Services,
    idempotency: IdempotencyDep,
    runner: Runner,
) -> JSONResponse:
    asked = body.model_dump(mode="json", exclude_unset=True)

    def start(run_id: str) -> tuple[int, dict[str, Any]]:
        with services.uow() as uow:
            existing = uow.optimisations.get(run_id)  # made by a request that died answering
        if existing is not None:
            return 202, optimisation_out(existing).model_dump(mode="json")
        if body.job.submitted_by not in (None, principal.name):
            raise _invalid(
                "job.submitted_by", "the run is the caller's: leave it out or give your own name"
            )
        problem, notes = build_problem(body, principal.name)
        services.production_surrogate()  # NoSurrogate → 503: run `lto train`
        record = OptimisationRecord(
            id=run_id,
            owner=principal.name,
            state="queued",
            created_at=datetime.now(UTC),
            request={
                "asked": asked,
                "problem": problem.to_json(),
                "evaluator": "surrogate",
                "trials": body.trials,
                "sampler": body.sampler,
                "seed": body.seed,
                "notes": notes,
            },
        )
        with services.uow() as uow:
            uow.optimisations.add(record)
            uow.commit()
        runner.submit(run_id)
        return 202, optimisation_out(record).model_dump(mode="json")

    return idempotency.respond(
        request, principal, asked, start, id_prefix="opt",
        created_headers=lambda run: {"Location": f"{API}/optimisations/{run['id']}"},
    )  # fmt: skip


@router.get(
    "/{run_id}",
    response_model=OptimisationOut,
    summary="One optimisation: its problem, progress and (once completed) its result",
)
def get_optimisation(
    run_id: str,
    principal: Reader,
    services: Services,
    include_trials: Annotated[
        bool, Query(description="also every trial of the search (result.history)")
    ] = False,
) -> OptimisationOut:
    return optimisation_out(visible_run(services, principal, run_id), history=include_trials)


@router.post(
    "/{run_id}/cancel",
    response_model=OptimisationOut,
    summary="Cancel a queued or running optimisation: it stops after the trial it is on",
    responses={409: {"description": "the optimisation has finished (the answer names its state)"}},
)
def cancel(run_id: str, principal: Writer, services: Services, runner: Runner) -> OptimisationOut:
    """The owner may cancel a run, and so may operators and admins (who see every run)."""
    record = visible_run(services, principal, run_id)
    if record.state in UNFINISHED_OPTIMISATION_STATES and runner.cancel(run_id, by=principal.name):
        return optimisation_out(visible_run(services, principal, run_id))
    now = visible_run(services, principal, run_id)  # it may have finished a moment ago
    raise Problem(
        409,
        f"optimisation {run_id!r} is {now.state}: only a queued or running one can be cancelled",
        kind="already-finished",
    )


@router.get(
    "",
    response_model=OptimisationPageOut,
    summary="Optimisations, newest first, a page at a time (keyset cursors)",
)
def list_optimisations(
    principal: Reader,
    services: Services,
    cursors: CursorsDep,
    config: Config,
    state: Annotated[State | None, Query(description="only runs in this state")] = None,
    owner: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OptimisationPageOut:
    limit = min(limit, config.page_limit_max)
    if not principal.sees_everything:
        if owner not in (None, principal.name):
            return OptimisationPageOut(items=[], next_cursor=None, limit=limit)
        owner = principal.name
    filters = {"state": state, "owner": owner}
    after = cursors.after("optimisations", cursor, filters)
    with services.uow() as uow:
        page = uow.optimisations.page(owner=owner, state=state, after=after, limit=limit)
    next_cursor = cursors.next("optimisations", page.next_cursor, filters)
    return OptimisationPageOut(
        items=[optimisation_summary(r) for r in page.runs], next_cursor=next_cursor, limit=limit
    )


__all__ = ["build_problem", "router"]
