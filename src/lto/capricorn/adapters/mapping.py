"""Rows ↔ atlas objects: the mapping layer that keeps SQLAlchemy out of the domain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from lto.atlas.alerts import Alert
from lto.atlas.contracts import JobParameters
from lto.atlas.lifecycle import Job, JobState, StateChange
from lto.atlas.policies import Violation, infer_profile_name


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    """SQLite returns stored times naive; they were written in UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _jsonable(value: object) -> object:
    return value if value is None or isinstance(value, str | int | float | bool) else repr(value)


def job_row(job: Job) -> dict[str, Any]:
    """The ``jobs`` row of ``job`` (without its version: the repository owns that)."""
    params = job.parameters
    return {
        "id": job.id,
        "state": job.state.value,
        "submitted_by": params.submitted_by,
        "submitted_at": job.submitted_at,
        "updated_at": job.updated_at,
        "profile": params.constraint_profile or infer_profile_name(params.wavelength_nm, params.na),
        "job_class": params.job_class.value,
        "priority": params.priority,
        "parameters": params.model_dump(mode="json"),
        "rejection": [
            {"field": v.field, "rule": v.rule, "value": _jsonable(v.value)} for v in job.rejection
        ],
        "blocked_reason": job.blocked_reason,
        "alternative": job.alternative,
        "error": job.error,
        "prediction": job.prediction,
        "preflight_note": job.preflight_note,
        "worker_id": job.worker_id,
        "attempts": job.attempts,
        "evaluation": job.evaluation,
        "reviewed_by": job.reviewed_by,
        "review_note": job.review_note,
    }


def change_rows(job: Job, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"job_id": job.id, "seq": seq, "state": c.state.value, "at": c.at, "reason": c.reason}
        for seq, c in enumerate(job.history[start:], start=start)
    ]


def job_from_rows(row: Any, changes: list[Any], result: dict[str, Any] | None) -> Job:
    history = [StateChange(JobState(c.state), utc(c.at), c.reason) for c in changes]
    return Job.restore(
        JobParameters.model_validate(row.parameters),
        id=row.id,
        state=JobState(row.state),
        history=history,
        rejection=tuple(Violation(v["field"], v["rule"], v.get("value")) for v in row.rejection),
        blocked_reason=row.blocked_reason,
        alternative=row.alternative,
        error=row.error,
        result=result,
        prediction=row.prediction,
        preflight_note=row.preflight_note,
        worker_id=row.worker_id,
        attempts=row.attempts,
        evaluation=row.evaluation,
        reviewed_by=row.reviewed_by,
        review_note=row.review_note,
        version=row.version,
    )


def alert_row(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "fired_at": alert.fired_at,
        "severity": alert.severity.value,
        "source": alert.source,
        "message": alert.message,
        "job_id": alert.job_id,
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": alert.acknowledged_at,
    }


def alert_from_row(row: Any) -> Alert:
    return Alert.restore(
        id=row.id,
        severity=row.severity,
        source=row.source,
        message=row.message,
        job_id=row.job_id,
        fired_at=utc(row.fired_at),
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=utc(row.acknowledged_at),
        version=row.version,
    )


__all__ = ["alert_from_row", "alert_row", "change_rows", "job_from_rows", "job_row", "utc"]
