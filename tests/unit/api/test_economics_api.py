"""Economics over HTTP: counts from the job records (blocked, pre-flighted, what-if answers,
physics runs), priced with athena's functions on those counts, and the jobs' visibility rule."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from lto.athena.economics import (
    Prices,
    compute_cost,
    expected_yield_loss,
    preflight_savings,
    surrogate_cost,
)
from lto.atlas.contracts import JobParameters
from lto.atlas.lifecycle import Job
from lto.capricorn.repositories import PredictionRecord, ResultRecord
from tests.unit.api.conftest import Api, a_job

ECONOMICS = "/api/v1/economics"


def prediction(risk: float, ms: float) -> dict[str, Any]:
    return {
        "model_version": "surrogate-test",
        "inference_time_ms": ms,
        "scores": {"yield_risk": {"mean": risk, "lower": risk - 0.05, "upper": risk + 0.05}},
    }


def store(api: Api, job: Job, result: dict[str, Any] | None = None) -> None:
    with api.app.uow() as uow:
        uow.jobs.add(job)
        uow.commit()
    if result is not None:
        with api.app.uow() as uow:
            uow.records.add_result(ResultRecord(job.id, datetime.now(UTC), "builtin", result))
            uow.commit()


def preflighted(user: str, risk: float, ms: float) -> Job:
    job = Job(JobParameters(**a_job(), submitted_by=user))
    job.start_validation()
    job.pass_validation()
    job.record_preflight(prediction(risk, ms), "checked")
    return job


def blocked_job(api: Api, user: str, risk: float, ms: float) -> None:
    job = preflighted(user, risk, ms)
    job.block("yield risk too high")
    store(api, job)


def physics_job(api: Api, user: str, wall_s: float, device: str = "cpu", ms: float = 4.0) -> None:
    job = preflighted(user, 0.1, ms)
    job.queue()
    job.start("worker-1")
    result = {"compute": {"simulator": "builtin", "device": device, "wall_time_s": wall_s}}
    job.complete_simulation(result)
    job.complete({"scores": {}, "anomalous": [], "details": []}, "ok")
    store(api, job, result)


def failed_job(api: Api, user: str) -> None:
    job = preflighted(user, 0.1, 4.0)
    job.queue()
    job.start("worker-1")
    job.fail("the physics crashed")
    store(api, job)


def what_if(api: Api, user: str, ms: float, *, recommend_physics: bool = False) -> None:
    record = PredictionRecord(
        id=f"pred-{uuid.uuid4().hex[:12]}",
        created_at=datetime.now(UTC),
        model_version="surrogate-test",
        parameters={**a_job(), "submitted_by": user},
        prediction=prediction(0.2, ms),
        recommend_physics=recommend_physics,
    )
    with api.app.uow() as uow:
        uow.records.add_prediction(record)
        uow.commit()


@pytest.fixture
def history(api: Api) -> Api:
    """erin: 2 blocked, 2 physics runs (one on a GPU), 1 failed, 3 sure what-ifs and 1 unsure;
    omar: 1 blocked and 1 physics run."""
    blocked_job(api, "erin", 0.6, 5.0)
    blocked_job(api, "erin", 0.4, 3.0)
    physics_job(api, "erin", 100.0)
    physics_job(api, "erin", 50.0, device="cuda:0")
    failed_job(api, "erin")
    for ms in (2.0, 4.0, 6.0):
        what_if(api, "erin", ms)
    what_if(api, "erin", 8.0, recommend_physics=True)
    blocked_job(api, "omar", 0.5, 4.0)
    physics_job(api, "omar", 200.0)
    return api


def test_an_engineer_sees_their_own_jobs_figures_checked_against_athena(history: Api) -> None:
    response = history.client.get(ECONOMICS, headers=history.headers("erin"))
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["scope"] == "yours"
    assert found["counts"] == {
        "jobs": 5,
        "preflighted": 5,
        "blocked": 2,
        "surrogate_answers": 3,
        "surrogate_recommended_physics": 1,
        "physics_runs": 2,
        "failed_runs": 1,
    }
    prices = Prices()
    assert found["prices"] == {
        "currency": "USD",
        "cpu_core_hour": prices.cpu_core_hour,
        "gpu_hour": prices.gpu_hour,
        "physics_cores": 2,
        "wafer_value": 10_000.0,
        "wafers_per_job": 1.0,
    }
    runs = [
        float(compute_cost(100.0, cores=2, gpus=0, prices=prices)),
        float(compute_cost(50.0, cores=2, gpus=1, prices=prices)),
    ]
    physics = float(np.mean(runs))
    assert found["per_run"]["physics_cost"] == pytest.approx(physics)
    assert found["per_run"]["physics_wall_time_s"] == pytest.approx(75.0)
    assert found["physics_spent"] == pytest.approx(sum(runs))

    preflight_ms = [5.0, 3.0, 4.0, 4.0, 4.0]  # blocked, blocked, run, run, failed
    expected = preflight_savings(
        5,
        block_rate=2 / 5,
        physics_cost_per_job=physics,
        surrogate_cost_per_job=float(surrogate_cost(np.mean(preflight_ms), prices=prices)),
    )
    assert found["preflight"]["jobs"] == 5
    assert found["preflight"]["avoided_runs"] == 2
    assert found["preflight"]["cost_run_everything"] == pytest.approx(expected.cost_run_everything)
    assert found["preflight"]["cost_with_surrogate"] == pytest.approx(expected.cost_with_preflight)
    assert found["preflight"]["saving"] == pytest.approx(expected.saving)

    answers = preflight_savings(
        3,
        block_rate=1.0,
        physics_cost_per_job=physics,
        surrogate_cost_per_job=float(surrogate_cost(4.0, prices=prices)),
    )
    assert found["surrogate_answers"]["avoided_runs"] == 3
    assert found["surrogate_answers"]["saving"] == pytest.approx(answers.saving)
    assert found["compute_saved"] == pytest.approx(expected.saving + answers.saving)
    all_ms = [*preflight_ms, 2.0, 4.0, 6.0]
    assert found["surrogate_spent"] == pytest.approx(
        float(np.sum(surrogate_cost(all_ms, prices=prices)))
    )
    loss = expected_yield_loss([0.6, 0.4], wafer_value=10_000.0, wafers=1)
    assert found["expected_yield_loss_avoided"] == pytest.approx(float(np.sum(loss)))
    assert found["expected_yield_loss_avoided"] == pytest.approx(10_000.0)
    assert found["truncated"] is False
    assert found["notes"] == []


def test_operators_see_everyones_figures(history: Api) -> None:
    found = history.client.get(ECONOMICS, headers=history.headers("omar")).json()
    assert found["scope"] == "everyone"
    assert found["counts"]["jobs"] == 7
    assert found["counts"]["blocked"] == 3
    assert found["counts"]["physics_runs"] == 3
    assert found["counts"]["surrogate_answers"] == 3
    loss = expected_yield_loss([0.6, 0.4, 0.5], wafer_value=10_000.0, wafers=1)
    assert found["expected_yield_loss_avoided"] == pytest.approx(float(np.sum(loss)))


def test_the_prices_given_are_used_and_stated(history: Api) -> None:
    asked = {
        "cpu_core_hour": 0.2,
        "gpu_hour": 1.0,
        "physics_cores": 8,
        "wafer_value": 500.0,
        "wafers_per_job": 25,
    }
    found = history.client.get(ECONOMICS, params=asked, headers=history.headers("erin")).json()
    assert found["prices"] == {"currency": "USD", **{k: float(v) for k, v in asked.items()}} | {
        "physics_cores": 8
    }
    prices = Prices(cpu_core_hour=0.2, gpu_hour=1.0)
    runs = [
        float(compute_cost(100.0, cores=8, gpus=0, prices=prices)),
        float(compute_cost(50.0, cores=8, gpus=1, prices=prices)),
    ]
    assert found["physics_spent"] == pytest.approx(sum(runs))
    loss = expected_yield_loss([0.6, 0.4], wafer_value=500.0, wafers=25)
    assert found["expected_yield_loss_avoided"] == pytest.approx(float(np.sum(loss)))


def test_a_window_without_physics_says_a_run_cannot_be_priced(api: Api) -> None:
    blocked_job(api, "erin", 0.3, 4.0)
    found = api.client.get(ECONOMICS, headers=api.headers("erin")).json()
    assert found["counts"]["blocked"] == 1
    assert found["preflight"] is None
    assert found["compute_saved"] is None
    assert found["per_run"]["physics_cost"] is None
    assert "no physics run" in found["notes"][0]
    assert found["expected_yield_loss_avoided"] == pytest.approx(3_000.0)


def test_the_window_bounds_what_is_counted(history: Api) -> None:
    now = datetime.now(UTC)
    before = {"since": (now - timedelta(days=3)).isoformat(), "until": (now - timedelta(days=1)).isoformat()}  # fmt: skip
    found = history.client.get(ECONOMICS, params=before, headers=history.headers("omar")).json()
    assert found["counts"]["jobs"] == 0
    assert found["counts"]["surrogate_answers"] == 0
    assert found["physics_spent"] == 0.0
    assert found["expected_yield_loss_avoided"] == 0.0
    naive = history.client.get(
        ECONOMICS, params={"since": "2026-12-01T00:00:00"}, headers=history.headers()
    )
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "query.since"


def test_economics_needs_the_jobs_scope_and_valid_prices(api: Api) -> None:
    assert api.client.get(ECONOMICS).status_code == 401
    reader = api.client.get(ECONOMICS, headers={"X-API-Key": api.keys["reader"]})
    assert reader.status_code == 200  # jobs:read is enough
    bad = api.client.get(ECONOMICS, params={"gpu_hour": -1}, headers=api.headers())
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.gpu_hour"
