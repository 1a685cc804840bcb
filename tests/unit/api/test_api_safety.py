"""Auth, idempotency, pagination, limits, headers and errors: the properties every route
shares."""

from __future__ import annotations

import re
import threading
import time
import uuid
from pathlib import Path

import jwt
import pytest

from tests.unit.api.conftest import PASSWORD, Api, a_job, make_api


def job_count(api: Api) -> int:
    with api.app.uow() as uow:
        return sum(uow.jobs.count_by_state().values())


# --- auth ------------------------------------------------------------------------------------


def test_every_route_but_health_and_metrics_needs_a_credential(api: Api) -> None:
    assert api.client.get("/api/v1/health").status_code == 200
    assert api.client.get("/metrics").status_code == 200
    for path in ("/api/v1/jobs", "/api/v1/auth/me", "/api/v1/jobs/job-x"):
        response = api.client.get(path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["content-type"] == "application/problem+json"


def test_unknown_revoked_and_malformed_keys_are_refused(api: Api) -> None:
    for key in ("lto_" + "x" * 43, "not-a-key", ""):
        response = api.client.get("/api/v1/auth/me", headers={"X-API-Key": key})
        assert response.status_code == 401, key


def test_a_password_gets_a_token_with_the_scopes_asked(api: Api) -> None:
    response = api.client.post(
        "/api/v1/auth/token",
        json={"username": "erin", "password": PASSWORD, "scopes": ["jobs:read"]},
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["scopes"] == ["jobs:read"]
    submit = api.client.post(
        "/api/v1/jobs",
        json=a_job(),
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "t1"},
    )
    assert submit.status_code == 403


def test_wrong_passwords_and_scopes_beyond_the_role_are_refused(api: Api) -> None:
    wrong = api.client.post("/api/v1/auth/token", json={"username": "erin", "password": "nope"})
    assert wrong.status_code == 401
    nobody = api.client.post("/api/v1/auth/token", json={"username": "zed", "password": "nope"})
    assert nobody.status_code == 401
    assert wrong.json()["detail"] == nobody.json()["detail"]  # names are not revealed
    beyond = api.client.post(
        "/api/v1/auth/token",
        json={"username": "erin", "password": PASSWORD, "scopes": ["models:admin"]},
    )
    assert beyond.status_code == 403


def test_tampered_expired_and_unsigned_tokens_are_refused(api: Api) -> None:
    token = api.client.post(
        "/api/v1/auth/token", json={"username": "erin", "password": PASSWORD}
    ).json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    secret = api.app.api_config().jwt_secret
    forged = {
        "tampered": token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
        "expired": jwt.encode(claims | {"exp": int(time.time()) - 10}, secret, "HS256"),
        "none": jwt.encode(claims, None, algorithm="none"),
        "other key": jwt.encode(claims, "y" * 40, "HS256"),
        "no expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, secret, "HS256"),
    }
    for name, bad in forged.items():
        response = api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, name


# --- idempotency -----------------------------------------------------------------------------


def test_a_creating_post_without_a_key_is_400(api: Api) -> None:
    response = api.client.post("/api/v1/jobs", json=a_job(), headers=api.headers())
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert job_count(api) == 0


def test_same_key_same_body_replays_the_first_answer_with_one_job(api: Api) -> None:
    headers = api.headers(**{"Idempotency-Key": "same"})
    first = api.client.post("/api/v1/jobs", json=a_job(), headers=headers)
    again = api.client.post("/api/v1/jobs", json=a_job(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert job_count(api) == 1


def test_same_key_other_body_is_422_and_errors_are_replayed_too(api: Api) -> None:
    headers = api.headers(**{"Idempotency-Key": "k"})
    assert api.client.post("/api/v1/jobs", json=a_job(), headers=headers).status_code == 201
    other = api.client.post("/api/v1/jobs", json=a_job(dose_mj_cm2=31.0), headers=headers)
    assert other.status_code == 422
    assert "different request" in other.json()["detail"]
    forbidden = api.headers(**{"Idempotency-Key": "err"})
    body = a_job(submitted_by="omar")
    first = api.client.post("/api/v1/jobs", json=body, headers=forbidden)
    again = api.client.post("/api/v1/jobs", json=body, headers=forbidden)
    assert first.status_code == again.status_code == 403
    same = {k: v for k, v in first.json().items() if k != "request_id"}
    assert {k: v for k, v in again.json().items() if k != "request_id"} == same
    assert again.json()["request_id"] == again.headers["x-request-id"]  # this request's own
    assert again.headers["content-type"] == "application/problem+json"


def test_keys_belong_to_their_caller(api: Api) -> None:
    for user in ("erin", "eve"):
        response = api.client.post(
            "/api/v1/jobs", json=a_job(), headers=api.headers(user, **{"Idempotency-Key": "mine"})
        )
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response.headers
    assert job_count(api) == 2


def test_concurrent_duplicates_make_one_job(api: Api) -> None:
    headers = api.headers(**{"Idempotency-Key": "race"})
    statuses: list[int] = []
    start = threading.Barrier(6)

    def post() -> None:
        start.wait()
        statuses.append(api.client.post("/api/v1/jobs", json=a_job(), headers=headers).status_code)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert job_count(api) == 1
    assert set(statuses) <= {201, 409}
    assert 201 in statuses


def test_a_key_left_in_flight_by_a_dead_request_is_taken_over_without_a_second_job(
    api: Api,
) -> None:
    from datetime import UTC, datetime, timedelta

    from lto.capricorn.api.idempotency import request_hash
    from lto.capricorn.repositories import IdempotencyRecord
    from lto.capricorn.service.commands import SubmitJob

    with api.app.uow() as uow:
        erin = uow.users.by_name("erin")
    assert erin is not None
    body = a_job()
    # the request that died: its key reserved job-dead, the job was made, no answer stored
    api.app.bus.handle(SubmitJob(body | {"submitted_by": "erin"}, job_id="job-dead"))
    with api.app.uow() as uow:
        uow.idempotency.reserve(
            IdempotencyRecord(
                erin.id, "dead", "POST", "/api/v1/jobs", request_hash("POST", "/api/v1/jobs", body),
                "in_flight", datetime.now(UTC) - timedelta(minutes=10), resource_id="job-dead",
            )
        )  # fmt: skip
        uow.commit()
    response = api.client.post(
        "/api/v1/jobs", json=a_job(), headers=api.headers(**{"Idempotency-Key": "dead"})
    )
    assert response.status_code == 201
    assert response.json()["id"] == "job-dead"
    assert job_count(api) == 1


# --- pagination ------------------------------------------------------------------------------


def test_pages_list_every_job_once_with_equal_timestamps_and_concurrent_inserts(
    api: Api,
) -> None:
    from datetime import UTC, datetime

    from lto.atlas.contracts import JobParameters
    from lto.atlas.lifecycle import Job

    at = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    made = []
    with api.app.uow() as uow:
        for _ in range(23):
            job = Job(JobParameters.model_validate(a_job(submitted_by="erin")))
            job.history[0] = type(job.history[0])(job.history[0].state, at)  # one timestamp
            uow.jobs.add(job)
            made.append(job.id)
        uow.commit()
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 5} | ({"cursor": cursor} if cursor else {})
        page = api.client.get("/api/v1/jobs", params=params, headers=api.headers()).json()
        seen += [j["id"] for j in page["items"]]
        if len(seen) == 10:  # a newer job arrives mid-listing: it is not on later pages
            submit_body = a_job()
            api.client.post(
                "/api/v1/jobs", json=submit_body, headers=api.headers(**{"Idempotency-Key": "mid"})
            )
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))


