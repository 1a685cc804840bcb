"""The models page's logic: the window a series covers, who may change the model, what the
registry, validation, domain and drift report say, and a retrain run from start to its gate
result (through the API, with the retrain itself faked)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lto.acorn.labels import value_label
from lto.acorn.pages import models_logic as logic
from tests.unit.api.conftest import Api, make_api
from tests.unit.api.test_models_api import FakeRetrain, finish, replace_method

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def test_series_query_spans_the_window_with_its_bucket() -> None:
    week = logic.series_query("7d", NOW)
    assert week == {
        "since": (NOW - timedelta(days=7)).isoformat(),
        "until": NOW.isoformat(),
        "bucket": "hour",
    }
    assert logic.series_query("90d", NOW)["bucket"] == "day"
    assert logic.series_query("nonsense", NOW) == week  # the default window
    # never more buckets than the API allows (2,000)
    for window in logic.WINDOWS.values():
        width = timedelta(hours=1) if window.bucket == "hour" else timedelta(days=1)
        assert window.span / width <= 2000


def test_only_models_admin_may_change_the_model_and_others_are_told_why() -> None:
    engineer = logic.admin_gate({"models:read", "jobs:write"}, "engineer")
    assert engineer.disabled
    assert "models:admin" in (engineer.reason or "")
    assert "engineer" in (engineer.reason or "")
    admin = logic.admin_gate({"models:read", "models:admin"}, "admin")
    assert admin == logic.Gate(False, None)
    running = logic.admin_gate({"models:admin"}, "admin", running=True)
    assert not running.disabled
    assert "one at a time" in (running.reason or "")
    assert logic.admin_gate(None, None).disabled


REGISTRY = {
    "status": "ok",
    "champion": {"version": "3", "surrogate_version": "surrogate-b", "aliases": ["champion"],
                 "gate": "passed", "created_at": "2026-12-01T08:30:00+00:00"},
    "challenger": {"version": "4", "surrogate_version": "surrogate-c", "aliases": ["challenger"],
                   "gate": "passed", "created_at": "2026-12-02T08:30:00+00:00"},
    "previous_champion": None,
}  # fmt: skip


def test_registry_rows_name_each_alias_set() -> None:
    rows = logic.registry_rows(REGISTRY)
    assert rows == [
        ("champion (answers production)", "3", "surrogate-b", "passed", "2026-12-01 08:30 UTC"),
        ("challenger (in shadow)", "4", "surrogate-c", "passed", "2026-12-02 08:30 UTC"),
    ]
    assert logic.registry_note(REGISTRY) is None
    assert "never registered" in (logic.registry_note({"status": "empty"}) or "")
    assert "cannot be reached" in (logic.registry_note({"status": "unreachable"}) or "")


def test_confirm_text_names_what_changes() -> None:
    current = {"version": "surrogate-b", "registry": REGISTRY}
    promote = logic.confirm_text("promote", current)
    assert "surrogate-c" in promote
    assert "surrogate-b" in promote
    assert "No challenger" in logic.confirm_text("promote", {"registry": {"status": "ok"}})
    assert "Roll back from surrogate-b" in logic.confirm_text("rollback", current)
    assert logic.promote_body("  ") is None
    assert logic.promote_body("shadow agreed by hand") == {"override": "shadow agreed by hand"}


def test_action_messages_say_the_new_champion() -> None:
    promoted = {"champion": "4", "previous_champion": "3", "overridden": True,
                "production_model": "surrogate-c"}  # fmt: skip
    text = logic.action_message("promote", promoted)
    assert "version 4 is the champion" in text
    assert "overridden" in text
    assert "surrogate-c answers" in text
    back = {"champion": "3", "rolled_back_from": "4", "production_model": "surrogate-b"}
    assert logic.action_message("rollback", back).startswith("Rolled back from registry version 4 to 3")  # fmt: skip


def test_retrain_body_checks_the_apis_limits_first() -> None:
    assert logic.retrain_body(" drift in dose ", "400") == (
        {"reason": "drift in dose", "samples": 400},
        None,
    )
    assert logic.retrain_body("x", None)[0] == {"reason": "x", "samples": logic.DEFAULT_SAMPLES}
    assert "reason" in (logic.retrain_body("", 400)[1] or "")
    assert "samples" in (logic.retrain_body("x", 50)[1] or "")
    assert "whole number" in (logic.retrain_body("x", "many")[1] or "")


def test_drift_summary_reads_the_report() -> None:
    assert logic.drift_summary({"checked": False, "model_version": "m"})[1] == "secondary"
    found = {
        "checked": True, "checked_at": "2026-12-03T10:00:00Z", "jobs": 200, "threshold": 0.2,
        "worst_psi": 0.35, "drift_detected": True,
        "findings": [{"kind": "input", "name": "na", "psi": 0.35, "drifted": True},
                     {"kind": "input", "name": "sigma", "psi": 0.01, "drifted": False}],
    }  # fmt: skip
    text, colour = logic.drift_summary(found)
    assert colour == "warning"
    assert "input: na" in text
    assert "sigma" not in text
    assert "200 jobs" in text
    calm = found | {"drift_detected": False, "worst_psi": 0.05}
    assert logic.drift_summary(calm) == (
        "No significant drift (200 jobs checked 2026-12-03 10:00 UTC): worst PSI 0.050 ≤ 0.2.",
        "success",
    )


def test_live_totals() -> None:
    assert "No job" in logic.live_totals({"jobs": 0, "points": []})
    series = {"jobs": 5, "points": [{"anomalies": 1}, {"anomalies": 2}], "truncated": True}
    assert logic.live_totals(series) == (
        "5 jobs judged by the physics, 3 flagged as anomalies (only the newest outcomes were read)."
    )


def test_when_reads_iso_times() -> None:
    assert logic.when("2026-12-03T10:00:00Z") == "2026-12-03 10:00 UTC"
    assert logic.when("2026-12-03T12:00:00+02:00") == "2026-12-03 10:00 UTC"
    assert logic.when(None) == "—"
    assert logic.when("yesterday") == "yesterday"


# --- through the API ----------------------------------------------------------------------------


def test_a_retrain_run_polled_until_its_gate_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = make_api(tmp_path)
    with api.client:
        fake = FakeRetrain()
        replace_method(api, monkeypatch, "retrain_model", fake)
        body, problem = logic.retrain_body("drift in dose", 400)
        assert problem is None
        started = api.client.post(
            "/api/v1/models/retrain",
            json=body,
            headers=api.headers("ada", **{"Idempotency-Key": uuid.uuid4().hex}),
        ).json()
        assert fake.started.wait(timeout=60)
        running = api.client.get(started["links"]["self"], headers=api.headers("ada")).json()
        assert logic.run_running(running)
        assert logic.run_progress(running) == (25, "simulating 25/100")
        assert logic.run_outcome(running)[1] == "info"
        fake.release.set()
        finish(started["id"])
        done = api.client.get(started["links"]["self"], headers=api.headers("ada")).json()
    assert not logic.run_running(done)
    text, colour = logic.run_outcome(done)
    assert colour == "warning"  # the fake's candidate was refused by the gate
    assert "surrogate-new" in text
    assert "refused by the gate" in text
    assert "None" not in text  # the fake says no accuracy: none is shown
    failed = done | {"state": "failed", "error": "dataset: 12 usable rows"}
    assert logic.run_outcome(failed) == (
        f"Retrain {done['id']} failed: dataset: 12 usable rows",
        "danger",
    )
    passed = done | {"result": {"candidate": "c", "registered_version": "8", "gate": "passed", "accuracy": 0.98}}  # fmt: skip
    assert logic.run_outcome(passed)[1] == "success"
    assert "98.0%" in logic.run_outcome(passed)[0]


def test_the_current_model_as_the_page_shows_it(tmp_path: Path, current_model: Path) -> None:
    api: Api = make_api(tmp_path)
    with api.client:
        current: dict[str, Any] = api.client.get(
            "/api/v1/models/current", headers=api.headers()
        ).json()
    production = dict(logic.production_rows(current))
    assert production["version"] == current_model.name
    assert production["confidence level"] == f"{current['confidence_level']:.0%}"
    assert "xgboost" in production["members (weights)"]
    validation = dict(logic.validation_rows(current["validation"]))
    assert validation["held-out test jobs"] == current["validation"]["test_jobs"]
    assert validation["accuracy, all jobs (within ±0.05)"].endswith("%")
    profiles = logic.domain_rows(current["domain"])
    assert profiles
    assert profiles[0][0] == value_label(current["domain"]["profiles"][0]["name"])
    extras = dict(logic.domain_extras(current["domain"]))
    assert "_" not in extras["patterns"]  # "Lines and spaces", not line_space
    assert " – " in profiles[0][2]  # the NA range
    assert logic.registry_rows(current["registry"]) == []  # nothing registered yet


def test_promote_and_rollback_wait_for_the_versions_they_need() -> None:
    admin = logic.admin_gate({"models:admin"}, "admin")
    promote, rollback = logic.registry_gate(admin, {"registry": {"status": "empty"}})
    assert promote.disabled
    assert "challenger" in (promote.reason or "")
    assert rollback.disabled
    assert "previous champion" in (rollback.reason or "")
    both = {"registry": {"challenger": {"version": "2"}, "previous_champion": {"version": "1"}}}
    assert logic.registry_gate(admin, both) == (logic.Gate(False, None), logic.Gate(False, None))
    engineer = logic.admin_gate({"models:read"}, "engineer")
    assert logic.registry_gate(engineer, both) == (engineer, engineer)  # the scope comes first
