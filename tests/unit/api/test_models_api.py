"""Models over HTTP: the production surrogate and its metrics, live performance from the jobs
the physics judged, and the lifecycle (retrain in the background, promote, roll back).

Promote, rollback and retrain are tested with fakes in place of the Application's methods
(the route's part: scopes, input, answers and error mapping) and once each through the real
thing: MLflow's registry (a copy of the session model's store) and training on a kept dataset.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lto.atlas.contracts import JobParameters
from lto.atlas.events import ModelPromoted, ModelRolledBack
from lto.atlas.lifecycle import Job
from lto.capricorn.api.problems import Problem
from lto.capricorn.api.services import RegistryUnavailable
from lto.capricorn.repositories import ResultRecord
from lto.metis.registry import RegistryError
from tests.unit.api.conftest import Api, a_job, make_api

CURRENT = "/api/v1/models/current"
PERFORMANCE = "/api/v1/models/performance"
RETRAIN = "/api/v1/models/retrain"
PROMOTE = "/api/v1/models/promote"
ROLLBACK = "/api/v1/models/rollback"


@pytest.fixture
def model_api(tmp_path: Path, current_model: Path) -> Iterator[Api]:
    made = make_api(tmp_path)
    with made.client:
        yield made


def replace_method(api: Api, monkeypatch: pytest.MonkeyPatch, name: str, fake: Any) -> None:
    """A fake in place of one of the Application's service methods (it is a frozen
    dataclass: the instance's own dict shadows the class's method)."""
    monkeypatch.setitem(api.app.__dict__, name, fake)


# --- current and performance --------------------------------------------------------------------


def test_current_model_says_version_training_domain_and_metrics(
    model_api: Api, current_model: Path
) -> None:
    response = model_api.client.get(CURRENT, headers=model_api.headers())
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["version"] == current_model.name
    assert found["trained_at"] is not None
    assert 0.0 < found["confidence_level"] < 1.0
    assert set(found["members"]) >= {"xgboost"}
    assert found["shadow"] is None
    assert found["domain"]["profiles"]
    assert {"name", "wavelength_nm", "na"} <= set(found["domain"]["profiles"][0])
    validation = found["validation"]
    assert 0.0 <= validation["accuracy"]["overall"] <= 1.0
    assert set(validation["coverage"]) == {
        "resolution_vs_dof",
        "yield_risk",
        "speed_vs_accuracy",
        "cost_vs_fidelity",
    }
    assert validation["test_jobs"] > 0
    # no registry store yet: said, not a 503, and not made by asking
    assert found["registry"] == {
        "status": "empty",
        "champion": None,
        "challenger": None,
        "previous_champion": None,
    }
    assert not (model_api.app.settings.data_dir / "mlflow.db").exists()


def test_current_and_performance_without_a_surrogate_are_503_problems(api: Api) -> None:
    for path in (CURRENT, PERFORMANCE):
        response = api.client.get(path, headers=api.headers())
        assert response.status_code == 503, path
        assert response.headers["content-type"] == "application/problem+json"
        assert "lto train" in response.json()["detail"]


def evaluated_job(
    api: Api, at: datetime, version: str | None, actual: float, mean: float, within: bool
) -> None:
    job = Job(JobParameters(**a_job(), submitted_by="erin"))  # type: ignore[arg-type]
    job.prediction = {"model_version": version} if version else None
    entry: dict[str, float] = {"actual": actual}
    if version:
        entry |= {"mean": mean, "lower": mean - 0.05, "upper": mean + 0.05}
        entry["within"] = 1.0 if within else 0.0
    job.evaluation = {
        "anomalous": [] if within else ["yield_risk"],
        "details": [],
        "scores": {"yield_risk": entry},
    }
    with api.app.uow() as uow:
        uow.jobs.add(job)
        uow.commit()
    with api.app.uow() as uow:
        uow.records.add_result(ResultRecord(job.id, at, "builtin", {"signals": None}))
        uow.commit()


def test_performance_has_validation_and_live_coverage_and_error(
    model_api: Api, current_model: Path
) -> None:
    now = datetime.now(UTC)
    version = current_model.name
    evaluated_job(model_api, now - timedelta(hours=1), version, 0.30, 0.32, True)
    evaluated_job(model_api, now - timedelta(hours=2), version, 0.50, 0.46, True)
    evaluated_job(model_api, now - timedelta(hours=3), version, 0.90, 0.60, False)
    evaluated_job(model_api, now - timedelta(hours=4), "surrogate-older", 0.1, 0.1, True)
    evaluated_job(model_api, now - timedelta(days=9), version, 0.9, 0.1, False)  # too old
    response = model_api.client.get(PERFORMANCE, headers=model_api.headers())
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["model_version"] == version
    current = model_api.client.get(CURRENT, headers=model_api.headers()).json()
    assert found["validation"] == current["validation"]
    live = found["live"]
    assert (live["jobs"], live["anomalies"], live["other_models_jobs"]) == (3, 1, 1)
    risk = live["scores"]["yield_risk"]
    assert risk["jobs"] == 3
    assert risk["coverage"] == pytest.approx(2 / 3)
    assert risk["mean_absolute_error"] == pytest.approx((0.02 + 0.04 + 0.30) / 3)
    assert live["target_coverage"] == current["confidence_level"]
    recent = model_api.client.get(
        PERFORMANCE,
        params={"since": (now - timedelta(hours=2, minutes=30)).isoformat()},
        headers=model_api.headers(),
    ).json()["live"]
    assert recent["jobs"] == 2
    naive = model_api.client.get(
        PERFORMANCE, params={"since": "2026-12-01T00:00:00"}, headers=model_api.headers()
    )
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "query.since"


def test_reading_models_needs_the_models_scope(api: Api) -> None:
    for path in (CURRENT, PERFORMANCE, f"{RETRAIN}/retrain-x"):
        assert api.client.get(path).status_code == 401, path
        reader = api.client.get(path, headers={"X-API-Key": api.keys["reader"]})
        assert reader.status_code == 403, path
        assert "models:read" in reader.json()["detail"]


def test_changing_models_needs_models_admin_which_engineers_lack(api: Api) -> None:
    calls = (
        (PROMOTE, {}),
        (ROLLBACK, {}),
        (RETRAIN, {"reason": "drift"}),
    )
    for path, body in calls:
        assert api.client.post(path, json=body).status_code == 401, path
        for user in ("erin", "omar"):  # an engineer, an operator
            response = api.client.post(
                path, json=body, headers=api.headers(user, **{"Idempotency-Key": "k"})
            )
            assert response.status_code == 403, (path, user)
            assert "models:admin" in response.json()["detail"]


# --- promote and roll back (the route, with fakes) ----------------------------------------------


def test_promote_answers_the_new_champion(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[Any, ...]] = []

    def promote(version: str | None = None, *, override: str | None = None, actor: str) -> Any:
        asked.append((version, override, actor))
        return ModelPromoted(
            model_name="lto-surrogate", version=version or "4", previous_version="3"
        )

    replace_method(api, monkeypatch, "promote_model", promote)
    response = api.client.post(PROMOTE, headers=api.headers("ada"))  # no body: the challenger
    assert response.status_code == 200, response.text
    assert response.json() == {
        "champion": "4",
        "previous_champion": "3",
        "overridden": False,
        "production_model": None,  # no surrogate answers in this data directory
    }
    forced = api.client.post(
        PROMOTE, json={"version": "2", "override": " shadow jobs are rare this week "},
        headers=api.headers("ada"),
    )  # fmt: skip
    assert forced.status_code == 200, forced.text
    assert forced.json()["overridden"] is True
    assert asked == [(None, None, "ada"), ("2", "shadow jobs are rare this week", "ada")]


def test_a_gate_refusal_is_a_409_with_its_reasons_and_a_lost_registry_a_503(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RegistryError(
            "version 5 did not pass the offline gate (held-out accuracy 91.0% below 97.5%); "
            "promote it only with --override REASON"
        )

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise RegistryUnavailable("MLflow store http://mlflow:5000: connection refused")

    replace_method(api, monkeypatch, "promote_model", refuse)
    replace_method(api, monkeypatch, "rollback_model", unreachable)
    refused = api.client.post(PROMOTE, json={"version": "5"}, headers=api.headers("ada"))
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "held-out accuracy 91.0%" in refused.json()["detail"]
    lost = api.client.post(ROLLBACK, headers=api.headers("ada"))
    assert lost.status_code == 503
    assert "connection refused" in lost.json()["detail"]
    assert "Traceback" not in lost.text


def test_rollback_answers_the_champion_restored(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def rollback(*, actor: str) -> Any:
        return ModelRolledBack(model_name="lto-surrogate", from_version="4", to_version="3")

    replace_method(api, monkeypatch, "rollback_model", rollback)
    response = api.client.post(ROLLBACK, headers=api.headers("ada"))
    assert response.status_code == 200, response.text
    assert response.json() == {"champion": "3", "rolled_back_from": "4", "production_model": None}


def test_promote_refuses_bad_input_naming_the_field(api: Api) -> None:
    for body, field in (
        ({"version": "four"}, "version"),
        ({"override": ""}, "override"),
        ({"version": "4", "force": True}, "force"),
    ):
        response = api.client.post(PROMOTE, json=body, headers=api.headers("ada"))
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"] == field


def test_promote_and_rollback_through_the_real_registry(
    tmp_path: Path, trained_model: dict[str, object], current_model: Path
) -> None:
    """The session model's MLflow store, copied: `lto train` registered it as version 1,
    gated (a 120-job model does not pass). A second candidate (the same artifact again, as a
    retrain would register one) is refused by the gate; an override promotes it, and the model
    that served before (version 1, adopted as the first champion) is what a rollback brings
    back."""
    data = trained_model["data"]
    assert isinstance(data, Path)
    store = tmp_path / "registry" / "mlflow.db"
    store.parent.mkdir()
    shutil.copy(data / "mlflow.db", store)
    api = make_api(tmp_path, mlflow_tracking_uri=f"sqlite:///{store}")
    with api.client:
        versions = api.app.registry.versions()
        assert [v.version for v in versions] == ["1"]
        gate = versions[0].tags.get("gate")
        current = api.client.get(CURRENT, headers=api.headers()).json()
        assert current["registry"]["status"] == ("ok" if gate == "passed" else "empty")
        second = api.app.registry.register(
            current_model,
            metrics=versions[0].metrics,
            tags={"surrogate_version": versions[0].surrogate_version, "gate": "refused"},
        )
        if gate != "passed":
            refused = api.client.post(
                PROMOTE, json={"version": second.version}, headers=api.headers("ada")
            )
            assert refused.status_code == 409
            assert "offline gate" in refused.json()["detail"]
        promoted = api.client.post(
            PROMOTE, json={"version": second.version, "override": "by hand"},
            headers=api.headers("ada"),
        )  # fmt: skip
        assert promoted.status_code == 200, promoted.text
        assert promoted.json()["champion"] == second.version
        assert promoted.json()["previous_champion"] == "1"  # the model serving before
        assert api.app.registry.by_alias("champion").version == second.version  # type: ignore[union-attr]
        again = api.client.post(
            PROMOTE, json={"version": second.version}, headers=api.headers("ada")
        )
        assert again.status_code == 409
        assert "already the champion" in again.json()["detail"]
        back = api.client.post(ROLLBACK, headers=api.headers("ada"))
        assert back.status_code == 200, back.text
        assert api.app.registry.by_alias("champion").version == "1"  # type: ignore[union-attr]
        by_name = api.client.post(  # the surrogate's own name, as /models/current shows it
            PROMOTE,
            json={"version": versions[0].surrogate_version, "override": "by its name"},
            headers=api.headers("ada"),
        )
        assert by_name.status_code == 200, by_name.text
        assert by_name.json()["champion"] == second.version  # the newest holding that name
        with api.app.uow() as uow:
            audit = uow.records.audit("model", "lto-surrogate")
        assert [(e.action, e.actor) for e in audit] == [
            ("ModelPromoted", "ada"),
            ("ModelRolledBack", "ada"),
            ("ModelPromoted", "ada"),
        ]


# --- retrain (the route, with a fake; then the real one on a kept dataset) -----------------------


class FakeRetrain:
    """Blocks until released; reports progress; answers like ``retrain_model``."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.fail = fail
        self.calls: list[dict[str, Any]] = []

    def __call__(self, *, progress: Callable[[float, str], None], **asked: Any) -> dict[str, Any]:
        self.calls.append(asked)
        progress(0.25, "simulating 25/100")
        self.started.set()
        self.release.wait(timeout=60)
        if self.fail is not None:
            raise self.fail
        return {"candidate": "surrogate-new", "registered_version": "7", "gate": "refused"}