def test_a_tampered_cursor_and_a_limit_beyond_the_cap_are_400_and_422(api: Api) -> None:
    for _ in range(3):
        api.client.post(
            "/api/v1/jobs",
            json=a_job(),
            headers=api.headers(**{"Idempotency-Key": uuid.uuid4().hex}),
        )
    cursor = api.client.get("/api/v1/jobs?limit=1", headers=api.headers()).json()["next_cursor"]
    assert cursor
    for bad in (cursor[:-2] + "xx", "garbage", cursor.replace(".", "")):
        response = api.client.get("/api/v1/jobs", params={"cursor": bad}, headers=api.headers())
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["field"] == "query.cursor"
    other_filter = api.client.get(
        "/api/v1/jobs", params={"cursor": cursor, "status": "queued"}, headers=api.headers()
    )
    assert other_filter.status_code == 400
    too_many = api.client.get("/api/v1/jobs?limit=5000", headers=api.headers())
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "query.limit"


# --- limits, headers, errors -----------------------------------------------------------------


def test_security_headers_on_every_answer(api: Api) -> None:
    for response in (
        api.client.get("/api/v1/health"),
        api.client.get("/api/v1/jobs"),  # a 401
        api.client.get("/api/v1/jobs", headers=api.headers()),
    ):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-request-id"]
        assert "strict-transport-security" not in response.headers


