"""The Alerts page's logic: which buttons a user gets on which alert (by the alert, the job's
state in the lifecycle, and the user's scopes), what a row shows, the review's body; and the
same rules against the real API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from lto.acorn.pages import alerts_logic as logic
from lto.atlas.lifecycle import JobState
from tests.unit.api.conftest import Api, make_api
from tests.unit.api.running import run_queued, submit

EVERYTHING = {"alerts:read", "alerts:write", "jobs:read", "jobs:write"}


def an_alert(**changes: Any) -> dict[str, Any]:
    alert = {
        "id": "alert-840e32b8675d",
        "severity": "warning",
        "source": "evaluation",
        "message": "job job-7bd907747021: yield risk: physics 1.000 breaks the profile's bound",
        "job_id": "job-7bd907747021",
        "fired_at": "2026-12-04T14:51:39.512566Z",
        "active": True,
        "acknowledged_by": None,
        "acknowledged_at": None,
    }
    alert.update(changes)
    return alert


def kinds(found: list[logic.Action]) -> list[str]:
    return [a.kind for a in found]


def test_review_is_offered_where_the_lifecycle_allows_a_decision() -> None:
    assert {JobState.ANOMALY_FLAGGED.value, JobState.ENGINEER_REVIEW.value} == logic.REVIEWABLE


@pytest.mark.parametrize("state", [s.value for s in JobState])
def test_which_buttons_each_job_state_gets(state: str) -> None:
    found = kinds(logic.actions(an_alert(), state, EVERYTHING))
    if state in ("anomaly_flagged", "engineer_review"):
        assert found == ["ack", "clear", "escalate"]
    else:
        assert found == ["ack"]


def test_an_acknowledged_alert_or_one_without_a_job() -> None:
    assert kinds(logic.actions(an_alert(active=False), "anomaly_flagged", EVERYTHING)) == [
        "clear",
        "escalate",
    ]
    assert kinds(logic.actions(an_alert(active=False), "completed", EVERYTHING)) == []
    drift = an_alert(job_id=None, source="drift")
    assert kinds(logic.actions(drift, None, EVERYTHING)) == ["ack"]
    # a job the user may not see (404): no review buttons
    assert kinds(logic.actions(an_alert(), None, EVERYTHING)) == ["ack"]


def test_without_the_scopes_the_buttons_are_disabled_and_say_why() -> None:
    found = {a.kind: a for a in logic.actions(an_alert(), "anomaly_flagged", {"alerts:read"})}
    assert not any(a.enabled for a in found.values())
    assert found["ack"].why == "needs the alerts:write scope"
    assert found["clear"].why == "needs the jobs:write and alerts:write scopes"
    partly = {a.kind: a for a in logic.actions(an_alert(), "engineer_review", {"alerts:write"})}
    assert partly["ack"].enabled
    assert not partly["escalate"].enabled
    assert partly["escalate"].why == "needs the jobs:write scope"
    allowed = {a.kind: a for a in logic.actions(an_alert(), "anomaly_flagged", EVERYTHING)}
    assert all(a.enabled for a in allowed.values())
    assert allowed["clear"].why == "a false alarm: the job is cleared"


def test_a_row_and_the_review_body() -> None:
    row = logic.row(
        an_alert(active=False, acknowledged_by="erin", acknowledged_at="2026-12-04T15:00:00Z")
    )
    assert row["report"] == "/reports/job-7bd907747021"
    assert row["kind"] == "evaluation"
    assert row["colour"] == "warning"
    assert row["fired_at"] == "2026-12-04 14:51:39 UTC"
    assert row["acknowledged"] == "erin at 2026-12-04 15:00:00 UTC"
    assert logic.row(an_alert(job_id=None))["report"] is None
    assert logic.review_body("clear", "  a known resist batch  ") == {
        "decision": "clear",
        "note": "a known resist batch",
    }
    assert len(logic.review_body("escalate", "x" * 3000)["note"]) == logic.MAX_NOTE
    with pytest.raises(ValueError, match="not a review decision"):
        logic.review_body("ack", "")  # type: ignore[arg-type]
    alerts = [an_alert(), an_alert(id="alert-2"), an_alert(id="alert-3", job_id=None)]
    assert logic.job_ids(alerts) == ["job-7bd907747021"]


# --- against the API ----------------------------------------------------------------------------


@pytest.fixture
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    made = make_api(tmp_path_factory.mktemp("alerts-api"))
    with made.client:
        yield made


def flagged_job(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    """A job the physics flags (the docs' example job breaks its yield-risk bound), and the
    alert it raised."""
    job = submit(api)
    run_queued(api)
    job = api.client.get(f"/api/v1/jobs/{job['id']}", headers=api.headers()).json()
    assert job["state"] == "anomaly_flagged", job
    alerts = api.client.get("/api/v1/alerts", headers=api.headers()).json()["items"]
    return job, next(a for a in alerts if a["job_id"] == job["id"])


def scopes(api: Api, user: str) -> set[str]:
    return set(api.client.get("/api/v1/auth/me", headers=api.headers(user)).json()["scopes"])


def test_clearing_a_flagged_job_through_its_alert(api: Api) -> None:
    job, alert = flagged_job(api)
    offered = {a.kind: a for a in logic.actions(alert, job["state"], scopes(api, "erin"))}
    assert set(offered) == {"ack", "clear", "escalate"}
    assert all(a.enabled for a in offered.values())
    answer = api.client.post(
        f"/api/v1/jobs/{job['id']}/review",
        json=logic.review_body("clear", "resist lot known"),
        headers=api.headers(),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "cleared"
    assert answer.json()["review_note"] == "resist lot known"
    history = api.client.get("/api/v1/alerts/history", headers=api.headers()).json()["items"]
    after = next(a for a in history if a["id"] == alert["id"])
    assert after["active"] is False  # the review answered it
    assert logic.actions(after, "cleared", scopes(api, "erin")) == []
    again = api.client.post(
        f"/api/v1/jobs/{job['id']}/review",
        json=logic.review_body("escalate", "second thoughts"),
        headers=api.headers(),
    )
    assert again.status_code == 409  # the lifecycle allows no second decision


def test_acknowledging_and_what_another_user_gets(api: Api) -> None:
    job, alert = flagged_job(api)
    # eve (another engineer) sees the alert but not erin's job: the job is 404 to her
    hidden = api.client.get(f"/api/v1/jobs/{job['id']}", headers=api.headers("eve"))
    assert hidden.status_code == 404
    assert [a.kind for a in logic.actions(alert, None, scopes(api, "eve"))] == ["ack"]
    headers = api.headers("eve", **{"Idempotency-Key": uuid.uuid4().hex})
    done = api.client.post(f"/api/v1/alerts/{alert['id']}/acknowledge", headers=headers)
    assert done.status_code == 200
    assert done.json()["acknowledged_by"] == "eve"
    assert logic.actions(done.json(), job["state"], scopes(api, "erin"))[0].kind == "clear"


def test_a_clear_or_an_escalation_needs_a_note_and_the_api_agrees(api: Api) -> None:
    for kind in ("clear", "escalate"):
        with pytest.raises(ValueError, match="say why the job is"):
            logic.review_body(kind, "   ")
    job, _alert = flagged_job(api)
    answer = api.client.post(
        f"/api/v1/jobs/{job['id']}/review", json={"decision": "clear", "note": " "},
        headers=api.headers(),
    )  # fmt: skip
    assert answer.status_code == 422
    assert "note" in answer.text
    assert "required to clear or escalate" in answer.text
