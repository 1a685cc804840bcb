"""Tradeoffs over HTTP: predict (the production surrogate, no physics), history (keyset pages of
the caller's predictions), trends (score means per hour or day, actual and predicted)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lto.atlas.contracts import SIGNAL_NAMES, JobParameters
from lto.atlas.lifecycle import Job
from lto.capricorn.repositories import PredictionRecord, ResultRecord
from tests.unit.api.conftest import Api, a_job, make_api

PREDICT = "/api/v1/tradeoffs/predict"
HISTORY = "/api/v1/tradeoffs/history"
TRENDS = "/api/v1/tradeoffs/trends"
LEARNED = ("resolution_vs_dof", "yield_risk", "speed_vs_accuracy", "cost_vs_fidelity")


@pytest.fixture
def model_api(tmp_path: Path, current_model: Path) -> Iterator[Api]:
    """The API with the session's trained surrogate current (no registry: no shadow)."""
    made = make_api(tmp_path)
    with made.client:
        yield made


def stored_predictions(api: Api) -> list[PredictionRecord]:
    with api.app.uow() as uow:
        return uow.records.predictions()


# --- predict ------------------------------------------------------------------------------------


def test_predict_answers_six_scores_with_intervals_flags_and_attributions(
    model_api: Api, current_model: Path
) -> None:
    response = model_api.client.post(PREDICT, json=a_job(), headers=model_api.headers())
    assert response.status_code == 200, response.text
    found = response.json()
    assert set(found["scores"]) == set(SIGNAL_NAMES)
    for name, score in found["scores"].items():
        assert 0.0 <= score["lower"] <= score["value"] <= score["upper"] <= 1.0, name
    assert set(found["flags"]) == {
        "high_uncertainty",
        "out_of_distribution",
        "drift_detected",
        "ood_distance",
    }
    assert found["recommend_physics"] == any(
        found["flags"][f] for f in ("high_uncertainty", "out_of_distribution", "drift_detected")
    )
    assert 0.0 < found["confidence_level"] < 1.0
    assert found["constraints"] == {"ok": True, "profile": "ArF-dry", "violations": []}
    assert set(found["attributions"]) == set(LEARNED)
    for per_feature in found["attributions"].values():
        sizes = [abs(a["contribution"]) for a in per_feature]
        assert per_feature
        assert sizes == sorted(sizes, reverse=True)  # the strongest first
    assert found["model_version"] == current_model.name
    assert found["inference_time_ms"] > 0.0
    assert found["parameters"]["submitted_by"] == "erin"
    [stored] = stored_predictions(model_api)  # recorded once, outside any job, as erin's
    assert stored.id == found["id"]
    assert stored.job_id is None
    assert stored.parameters["submitted_by"] == "erin"
    assert (
        stored.prediction["scores"]["yield_risk"]["mean"] == found["scores"]["yield_risk"]["value"]
    )
    listed = model_api.client.get(HISTORY, headers=model_api.headers()).json()["items"]
    assert [p["id"] for p in listed] == [found["id"]]
    assert listed[0]["scores"] == found["scores"]
    assert listed[0]["constraints"] == found["constraints"]


def test_predict_reports_broken_constraints_and_can_skip_attributions(model_api: Api) -> None:
    response = model_api.client.post(
        f"{PREDICT}?explain=false",
        json=a_job(pitch_nm=100.0, target_cd_nm=50.0),  # below ArF dry's resolution limit
        headers=model_api.headers(),
    )
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["constraints"]["ok"] is False
    assert found["constraints"]["profile"] == "ArF-dry"
    assert found["constraints"]["violations"]
    assert all(v["field"] and v["rule"] for v in found["constraints"]["violations"])
    assert found["attributions"] == {}


def test_predict_on_behalf_of_someone_is_for_operators_and_admins(model_api: Api) -> None:
    refused = model_api.client.post(
        PREDICT, json=a_job(submitted_by="omar"), headers=model_api.headers("erin")
    )
    assert refused.status_code == 403
    assert refused.json()["errors"] == [{"field": "submitted_by", "rule": "must be the caller"}]
    allowed = model_api.client.post(
        PREDICT, json=a_job(submitted_by="erin"), headers=model_api.headers("ada")
    )
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["parameters"]["submitted_by"] == "erin"
    mine = model_api.client.get(HISTORY, headers=model_api.headers("erin")).json()["items"]
    assert [p["id"] for p in mine] == [allowed.json()["id"]]


