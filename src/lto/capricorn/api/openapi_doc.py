"""The OpenAPI document as a client needs it: what FastAPI generates from the routes, completed
from what the code does around them.

- Errors: every 4xx and 5xx an operation can answer is listed with the ``Problem`` schema under
  ``application/problem+json`` (FastAPI would document its own ``HTTPValidationError`` as
  ``application/json``, which is not what the API sends). Besides what each route declares, the
  statuses that come from outside it are added where they apply: 401 and 403 where a credential
  is needed, 429 where the rate limit applies, 400, 413 and 422 where there is a body or
  parameters, 404 under a path parameter, 400, 409 and 422 where an Idempotency-Key is read,
  400 where a cursor is, 503 wherever the database (or another component) is needed.
- Security: the API key (``X-API-Key``) and bearer (JWT, or a key as the token) schemes, and on
  each operation whether it needs one of them; every operation states it, ``[]`` for none.
- The ``Idempotency-Key`` header where a route reads it (required where the POST creates).

What applies where is found from the routes' dependencies (``get_principal``,
``get_idempotency``), not from a list kept beside them; the routes are the routers' own (the
app's are wrapped by FastAPI).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from lto.capricorn.api.deps import get_idempotency, get_principal
from lto.capricorn.api.idempotency import HEADER, MAX_KEY_LENGTH
from lto.capricorn.api.middleware import EXEMPT
from lto.capricorn.api.problems import PROBLEM, ProblemDetails

PROBLEM_REF = "#/components/schemas/Problem"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "ApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "an API key (`lto keys create`): `lto_...`",
    },
    "Bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "a token from `POST /api/v1/auth/token` (or an API key as the token)",
    },
}
CREDENTIAL: list[dict[str, list[str]]] = [{"ApiKey": []}, {"Bearer": []}]  # either one
FASTAPI_DEFAULTS = ("Validation Error", "Successful Response")
REQUIRED_HEADERS = {
    401: ("WWW-Authenticate", "the scheme to authenticate with (Bearer)"),
    429: ("Retry-After", "seconds to wait before trying again"),
}
_UNUSED = ("HTTPValidationError", "ValidationError")


def install(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Serve the completed document at ``/openapi.json`` (and to ``/docs``); ``routers`` are
    those the app includes."""
    routes = [route for router in routers for route in router.routes]

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(FastAPI.openapi(app), routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any], routes: Iterable[Any]) -> dict[str, Any]:
    """``document`` (FastAPI's) completed in place, and returned."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    components["securitySchemes"] = SECURITY_SCHEMES
    paths = document.get("paths", {})
    for route in routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        calls = _calls(route.dependant)
        for method in route.methods or ():
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is not None:
                _complete_operation(operation, route, calls)
    if f'"#/components/schemas/{_UNUSED[0]}"' not in json.dumps(paths):
        for name in _UNUSED:  # FastAPI's validation error, which no answer has any more
            schemas.pop(name, None)
    return document


def _calls(dependant: Dependant) -> set[Callable[..., Any]]:
    """Every dependency a route has, however deep."""
    found: set[Callable[..., Any]] = set()
    stack = [dependant]
    while stack:
        node = stack.pop()
        if node.call is not None:
            found.add(node.call)
        stack.extend(node.dependencies)
    return found


def _complete_operation(
    operation: dict[str, Any], route: APIRoute, calls: set[Callable[..., Any]]
) -> None:
    secured = get_principal in calls
    operation["security"] = list(CREDENTIAL) if secured else []
    if get_idempotency in calls:
        _idempotency_header(operation, creating=route.status_code in (201, 202))
    responses = operation.setdefault("responses", {})
    for status, reasons in _reasons(route, operation, calls).items():
        entry = responses.setdefault(str(status), {})
        if not entry.get("description") or entry["description"] in FASTAPI_DEFAULTS:
            entry["description"] = "; or ".join(reasons)
    for status, entry in responses.items():
        if status.isdigit() and int(status) >= 400:
            _as_problem(int(status), entry)


def _idempotency_header(operation: dict[str, Any], *, creating: bool) -> None:
    parameters = operation.setdefault("parameters", [])
    if any(
        p.get("in") == "header" and p.get("name", "").lower() == HEADER.lower() for p in parameters
    ):
        return
    parameters.append(
        {
            "name": HEADER,
            "in": "header",
            "required": creating,
            "description": "a unique string (a UUID) per new request: a retry with the same key "
            "and body gets the first answer again instead of creating twice (kept 24 h)",
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_KEY_LENGTH,
                "pattern": "^[!-~]+$",
            },
        }
    )


def _reasons(
    route: APIRoute, operation: dict[str, Any], calls: set[Callable[..., Any]]
) -> dict[int, list[str]]:
    """Why each error status can come back from this operation, besides what it declares."""
    reasons: dict[int, list[str]] = {}

    def add(status: int, reason: str) -> None:
        reasons.setdefault(status, []).append(reason)

    parameters = [p for p in operation.get("parameters", []) if p.get("name") != HEADER]
    path = route.path_format
    if "requestBody" in operation:
        add(400, "the body is not valid JSON")
        add(413, "the body is over the size limit")
        add(415, "the body is not sent as Content-Type: application/json")
    if parameters or "requestBody" in operation:
        add(422, "a parameter or a field of the body is invalid (each one named in `errors`)")
    if any(p.get("in") == "query" and p.get("name") == "cursor" for p in parameters):
        add(400, "the cursor was altered, or comes from a listing with other filters")
    if get_idempotency in calls:
        add(400, f"no {HEADER} where one is required, or an invalid one")
        add(409, f"a request with this {HEADER} is still being answered (see Retry-After)")
        add(422, f"this {HEADER} was used for another request")
    if any(p.get("in") == "path" for p in parameters):
        add(404, "no such resource, or not one this caller may see")
    if get_principal in calls:
        add(401, "no credential, or one unknown, revoked or expired, or of a disabled user")
        add(403, "the credential lacks the scope this operation needs")
    if not path.startswith(EXEMPT):
        add(429, "too many requests from this client: try again after Retry-After seconds")
        add(503, "a component this needs (the database, ...) is unavailable: try again later")
    return reasons


def _as_problem(status: int, entry: dict[str, Any]) -> None:
    """The entry's content as the Problem schema, unless the route documents a body of its own
    (the per-component health's 503)."""
    content = entry.get("content") or {}
    own = [
        media
        for media in content.values()
        if (media.get("schema") or {}).get("$ref", "").rsplit("/", 1)[-1] not in ("", *_UNUSED)
    ]
    if not own:
        entry["content"] = {PROBLEM: {"schema": {"$ref": PROBLEM_REF}}}
    header = REQUIRED_HEADERS.get(status)
    if header is not None:
        name, description = header
        entry.setdefault("headers", {}).setdefault(
            name, {"required": True, "description": description, "schema": {"type": "string"}}
        )


__all__ = ["CREDENTIAL", "SECURITY_SCHEMES", "complete", "install"]
