"""Idempotency keys when the request fails on our side: a retry runs under the same reserved
id at once (so what the failed attempt committed is found, not made twice), and a failure the
database could not even record is written before this process answers its next request."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.requests import Request

from lto.capricorn.api.auth import Principal
from lto.capricorn.api.config import ApiConfig
from lto.capricorn.api.idempotency import Idempotency
from tests.unit.capricorn.fakes import FakeUnitOfWork, Store

ERIN = Principal("user-erin", "erin", "engineer", frozenset({"jobs:write"}), "key:abc")


def _request(key: str = "k-1") -> Request:
    scope = {"type": "http", "method": "POST", "path": "/api/v1/jobs", "query_string": b"",
             "headers": [(b"idempotency-key", key.encode())]}  # fmt: skip
    return Request(scope)


class Flaky:
    """A route that commits what it makes under the reserved id, then fails once (the
    connection dropped after COMMIT, say)."""

    def __init__(self) -> None:
        self.made: dict[str, int] = {}
        self.fail = True

    def __call__(self, resource_id: str) -> tuple[int, dict[str, Any]]:
        self.made[resource_id] = self.made.get(resource_id, 0) + 1
        if self.fail:
            self.fail = False
            raise RuntimeError("server closed the connection unexpectedly")
        return 201, {"id": resource_id}


def test_a_retry_after_a_failure_runs_at_once_under_the_same_id() -> None:
    store = Store()
    idempotency = Idempotency(lambda: FakeUnitOfWork(store), ApiConfig(jwt_secret="x" * 32))
    route = Flaky()
    with pytest.raises(RuntimeError):
        idempotency.respond(_request(), ERIN, {"na": 0.85}, route, id_prefix="job")
    answer = idempotency.respond(_request(), ERIN, {"na": 0.85}, route, id_prefix="job")
    assert answer.status_code == 201  # not 409 "in flight" for two minutes
    (made,) = route.made  # one id: the route can find what the first attempt committed
    assert json.loads(bytes(answer.body)) == {"id": made}
    replay = idempotency.respond(_request(), ERIN, {"na": 0.85}, route, id_prefix="job")
    assert replay.headers["Idempotent-Replayed"] == "true"


def test_a_failure_the_database_missed_is_written_before_the_next_answer() -> None:
    store = Store()
    down = {"now": False}

    class Outage(FakeUnitOfWork):
        def _commit(self) -> None:
            if down["now"]:
                raise ConnectionError("the database is down")
            super()._commit()

    idempotency = Idempotency(lambda: Outage(store), ApiConfig(jwt_secret="x" * 32))

    def fails_and_takes_the_database_down(resource_id: str) -> tuple[int, dict[str, Any]]:
        down["now"] = True
        raise RuntimeError("connection lost")

    with pytest.raises(RuntimeError):
        idempotency.respond(
            _request(), ERIN, {}, fails_and_takes_the_database_down, id_prefix="job"
        )
    (record,) = store.idempotency.values()
    assert record.state == "in_flight"  # could not be written: still looks in flight
    down["now"] = False  # the database is back
    answer = idempotency.respond(
        _request(), ERIN, {}, lambda rid: (201, {"id": rid}), id_prefix="job"
    )
    assert answer.status_code == 201
    assert json.loads(bytes(answer.body)) == {"id": record.resource_id}