@pytest.mark.parametrize(
    ("field", "value"), [("na", 1e-300), ("grid_size_nm", 5e-324), ("target_cd_nm", 5e-324)]
)
def test_predict_refuses_values_a_few_ulps_above_zero_naming_the_field(
    model_api: Api, field: str, value: float
) -> None:
    """Found by schemathesis: NA 1e-300 was a valid job, and the surrogate's features (λ/NA²)
    overflowed: a 500."""
    response = model_api.client.post(
        PREDICT, json=a_job(**{field: value}), headers=model_api.headers()
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert stored_predictions(model_api) == []


def test_predict_without_a_surrogate_is_a_503_problem_saying_to_train(api: Api) -> None:
    response = api.client.post(PREDICT, json=a_job(), headers=api.headers())
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "lto train" in response.json()["detail"]
    assert response.json()["type"].endswith("/no-surrogate")
    assert stored_predictions(api) == []


def test_predict_needs_a_credential_with_the_tradeoffs_scope(api: Api) -> None:
    anonymous = api.client.post(PREDICT, json=a_job())
    assert anonymous.status_code == 401
    assert "WWW-Authenticate" in anonymous.headers
    reader = api.client.post(PREDICT, json=a_job(), headers={"X-API-Key": api.keys["reader"]})
    assert reader.status_code == 403
    assert "tradeoffs:read" in reader.json()["detail"]


def test_predict_refuses_bad_input_naming_every_field(api: Api) -> None:
    response = api.client.post(
        PREDICT, json=a_job(sigma=1.5, na="wide", colour="red"), headers=api.headers()
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert {"sigma", "na", "colour"} <= {e["field"] for e in response.json()["errors"]}
    broken = api.client.post(
        PREDICT,
        content=b'{"na": 0.85,',
        headers=api.headers(**{"Content-Type": "application/json"}),
    )
    assert broken.status_code == 400
    flag = api.client.post(f"{PREDICT}?explain=maybe", json=a_job(), headers=api.headers())
    assert flag.status_code == 422
    assert flag.json()["errors"][0]["field"] == "query.explain"
    assert stored_predictions(api) == []


# --- history ------------------------------------------------------------------------------------


def a_record(id: str, at: datetime, user: str, value: float = 0.5) -> PredictionRecord:
    parameters = JobParameters(**a_job(), submitted_by=user)  # type: ignore[arg-type]
    scores = {
        n: {"mean": value, "lower": value / 2, "upper": (1 + value) / 2} for n in SIGNAL_NAMES
    }
    return PredictionRecord(
        id=id,
        created_at=at,
        model_version="surrogate-test",
        parameters=parameters.model_dump(mode="json"),
        prediction={
            "scores": scores,
            "flags": {"high_uncertainty": True, "ood_distance": 0.4},
            "attributions": {"yield_risk": {"na": 0.01, "dose_mj_cm2": -0.2}},
            "model_version": "surrogate-test",
            "inference_time_ms": 1.5,
            "confidence_level": 0.95,
        },
        recommend_physics=True,
    )


def store(api: Api, *records: PredictionRecord) -> None:
    with api.app.uow() as uow:
        for record in records:
            uow.records.add_prediction(record)
        uow.commit()


def all_pages(api: Api, user: str, limit: int, **params: str) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        query = {"limit": str(limit), **params} | ({"cursor": cursor} if cursor else {})
        page = api.client.get(HISTORY, params=query, headers=api.headers(user))
        assert page.status_code == 200, page.text
        seen += [p["id"] for p in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return seen


def test_history_pages_list_every_prediction_once_newest_first(api: Api) -> None:
    base = datetime(2026, 12, 1, tzinfo=UTC)
    made = [
        a_record(f"pred-{i:02d}", base + timedelta(seconds=i // 3), "erin" if i % 3 else "eve")
        for i in range(11)
    ]  # three share each instant: the id breaks the tie
    store(api, *made)
    newest = sorted(made, key=lambda r: (r.created_at, r.id), reverse=True)
    erin = [r.id for r in newest if r.parameters["submitted_by"] == "erin"]
    assert all_pages(api, "erin", 3) == erin
    assert all_pages(api, "omar", 4) == [r.id for r in newest]  # an operator sees everyone's
    assert all_pages(api, "omar", 2, submitted_by="eve") == [
        r.id for r in newest if r.parameters["submitted_by"] == "eve"
    ]
    assert all_pages(api, "erin", 50, submitted_by="eve") == []  # not erin's to see
    one = api.client.get(HISTORY, params={"limit": "1"}, headers=api.headers()).json()["items"][0]
    assert one["scores"]["yield_risk"] == {"value": 0.5, "lower": 0.25, "upper": 0.75}
    assert one["recommend_physics"] is True
    assert one["flags"]["high_uncertainty"] is True
    assert [a["feature"] for a in one["attributions"]["yield_risk"]] == ["dose_mj_cm2", "na"]
    assert one["constraints"]["ok"] is True


def test_history_refuses_tampered_or_foreign_cursors_and_bad_limits(api: Api) -> None:
    base = datetime(2026, 12, 1, tzinfo=UTC)
    store(api, *(a_record(f"p{i}", base + timedelta(seconds=i), "omar") for i in range(3)))
    first = api.client.get(HISTORY, params={"limit": "1"}, headers=api.headers("omar")).json()
    cursor = first["next_cursor"]
    assert cursor
    body, _, signature = cursor.partition(".")
    tampered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature
    for bad in (tampered, "not-a-cursor", cursor + "x"):
        response = api.client.get(HISTORY, params={"cursor": bad}, headers=api.headers("omar"))
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["field"] == "query.cursor"
    other = api.client.get(
        HISTORY, params={"cursor": cursor, "submitted_by": "eve"}, headers=api.headers("omar")
    )
    assert other.status_code == 400  # the cursor belongs to a listing with other filters
    jobs = api.client.get(
        "/api/v1/jobs", params={"cursor": cursor}, headers=api.headers("omar")
    )  # nor is it a cursor of the jobs' list
    assert jobs.status_code == 400
    for limit in ("0", "201", "many"):
        response = api.client.get(HISTORY, params={"limit": limit}, headers=api.headers())
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "query.limit"


def test_history_needs_the_tradeoffs_scope(api: Api) -> None:
    assert api.client.get(HISTORY).status_code == 401
    reader = api.client.get(HISTORY, headers={"X-API-Key": api.keys["reader"]})
    assert reader.status_code == 403


# --- trends -------------------------------------------------------------------------------------


def finished_job(api: Api, at: datetime, value: float | None) -> str:
    job = Job(JobParameters(**a_job(), submitted_by="erin"))  # type: ignore[arg-type]
    signals = dict.fromkeys(SIGNAL_NAMES, value) if value is not None else None
    with api.app.uow() as uow:
        uow.jobs.add(job)
        uow.commit()
    with api.app.uow() as uow:
        uow.records.add_result(ResultRecord(job.id, at, "builtin", {"signals": signals}))
        uow.commit()
    return job.id


def test_trends_give_each_score_an_actual_and_a_predicted_series(api: Api) -> None:
    base = datetime(2026, 12, 1, 8, tzinfo=UTC)
    store(
        api,
        a_record("a", base + timedelta(minutes=5), "erin", 0.2),
        a_record("b", base + timedelta(minutes=50), "eve", 0.4),
        a_record("c", base + timedelta(hours=2, minutes=1), "erin", 0.6),
        a_record("old", base - timedelta(days=1), "erin", 1.0),  # before the window
    )
    finished_job(api, base + timedelta(minutes=30), 0.5)
    finished_job(api, base + timedelta(hours=1, minutes=30), 0.7)
    finished_job(api, base + timedelta(hours=1, minutes=40), None)  # nothing printed
    response = api.client.get(
        TRENDS,
        params={
            "bucket": "hour",
            "since": base.isoformat(),
            "until": (base + timedelta(hours=3)).isoformat(),
        },
        headers=api.headers(),
    )
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["bucket"] == "hour"
    assert set(found["sources"]) == {"actual", "predicted"}
    assert set(found["scores"]) == set(SIGNAL_NAMES)
    risk = found["scores"]["yield_risk"]
    assert risk["predicted"]["source"] == "predicted"
    assert risk["actual"]["source"] == "actual"
    predicted = [(p["start"][:16], p["count"], p["mean"]) for p in risk["predicted"]["points"]]
    assert predicted == [("2026-12-01T08:00", 2, pytest.approx(0.3)), ("2026-12-01T10:00", 1, 0.6)]
    assert risk["predicted"]["slope_per_day"] == pytest.approx(0.3 / (2 / 24))
    assert risk["predicted"]["change"] == pytest.approx(0.3)
    actual = [(p["start"][:16], p["count"], p["mean"]) for p in risk["actual"]["points"]]
    assert actual == [("2026-12-01T08:00", 1, 0.5), ("2026-12-01T09:00", 1, 0.7)]
    assert risk["actual"]["change"] == pytest.approx(0.2)
    daily = api.client.get(
        TRENDS, params={"since": base.isoformat()}, headers=api.headers()
    ).json()  # until now, by day: one point each, no trend from one point
    point = daily["scores"]["overall_health"]["predicted"]
    assert [p["count"] for p in point["points"]] == [3]
    assert point["slope_per_day"] is None
    assert point["change"] is None


def test_trends_default_to_the_last_week_and_refuse_bad_windows(api: Api) -> None:
    found = api.client.get(TRENDS, headers=api.headers()).json()
    since = datetime.fromisoformat(found["since"])
    until = datetime.fromisoformat(found["until"])
    assert until - since == timedelta(days=7)
    assert found["bucket"] == "day"
    assert all(s["actual"]["points"] == [] for s in found["scores"].values())
    cases = {
        "query.bucket": {"bucket": "week"},
        "query.since": {"since": "2026-12-01T00:00:00"},  # no zone
        "query.until": {"until": "yesterday"},
    }
    for field, params in cases.items():
        response = api.client.get(TRENDS, params=params, headers=api.headers())
        assert response.status_code == 422, params
        assert response.json()["errors"][0]["field"] == field
    backwards = api.client.get(
        TRENDS,
        params={"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"},
        headers=api.headers(),
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "query.since"
    too_many = api.client.get(
        TRENDS,
        params={"bucket": "hour", "since": "2020-01-01T00:00:00Z", "until": "2026-01-01T00:00Z"},
        headers=api.headers(),
    )
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "query.bucket"


def test_trends_need_the_tradeoffs_scope(api: Api) -> None:
    assert api.client.get(TRENDS).status_code == 401
    assert api.client.get(TRENDS, headers={"X-API-Key": api.keys["reader"]}).status_code == 403
