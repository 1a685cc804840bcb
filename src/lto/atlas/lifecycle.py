"""The job lifecycle: states, the transitions between them, and the ``Job`` aggregate.

SUBMITTED → VALIDATING → PREFLIGHT → QUEUED → RUNNING → EVALUATING → COMPLETED
               │            │           │        │          └→ ANOMALY_FLAGGED → ENGINEER_REVIEW → CLEARED | ESCALATED
               ↓            ↓           ↓        ↓
            REJECTED     BLOCKED    CANCELLED  FAILED
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from lto.atlas.aggregate import Aggregate
from lto.atlas.contracts import JobParameters
from lto.atlas.errors import IllegalTransition, InvalidValue
from lto.atlas.events import (
    AnomalyFlagged,
    JobBlocked,
    JobCancelled,
    JobCompleted,
    JobRejected,
    JobReviewed,
    JobStateChanged,
    JobSubmitted,
    SimulationCompleted,
    SimulationFailed,
    SimulationRequested,
    SimulationStarted,
)
from lto.atlas.identity import new_id
from lto.atlas.policies import Violation


class JobState(StrEnum):
    SUBMITTED = "submitted"
    VALIDATING = "validating"
    REJECTED = "rejected"
    PREFLIGHT = "preflight"
    BLOCKED = "blocked"
    QUEUED = "queued"
    CANCELLED = "cancelled"
    RUNNING = "running"
    FAILED = "failed"
    EVALUATING = "evaluating"
    COMPLETED = "completed"
    ANOMALY_FLAGGED = "anomaly_flagged"
    ENGINEER_REVIEW = "engineer_review"
    CLEARED = "cleared"
    ESCALATED = "escalated"


S = JobState
TRANSITIONS: Mapping[JobState, frozenset[JobState]] = MappingProxyType(
    {
        S.SUBMITTED: frozenset({S.VALIDATING}),
        S.VALIDATING: frozenset({S.PREFLIGHT, S.REJECTED}),
        S.PREFLIGHT: frozenset({S.QUEUED, S.BLOCKED}),
        S.QUEUED: frozenset({S.RUNNING, S.CANCELLED}),
        S.RUNNING: frozenset({S.EVALUATING, S.FAILED}),
        S.EVALUATING: frozenset({S.COMPLETED, S.ANOMALY_FLAGGED}),
        S.ANOMALY_FLAGGED: frozenset({S.ENGINEER_REVIEW}),
        S.ENGINEER_REVIEW: frozenset({S.CLEARED, S.ESCALATED}),
        **{
            state: frozenset()
            for state in (
                S.REJECTED,
                S.BLOCKED,
                S.CANCELLED,
                S.FAILED,
                S.COMPLETED,
                S.CLEARED,
                S.ESCALATED,
            )
        },
    }
)
FINAL_STATES = frozenset(state for state, nexts in TRANSITIONS.items() if not nexts)


def _actor(name: str, field: str) -> str:
    """Who did it, as the audit log will say; never blank."""
    if not name.strip():
        raise InvalidValue(field, "must name who does it", name)
    return name.strip()


def check_transition(current: JobState, requested: JobState) -> None:
    """Raise ``IllegalTransition`` (naming both states) unless ``current → requested`` is legal."""
    allowed = TRANSITIONS[current]
    if requested not in allowed:
        raise IllegalTransition(current, requested, sorted(allowed))


@dataclass(frozen=True)
class StateChange:
    state: JobState
    at: datetime
    reason: str = ""


class Job(Aggregate):
    """A request to evaluate one set of ``JobParameters``, moving through the lifecycle."""

    def __init__(self, parameters: JobParameters, *, id: str | None = None) -> None:
        super().__init__()
        self.id = id or new_id("job")
        self.parameters = parameters
        self.state = JobState.SUBMITTED
        self.history: list[StateChange] = [StateChange(JobState.SUBMITTED, datetime.now(UTC))]
        self.rejection: tuple[Violation, ...] = ()
        self.blocked_reason = ""
        self.alternative: dict[str, Any] | None = None
        self.error = ""
        self.result: dict[str, Any] | None = None
        self.prediction: dict[str, Any] | None = None  # pre-flight's TradeoffPrediction, as JSON
        self.preflight_note = ""
        self.worker_id = ""
        self.attempts = 0
        self.evaluation: dict[str, Any] | None = None  # actual vs predicted, per score
        self.review_note = ""
        self.reviewed_by = ""
        self.version = 0  # the stored row's version (optimistic locking); 0: never stored
        self.record(
            JobSubmitted(
                job_id=self.id,
                submitted_by=parameters.submitted_by,
                parameters=parameters.model_dump(mode="json"),
            )
        )

    @classmethod
    def restore(
        cls,
        parameters: JobParameters,
        *,
        id: str,
        state: JobState,
        history: Sequence[StateChange],
        **attributes: Any,
    ) -> Job:
        """The job as stored: no event is recorded (they were when it happened). ``attributes``
        are the other fields ``__init__`` sets (rejection, result, prediction, version …)."""
        job = cls.__new__(cls)
        Aggregate.__init__(job)
        job.id, job.parameters, job.state, job.history = id, parameters, state, list(history)
        defaults: dict[str, Any] = {
            "rejection": (),
            "blocked_reason": "",
            "alternative": None,
            "error": "",
            "result": None,
            "prediction": None,
            "preflight_note": "",
            "worker_id": "",
            "attempts": 0,
            "evaluation": None,
            "review_note": "",
            "reviewed_by": "",
            "version": 0,
        }
        unknown = set(attributes) - set(defaults)
        if unknown:
            raise TypeError(f"Job.restore: unknown attributes {', '.join(sorted(unknown))}")
        for name, default in defaults.items():
            setattr(job, name, attributes.get(name, default))
        return job

    @property
    def submitted_at(self) -> datetime:
        return self.history[0].at

    @property
    def updated_at(self) -> datetime:
        return self.history[-1].at

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    def transition_to(self, state: JobState, *, reason: str = "") -> None:
        check_transition(self.state, state)
        previous, self.state = self.state, state
        self.history.append(StateChange(state, datetime.now(UTC), reason))
        self.record(
            JobStateChanged(job_id=self.id, from_state=previous, to_state=state, reason=reason)
        )

    def reject(self, violations: Sequence[Violation]) -> None:
        if not violations:
            raise ValueError("a job is rejected for at least one violation")
        self.transition_to(JobState.REJECTED, reason="; ".join(str(v) for v in violations))
        self.rejection = tuple(violations)
        self.record(
            JobRejected(job_id=self.id, reasons=tuple((v.field, v.rule) for v in violations))
        )

    def block(self, reason: str, alternative: dict[str, Any] | None = None) -> None:
        self.transition_to(JobState.BLOCKED, reason=reason)
        self.blocked_reason, self.alternative = reason, alternative
        self.record(JobBlocked(job_id=self.id, reason=reason, alternative=alternative))

    def start_validation(self) -> None:
        self.transition_to(JobState.VALIDATING)

    def pass_validation(self) -> None:
        self.transition_to(JobState.PREFLIGHT)

    def record_preflight(self, prediction: dict[str, Any] | None, note: str) -> None:
        """Pre-flight's answer (None: no surrogate could answer) and what it concluded."""
        if self.state is not JobState.PREFLIGHT:
            raise IllegalTransition(self.state, JobState.PREFLIGHT, [])
        self.prediction, self.preflight_note = prediction, note

    def queue(self) -> None:
        self.transition_to(JobState.QUEUED)
        self.record(
            SimulationRequested(
                job_id=self.id,
                parameters=self.parameters.model_dump(mode="json"),
                priority=self.parameters.priority,
            )
        )

    def request_again(self) -> None:
        """Ask for the simulation once more (its request was lost with an embedded broker);
        the worker that gets both requests runs the job once."""
        if self.state not in (JobState.QUEUED, JobState.RUNNING):
            raise IllegalTransition(self.state, JobState.QUEUED, [])
        self.record(
            SimulationRequested(
                job_id=self.id,
                parameters=self.parameters.model_dump(mode="json"),
                priority=self.parameters.priority,
            )
        )

    def cancel(self, by: str) -> None:
        by = _actor(by, "cancelled_by")
        if JobState.CANCELLED not in TRANSITIONS[self.state]:
            why = (
                f"job {self.id} is cancelled already"
                if self.state is JobState.CANCELLED
                else f"job {self.id} is running on worker {self.worker_id or '?'} "
                "(running -> cancelled is not allowed): too late to cancel"
                if self.state is JobState.RUNNING
                else f"job {self.id} is {self.state.value}: only a queued job can be cancelled"
            )
            raise IllegalTransition(self.state, JobState.CANCELLED, [], why)
        self.transition_to(JobState.CANCELLED, reason=f"cancelled by {by}")
        self.record(JobCancelled(job_id=self.id, cancelled_by=by))

    def start(self, worker_id: str) -> None:
        """A worker took the job. A job already RUNNING is taken over: its worker died or gave
        it back (the broker redelivered its request), and the attempt count says so."""
        if self.state is not JobState.RUNNING:
            self.transition_to(JobState.RUNNING, reason=f"worker {worker_id}")
        else:  # not a new state, but the history shows who runs it now
            self.history.append(
                StateChange(
                    JobState.RUNNING,
                    datetime.now(UTC),
                    f"taken over by worker {worker_id} from {self.worker_id or '?'} "
                    f"(attempt {self.attempts + 1})",
                )
            )
        self.worker_id = worker_id
        self.attempts += 1
        self.record(SimulationStarted(job_id=self.id, worker_id=worker_id, attempt=self.attempts))

    def complete_simulation(self, result: dict[str, Any]) -> None:
        self.transition_to(JobState.EVALUATING)
        self.result = result
        self.record(SimulationCompleted(job_id=self.id, result=result))

    def fail(self, error: str) -> None:
        self.transition_to(JobState.FAILED, reason=error)
        self.error = error
        self.record(SimulationFailed(job_id=self.id, error=error))

    def flag_anomaly(
        self, signals: Sequence[str], detail: str, evaluation: dict[str, Any] | None = None
    ) -> None:
        self.transition_to(JobState.ANOMALY_FLAGGED, reason=detail)
        self.evaluation = evaluation
        self.record(AnomalyFlagged(job_id=self.id, signals=tuple(signals), detail=detail))

    def complete(self, evaluation: dict[str, Any], summary: str) -> None:
        self.transition_to(JobState.COMPLETED, reason=summary)
        self.evaluation = evaluation
        self.record(JobCompleted(job_id=self.id, summary=summary))

    def start_review(self, by: str) -> None:
        by = _actor(by, "reviewed_by")
        self.transition_to(JobState.ENGINEER_REVIEW, reason=f"review by {by}")
        self.reviewed_by = by
        self.record(JobReviewed(job_id=self.id, decision="started", reviewed_by=by))

    def clear(self, by: str, note: str = "") -> None:
        self._decide(JobState.CLEARED, "cleared", by, note)

    def escalate(self, by: str, note: str = "") -> None:
        self._decide(JobState.ESCALATED, "escalated", by, note)

    def _decide(self, state: JobState, decision: str, by: str, note: str) -> None:
        by = _actor(by, "reviewed_by")
        self.transition_to(state, reason=note or f"{decision} by {by}")
        self.reviewed_by, self.review_note = by, note
        self.record(JobReviewed(job_id=self.id, decision=decision, reviewed_by=by, note=note))
