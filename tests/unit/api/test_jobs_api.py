"""Jobs over HTTP: submit through the pipeline, read, list, cancel; who sees what."""

from __future__ import annotations

import uuid

from tests.unit.api.conftest import Api, a_job


def submit(api: Api, user: str = "erin", **changes: object) -> dict[str, object]:
    response = api.client.post(
        "/api/v1/jobs",
        json=a_job(**changes),
        headers=api.headers(user, **{"Idempotency-Key": uuid.uuid4().hex}),
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_job_is_submitted_queued_and_read_back(api: Api) -> None:
    response = api.client.post(
        "/api/v1/jobs", json=a_job(), headers=api.headers(**{"Idempotency-Key": "k1"})
    )
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["state"] == "queued"  # no surrogate yet: pre-flight says so and lets it through
    assert job["submitted_by"] == "erin"
    assert "no surrogate" in job["preflight_note"]
    assert response.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    replayed = api.client.post(
        "/api/v1/jobs", json=a_job(), headers=api.headers(**{"Idempotency-Key": "k1"})
    )
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.headers["Location"] == response.headers["Location"]  # a replay says where too
    got = api.client.get(job["links"]["self"], headers=api.headers())
    assert got.status_code == 200
    assert got.json()["id"] == job["id"]
    assert [c["state"] for c in got.json()["history"]] == [
        "submitted",
        "validating",
        "preflight",
        "queued",
    ]


def test_a_job_breaking_the_contract_names_every_field(api: Api) -> None:
    response = api.client.post(
        "/api/v1/jobs",
        json=a_job(sigma=1.5, dose_mj_cm2=-3, colour="red"),
        headers=api.headers(**{"Idempotency-Key": "bad-1"}),
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"sigma", "dose_mj_cm2", "colour"} <= fields
    with api.app.uow() as uow:
        assert uow.jobs.count_by_state() == {}  # nothing stored


def test_a_job_breaking_the_profile_is_refused_with_every_rule_and_not_stored(api: Api) -> None:
    key = {"Idempotency-Key": "below-the-limit"}
    job = a_job(pitch_nm=100.0, target_cd_nm=50.0)  # below ArF dry's resolution limit
    response = api.client.post("/api/v1/jobs", json=job, headers=api.headers(**key))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"].endswith("/policy-violation")
    assert any(e["field"] == "pitch_nm" and "resolution limit" in e["rule"] for e in body["errors"])
    assert "pitch_nm" in body["detail"]
    with api.app.uow() as uow:
        assert uow.jobs.count_by_state() == {}  # nothing stored
    again = api.client.post("/api/v1/jobs", json=job, headers=api.headers(**key))
    assert again.status_code == 422  # the same answer, replayed
    assert again.headers["Idempotent-Replayed"] == "true"


def test_an_engineer_cannot_see_or_cancel_another_users_job(api: Api) -> None:
    job = submit(api, "erin")
    for method, path in (("get", job["links"]["self"]), ("post", f"{job['links']['self']}/cancel")):
        response = getattr(api.client, method)(path, headers=api.headers("eve"))
        assert response.status_code == 404, (method, response.text)
    assert api.client.get(job["links"]["self"], headers=api.headers("omar")).status_code == 200


def test_submitting_as_someone_else_is_refused_unless_admin(api: Api) -> None:
    response = api.client.post(
        "/api/v1/jobs",
        json=a_job(submitted_by="omar"),
        headers=api.headers("erin", **{"Idempotency-Key": "as-omar"}),
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "submitted_by"
    on_behalf = api.client.post(
        "/api/v1/jobs",
        json=a_job(submitted_by="omar"),
        headers=api.headers("ada", **{"Idempotency-Key": "as-omar"}),
    )
    assert on_behalf.status_code == 201
    assert on_behalf.json()["submitted_by"] == "omar"


def test_cancel_a_queued_job_then_not_again(api: Api) -> None:
    job = submit(api)
    cancelled = api.client.post(f"{job['links']['self']}/cancel", headers=api.headers())
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    again = api.client.post(f"{job['links']['self']}/cancel", headers=api.headers())
    assert again.status_code == 409
    assert "cancelled" in again.json()["detail"]


def test_a_read_only_key_cannot_submit(api: Api) -> None:
    response = api.client.post(
        "/api/v1/jobs",
        json=a_job(),
        headers={"X-API-Key": api.keys["reader"], "Idempotency-Key": "x"},
    )
    assert response.status_code == 403
    assert "jobs:write" in response.json()["detail"]


def test_list_filters_by_state_and_time(api: Api) -> None:
    first = submit(api)
    second = submit(api)
    api.client.post(f"{second['links']['self']}/cancel", headers=api.headers())
    queued = api.client.get("/api/v1/jobs?status=queued", headers=api.headers()).json()
    assert [j["id"] for j in queued["items"]] == [first["id"]]
    later = api.client.get(
        "/api/v1/jobs", params={"since": second["submitted_at"]}, headers=api.headers()
    ).json()
    assert [j["id"] for j in later["items"]] == [second["id"]]
    naive = api.client.get("/api/v1/jobs?since=2026-01-01T00:00:00", headers=api.headers())
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "query.since"
