"""The job pipeline's command handlers: plain functions over a unit of work.

Submit: the contract (pydantic) refuses malformed input outright with every field-level reason
(there is no job to store); the constraint profile's policy REJECTS a well-formed job, stored
with every reason (or, when the caller asks, refuses it unstored: ``PolicyRejected``); pre-flight BLOCKS it with an alternative, or it is QUEUED (a
``SimulationRequested`` event, through the outbox, to the workers). Pre-flight runs before the
transaction opens: the database is never locked while the surrogate (or the alternative's
search) thinks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from lto.atlas.alerts import Alert
from lto.atlas.contracts import JobParameters
from lto.atlas.errors import DomainError
from lto.atlas.lifecycle import Job, JobState
from lto.atlas.policies import Violation, check_job
from lto.capricorn.repositories import PredictionRecord
from lto.capricorn.service.commands import AcknowledgeAlert, CancelJob, ReviewJob, SubmitJob
from lto.capricorn.service.preflight import Preflight
from lto.capricorn.service.unit_of_work import UnitOfWork


class InvalidJob(ValueError):
    """The submitted parameters break the contract; ``reasons`` are (field, rule) pairs."""

    def __init__(self, reasons: list[tuple[str, str]]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(f"{f}: {r}" for f, r in reasons))


class PolicyRejected(ValueError):
    """A well-formed job its constraint profile rejects, refused without being stored."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__(
            "the job breaks its constraint profile: "
            + "; ".join(f"{v.field}: {v.rule}" for v in violations)
        )


class NotFound(LookupError):
    def __init__(self, kind: str, id: str) -> None:
        self.kind, self.id = kind, id
        super().__init__(f"no {kind} {id!r}")


@dataclass(frozen=True)
class Submitted:
    job_id: str
    state: JobState
    job: Job | None = field(default=None, compare=False, repr=False)  # as committed


def contract_reasons(error: ValidationError) -> list[tuple[str, str]]:
    reasons = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "job"
        message = item["msg"].removeprefix("Value error, ")
        reasons.append((where, message))
    return reasons


def submit_job(command: SubmitJob, uow: UnitOfWork, preflight: Preflight) -> Submitted:
    try:
        parameters = JobParameters.model_validate(dict(command.parameters))
    except ValidationError as exc:
        raise InvalidJob(contract_reasons(exc)) from None
    violations = check_job(parameters)
    if violations and not command.store_rejected:
        raise PolicyRejected(violations)
    decision = None if violations else preflight.check(parameters)
    with uow:
        uow.actor = parameters.submitted_by
        job = Job(parameters, id=command.job_id)
        uow.jobs.add(job)
        job.start_validation()
        if violations:
            job.reject(violations)
        else:
            assert decision is not None
            job.pass_validation()
            job.record_preflight(decision.prediction_json(), decision.note)
            if decision.prediction is not None:
                uow.records.add_prediction(
                    PredictionRecord(
                        id=f"{job.id}-preflight",
                        created_at=job.updated_at,
                        model_version=decision.prediction.model_version,
                        parameters=parameters.model_dump(mode="json"),
                        prediction=decision.prediction_json() or {},
                        recommend_physics=decision.prediction.flags.recommend_physics,
                        job_id=job.id,
                    )
                )
            if decision.blocks:
                job.block(decision.note, decision.alternative_json())
            else:
                job.queue()
        uow.commit()
        return Submitted(job.id, job.state, job)


def cancel_job(command: CancelJob, uow: UnitOfWork) -> JobState:
    with uow:
        uow.actor = command.by
        job = _job(uow, command.job_id)
        job.cancel(command.by)  # IllegalTransition once a worker has it
        uow.commit()
        return job.state


def review_job(command: ReviewJob, uow: UnitOfWork) -> JobState:
    with uow:
        uow.actor = command.by
        job = _job(uow, command.job_id)
        if command.decision == "start" or job.state is JobState.ANOMALY_FLAGGED:
            job.start_review(command.by)
        if command.decision == "clear":
            job.clear(command.by, command.note)
        elif command.decision == "escalate":
            job.escalate(command.by, command.note)
        if command.decision != "start":  # the review answers the job's alerts
            for alert in uow.alerts.active(limit=1000):
                if alert.job_id == job.id:
                    alert.acknowledge(command.by)
        uow.commit()
        return job.state


def acknowledge_alert(command: AcknowledgeAlert, uow: UnitOfWork) -> None:
    with uow:
        uow.actor = command.by
        alert: Alert | None = uow.alerts.get(command.alert_id)
        if alert is None:
            raise NotFound("alert", command.alert_id)
        alert.acknowledge(command.by)
        uow.commit()


def _job(uow: UnitOfWork, job_id: str) -> Job:
    job = uow.jobs.get(job_id)
    if job is None:
        raise NotFound("job", job_id)
    return job


__all__ = [
    "DomainError",
    "InvalidJob",
    "NotFound",
    "Submitted",
    "acknowledge_alert",
    "cancel_job",
    "contract_reasons",
    "review_job",
    "submit_job",
]
