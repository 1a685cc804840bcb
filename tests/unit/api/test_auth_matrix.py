"""Every route's auth matrix, walked from the app's own routes (a route added later is
covered without editing this file): no credential → 401; a credential without the route's
scope → 403 naming it; exactly that scope → let through; expired, tampered, unsigned (`none`)
and foreign-signed tokens → 401; another user's job or run → 404."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from lto.capricorn.service.accounts import issue_key
from tests.unit.api.conftest import PASSWORD, Api, a_job, make_api
from tests.unit.api.running import submit

PUBLIC = {("GET", "/api/v1/health"), ("GET", "/api/v1/health/components"), ("GET", "/metrics"),
          ("POST", "/api/v1/auth/token")}  # fmt: skip
SCOPE_FREE = {("GET", "/api/v1/auth/me")}  # any valid credential
UNRELATED = "ingest:write"  # a scope no reading route needs


@pytest.fixture(scope="module")
def matrix_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    made = make_api(tmp_path_factory.mktemp("auth"), api_rate_limit_per_minute=1_000_000)
    with made.client:
        yield made


def _operations(api: Api) -> list[tuple[str, str]]:
    """Every operation the app documents (test_schemathesis.py proves the document is the
    app: every route is in it)."""
    document = api.client.get("/openapi.json").json()
    return sorted(
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "patch", "put", "delete")
    )


def _call(api: Api, method: str, path: str, headers: dict[str, str]) -> int:
    concrete = re.sub(r"\{[^}]+\}", "x-missing-1", path)
    options: dict[str, object] = {"headers": headers | {"Idempotency-Key": uuid.uuid4().hex}}
    if method in ("POST", "PATCH", "PUT"):
        options["json"] = {}
    return api.client.request(method, concrete, **options).status_code  # type: ignore[arg-type]


def _bad_tokens(api: Api) -> dict[str, str]:
    token = api.client.post("/api/v1/auth/token",
                            json={"username": "ada", "password": PASSWORD}).json()["access_token"]  # fmt: skip
    claims = jwt.decode(token, options={"verify_signature": False})
    secret = api.app.api_config().jwt_secret
    return {
        "expired": jwt.encode(claims | {"exp": int(time.time()) - 10}, secret, "HS256"),
        "tampered": token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
        "none": jwt.encode(claims, None, algorithm="none"),
        "foreign": jwt.encode(claims, "z" * 40, "HS256"),
        "other audience": jwt.encode(claims | {"aud": "someone-else"}, secret, "HS256"),
    }


def test_the_walk_covers_every_route(matrix_api: Api) -> None:
    operations = _operations(matrix_api)
    assert len(operations) >= 30
    paths = {p for _, p in operations}
    for expected in ("/api/v1/jobs", "/api/v1/tradeoffs/predict", "/api/v1/models/retrain",
                     "/api/v1/alerts", "/api/v1/cells", "/api/v1/optimisations"):  # fmt: skip
        assert expected in paths


def test_no_credential_is_401_everywhere_but_the_public_routes(matrix_api: Api) -> None:
    for method, path in _operations(matrix_api):
        status = _call(matrix_api, method, path, {})
        if (method, path) in PUBLIC:
            assert status != 401, (method, path)
        else:
            assert status == 401, (method, path, status)


def test_each_route_needs_its_scope_and_that_scope_is_enough(matrix_api: Api) -> None:
    unrelated = issue_key(matrix_api.app.uow, "ada", [UNRELATED]).secret
    needed: dict[tuple[str, str], str] = {}
    for method, path in _operations(matrix_api):
        if (method, path) in PUBLIC:
            continue
        response = matrix_api.client.request(
            method, re.sub(r"\{[^}]+\}", "x-missing-1", path),
            headers={"X-API-Key": unrelated, "Idempotency-Key": uuid.uuid4().hex},
            **({"json": {}} if method in ("POST", "PATCH") else {}),
        )  # fmt: skip
        if (method, path) in SCOPE_FREE or (path.startswith("/api/v1/ingest") and method == "POST"):
            assert response.status_code != 403, (method, path)
            continue
        assert response.status_code == 403, (method, path, response.status_code)
        scope = re.search(r"lacks the scope '([a-z]+:[a-z]+)'", response.json()["detail"])
        assert scope is not None, (method, path, response.json())
        needed[method, path] = scope.group(1)
    for (method, path), scope in needed.items():
        only = issue_key(matrix_api.app.uow, "ada", [scope]).secret
        status = _call(matrix_api, method, path, {"X-API-Key": only})
        assert status not in (401, 403), (method, path, scope, status)
    assert needed["GET", "/api/v1/jobs"] == "jobs:read"
    assert needed["POST", "/api/v1/models/retrain"] == "models:admin"


def test_bad_tokens_are_401_on_every_route(matrix_api: Api) -> None:
    for name, token in _bad_tokens(matrix_api).items():
        for method, path in _operations(matrix_api):
            if (method, path) in PUBLIC:
                continue
            status = _call(matrix_api, method, path, {"Authorization": f"Bearer {token}"})
            assert status == 401, (name, method, path, status)


def test_another_engineers_job_and_run_are_404(tmp_path: Path, current_model: Path) -> None:
    api = make_api(tmp_path)
    with api.client:
        job = submit(api, "erin")
        run = api.client.post(
            "/api/v1/optimisations",
            json={"job": a_job(), "free": [{"name": "dose"}], "objectives": [{"name": "health"}]},
            headers=api.headers("erin", **{"Idempotency-Key": uuid.uuid4().hex}),
        )
        assert run.status_code == 202, run.text
        base = f"/api/v1/jobs/{job['id']}"
        for method, path in (("GET", base), ("GET", f"{base}/report"), ("GET", f"{base}/plot-data"),
                             ("POST", f"{base}/cancel"), ("POST", f"{base}/review"),
                             ("GET", f"/api/v1/optimisations/{run.json()['id']}")):  # fmt: skip
            options: dict[str, object] = {"headers": api.headers("eve")}
            if path.endswith("/review"):
                options["json"] = {"decision": "clear", "note": "looked at it"}
            response = api.client.request(method, path, **options)  # type: ignore[arg-type]
            assert response.status_code == 404, (method, path, response.status_code)
            assert job["id"] not in response.text or "no job" in response.text
        assert (
            api.client.get(base, headers=api.headers("omar")).status_code == 200
        )  # operators see all
