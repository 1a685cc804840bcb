"""Jobs: submit (through the pipeline: contract, policy, pre-flight, queue), read, list,
cancel and review. A job that breaks the contract or its constraint profile is refused with
422 and every reason, field by field, and nothing is stored.

Who sees what: engineers see and change their own jobs; operators, admins and services every
job. Another user's job is 404 to those who may not see it (its existence is not theirs to
know).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from lto.atlas.contracts import JobParameters
from lto.atlas.lifecycle import Job, JobState
from lto.capricorn.api.auth import Principal
from lto.capricorn.api.deps import Config, CursorsDep, IdempotencyDep, Services, require
from lto.capricorn.api.problems import Problem
from lto.capricorn.api.time_window import aware
from lto.capricorn.api.views import API, JobOut, JobPageOut, job_out, job_summary
from lto.capricorn.service.commands import CancelJob, ReviewJob, SubmitJob

router = APIRouter(prefix=f"{API}/jobs", tags=["jobs"])

Reader = Annotated[Principal, Depends(require("jobs:read"))]
Writer = Annotated[Principal, Depends(require("jobs:write"))]


class JobSubmission(JobParameters):
    """The job's parameters (``JobParameters``); ``submitted_by`` is the caller unless an admin
    or a service submits on someone's behalf."""

    submitted_by: str | None = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Literal["start", "clear", "escalate"]
    note: str = Field(default="", max_length=2000, description="why; required to clear or escalate")


def sees(principal: Principal, job: Job) -> bool:
    return principal.sees_everything or job.parameters.submitted_by == principal.name


def visible_job(services: Services, principal: Principal, job_id: str) -> Job:
    with services.uow() as uow:
        job = uow.jobs.get(job_id)
    if job is None or not sees(principal, job):
        raise Problem(404, f"no job {job_id!r}", kind="not-found")
    return job


@router.post(
    "",
    status_code=201,
    response_model=JobOut,
    summary="Submit a job: validated, checked by pre-flight, then queued for the physics",
    responses={
        400: {"description": "no Idempotency-Key, or malformed JSON"},
        409: {"description": "a request with this Idempotency-Key is in flight"},
        422: {
            "description": "a field breaks the contract or the constraint profile (nothing is "
            "stored), or the key was used for another body"
        },
        429: {"description": "rate limit or the caller's quota of unfinished jobs"},
    },
)
def submit(
    body: JobSubmission,
    request: Request,
    principal: Writer,
    services: Services,
    config: Config,
    idempotency: IdempotencyDep,
) -> JSONResponse:
    asked = body.model_dump(mode="json", exclude_unset=True)

    def create(job_id: str) -> tuple[int, dict[str, Any]]:
        raw = asked | {"submitted_by": principal.acting_as(body.submitted_by, "submit")}
        refuse_nul_characters(raw)
        with services.uow() as uow:
            existing = uow.jobs.get(job_id)  # made by a request that died before answering
            unfinished = uow.jobs.count_unfinished(
                raw["submitted_by"], at_most=config.max_active_jobs_per_user
            )
        if existing is not None:
            return 201, job_out(existing).model_dump(mode="json")
        if unfinished >= config.max_active_jobs_per_user:
            raise Problem(
                429,
                f"{raw['submitted_by']} has {unfinished} or more unfinished jobs, the quota is "
                f"{config.max_active_jobs_per_user}: wait for some to finish or cancel some",
                headers={"Retry-After": "30"},
                kind="quota",
            )
        submitted = services.bus.handle(SubmitJob(raw, job_id=job_id, store_rejected=False))
        assert submitted.job is not None
        return 201, job_out(submitted.job).model_dump(mode="json")

    return idempotency.respond(
        request, principal, asked, create, id_prefix="job",
        created_headers=lambda job: {"Location": f"{API}/jobs/{job['id']}"},
    )  # fmt: skip


def refuse_nul_characters(value: Any, where: str = "") -> None:
    """The NUL character in any text of the job (a name, a note in its metadata): 422 naming
    where, since PostgreSQL can store it in neither text nor JSON."""
    if isinstance(value, str) and "\x00" in value:
        raise Problem(
            422,
            f"{where}: must not contain the NUL character (\\u0000)",
            errors=[{"field": where, "rule": "must not contain the NUL character"}],
            kind="invalid-input",
        )
    if isinstance(value, dict):
        for key, item in value.items():
            refuse_nul_characters(str(key), f"{where}.{key}".lstrip("."))
            refuse_nul_characters(item, f"{where}.{key}".lstrip("."))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            refuse_nul_characters(item, f"{where}.{i}")


@router.get("/{job_id}", response_model=JobOut, summary="One job, whole")
def get_job(job_id: str, principal: Reader, services: Services) -> JobOut:
    return job_out(visible_job(services, principal, job_id))


@router.get(
    "",
    response_model=JobPageOut,
    summary="Jobs, newest first, a page at a time (keyset cursors)",
)
def list_jobs(
    principal: Reader,
    services: Services,
    cursors: CursorsDep,
    config: Config,
    status: Annotated[JobState | None, Query(description="only jobs in this state")] = None,
    submitted_by: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    since: Annotated[datetime | None, Query(description="submitted at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="submitted before (ISO 8601)")] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JobPageOut:
    limit = min(limit, config.page_limit_max)
    since, until = aware("since", since), aware("until", until)
    if not principal.sees_everything:
        if submitted_by not in (None, principal.name):
            return JobPageOut(items=[], next_cursor=None, limit=limit)
        submitted_by = principal.name
    filters = {
        "status": status.value if status else None,
        "submitted_by": submitted_by,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }
    after = cursors.after("jobs", cursor, filters)
    with services.uow() as uow:
        page = uow.jobs.page(
            state=status,
            submitted_by=submitted_by,
            after=after,
            limit=limit,
            since=since,
            until=until,
        )
    next_cursor = cursors.next("jobs", page.next_cursor, filters)
    return JobPageOut(
        items=[job_summary(j) for j in page.jobs], next_cursor=next_cursor, limit=limit
    )


@router.post(
    "/{job_id}/cancel",
    response_model=JobOut,
    summary="Cancel a job that no worker has taken yet",
    responses={409: {"description": "the job is past being cancelled"}},
)
def cancel(job_id: str, principal: Writer, services: Services) -> JobOut:
    visible_job(services, principal, job_id)
    services.bus.handle(CancelJob(job_id, by=principal.name))
    return job_out(visible_job(services, principal, job_id))


@router.post(
    "/{job_id}/review",
    response_model=JobOut,
    summary="An engineer's review of a flagged job: start, clear (false alarm) or escalate",
    responses={409: {"description": "the job is not flagged or in review"}},
)
def review(job_id: str, body: ReviewRequest, principal: Writer, services: Services) -> JobOut:
    visible_job(services, principal, job_id)
    services.bus.handle(ReviewJob(job_id, body.decision, by=principal.name, note=body.note))
    return job_out(visible_job(services, principal, job_id))
