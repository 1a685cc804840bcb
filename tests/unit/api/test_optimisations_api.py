"""Optimisations over HTTP: posed and checked at once, searched over the surrogate in the
background, read back with progress and result; who sees what; idempotent creation."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lto.capricorn.repositories import OptimisationRecord
from lto.capricorn.service.optimisations import ABANDONED
from tests.unit.api.conftest import Api, a_job, make_api

POLL_S = 0.1
PATIENCE = 3000  # polls: a search of a few trials takes seconds; this only stops a hang


def a_problem(**changes: Any) -> dict[str, Any]:
    problem: dict[str, Any] = {
        "job": a_job(),
        "free": [{"name": "dose", "low": 26.0, "high": 34.0}, {"name": "sigma"}],
        "objectives": [{"name": "overall_health"}],
        "constraints": [{"name": "yield_risk", "operator": "<=", "bound": 0.95}],
        "trials": 8,
        "seed": 7,
    }
    problem.update(changes)
    return problem


def post(api: Api, body: dict[str, Any], user: str = "erin", key: str | None = None) -> Any:
    headers = api.headers(user, **{"Idempotency-Key": key or uuid.uuid4().hex})
    return api.client.post("/api/v1/optimisations", json=body, headers=headers)


def wait_for(api: Api, run_id: str, user: str = "erin") -> dict[str, Any]:
    for _ in range(PATIENCE):
        response = api.client.get(f"/api/v1/optimisations/{run_id}", headers=api.headers(user))
        assert response.status_code == 200, response.text
        run = response.json()
        if run["state"] in ("completed", "failed"):
            return run  # type: ignore[no-any-return]
        time.sleep(POLL_S)
    raise AssertionError(f"optimisation {run_id} never finished: {run}")


def stored_runs(api: Api) -> list[OptimisationRecord]:
    with api.app.uow() as uow:
        return uow.optimisations.page(limit=200).runs


@pytest.fixture
def api_with_model(current_model: Path, tmp_path: Path) -> Iterator[Api]:
    made = make_api(tmp_path)
    with made.client:
        yield made


# --- a real search over the session's surrogate ----------------------------------------------


def test_an_optimisation_runs_in_the_background_and_finds_the_best_settings(
    api_with_model: Api,
) -> None:
    api = api_with_model
    response = post(api, a_problem())
    assert response.status_code == 202, response.text
    run = response.json()
    assert run["state"] == "queued"
    assert run["owner"] == "erin"
    assert (
        response.headers["Location"] == run["links"]["self"] == f"/api/v1/optimisations/{run['id']}"
    )
    assert run["free"] == ["dose_mj_cm2", "sigma"]
    assert run["problem"]["profile"] == "ArF-dry"
    assert run["problem"]["free"][0] == {"name": "dose_mj_cm2", "low": 26.0, "high": 34.0}
    assert run["result"] is None

    done = wait_for(api, run["id"])
    assert done["state"] == "completed", done
    assert done["error"] is None
    assert done["started_at"] <= done["finished_at"]
    assert done["progress"]["trials_done"] == done["progress"]["trials_total"] == 8
    result = done["result"]
    assert result["trials"] == 8
    assert result["model_version"] == api.app.production_surrogate().version
    best = result["best"]
    assert best is not None, result
    assert set(best["params"]) == {"dose_mj_cm2", "sigma"}
    assert 26.0 <= best["params"]["dose_mj_cm2"] <= 34.0
    assert best["feasible"] is True
    assert best["outcome"]["yield_risk"] <= 0.95
    assert result["pareto_front"] == [best]
    assert best["objectives"]["overall_health"] == pytest.approx(
        done["progress"]["best_so_far"]["overall_health"]
    )
    for shares in result["importance"].values():
        assert set(shares) <= {"dose_mj_cm2", "sigma"}
    assert result["history"] is None  # every trial only when asked for

    full = api.client.get(
        f"/api/v1/optimisations/{run['id']}?include_trials=true", headers=api.headers()
    ).json()
    assert [t["number"] for t in full["result"]["history"]] == list(range(8))
    listed = api.client.get("/api/v1/optimisations", headers=api.headers()).json()
    assert [r["id"] for r in listed["items"]] == [run["id"]]
    assert listed["items"][0]["state"] == "completed"
    with api.app.uow() as uow:
        audit = uow.records.audit("optimization", run["id"])
    assert [a.action for a in audit] == ["OptimizationCompleted"]
    assert audit[0].actor == "erin"


def test_several_objectives_give_a_pareto_front(api_with_model: Api) -> None:
    api = api_with_model
    body = a_problem(
        objectives=[{"name": "overall_health", "direction": "max"}, {"name": "yield_risk"}],
        constraints=[],
        trials=10,
    )
    response = post(api, body)
    assert response.status_code == 202, response.text
    done = wait_for(api, response.json()["id"])
    assert done["state"] == "completed", done
    assert [o["direction"] for o in done["problem"]["objectives"]] == ["maximize", "minimize"]
    front = done["result"]["pareto_front"]
    assert front
    assert done["result"]["best"] == front[0]
    assert all(set(t["objectives"]) == {"overall_health", "yield_risk"} for t in front)


def test_a_search_with_no_feasible_setting_completes_and_says_why(api_with_model: Api) -> None:
    api = api_with_model
    impossible = [{"name": "overall_health", "operator": ">=", "bound": 0.9999}]
    response = post(api, a_problem(constraints=impossible, trials=4))
    assert response.status_code == 202, response.text
    done = wait_for(api, response.json()["id"])
    assert done["state"] == "completed", done
    result = done["result"]
    assert result["best"] is None
    assert result["pareto_front"] == []
    assert result["note"].startswith("no feasible setting in 4 trials")
    assert "overall_health>=0.9999 does not hold" in result["note"]


def test_the_same_key_and_body_start_one_run(api_with_model: Api) -> None:
    api = api_with_model
    body = a_problem(trials=3)
    first = post(api, body, key="opt-key-1")
    again = post(api, body, key="opt-key-1")
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = post(api, a_problem(trials=4), key="opt-key-1")
    assert other.status_code == 422
    assert len(stored_runs(api)) == 1
    wait_for(api, first.json()["id"])


def test_an_engineer_sees_only_their_own_runs(api_with_model: Api) -> None:
    api = api_with_model
    run = post(api, a_problem(trials=2)).json()
    path = run["links"]["self"]
    assert api.client.get(path, headers=api.headers("eve")).status_code == 404
    assert api.client.get(path, headers=api.headers("omar")).status_code == 200
    mine = api.client.get("/api/v1/optimisations", headers=api.headers("eve")).json()
    assert mine["items"] == []
    asked = api.client.get("/api/v1/optimisations?owner=erin", headers=api.headers("eve")).json()
    assert asked["items"] == []
    everyone = api.client.get("/api/v1/optimisations", headers=api.headers("omar")).json()
    assert [r["id"] for r in everyone["items"]] == [run["id"]]
    wait_for(api, run["id"])


# --- cancelling --------------------------------------------------------------------------------


def cancel(api: Api, run_id: str, user: str = "erin") -> Any:
    return api.client.post(f"/api/v1/optimisations/{run_id}/cancel", headers=api.headers(user))


class Held:
    """A surrogate whose every answer waits on ``gate``: a search held inside its trial."""

    gate = threading.Event()
    calls = 0

    def evaluate(self, job: Any) -> dict[str, float]:
        type(self).calls += 1
        self.gate.wait()
        return {"overall_health": 1 - abs(job.dose_mj_cm2 - 31.0) / 20, "yield_risk": 0.1}


def test_a_running_optimisation_cancelled_stops_after_the_trial_it_is_on(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Held, "gate", threading.Event())
    monkeypatch.setattr(Held, "calls", 0)
    monkeypatch.setitem(api.app.__dict__, "production_surrogate", Held)
    run = post(api, a_problem(trials=50)).json()
    runner = api.client.app.state.optimisations
    try:
        for _ in range(PATIENCE):
            if Held.calls:
                break
            time.sleep(POLL_S / 10)
        response = cancel(api, run["id"], user="omar")  # an operator may cancel anyone's run
    finally:
        Held.gate.set()
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["state"] == "cancelled"
    assert cancelled["error"] == "cancelled by omar after 0 of 50 trials"
    assert cancelled["finished_at"] is not None
    for _ in range(PATIENCE):
        if not runner.running_here(run["id"]):
            break
        time.sleep(POLL_S / 10)
    after = api.client.get(run["links"]["self"], headers=api.headers()).json()
    assert (after["state"], after["result"]) == ("cancelled", None)
    assert Held.calls == 1  # the trial under way finished; no other began
    with api.app.uow() as uow:
        assert uow.records.audit("optimization", run["id"]) == []  # it did not complete
    listed = api.client.get("/api/v1/optimisations?state=cancelled", headers=api.headers())
    assert [r["id"] for r in listed.json()["items"]] == [run["id"]]


def test_a_queued_optimisation_is_cancelled_by_its_owner_and_a_finished_one_is_409(
    api: Api,
) -> None:
    now = datetime.now(UTC)
    with api.app.uow() as uow:
        uow.optimisations.add(_a_record("opt-queued", "erin", "queued", now))
        uow.optimisations.add(_a_record("opt-done", "erin", "completed", now))
        uow.commit()
    response = cancel(api, "opt-queued")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["state"], body["error"]) == ("cancelled", "cancelled by erin after 0 of 5 trials")
    assert body["started_at"] is None
    for run_id, state in (("opt-queued", "cancelled"), ("opt-done", "completed")):
        refused = cancel(api, run_id)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["type"] == "https://lto.dev/problems/already-finished"
        assert f"is {state}" in problem["detail"]


def test_only_the_owner_an_operator_or_an_admin_may_cancel(api: Api) -> None:
    now = datetime.now(UTC)
    with api.app.uow() as uow:
        for run_id in ("opt-1", "opt-2"):
            uow.optimisations.add(_a_record(run_id, "erin", "queued", now))
        uow.commit()
    assert cancel(api, "opt-1", user="eve").status_code == 404  # not hers to know of
    assert cancel(api, "opt-1", user="reader").status_code == 403  # jobs:read only
    anonymous = api.client.post("/api/v1/optimisations/opt-1/cancel")
    assert anonymous.status_code == 401
    assert cancel(api, "opt-nope").status_code == 404
    assert cancel(api, "opt-1", user="ada").json()["error"].startswith("cancelled by ada")
    assert cancel(api, "opt-2", user="omar").status_code == 200


# --- refused before anything runs -------------------------------------------------------------


BAD_PROBLEMS: list[tuple[dict[str, Any], str, str]] = [
    ({"free": [{"name": "colour"}]}, "free.0.name", "not a searchable parameter"),
    ({"free": [{"name": "dose", "low": 30.0}]}, "free.0", "both low and high"),
    ({"free": [{"name": "dose", "low": 40.0, "high": 30.0}]}, "free.0", "LOW < HIGH"),
    ({"free": [{"name": "na", "low": 1.2, "high": 1.3}]}, "free.0", "ArF-dry allows"),
    ({"free": [{"name": "dose"}, {"name": "dose_mj_cm2"}]}, "free", "listed twice"),
    ({"free": [{"name": "sigma_inner"}]}, "free", "conventional illumination"),
    ({"free": []}, "free", "at least 1"),
    ({"objectives": [{"name": "depth_of_focus_nm"}]}, "objectives.0.name", "lto optimize"),
    ({"objectives": [{"name": "happiness"}]}, "objectives.0.name", "not a tradeoff score"),
    ({"objectives": [{"name": "health"}, {"name": "overall_health"}]}, "objectives", "twice"),
    ({"objectives": [{"name": "yield_risk", "direction": "up"}]}, "objectives.0.direction", ""),
    (
        {"constraints": [{"name": "nils", "operator": ">=", "bound": 2.0}]},
        "constraints.0.name",
        "physics output",
    ),
    (
        {
            "constraints": [
                {"name": "yield_risk", "operator": ">=", "bound": 0.5},
                {"name": "yield_risk", "operator": "<=", "bound": 0.2},
            ]
        },
        "constraints",
        "at once",
    ),
    (
        {"constraints": [{"name": "yield_risk", "operator": "<", "bound": 0.2}]},
        "constraints.0.operator",
        "",
    ),
    ({"evaluator": "physics"}, "evaluator", "lto optimize --evaluator physics"),
    ({"trials": 0}, "trials", ""),
    ({"trials": 501}, "trials", ""),
    ({"sampler": "annealing"}, "sampler", ""),
    ({"colour": "red"}, "colour", ""),
    ({"job": a_job(sigma=1.5)}, "job.sigma", ""),
    ({"job": a_job(wavelength_nm=500.0)}, "job.wavelength_nm", "no exposure technology"),
    ({"job": a_job(constraint_profile="nope")}, "job.constraint_profile", "nope"),
    ({"job": a_job(submitted_by="omar")}, "job.submitted_by", "the caller's"),
]


@pytest.mark.parametrize(("changes", "field", "rule"), BAD_PROBLEMS)
def test_a_problem_that_cannot_be_posed_names_the_field(
    api: Api, changes: dict[str, Any], field: str, rule: str
) -> None:
    response = post(api, a_problem(**changes))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert field in [e["field"] for e in errors], errors
    assert rule in " ".join(e["rule"] for e in errors if e["field"] == field)
    assert stored_runs(api) == []


def test_without_a_surrogate_the_run_is_refused_with_503_and_the_key_released(api: Api) -> None:
    response = post(api, a_problem(), key="no-model")
    assert response.status_code == 503
    assert "lto train" in response.json()["detail"]
    assert response.headers["Retry-After"]
    again = post(api, a_problem(), key="no-model")
    assert again.status_code == 503  # tried again, not replayed
    assert "Idempotent-Replayed" not in again.headers
    assert stored_runs(api) == []


def test_creating_needs_an_idempotency_key(api: Api) -> None:
    response = api.client.post("/api/v1/optimisations", json=a_problem(), headers=api.headers())
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "header.Idempotency-Key"


def test_optimisations_need_a_credential_and_their_scopes(api: Api) -> None:
    record = _a_record("opt-erin", "erin", "completed", datetime.now(UTC))
    with api.app.uow() as uow:
        uow.optimisations.add(record)
        uow.commit()
    for method, url in (
        ("post", "/api/v1/optimisations"),
        ("get", "/api/v1/optimisations"),
        ("get", "/api/v1/optimisations/opt-erin"),
    ):
        call = getattr(api.client, method)
        options: dict[str, Any] = {"json": a_problem()} if method == "post" else {}
        assert call(url, **options).status_code == 401, url
        key = {"Idempotency-Key": uuid.uuid4().hex}
        refused = call(url, headers=api.headers("reader", **key), **options)  # jobs:read only
        assert refused.status_code == 403, url
        assert "optimisations:" in refused.json()["detail"]
    assert [r.id for r in stored_runs(api)] == ["opt-erin"]
    unknown = api.client.get("/api/v1/optimisations/opt-nope", headers=api.headers())
    assert unknown.status_code == 404


# --- listing, and runs whose process died ----------------------------------------------------


def _a_record(
    id: str, owner: str, state: str, at: datetime, progress: dict[str, Any] | None = None
) -> OptimisationRecord:
    problem = {
        "template": {},
        "profile": "ArF-dry",
        "free": [{"name": "dose_mj_cm2", "low": 26.0, "high": 34.0}],
        "objectives": [{"name": "overall_health", "direction": "maximize"}],
        "constraints": [],
    }
    return OptimisationRecord(
        id,
        owner,
        state,
        at,
        {"problem": problem, "trials": 5, "sampler": "auto", "seed": None, "notes": []},
        started_at=at if state != "queued" else None,
        progress=progress,
    )


def test_the_list_pages_newest_first_with_a_state_filter(api: Api) -> None:
    base = datetime.now(UTC) - timedelta(minutes=5)
    made = [
        _a_record(
            f"opt-{i}",
            "erin",
            "failed" if i % 3 == 0 else "completed",
            base + timedelta(seconds=i // 2),
        )
        for i in range(7)
    ]
    with api.app.uow() as uow:
        for record in made:
            uow.optimisations.add(record)
        uow.optimisations.add(_a_record("opt-eve", "eve", "completed", base))
        uow.commit()
    expected = [r.id for r in sorted(made, key=lambda r: (r.created_at, r.id), reverse=True)]
    seen, cursor = [], None
    while True:
        query = "/api/v1/optimisations?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = api.client.get(query, headers=api.headers())
        assert page.status_code == 200, page.text
        seen += [r["id"] for r in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == expected  # erin's own, each once
    failed = api.client.get("/api/v1/optimisations?state=failed", headers=api.headers()).json()
    assert {r["id"] for r in failed["items"]} == {"opt-0", "opt-3", "opt-6"}
    first = api.client.get("/api/v1/optimisations?limit=1", headers=api.headers()).json()
    foreign = api.client.get(
        f"/api/v1/optimisations?state=failed&cursor={first['next_cursor']}", headers=api.headers()
    )
    assert foreign.status_code == 400
    bad = api.client.get("/api/v1/optimisations?state=paused", headers=api.headers())
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.state"


def test_a_run_left_running_by_a_dead_process_is_failed_on_start(tmp_path: Path) -> None:
    api = make_api(tmp_path)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    beat = {"trials_done": 3, "trials_total": 5, "heartbeat_at": long_ago.isoformat()}
    with api.app.uow() as uow:
        uow.optimisations.add(_a_record("opt-dead", "erin", "running", long_ago, beat))
        uow.optimisations.add(_a_record("opt-queued", "erin", "queued", long_ago))
        uow.commit()
    with api.client:
        for run_id in ("opt-dead", "opt-queued"):
            run = api.client.get(f"/api/v1/optimisations/{run_id}", headers=api.headers()).json()
            assert run["state"] == "failed", run
            assert run["error"] == ABANDONED
            assert run["finished_at"] is not None
    assert "submit it again" in ABANDONED
