"""The message bus: commands to their handlers, with the handlers' dependencies injected.

Events do not pass through here: they leave through the outbox to the broker, and the worker
(and any other consumer) takes them from their queues.
"""

from __future__ import annotations

from typing import Any

from lto.capricorn.service import handlers
from lto.capricorn.service.commands import (
    AcknowledgeAlert,
    CancelJob,
    Command,
    ReviewJob,
    SubmitJob,
)
from lto.capricorn.service.preflight import Preflight
from lto.capricorn.service.unit_of_work import UnitOfWorkFactory


class MessageBus:
    def __init__(self, uow_factory: UnitOfWorkFactory, preflight: Preflight) -> None:
        self.uow_factory = uow_factory
        self.preflight = preflight

    def handle(self, command: Command) -> Any:
        uow = self.uow_factory()
        if isinstance(command, SubmitJob):
            return handlers.submit_job(command, uow, self.preflight)
        if isinstance(command, CancelJob):
            return handlers.cancel_job(command, uow)
        if isinstance(command, ReviewJob):
            return handlers.review_job(command, uow)
        if isinstance(command, AcknowledgeAlert):
            return handlers.acknowledge_alert(command, uow)
        raise TypeError(f"no handler for {type(command).__name__}")


def request_unfinished(uow_factory: UnitOfWorkFactory) -> int:
    """Ask again for every job still QUEUED or RUNNING: what an embedded (in-memory) broker
    held died with its process. Returns how many were asked for."""
    from lto.atlas.lifecycle import JobState

    with uow_factory() as uow:
        jobs = uow.jobs.in_states([JobState.QUEUED, JobState.RUNNING])
        for job in jobs:
            job.request_again()
        uow.commit()
        return len(jobs)


__all__ = ["MessageBus", "request_unfinished"]
