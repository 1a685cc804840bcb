"""Repositories: how the service layer reads and stores each aggregate and record, whatever the
database. The abstract classes state the contract; ``adapters/sql_repositories.py`` (and
``adapters/sql_catalog.py`` for cells, fabs, users and model versions) implements it on
SQLAlchemy, and the tests' fakes in memory (one test class runs against both).

``add`` and ``get`` remember the aggregates they handed out (``seen``): the unit of work stores
every change to them on commit and collects their events. Nothing is written before commit.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Literal, Protocol, TypeVar

from lto.atlas.alerts import Alert
from lto.atlas.cell import LithoCell
from lto.atlas.events import DomainEvent
from lto.atlas.fab import Fab
from lto.atlas.lifecycle import Job, JobState
from lto.atlas.users import ApiKey, User
from lto.atlas.yield_data import YieldMeasurement


class _Identified(Protocol):
    id: str


A = TypeVar("A", bound=_Identified)


class AggregateRepository(ABC, Generic[A]):
    def __init__(self) -> None:
        self.seen: dict[str, A] = {}

    def add(self, item: A) -> None:
        self.seen[item.id] = item

    def get(self, id: str) -> A | None:
        if id in self.seen:
            return self.seen[id]
        item = self._get(id)
        if item is not None:
            self.seen[item.id] = item
        return item

    @abstractmethod
    def _get(self, id: str) -> A | None: ...

    @abstractmethod
    def flush(self) -> None:
        """Write every seen aggregate that is new or changed (called by the unit of work)."""


@dataclass(frozen=True)
class JobPage:
    """One page of jobs, newest first; ``next_cursor`` continues after the last, None at the end."""

    jobs: list[Job]
    next_cursor: tuple[datetime, str] | None


# where a job leaves the pipeline: the first of these it reaches ends its run (each is reached
# once at most: the lifecycle has no cycles), whatever review follows
PIPELINE_OUTCOMES: tuple[JobState, ...] = (
    JobState.COMPLETED,
    JobState.ANOMALY_FLAGGED,
    JobState.FAILED,
    JobState.REJECTED,
    JobState.BLOCKED,
    JobState.CANCELLED,
)


@dataclass(frozen=True)
class DurationHistogram:
    """Job durations (seconds) as a Prometheus histogram: ``cumulative[i]`` jobs took at most
    ``bounds[i]``; ``count`` jobs in all, ``sum_s`` seconds in all."""

    bounds: tuple[float, ...]
    cumulative: tuple[int, ...]
    count: int
    sum_s: float


class JobRepository(AggregateRepository[Job]):
    @abstractmethod
    def page(
        self,
        *,
        state: JobState | None = None,
        submitted_by: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> JobPage:
        """Newest first (submitted_at, then id, descending): keyset pagination, so a page
        never repeats or skips a job while others are being submitted. ``since`` and ``until``
        bound submitted_at (inclusive, exclusive)."""

    @abstractmethod
    def count_by_state(self) -> dict[str, int]: ...

    @abstractmethod
    def count_unfinished(self, submitted_by: str, *, at_most: int | None = None) -> int:
        """Jobs of this submitter not yet in a final state (the API's per-user quota), counted
        up to ``at_most`` (the quota's check then costs the same however many there are)."""

    @abstractmethod
    def finished_since(self, since: datetime) -> int:
        """Jobs that reached a final state (or review) since ``since``: the throughput."""

    @abstractmethod
    def in_states(self, states: Sequence[JobState], *, limit: int = 1000) -> list[Job]:
        """Jobs in any of ``states``, oldest first (to recover or requeue)."""

    @abstractmethod
    def durations(self, bounds: Sequence[float]) -> DurationHistogram:
        """How long jobs took from submission to leaving the pipeline (the first state of
        ``PIPELINE_OUTCOMES`` they reached), over ``bounds`` (seconds, ascending). One aggregate
        query; a job's duration never changes once it has one, so the counts only grow."""


@dataclass(frozen=True)
class AlertPage:
    """One page of alerts, newest first; ``next_cursor`` continues after the last."""

    alerts: list[Alert]
    next_cursor: tuple[datetime, str] | None


class AlertRepository(AggregateRepository[Alert]):
    @abstractmethod
    def active(self, *, limit: int = 100) -> list[Alert]:
        """Unacknowledged alerts, newest first."""

    @abstractmethod
    def page(
        self,
        *,
        active: bool | None = None,
        severity: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> AlertPage:
        """Newest first (fired_at, then id, descending), keyset-paginated like jobs.
        ``active``: True for unacknowledged alerts only, False for acknowledged ones, None for
        both; ``severity``: one severity only."""

    @abstractmethod
    def history(self, *, limit: int = 100) -> list[Alert]:
        """All alerts, newest first."""

    @abstractmethod
    def active_from(self, source: str) -> list[Alert]:
        """Unacknowledged alerts of one source (so monitoring does not fire the same twice)."""

    @abstractmethod
    def changed_since(self, since: datetime, *, limit: int = 500) -> list[Alert]:
        """Alerts fired or acknowledged at or after ``since``, oldest fired first (then id):
        what the API's live alert feed pushes."""

    @abstractmethod
    def count_by_severity(self, *, active: bool | None = None) -> dict[str, int]:
        """Alerts per severity (severities without any left out); ``active`` as in ``page``."""


@dataclass(frozen=True)
class PredictionRecord:
    id: str
    created_at: datetime
    model_version: str
    parameters: dict[str, Any]
    prediction: dict[str, Any]
    recommend_physics: bool
    job_id: str | None = None


@dataclass(frozen=True)
class ResultRecord:
    job_id: str
    created_at: datetime
    simulator: str
    result: dict[str, Any]  # SimulationResult JSON
    artifacts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PredictionPage:
    """One page of predictions, newest first; ``next_cursor`` continues after the last."""

    predictions: list[PredictionRecord]
    next_cursor: tuple[datetime, str] | None


ScoreSource = Literal["predictions", "results"]


@dataclass(frozen=True)
class ScoreBucket:
    """The mean of each tradeoff score over one time bucket's rows (``start`` to ``start`` plus
    the bucket's width); ``count``: the rows in it that had scores."""

    start: datetime
    count: int
    means: dict[str, float]


@dataclass(frozen=True)
class Outcome:
    """A finished job's physics against its pre-flight prediction: the job's ``evaluation``
    (per learned score: ``actual``, and with a prediction ``mean``, ``lower``, ``upper`` and
    ``within``), the surrogate version that predicted it (None without a prediction) and when
    its result was stored."""

    job_id: str
    at: datetime
    model_version: str | None
    evaluation: dict[str, Any]


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    event_id: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class OutboxRow:
    id: int
    event_id: str
    name: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class BufferRow:
    job_id: str
    created_at: datetime
    model_version: str | None
    row: dict[str, Any]


class RecordStore(ABC):
    """Append-mostly records written with the unit of work's transaction (no aggregates).
    Writes may wait until ``flush`` (the commit); reads never see unflushed writes."""

    def flush(self) -> None:  # noqa: B027 - a store that writes at once has nothing to do
        """Write what is pending (the unit of work calls it after storing the aggregates)."""

    @abstractmethod
    def add_prediction(self, record: PredictionRecord) -> None: ...

    @abstractmethod
    def predictions(
        self, *, job_id: str | None = None, since: datetime | None = None, limit: int = 1000
    ) -> list[PredictionRecord]:
        """Newest first."""

    @abstractmethod
    def prediction_page(
        self,
        *,
        submitted_by: str | None = None,
        standalone: bool = True,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> PredictionPage:
        """Newest first (created_at, then id, descending), keyset-paginated like
        ``JobRepository.page``. ``submitted_by``: only predictions whose parameters name this
        submitter; ``standalone``: only those asked for outside a job (no ``job_id``: the
        API's ``POST /tradeoffs/predict``), else pre-flight's too."""

    @abstractmethod
    def score_means(
        self, source: ScoreSource, *, since: datetime, until: datetime, bucket_s: int
    ) -> list[ScoreBucket]:
        """Per bucket of ``bucket_s`` seconds (counted from the Unix epoch, so a day starts at
        00:00 UTC) in [since, until), oldest first, the mean of every tradeoff score: the
        predicted means of the stored predictions (``predictions``) or the physics' signals of
        the stored results (``results``). Buckets without scores are left out."""

    @abstractmethod
    def outcomes(
        self, *, since: datetime, until: datetime | None = None, limit: int = 10_000
    ) -> list[Outcome]:
        """Evaluated jobs whose result was stored in [since, until), newest first."""

    @abstractmethod
    def latest_signals(self, *, limit: int = 100) -> list[dict[str, float]]:
        """The tradeoff scores (``signals``) of the newest ``limit`` results, newest first (by
        created_at, then job id); results without scores among them are left out."""

    @abstractmethod
    def add_result(self, record: ResultRecord) -> None: ...

    @abstractmethod
    def result(self, job_id: str) -> ResultRecord | None: ...

    @abstractmethod
    def add_audit(self, entries: Sequence[AuditEntry]) -> None: ...

    @abstractmethod
    def audit(self, entity_type: str, entity_id: str) -> list[AuditEntry]:
        """Oldest first."""

    @abstractmethod
    def add_to_outbox(self, events: Sequence[DomainEvent]) -> None: ...

    @abstractmethod
    def unsent(self, *, limit: int = 100) -> list[OutboxRow]:
        """The oldest unsent outbox rows, locked against other relays until the transaction
        ends where the database can (PostgreSQL: FOR UPDATE SKIP LOCKED)."""

    @abstractmethod
    def mark_sent(self, ids: Sequence[int], at: datetime) -> None: ...

    @abstractmethod
    def mark_attempt_failed(self, ids: Sequence[int], error: str) -> None: ...

    @abstractmethod
    def outbox_backlog(self) -> int: ...

    @abstractmethod
    def was_processed(self, consumer: str, message_id: str) -> bool: ...

    @abstractmethod
    def mark_processed(self, consumer: str, message_id: str, at: datetime) -> None:
        """Record that ``consumer`` handled ``message_id``; a second record for the same pair
        fails the transaction (two workers raced: the loser's effects roll back)."""

    @abstractmethod
    def add_to_buffer(self, row: BufferRow) -> None: ...

    @abstractmethod
    def buffer(self, *, since: datetime | None = None, limit: int = 100_000) -> list[BufferRow]:
        """Oldest first."""


class ConcurrentUpdate(RuntimeError):
    """Another transaction changed the aggregate since it was read; nothing was written."""


class DuplicateMessage(RuntimeError):
    """The message was already processed by this consumer (found at commit)."""


class DuplicateName(RuntimeError):
    """Another user already has this name (found at commit); nothing was written."""


# --- idempotency keys (the API's creating POSTs) ---------------------------------------------


@dataclass(frozen=True)
class IdempotencyRecord:
    """One caller's use of one Idempotency-Key: the request it came with (method, path and a
    hash of the body) and, once answered, the answer. ``resource_id`` is reserved up front (the
    id the request creates), so a request whose process died after creating it can be
    recognised when the key is tried again."""

    owner: str
    key: str
    method: str
    path: str
    request_hash: str
    state: str  # "in_flight" | "done"
    created_at: datetime
    resource_id: str | None = None
    status_code: int | None = None
    response: dict[str, Any] | None = None


class IdempotencyStore(ABC):
    """Writes at once, inside the unit of work's transaction (not deferred to commit)."""

    @abstractmethod
    def reserve(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Insert ``record`` (in flight); None if it went in, else the record already there."""

    @abstractmethod
    def take_over(self, record: IdempotencyRecord, *, stale_before: datetime) -> bool:
        """Restart an in-flight record older than ``stale_before`` (its process died) with
        ``record``'s time; whether it was (another caller may have taken it first)."""

    @abstractmethod
    def complete(
        self, owner: str, key: str, status_code: int, response: dict[str, Any]
    ) -> None: ...

    @abstractmethod
    def release(self, owner: str, key: str) -> None:
        """Forget an in-flight key (its answer was about the moment: the caller may retry)."""

    @abstractmethod
    def abandon(self, owner: str, key: str, *, stale_at: datetime) -> None:
        """Date an in-flight key back to ``stale_at`` so that the next request with it takes it
        over at once, with its reserved id: its request failed on our side, perhaps after
        committing, and a retry must find what it made instead of making it again."""

    @abstractmethod
    def purge(self, before: datetime) -> int:
        """Delete keys created before ``before``; how many."""


# --- optimisation runs (the API's background searches) ----------------------------------------

OPTIMISATION_STATES = ("queued", "running", "completed", "failed", "cancelled")
UNFINISHED_OPTIMISATION_STATES = ("queued", "running")
FINISHED_OPTIMISATION_STATES = ("completed", "failed", "cancelled")


@dataclass(frozen=True)
class OptimisationRecord:
    """One optimisation run the API accepted: the problem as asked (``request``), where its
    search stands (``progress``: trials done, best so far, the runner's heartbeat) and what it
    found (``result``) or why it failed or was cancelled (``error``). ``state`` moves queued →
    running → completed, failed or cancelled (a queued run may be cancelled before it runs),
    never back."""

    id: str
    owner: str  # the user's name
    state: str
    created_at: datetime
    request: dict[str, Any]
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class OptimisationPage:
    """One page of runs, newest first; ``next_cursor`` continues after the last."""

    runs: list[OptimisationRecord]
    next_cursor: tuple[datetime, str] | None


class OptimisationRepository(ABC):
    """The ``optimisations`` table. Writes at once, inside the unit of work's transaction
    (kept only if it commits). The state changes are conditional, so two processes racing on
    one run (its runner finishing it, another failing it as abandoned) cannot both win:
    each says whether it changed the run."""

    @abstractmethod
    def add(self, record: OptimisationRecord) -> None: ...

    @abstractmethod
    def get(self, id: str) -> OptimisationRecord | None: ...

    @abstractmethod
    def page(
        self,
        *,
        owner: str | None = None,
        state: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> OptimisationPage:
        """Newest first (created_at, then id, descending), keyset-paginated like jobs."""

    @abstractmethod
    def unfinished(self, *, limit: int = 1000) -> list[OptimisationRecord]:
        """Runs queued or running, oldest first (to find those whose process died)."""

    @abstractmethod
    def start(self, id: str, at: datetime, progress: dict[str, Any]) -> bool:
        """queued → running; whether it was (False: not queued any more)."""

    @abstractmethod
    def record_progress(self, id: str, progress: dict[str, Any]) -> bool:
        """Replace the progress of a run not yet finished; whether it was."""

    @abstractmethod
    def finish(
        self,
        id: str,
        *,
        state: str,
        at: datetime,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        progress: dict[str, Any] | None = None,
    ) -> bool:
        """A run not yet finished → ``state`` (one of ``FINISHED_OPTIMISATION_STATES``), with
        its result or error (and its last progress, when given); whether it was."""


# --- ingested data: simulation results run elsewhere, wafer yield -----------------------------


@dataclass(frozen=True)
class IngestedResult:
    """A simulation result another system ran (another simulator, a fab's PROLITH runs), as
    ``POST /api/v1/ingest/simulation-results`` stored it: the job's parameters and the result
    (JSON of ``JobParameters`` and ``SimulationResult``, whose ``job_id`` is this record's id
    and whose ``signals`` are always present: the sender's, or computed on arrival)."""

    id: str
    received_at: datetime
    source: str  # the simulator or system that sent it
    submitted_by: str
    parameters: dict[str, Any]
    result: dict[str, Any]


class IngestedResultStore(ABC):
    """The ``ingested_results`` table. Writes at once, inside the unit of work's transaction
    (kept only if it commits)."""

    @abstractmethod
    def add(self, record: IngestedResult) -> None: ...

    @abstractmethod
    def get(self, id: str) -> IngestedResult | None: ...

    @abstractmethod
    def list(self, *, since: datetime | None = None, limit: int = 100_000) -> list[IngestedResult]:
        """Oldest first (received_at, then id): what training reads beside the buffer."""


@dataclass(frozen=True)
class YieldRecord:
    """One stored wafer yield measurement and who sent it when."""

    id: str
    received_at: datetime
    submitted_by: str
    measurement: YieldMeasurement


@dataclass(frozen=True)
class YieldPage:
    """One page of yield records, newest measurement first; ``next_cursor`` continues after
    the last (its measured_at and id), None at the end."""

    records: list[YieldRecord]
    next_cursor: tuple[datetime, str] | None


class DuplicateYield(RuntimeError):
    """A measurement for this wafer and layer is already stored; ``existing`` is it."""

    def __init__(self, existing: YieldRecord) -> None:
        self.existing = existing
        lot, wafer, layer = existing.measurement.key
        super().__init__(
            f"lot {lot} wafer {wafer} layer {layer} already has yield record {existing.id}"
        )


class YieldStore(ABC):
    """The ``yield_records`` table: one measurement per (lot, wafer, layer), the database's to
    guard. Writes at once, inside the unit of work's transaction (kept only if it commits)."""

    @abstractmethod
    def add(self, record: YieldRecord) -> None:
        """Store ``record``; ``DuplicateYield`` (nothing written) where its wafer and layer
        already have one, even one another transaction stored meanwhile."""

    @abstractmethod
    def get(self, id: str) -> YieldRecord | None: ...

    @abstractmethod
    def by_key(self, lot_id: str, wafer_id: str, layer: str) -> YieldRecord | None: ...

    @abstractmethod
    def page(
        self,
        *,
        lot_id: str | None = None,
        layer: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> YieldPage:
        """Newest measurement first (measured_at, then id, descending), keyset-paginated like
        ``JobRepository.page``; ``lot_id`` and ``layer`` filter exactly."""


# --- the catalog: cells, fabs, users and model versions ---------------------------------------


class CellRepository(AggregateRepository[LithoCell]):
    """Litho cells, versioned like jobs (a stale copy is ``ConcurrentUpdate``). Which fab a cell
    belongs to is the fab's to store, not the cell's."""

    @abstractmethod
    def list(self) -> list[LithoCell]:
        """Every stored cell, by name (then id)."""


class FabRepository(AggregateRepository[Fab]):
    """Fabs with their cells. ``get`` loads a fab's cells through ``cells`` (so a cell is one
    object in the unit of work, whichever way it was reached); a cell added to a fab is stored
    with it, even if it was never added to ``cells``. A cell belongs to one fab at most: adding
    a cell that another fab holds is ``InvariantViolated`` at commit. Adding a cell or linking
    two counts as a change of the fab (its version moves)."""

    def __init__(self, cells: CellRepository) -> None:
        super().__init__()
        self.cells = cells

    def adopt_cells(self) -> None:
        """Hand every seen fab's cells to ``cells``, so they are stored and their events
        collected (the unit of work calls it before collecting)."""
        for fab in list(self.seen.values()):
            for cell in fab.cells:
                if cell.id not in self.cells.seen:
                    self.cells.add(cell)


class UserRepository(AggregateRepository[User]):
    """Users with their API keys (a user and its keys are stored together). Users are not
    versioned: the last commit wins. A user whose name another has is ``DuplicateName`` at
    commit."""

    @abstractmethod
    def by_name(self, name: str) -> User | None: ...

    @abstractmethod
    def key_by_hash(self, key_hash: str) -> ApiKey | None:
        """The key with this hash (``lto.atlas.users.hash_key``), revoked or not: the caller
        decides. It is the key object of its user, now seen, so a change to it (say
        ``last_used_at``) is stored on commit."""

    @abstractmethod
    def list(self) -> list[User]:
        """Every user, by name."""


@dataclass(frozen=True)
class ModelVersionRecord:
    """A registered surrogate version as the service layer last saw it in the registry."""

    name: str
    version: str
    status: str
    aliases: tuple[str, ...] = ()
    metrics: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # where the model came from: a run, an artifact URI
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class ModelVersionRecords(ABC):
    """The ``model_versions`` table: a mirror of the model registry (which stays the source of
    truth), written at once in the unit of work's transaction and kept only if it commits."""

    @abstractmethod
    def upsert(self, record: ModelVersionRecord) -> ModelVersionRecord:
        """Insert the version, or replace its status, aliases, metrics and source (its
        ``created_at`` stays the first one's); returns what is stored. An alias names one
        version of a model: the record's aliases are taken off the model's other versions."""

    @abstractmethod
    def get(self, name: str, version: str) -> ModelVersionRecord | None: ...

    @abstractmethod
    def list(self, name: str | None = None) -> list[ModelVersionRecord]:
        """By model name, then oldest first (created_at, then version)."""

    @abstractmethod
    def by_alias(self, name: str, alias: str) -> ModelVersionRecord | None: ...


__all__ = [
    "FINISHED_OPTIMISATION_STATES",
    "OPTIMISATION_STATES",
    "PIPELINE_OUTCOMES",
    "UNFINISHED_OPTIMISATION_STATES",
    "AggregateRepository",
    "AlertPage",
    "AlertRepository",
    "AuditEntry",
    "BufferRow",
    "CellRepository",
    "ConcurrentUpdate",
    "DuplicateMessage",
    "DuplicateName",
    "DuplicateYield",
    "DurationHistogram",
    "FabRepository",
    "IdempotencyRecord",
    "IdempotencyStore",
    "IngestedResult",
    "IngestedResultStore",
    "JobPage",
    "JobRepository",
    "ModelVersionRecord",
    "ModelVersionRecords",
    "OptimisationPage",
    "OptimisationRecord",
    "OptimisationRepository",
    "OutboxRow",
    "Outcome",
    "PredictionPage",
    "PredictionRecord",
    "RecordStore",
    "ResultRecord",
    "ScoreBucket",
    "ScoreSource",
    "UserRepository",
    "YieldPage",
    "YieldRecord",
    "YieldStore",
]
