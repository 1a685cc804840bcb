"""The API against its own OpenAPI document, with schemathesis (4.x): every operation in
``/openapi.json`` (33, ``/metrics`` included) is called with generated requests, valid and
invalid, under an admin's API key (every scope; a fresh Idempotency-Key on each POST and
PATCH), and every answer must be no server error and conform to the document: a documented
status, a documented content type, a body valid against the documented schema (problem
details included), the documented headers.

Deterministic, and the same requests on every run:

- the fuzzing phase generates ``EXAMPLES`` (25) requests per operation, positive and negative
  data (fewer where the schema has fewer distinct inputs);
- the coverage phase adds its fixed set of boundary and invalid-value requests (derived from
  the schema alone: about 4,500 in all), and the schema's examples phase its examples;
- Hypothesis is derandomized with no example database, schemathesis seeded with ``SEED``;
  the stateful phase is off and no response feeds back into generation. About 5,400 requests,
  under a minute here (after the session's model is trained).

Where an operation has a path parameter, every other request names an object made before the
run (a job the physics ran, a queued job, a cell, an optimisation, an alert, the newest retrain
run) instead of the generated id, so that the answers about real objects are checked too.

Stubbed, so that no generated request starts long work: retraining (``Application.
retrain_model`` answers at once with a fixed result) and the optimisation runner's ``submit``
(runs stay queued: no search runs). The rate limit is raised for this app (every request comes
from one key). The rest is the real app: the session's trained surrogate answers predict,
pre-flight and the models routes; promote and rollback find no registry and are refused (409).
WebSockets are not in OpenAPI (test_live_api.py covers them).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis import checks
from schemathesis.python import asgi

from lto.atlas.alerts import Alert
from lto.daedalus.adapters.model_store import LocalModelStore
from tests.unit.api.conftest import Api, a_job, make_api
from tests.unit.api.running import run_queued, submit

SEED = 20261203
EXAMPLES = 25  # generated requests per operation in the fuzzing phase
ADMIN = "ada"  # every scope: no request is refused for want of one
RETRAIN = "/api/v1/models/retrain"

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "max-examples": EXAMPLES,
            "deterministic": True,
            "database": "none",
            "mode": "all",
            "with-security-parameters": False,  # the admin's key is sent instead
        },
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True, "error-feedback": {"enabled": False}},
            "stateful": {"enabled": False},
        },
    }
)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


def _retrained(**asked: Any) -> dict[str, Any]:
    """Retraining's answer, at once (the real one runs minutes of physics and training)."""
    return {
        "candidate": "surrogate-stub",
        "registered_version": "2",
        "gate": "refused",
        "gate_reasons": ["stubbed for the schemathesis run"],
        "challenger": False,
        "dataset": {"rows": asked.get("samples", 0), "seed": asked.get("seed")},
        "accuracy": None,
        "critical_accuracy": None,
        "coverage": {},
    }


@pytest.fixture(scope="module")
def stack(
    trained_model: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Api, dict[str, str]]]:
    """The app with the session's surrogate current and the stubs in place, and one object of
    each kind (their ids by path parameter name)."""
    folder = trained_model["folder"]
    assert isinstance(folder, Path)
    tmp = tmp_path_factory.mktemp("schemathesis")
    LocalModelStore(tmp / "lto-data" / "models" / "surrogate").set_current(folder)
    api = make_api(tmp, api_rate_limit_per_minute=10_000_000)
    app: Any = api.client.app
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(api.app.__dict__, "retrain_model", _retrained)
        patch.setattr(app.state.optimisations, "submit", lambda run_id: None)
        ids = _objects(api)
        yield api, ids
        asgi.shutdown_lifespans()  # schemathesis started the app's lifespan: stop it


def _objects(api: Api) -> dict[str, str]:
    """One object for each path parameter, made as a client would (the job run by the
    built-in physics, so that its report has a result and pictures)."""
    admin = api.headers(ADMIN)
    ran = submit(api, ADMIN)
    assert run_queued(api) == 1
    queued = submit(api, ADMIN, dose_mj_cm2=32.0)
    made = {}
    problem = {"job": a_job(), "free": [{"name": "dose"}], "objectives": [{"name": "health"}]}
    for path, body in (
        ("/api/v1/cells", {"name": "schemathesis cell", "template": "euv"}),
        ("/api/v1/optimisations", problem),
        (RETRAIN, {"reason": "schemathesis", "samples": 100}),
    ):
        response = api.client.post(
            path, json=body, headers=admin | {"Idempotency-Key": uuid.uuid4().hex}
        )
        assert response.status_code in (201, 202), response.text
        made[path] = response.json()["id"]
    with api.app.uow() as uow:
        alert = Alert("warning", "drift", "a drift alert to acknowledge")
        uow.alerts.add(alert)
        uow.commit()
    return {
        "job_id": ran["id"],
        "queued_job_id": queued["id"],
        "cell_id": made["/api/v1/cells"],
        "run_id": made["/api/v1/optimisations"],
        "retrain_run_id": made[RETRAIN],
        "alert_id": alert.id,
    }