def test_hsts_and_cors_from_configuration(tmp_path: Path) -> None:
    api = make_api(tmp_path, api_tls=True, cors_origins="https://fab.example.com")
    ok = api.client.get("/api/v1/health", headers={"Origin": "https://fab.example.com"})
    assert ok.headers["strict-transport-security"].startswith("max-age=")
    assert ok.headers["access-control-allow-origin"] == "https://fab.example.com"
    other = api.client.get("/api/v1/health", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in other.headers


def test_malformed_json_oversized_bodies_and_wrong_types(api: Api) -> None:
    headers = api.headers(**{"Idempotency-Key": "m", "Content-Type": "application/json"})
    malformed = api.client.post("/api/v1/jobs", content=b'{"na": 0.85,', headers=headers)
    assert malformed.status_code == 400
    assert "JSON" in malformed.json()["detail"]
    huge = api.client.post("/api/v1/jobs", content=b" " * 2_000_000, headers=headers)
    assert huge.status_code == 413
    wrong = api.client.post("/api/v1/jobs", json=a_job(na="high"), headers=headers)
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "na"
    nan = api.client.post(
        "/api/v1/jobs",
        content=b'{"na": NaN}',
        headers=api.headers(**{"Idempotency-Key": "n", "Content-Type": "application/json"}),
    )
    assert nan.status_code in (400, 422)
    assert job_count(api) == 0


def test_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    api = make_api(tmp_path, api_rate_limit_per_minute=60)
    statuses = [
        api.client.get("/api/v1/auth/me", headers=api.headers()).status_code for _ in range(260)
    ]
    assert statuses.count(429) > 0
    limited = api.client.get("/api/v1/auth/me", headers=api.headers())
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert api.client.get("/api/v1/health").status_code == 200  # exempt


def test_the_per_user_quota_of_unfinished_jobs(tmp_path: Path) -> None:
    api = make_api(tmp_path, api_max_active_jobs_per_user=2)
    statuses = [
        api.client.post(
            "/api/v1/jobs", json=a_job(), headers=api.headers(**{"Idempotency-Key": f"q{i}"})
        ).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]
    refused = api.client.post(
        "/api/v1/jobs", json=a_job(), headers=api.headers(**{"Idempotency-Key": "q2"})
    )
    assert refused.headers["retry-after"] == "30"
    first = api.client.get("/api/v1/jobs", headers=api.headers()).json()["items"][0]
    api.client.post(f"{first['links']['self']}/cancel", headers=api.headers())
    # a quota is about the moment: the same key goes through once there is room
    again = api.client.post(
        "/api/v1/jobs", json=a_job(), headers=api.headers(**{"Idempotency-Key": "q2"})
    )
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers


def test_a_fault_of_ours_is_a_problem_without_a_stack_trace(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret internals /home/lto/db.py line 42")

    monkeypatch.setattr(api.app.bus, "handle", broken)
    response = api.client.post(
        "/api/v1/jobs", json=a_job(), headers=api.headers(**{"Idempotency-Key": "boom"})
    )
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert response.json()["request_id"] == response.headers["x-request-id"]
    retry = api.client.post(
        "/api/v1/jobs", json=a_job(), headers=api.headers(**{"Idempotency-Key": "boom"})
    )
    assert retry.status_code == 500  # the key was released: it ran again, not replayed
    assert "Idempotent-Replayed" not in retry.headers


def test_unknown_routes_and_methods_are_problems(api: Api) -> None:
    missing = api.client.get("/api/v1/nowhere", headers=api.headers())
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = api.client.delete("/api/v1/health")
    assert wrong.status_code == 405


PROBLEM_TYPE = re.compile(r"^https://lto\.dev/problems/[a-z0-9]+(-[a-z0-9]+)*$")


def test_every_problem_names_its_kind(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    key = {"Idempotency-Key": "kinds"}
    job = api.client.post("/api/v1/jobs", json=a_job(), headers=api.headers(**key)).json()
    api.client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=api.headers())
    calls = {
        "malformed-json": lambda: api.client.post(
            "/api/v1/jobs",
            content=b"{not json",
            headers=api.headers(**{"Content-Type": "application/json", "Idempotency-Key": "j"}),
        ),
        "unauthenticated": lambda: api.client.get("/api/v1/jobs"),
        "missing-scope": lambda: api.client.post(
            "/api/v1/jobs", json=a_job(), headers=api.headers("reader", **{"Idempotency-Key": "r"})
        ),
        "not-found": lambda: api.client.get("/api/v1/nowhere", headers=api.headers()),
        "method-not-allowed": lambda: api.client.delete("/api/v1/health"),
        "domain-rule": lambda: api.client.post(
            f"/api/v1/jobs/{job['id']}/cancel", headers=api.headers()
        ),  # cancelled already
        "invalid-input": lambda: api.client.get("/api/v1/jobs?limit=0", headers=api.headers()),
        "idempotency-key-missing": lambda: api.client.post(
            "/api/v1/jobs", json=a_job(), headers=api.headers()
        ),
        "invalid-cursor": lambda: api.client.get("/api/v1/jobs?cursor=abc", headers=api.headers()),
    }
    for kind, call in calls.items():
        response = call()
        assert response.status_code >= 400, kind
        assert response.headers["content-type"] == "application/problem+json", kind
        found = response.json()["type"]
        assert PROBLEM_TYPE.match(found), (kind, found)
        assert found == f"https://lto.dev/problems/{kind}", (response.status_code, found)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a fault of ours")

    monkeypatch.setattr(api.app.bus, "handle", broken)
    fault = api.client.post(
        "/api/v1/jobs", json=a_job(), headers=api.headers(**{"Idempotency-Key": "f"})
    )
    assert fault.json()["type"] == "https://lto.dev/problems/internal-error"


def test_a_problem_raised_without_a_kind_gets_its_statuss_kind() -> None:
    from lto.capricorn.api.problems import Problem

    assert Problem(409, "x").body()["type"] == "https://lto.dev/problems/conflict"
    assert Problem(503, "x").body()["type"] == "https://lto.dev/problems/unavailable"
    assert Problem(418, "x").body()["type"] == "https://lto.dev/problems/error"
    assert Problem(404, "x", kind="gone").body()["type"] == "https://lto.dev/problems/gone"


def test_component_health_says_what_it_found_only_to_a_known_caller(api: Api) -> None:
    anonymous = api.client.get("/api/v1/health/components").json()
    assert anonymous["components"]["database"]["status"] == "ok"
    assert all(c["detail"] == {} for c in anonymous["components"].values())
    known = api.client.get("/api/v1/health/components", headers=api.headers()).json()
    assert "database" in known["components"]["database"]["detail"]


def test_a_body_that_is_not_sent_as_json_is_415(api: Api) -> None:
    import json

    body = json.dumps(a_job()).encode()
    for kind in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = api.headers(**{"Idempotency-Key": f"ct-{kind}"})
        if kind:
            headers["Content-Type"] = kind
        response = api.client.post("/api/v1/jobs", content=body, headers=headers)
        assert response.status_code == 415, kind
        assert response.json()["errors"][0]["field"] == "header.Content-Type"
    assert job_count(api) == 0


def test_rules_across_fields_and_choices_are_named_in_plain_words(api: Api) -> None:
    response = api.client.post(
        "/api/v1/jobs",
        json=a_job(pitch_nm=50.0, illumination="[brackets]"),
        headers=api.headers(**{"Idempotency-Key": "words"}),
    )
    assert response.status_code == 422
    errors = {e["field"]: e["rule"] for e in response.json()["errors"]}
    assert "illumination" in errors
    assert "<" not in errors["illumination"]
    assert "'annular'" in errors["illumination"]
    across = api.client.post(
        "/api/v1/jobs", json=a_job(pitch_nm=50.0), headers=api.headers(**{"Idempotency-Key": "w2"})
    )
    assert across.status_code == 422
    assert across.json()["errors"][0]["field"] == "target_cd_nm"
