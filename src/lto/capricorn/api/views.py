"""Output models (what the API returns, separate from what it accepts) and the functions that
build them from the domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from lto.atlas.lifecycle import Job, JobState
from lto.atlas.policies import infer_profile_name

API = "/api/v1"


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StateChangeOut(Out):
    state: JobState
    at: datetime
    reason: str


class ViolationOut(Out):
    field: str
    rule: str


class JobLinks(Out):
    self: str
    report: str
    report_html: str


class JobSummaryOut(Out):
    id: str
    state: JobState
    submitted_by: str
    submitted_at: datetime
    updated_at: datetime
    profile: str | None
    job_class: str
    priority: int
    note: str
    links: JobLinks


class JobOut(JobSummaryOut):
    parameters: dict[str, Any]
    history: list[StateChangeOut]
    rejection: list[ViolationOut]
    blocked_reason: str
    alternative: dict[str, Any] | None
    prediction: dict[str, Any] | None
    preflight_note: str
    attempts: int
    worker: str | None
    error: str | None
    evaluation: dict[str, Any] | None
    result: dict[str, Any] | None
    reviewed_by: str | None
    review_note: str | None


def job_links(job_id: str) -> JobLinks:
    base = f"{API}/jobs/{job_id}"
    return JobLinks(self=base, report=f"{base}/report", report_html=f"{base}/report?format=html")


def _note(job: Job) -> str:
    note = job.error or job.blocked_reason or "; ".join(str(v) for v in job.rejection)
    return note or job.preflight_note


def job_summary(job: Job) -> JobSummaryOut:
    return JobSummaryOut(
        id=job.id,
        state=job.state,
        submitted_by=job.parameters.submitted_by,
        submitted_at=job.submitted_at,
        updated_at=job.updated_at,
        profile=job.parameters.constraint_profile
        or infer_profile_name(job.parameters.wavelength_nm, job.parameters.na),
        job_class=job.parameters.job_class.value,
        priority=job.parameters.priority,
        note=_note(job),
        links=job_links(job.id),
    )


def job_out(job: Job) -> JobOut:
    return JobOut(
        **job_summary(job).model_dump(),
        parameters=job.parameters.model_dump(mode="json"),
        history=[StateChangeOut(state=c.state, at=c.at, reason=c.reason) for c in job.history],
        rejection=[ViolationOut(field=v.field, rule=v.rule) for v in job.rejection],
        blocked_reason=job.blocked_reason,
        alternative=job.alternative,
        prediction=job.prediction,
        preflight_note=job.preflight_note,
        attempts=job.attempts,
        worker=job.worker_id or None,
        error=job.error or None,
        evaluation=job.evaluation,
        result=job.result,
        reviewed_by=job.reviewed_by or None,
        review_note=job.review_note or None,
    )


class Page(Out):
    next_cursor: str | None
    limit: int


class JobPageOut(Page):
    items: list[JobSummaryOut]


__all__ = ["API", "JobOut", "JobPageOut", "JobSummaryOut", "Out", "Page", "job_out", "job_summary"]