@pytest.fixture(scope="module")
def api_schema(stack: tuple[Api, dict[str, str]]) -> Any:
    """The document as the app serves it at /openapi.json (validated as it loads)."""
    api, _ = stack
    return schemathesis.openapi.from_asgi("/openapi.json", api.client.app, config=CONFIG)


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's fixture-loaded tests read and write ``node._nodeid``, which pytest
    9.2 no longer has; give them one (pytest reports by its own id regardless)."""
    node: Any = request.node
    if not hasattr(node, "_nodeid"):
        node._nodeid = node.nodeid


lazy = schemathesis.pytest.from_fixture("api_schema")
_turns: dict[str, Iterator[int]] = {}


def _existing(case: Any, ids: dict[str, str]) -> None:
    """Every other request of an operation with a path parameter names an existing object."""
    label = case.operation.label
    if not case.path_parameters or next(_turns.setdefault(label, itertools.count())) % 2:
        return
    path = case.operation.path
    for name in case.path_parameters:
        if name == "run_id" and path.startswith(RETRAIN):
            case.path_parameters[name] = ids["retrain_run_id"]
        elif name == "job_id" and path.endswith(("/cancel", "/review")):
            case.path_parameters[name] = ids["queued_job_id"]
        elif name in ids:
            case.path_parameters[name] = ids[name]


@lazy.parametrize()
def test_every_operation_answers_as_its_schema_says(
    case: Any, stack: tuple[Api, dict[str, str]]
) -> None:
    api, ids = stack
    _existing(case, ids)
    headers = api.headers(ADMIN)
    if case.method.upper() in ("POST", "PATCH"):
        headers["Idempotency-Key"] = uuid.uuid4().hex
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    if case.operation.path == RETRAIN and response.status_code == 202:
        ids["retrain_run_id"] = response.json()["id"]  # only the newest 50 runs are kept


# --- the document itself ----------------------------------------------------------------------

PUBLIC = {
    ("get", "/api/v1/health"),
    ("get", "/api/v1/health/components"),
    ("get", "/metrics"),
    ("post", "/api/v1/auth/token"),  # a name and password get the token
}
CREATING = {"/api/v1/jobs", "/api/v1/optimisations", RETRAIN, "/api/v1/cells",
            "/api/v1/ingest/simulation-results", "/api/v1/ingest/yield"}  # fmt: skip


def test_the_document_is_valid_openapi_and_states_summary_security_and_errors(
    api_schema: Any,
) -> None:
    api_schema.validate()  # against the OpenAPI 3.1 meta-schema
    document = api_schema.raw_schema
    assert document["openapi"].startswith("3.1")
    schemes = document["components"]["securitySchemes"]
    assert {k: schemes["ApiKey"][k] for k in ("type", "in", "name")} == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    assert (schemes["Bearer"]["type"], schemes["Bearer"]["scheme"]) == ("http", "bearer")
    assert "HTTPValidationError" not in document["components"]["schemas"]
    seen = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = (method, path)
            seen.add(where)
            assert operation.get("summary"), where
            responses = operation["responses"]
            if where in PUBLIC:
                assert operation["security"] == [], where
            else:
                assert operation["security"] == [{"ApiKey": []}, {"Bearer": []}], where
                assert {"401", "403", "429", "503"} <= set(responses), where
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(responses), where
            keys = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
            if method == "post" and path in CREATING:
                assert keys, where
                assert keys[0]["in"] == "header", where
                assert keys[0]["required"], where
            for status, response in responses.items():
                if int(status) >= 400 and where != ("get", "/api/v1/health/components"):
                    content = response["content"]
                    assert list(content) == ["application/problem+json"], (where, status)
                    assert content["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"
                    }
    assert seen >= PUBLIC
