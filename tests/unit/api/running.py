"""Drive the pipeline in-process for API tests: submit over HTTP, then run what is queued with
the application's own worker handler (the built-in physics unless told otherwise) on the
in-memory broker, as ``lto serve``'s worker thread would."""

from __future__ import annotations

import uuid
from typing import Any

from lto.capricorn.ports import SIMULATIONS, Message, StopSignal
from tests.unit.api.conftest import Api, a_job


def submit(api: Api, user: str = "erin", **changes: object) -> dict[str, Any]:
    response = api.client.post(
        "/api/v1/jobs",
        json=a_job(**changes),
        headers=api.headers(user, **{"Idempotency-Key": uuid.uuid4().hex}),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def run_queued(api: Api, handler: Any = None) -> int:
    """Publish the outbox and run every queued simulation request; how many were handled."""
    handle = handler or api.app.simulation_handler("test-worker")
    api.app.relay.drain()
    handled = 0
    while api.app.broker.depth(SIMULATIONS):
        stop = StopSignal()

        def once(message: Message, stop: StopSignal = stop) -> None:
            stop.stop()
            handle(message)

        api.app.broker.consume(SIMULATIONS, once, stop=stop)
        handled += 1
    return handled


def rejected_job(api: Api) -> str:
    """A job stored REJECTED, as the CLI and the pipeline record one (the API refuses such a
    job without storing it)."""
    from lto.capricorn.service.commands import SubmitJob

    return api.app.bus.handle(
        SubmitJob(a_job(pitch_nm=100.0, target_cd_nm=50.0) | {"submitted_by": "erin"})
    ).job_id
