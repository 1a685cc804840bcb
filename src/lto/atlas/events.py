"""Domain events: facts that happened, recorded by aggregates and published through the outbox.

Events carry only plain data (str, float, int, bool, tuples and dicts of them) so that the outbox
can store them as JSON and any consumer can rebuild them with ``event_from_payload``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from lto.atlas.errors import UnknownName
from lto.atlas.identity import new_id

JsonDict = dict[str, Any]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    event_id: str = field(default_factory=lambda: new_id("ev"))
    occurred_at: datetime = field(default_factory=_now)

    registry: ClassVar[dict[str, type[DomainEvent]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        DomainEvent.registry[cls.__name__] = cls

    @property
    def name(self) -> str:
        return type(self).__name__

    def to_payload(self) -> JsonDict:
        """A JSON-ready dict; ``event_from_payload(event.name, payload)`` rebuilds the event."""
        payload = dataclasses.asdict(self)
        payload["occurred_at"] = self.occurred_at.isoformat()
        return payload


def event_from_payload(name: str, payload: JsonDict) -> DomainEvent:
    """Rebuild an event from its class name and ``to_payload()`` dict (lists become tuples)."""
    try:
        cls = DomainEvent.registry[name]
    except KeyError:
        raise UnknownName("domain event", name, sorted(DomainEvent.registry)) from None
    values = dict(payload)
    values["occurred_at"] = datetime.fromisoformat(values["occurred_at"])
    for item in dataclasses.fields(cls):
        if str(item.type).startswith("tuple") and isinstance(values.get(item.name), list):
            values[item.name] = tuple(
                tuple(v) if isinstance(v, list) else v for v in values[item.name]
            )
    return cls(**values)


# --- the job pipeline -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class JobSubmitted(DomainEvent):
    job_id: str
    submitted_by: str
    parameters: JsonDict


@dataclass(frozen=True, kw_only=True)
class JobStateChanged(DomainEvent):
    job_id: str
    from_state: str
    to_state: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class JobRejected(DomainEvent):
    job_id: str
    reasons: tuple[tuple[str, str], ...]  # (field, rule) pairs


@dataclass(frozen=True, kw_only=True)
class JobBlocked(DomainEvent):
    job_id: str
    reason: str
    alternative: JsonDict | None = None


@dataclass(frozen=True, kw_only=True)
class SimulationRequested(DomainEvent):
    job_id: str
    parameters: JsonDict
    priority: int


@dataclass(frozen=True, kw_only=True)
class SimulationCompleted(DomainEvent):
    job_id: str
    result: JsonDict


@dataclass(frozen=True, kw_only=True)
class SimulationFailed(DomainEvent):
    job_id: str
    error: str


@dataclass(frozen=True, kw_only=True)
class JobCancelled(DomainEvent):
    job_id: str
    cancelled_by: str


@dataclass(frozen=True, kw_only=True)
class SimulationStarted(DomainEvent):
    job_id: str
    worker_id: str
    attempt: int  # 1 on the first run; more when a worker died and another took the job over


@dataclass(frozen=True, kw_only=True)
class JobCompleted(DomainEvent):
    job_id: str
    summary: str


@dataclass(frozen=True, kw_only=True)
class JobReviewed(DomainEvent):
    job_id: str
    decision: str  # "started", "cleared" or "escalated"
    reviewed_by: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class AnomalyFlagged(DomainEvent):
    job_id: str
    signals: tuple[str, ...]
    detail: str


@dataclass(frozen=True, kw_only=True)
class AlertFired(DomainEvent):
    alert_id: str
    severity: str
    source: str
    message: str


@dataclass(frozen=True, kw_only=True)
class AlertAcknowledged(DomainEvent):
    alert_id: str
    acknowledged_by: str


# --- models and optimisation -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DriftDetected(DomainEvent):
    model_name: str
    feature: str
    psi: float
    band: str


@dataclass(frozen=True, kw_only=True)
class ModelTrained(DomainEvent):
    model_name: str
    version: str
    metrics: JsonDict


@dataclass(frozen=True, kw_only=True)
class ModelPromoted(DomainEvent):
    model_name: str
    version: str
    previous_version: str | None


@dataclass(frozen=True, kw_only=True)
class ModelRolledBack(DomainEvent):
    model_name: str
    from_version: str
    to_version: str


@dataclass(frozen=True, kw_only=True)
class OptimizationCompleted(DomainEvent):
    optimization_id: str
    best_parameters: JsonDict
    best_values: tuple[float, ...]


# --- cells and fabs --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EquipmentInstalled(DomainEvent):
    cell_id: str
    equipment_id: str
    kind: str
    equipment_name: str


@dataclass(frozen=True, kw_only=True)
class EquipmentRemoved(DomainEvent):
    cell_id: str
    equipment_id: str


@dataclass(frozen=True, kw_only=True)
class StreamConnected(DomainEvent):
    cell_id: str
    stream_id: str
    kind: str
    source: str
    target: str


@dataclass(frozen=True, kw_only=True)
class StreamDisconnected(DomainEvent):
    cell_id: str
    stream_id: str


@dataclass(frozen=True, kw_only=True)
class CellRenamed(DomainEvent):
    cell_id: str
    old_name: str
    new_name: str


@dataclass(frozen=True, kw_only=True)
class CellAddedToFab(DomainEvent):
    fab_id: str
    cell_id: str


@dataclass(frozen=True, kw_only=True)
class CellsLinked(DomainEvent):
    fab_id: str
    upstream: str
    downstream: str
