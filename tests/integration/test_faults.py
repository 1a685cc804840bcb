"""Faults against the real servers (issue 15's reliability suite; the RabbitMQ, killed-worker
and poison-message faults are in test_pipeline_servers.py):

- PostgreSQL restarted while jobs are being submitted: requests during the outage fail cleanly
  (503 problem details, never a 500 or a hang), the client's retries with the same
  Idempotency-Key create each job once, and no job is left half-made;
- the MLflow tracking server unreachable: predictions continue with the model already loaded,
  and a retrain fails at once with a message naming the store.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lto.atlas.lifecycle import JobState
from lto.daedalus.adapters.model_store import LocalModelStore
from tests.integration.databases import fresh_database
from tests.unit.api.conftest import Api, a_job, make_api

pytestmark = pytest.mark.timeout(600)


def _postgres(action: str) -> None:
    """Stop or start the machine's PostgreSQL cluster (starting a running one is a no-op)."""
    (version,) = [p.name for p in Path("/etc/postgresql").iterdir()]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]
    running = subprocess.run([*command, "status"], capture_output=True, timeout=60).returncode == 0
    if (action == "start") == running:
        return
    subprocess.run([*command, action], check=True, capture_output=True, timeout=120)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once the socket is closed


@pytest.fixture
def pg_api(tmp_path: Path) -> Iterator[Api]:
    with fresh_database("postgresql", tmp_path) as url:
        api = make_api(tmp_path, database_url=url, api_rate_limit_per_minute=1_000_000,
                       api_max_active_jobs_per_user=1_000_000)  # fmt: skip
        with api.client:
            yield api
        api.app.engine.dispose()


def _submit_with_retries(api: Api, body: dict[str, Any], answers: list[int]) -> str | None:
    """What a careful client does: one Idempotency-Key, retried on 503 until it is answered."""
    key = uuid.uuid4().hex
    headers = api.headers("erin", **{"Idempotency-Key": key})
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        response = api.client.post("/api/v1/jobs", json=body, headers=headers)
        answers.append(response.status_code)
        if response.status_code == 201:
            return str(response.json()["id"])
        assert response.status_code in (503, 409), response.text  # clean failures only
        assert response.headers["content-type"].startswith("application/problem+json")
        time.sleep(0.2)
    return None


def test_a_postgresql_restart_under_load_fails_cleanly_and_loses_or_doubles_nothing(
    pg_api: Api,
) -> None:
    answers: list[int] = []
    made: list[str | None] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def load() -> None:
        i = 0
        try:
            while not stop.is_set():
                i += 1
                body = a_job(dose_mj_cm2=28 + (i % 10))
                made.append(_submit_with_retries(pg_api, body, answers))
                time.sleep(0.02)  # a busy client, not a flood
        except BaseException as exc:  # the assertion is the test's, not the thread's
            failures.append(exc)

    thread = threading.Thread(target=load)
    thread.start()
    try:
        time.sleep(2.0)
        _postgres("stop")
        time.sleep(3.0)  # requests arrive while the database is down
        _postgres("start")
        time.sleep(4.0)  # and after it is back
    finally:
        stop.set()
        thread.join(timeout=120)
        _postgres("start")  # whatever happened above, leave the server running
    if failures:
        raise failures[0]
    assert 503 in answers, "no request met the outage"
    assert 500 not in answers
    assert answers[-1] == 201, "the service did not recover"
    assert None not in made, "a submission was never answered"
    assert len(made) == len(set(made))
    with pg_api.app.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT count(*) FROM jobs").scalar_one()
    assert rows == len(made)  # no job the client was not told about, none twice
    with pg_api.app.uow() as uow:  # each one whole: queued (or blocked) with its history
        for job_id in made:
            job = uow.jobs.get(job_id)
            assert job is not None, job_id
            assert job.state in (JobState.QUEUED, JobState.BLOCKED), (job_id, job.state)
            assert [c.state for c in job.history][:2] == [JobState.SUBMITTED, JobState.VALIDATING]
    health = pg_api.client.get("/api/v1/health/components").json()
    assert health["components"]["database"]["status"] == "ok"


def test_with_mlflow_unreachable_predictions_continue_and_retraining_fails_clearly(
    tmp_path: Path, current_model: Path
) -> None:
    port = _closed_port()
    api = make_api(tmp_path, mlflow_tracking_uri=f"http://127.0.0.1:{port}")
    with api.client:
        predicted = api.client.post("/api/v1/tradeoffs/predict", json=a_job(),
                                    headers=api.headers("erin"))  # fmt: skip
        assert predicted.status_code == 200, predicted.text
        assert predicted.json()["model_version"] == current_model.name
        started = time.monotonic()
        run = api.client.post(
            "/api/v1/models/retrain",
            json={"reason": "MLflow is down", "samples": 100},
            headers=api.headers("ada", **{"Idempotency-Key": uuid.uuid4().hex}),
        )
        assert run.status_code == 202, run.text
        while True:
            state = api.client.get(f"/api/v1/models/retrain/{run.json()['id']}",
                                   headers=api.headers("ada")).json()  # fmt: skip
            if state["state"] != "running" or time.monotonic() - started > 120:
                break
            time.sleep(0.5)
        assert state["state"] == "failed"
        assert f"127.0.0.1:{port}" in state["error"]
        assert "MLflow" in state["error"]
        assert time.monotonic() - started < 60  # said at once, not after minutes of physics
        again = api.client.post("/api/v1/tradeoffs/predict", json=a_job(dose_mj_cm2=31.0),
                                headers=api.headers("erin"))  # fmt: skip
        assert again.status_code == 200
    assert (
        LocalModelStore(tmp_path / "lto-data" / "models" / "surrogate").current_path()
        == current_model
    )
