"""Commands: what callers (the CLI, the API, the web app) ask the pipeline to do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from lto.atlas.errors import InvalidValue


@dataclass(frozen=True)
class SubmitJob:
    parameters: Mapping[str, Any]  # raw: the contract is checked by the handler
    job_id: str | None = None  # reserved by the caller (the API's idempotency key), else new
    # a job its profile rejects: stored REJECTED with its reasons (the CLI), or refused with
    # ``PolicyRejected`` and not stored (the API)
    store_rejected: bool = True


@dataclass(frozen=True)
class CancelJob:
    job_id: str
    by: str


@dataclass(frozen=True)
class ReviewJob:
    """An engineer's review of a flagged job: ``start`` takes it into review; ``clear``
    (a false alarm) or ``escalate`` (a real problem) ends it. Clearing or escalating a flagged
    job that is not yet in review starts the review first."""

    job_id: str
    decision: Literal["start", "clear", "escalate"]
    by: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.decision != "start" and not self.note.strip():  # clear or escalate: say why
            raise InvalidValue(
                "note", "required to clear or escalate a job: say why (it is kept in the audit log)"
            )


@dataclass(frozen=True)
class AcknowledgeAlert:
    alert_id: str
    by: str


Command = SubmitJob | CancelJob | ReviewJob | AcknowledgeAlert

__all__ = ["AcknowledgeAlert", "CancelJob", "Command", "ReviewJob", "SubmitJob"]