def finish(run_id: str) -> None:
    """Wait for the run's thread (the route starts one per run)."""
    for thread in threading.enumerate():
        if thread.name == f"retrain-{run_id}":
            thread.join(timeout=60)


def test_retrain_starts_in_the_background_and_is_polled(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeRetrain()
    replace_method(api, monkeypatch, "retrain_model", fake)
    body = {"reason": "drift in dose", "samples": 400, "seed": 11}
    headers = api.headers("ada", **{"Idempotency-Key": "retrain-1"})
    started = api.client.post(RETRAIN, json=body, headers=headers)
    assert started.status_code == 202, started.text
    run = started.json()
    assert started.headers["Location"] == run["links"]["self"] == f"{RETRAIN}/{run['id']}"
    assert (run["state"], run["requested_by"], run["samples"]) == ("running", "ada", 400)
    assert fake.started.wait(timeout=60)
    polled = api.client.get(run["links"]["self"], headers=api.headers("erin")).json()
    assert (polled["state"], polled["progress"], polled["message"]) == (
        "running",
        0.25,
        "simulating 25/100",
    )
    replayed = api.client.post(RETRAIN, json=body, headers=headers)  # the same key: the same run
    assert replayed.status_code == 202
    assert replayed.json()["id"] == run["id"]
    assert replayed.headers["Idempotent-Replayed"] == "true"
    second = api.client.post(
        RETRAIN, json=body, headers=api.headers("ada", **{"Idempotency-Key": "retrain-2"})
    )
    assert second.status_code == 409  # one at a time
    assert run["id"] in second.json()["detail"]
    fake.release.set()
    finish(run["id"])
    done = api.client.get(run["links"]["self"], headers=api.headers()).json()
    assert done["state"] == "succeeded"
    assert done["progress"] == 1.0
    assert done["result"]["registered_version"] == "7"
    assert done["finished_at"] is not None
    assert len(fake.calls) == 1
    assert fake.calls[0]["samples"] == 400
    assert fake.calls[0]["seed"] == 11
    assert fake.calls[0]["actor"] == "ada"
    assert "drift in dose" in fake.calls[0]["reason"]


def test_a_failed_retrain_says_why_in_one_line(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeRetrain(fail=ValueError("dataset: 12 usable rows; training needs at least 80\nmore"))
    fake.release.set()
    replace_method(api, monkeypatch, "retrain_model", fake)
    started = api.client.post(
        RETRAIN,
        json={"reason": "by hand"},
        headers=api.headers("ada", **{"Idempotency-Key": uuid.uuid4().hex}),
    )
    assert started.status_code == 202, started.text
    finish(started.json()["id"])
    failed = api.client.get(started.json()["links"]["self"], headers=api.headers()).json()
    assert failed["state"] == "failed"
    assert failed["error"] == "dataset: 12 usable rows; training needs at least 80"
    assert failed["result"] is None


def test_retrain_needs_a_key_and_valid_input(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeRetrain()
    replace_method(api, monkeypatch, "retrain_model", fake)
    keyless = api.client.post(RETRAIN, json={"reason": "x"}, headers=api.headers("ada"))
    assert keyless.status_code == 400
    assert keyless.json()["errors"][0]["field"] == "header.Idempotency-Key"
    for body, field in (
        ({"reason": "x", "samples": 5}, "samples"),
        ({"samples": 500}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x", "dataset": "/etc/passwd"}, "dataset"),
    ):
        response = api.client.post(
            RETRAIN, json=body, headers=api.headers("ada", **{"Idempotency-Key": uuid.uuid4().hex})
        )
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"] == field
    assert fake.calls == []
    unknown = api.client.get(f"{RETRAIN}/retrain-nope", headers=api.headers())
    assert unknown.status_code == 404


def test_a_real_retrain_on_a_kept_dataset_registers_a_gated_candidate(
    tmp_path: Path, trained_model: dict[str, object], current_model: Path
) -> None:
    """Through ``Application.retrain_model``: the session's dataset (120 jobs, seed 3) kept,
    so no physics runs; a candidate is trained, saved (not made current) and registered."""
    data = trained_model["data"]
    assert isinstance(data, Path)
    api = make_api(tmp_path)
    kept = api.app.settings.data_dir / "datasets"
    kept.mkdir(parents=True)
    shutil.copy(data / "datasets" / "physics-n120-s3.parquet", kept)
    with api.client:
        started = api.client.post(
            RETRAIN,
            json={"reason": "the test", "samples": 120, "seed": 3},
            headers=api.headers("ada", **{"Idempotency-Key": "real"}),
        )
        assert started.status_code == 202, started.text
        finish(started.json()["id"])
        done = api.client.get(started.json()["links"]["self"], headers=api.headers()).json()
        assert done["state"] == "succeeded", done
        result = done["result"]
        assert result["registered_version"] == "1"
        assert result["gate"] in ("passed", "refused")
        assert result["dataset"] == {"rows": 120, "seed": 3}
        assert api.app.model_store.current_path() == current_model  # not made current
        [registered] = api.app.registry.versions()
        assert registered.tags["dataset.trained_because"] == "by ada: the test"
        with api.app.uow() as uow:
            audit = uow.records.audit("model", "lto-surrogate")
        assert [(e.action, e.actor) for e in audit] == [("ModelTrained", "ada")]


def test_retrain_runs_are_shared_by_the_api_processes_of_a_machine(tmp_path: Path) -> None:
    """Two processes' RetrainRuns on one folder: one run at a time between them, and each
    answers for the other's run."""
    import threading

    from lto.capricorn.api.routes.models import RetrainRun, RetrainRuns

    folder = tmp_path / "retrain-runs"
    first, second = RetrainRuns(folder), RetrainRuns(folder)
    release = threading.Event()

    def work(progress: Any) -> dict[str, Any]:
        progress(0.5, "training")
        release.wait(10)
        return {"candidate": "7"}

    run = RetrainRun("retrain-a", "ada", "drift", 100, 1, datetime.now(UTC))
    first.start(run, work)
    with pytest.raises(Problem) as refused:
        second.start(RetrainRun("retrain-b", "ada", "again", 100, 1, datetime.now(UTC)), work)
    assert refused.value.status == 409
    assert "retrain-a" in refused.value.detail
    seen = second.get("retrain-a")
    assert seen is not None
    assert seen.state == "running"
    release.set()
    for _ in range(100):
        if (done := second.get("retrain-a")) is not None and done.state == "succeeded":
            break
        threading.Event().wait(0.05)
    assert second.get("retrain-a").result == {"candidate": "7"}  # type: ignore[union-attr]
    second.start(RetrainRun("retrain-c", "ada", "later", 100, 1, datetime.now(UTC)), work)


# --- performance as a series, and the drift report ----------------------------------------------

SERIES = "/api/v1/models/performance/series"
DRIFT = "/api/v1/models/drift"


def test_performance_series_buckets_live_coverage_and_error_by_hour(
    model_api: Api, current_model: Path
) -> None:
    now = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
    version = current_model.name
    evaluated_job(model_api, now - timedelta(hours=1), version, 0.30, 0.32, True)
    evaluated_job(model_api, now - timedelta(hours=1, minutes=10), version, 0.50, 0.46, False)
    evaluated_job(model_api, now - timedelta(hours=3), version, 0.90, 0.60, True)
    evaluated_job(model_api, now - timedelta(hours=3), "surrogate-older", 0.1, 0.1, True)
    response = model_api.client.get(SERIES, params={"bucket": "hour"}, headers=model_api.headers())
    assert response.status_code == 200, response.text
    found = response.json()
    assert (found["model_version"], found["bucket"], found["jobs"]) == (version, "hour", 3)
    assert found["truncated"] is False
    assert 0.0 < found["target_coverage"] < 1.0
    points = found["points"]
    assert [p["jobs"] for p in points] == [1, 2]  # oldest first, empty hours left out
    starts = [datetime.fromisoformat(p["start"]) for p in points]
    assert starts == [now - timedelta(hours=3, minutes=30), now - timedelta(hours=1, minutes=30)]
    recent = points[1]
    assert recent["anomalies"] == 1
    assert recent["scores"]["yield_risk"]["coverage"] == pytest.approx(0.5)
    assert recent["scores"]["yield_risk"]["mean_absolute_error"] == pytest.approx(0.03)
    assert points[0]["scores"]["yield_risk"]["mean_absolute_error"] == pytest.approx(0.30)
    # the series sums to what /performance says over the same window
    live = model_api.client.get(PERFORMANCE, headers=model_api.headers()).json()["live"]
    assert live["jobs"] == sum(p["jobs"] for p in points)


def test_performance_series_refuses_too_many_buckets(model_api: Api) -> None:
    response = model_api.client.get(
        SERIES,
        params={"bucket": "hour", "since": "2020-01-01T00:00:00Z"},
        headers=model_api.headers(),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.bucket"


def test_drift_without_a_report_says_so(model_api: Api, current_model: Path) -> None:
    response = model_api.client.get(DRIFT, headers=model_api.headers())
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["model_version"] == current_model.name
    assert (found["checked"], found["drift_detected"], found["findings"]) == (False, False, [])
    assert found["threshold"] == pytest.approx(0.2)


def test_drift_answers_the_last_report_with_psi_noise_and_verdict(
    model_api: Api, current_model: Path
) -> None:
    import json

    from lto.metis.drift import DriftFinding, DriftReport

    surrogate: Any = model_api.app.production_surrogate()
    distribution = surrogate.metrics["training_distribution"]
    name = next(iter(distribution["inputs"]))
    report = DriftReport(
        model_version=current_model.name,
        jobs=200,
        findings=(DriftFinding("input", name, 0.35, 0.40), DriftFinding("prediction", "yield_risk", 0.05, 0.12)),
    )  # fmt: skip
    folder = model_api.app.settings.data_dir / "drift"
    folder.mkdir(parents=True)
    (folder / f"{current_model.name}.json").write_text(json.dumps(report.to_json()))
    found = model_api.client.get(DRIFT, headers=model_api.headers()).json()
    assert found["checked"] is True
    assert found["jobs"] == 200
    assert found["drift_detected"] is True
    assert found["worst_psi"] == pytest.approx(0.35)
    first, second = found["findings"]
    assert (first["kind"], first["name"], first["band"], first["drifted"]) == (
        "input", name, "significant", True,
    )  # fmt: skip
    assert (first["psi"], first["raw_psi"]) == (pytest.approx(0.35), pytest.approx(0.40))
    buckets = len(distribution["inputs"][name]["shares"])
    rows = distribution["input_rows"]
    assert first["noise"] == pytest.approx((buckets - 1) * (1 / 200 + 1 / rows))
    assert (second["band"], second["drifted"]) == ("none", False)
    # a report on another model is not this one's
    other = report.to_json() | {"model_version": "surrogate-other"}
    (folder / f"{current_model.name}.json").write_text(json.dumps(other))
    assert model_api.client.get(DRIFT, headers=model_api.headers()).json()["checked"] is False


def test_series_and_drift_need_models_read_and_a_surrogate(api: Api) -> None:
    for path in (SERIES, DRIFT):
        assert api.client.get(path).status_code == 401, path
        reader = api.client.get(path, headers={"X-API-Key": api.keys["reader"]})
        assert reader.status_code == 403, path
        assert api.client.get(path, headers=api.headers()).status_code == 503, path
