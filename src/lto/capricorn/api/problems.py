"""Errors as RFC 9457 problem details: ``application/problem+json`` with a status, a title, a
detail in words and, for bad input, ``errors``: one ``{field, rule}`` per thing wrong. Every
exception ends here; none reaches a client as a stack trace (the log has it, under the
request id the response carries)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from lto.atlas.wording import plain_rule

log = logging.getLogger("lto.api")

PROBLEM = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
TYPE_BASE = "https://lto.dev/problems/"
# The kind of a problem raised without one: what its status means. Every problem document
# names a kind (never RFC 9457's unspecific default), so a client can branch on ``type``.
KINDS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    429: "rate-limited",
    500: "internal-error",
    503: "unavailable",
}


class FieldError(BaseModel):
    """One thing wrong with the request."""

    model_config = ConfigDict(title="FieldError")

    field: str = Field(
        description="where: a dotted path in the body (`sigma`, `records.3.result.cd_nm`), "
        "or `query.<name>`, `header.<name>`; `body` for the whole body"
    )
    rule: str = Field(description="what is wrong there, in words")


class ProblemDetails(BaseModel):
    """What every error answers with: problem details (RFC 9457), sent as
    `application/problem+json`. Clients should ignore members they do not know."""

    model_config = ConfigDict(title="Problem")

    type: str = Field(
        pattern=r"^https://lto\.dev/problems/[a-z0-9]+(-[a-z0-9]+)*$",
        description="`https://lto.dev/problems/<kind>` naming the kind of problem "
        "(invalid-input, not-found, rate-limited, ...; docs/api.md lists them)",
    )
    title: str = Field(description="the status in words")
    status: int = Field(ge=400, le=599, description="the HTTP status, repeated")
    detail: str = Field(description="what happened, in words")
    instance: str = Field(default="", description="the path that was asked for")
    errors: list[FieldError] = Field(
        default_factory=list, description="for bad input: one entry per field at fault"
    )
    request_id: str = Field(default="", description="the X-Request-ID the log knows it by")


class Problem(Exception):
    """Raise anywhere in a route: it becomes this problem response."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        errors: Sequence[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or TITLES.get(status, "Error")
        self.errors = [dict(e) for e in errors]
        self.headers = dict(headers or {})
        self.kind = kind or KINDS.get(status, "error")

    def body(self, instance: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": TYPE_BASE + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            out["instance"] = instance
        if self.errors:
            out["errors"] = self.errors
        return out


def response(problem: Problem, request: Request | None = None) -> JSONResponse:
    body = problem.body(request.url.path if request is not None else None)
    request_id = getattr(request.state, "request_id", None) if request is not None else None
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, problem.status, headers=problem.headers, media_type=PROBLEM)


def field_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """pydantic's errors as ``{field, rule}``: the field as a dotted path inside the body (or
    ``query.limit``, ``header.idempotency-key``), the rule in words."""
    out = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] == "body":
            loc = loc[1:]
        rule = _readable(str(error.get("msg", "is invalid")).removeprefix("Value error, "))
        if not loc or loc[-1] == "body":  # a rule across fields: name the one it starts with
            named = _LEADING_FIELD.match(rule)
            loc = [*loc, named.group(1)] if named else loc
        where = ".".join(loc) or "body"
        out.append({"field": where, "rule": rule})
    return out


# "target_cd_nm (90) must be smaller than pitch_nm (50)": the first snake_case word is the field
_LEADING_FIELD = re.compile(r"^([a-z]+(?:_[a-z0-9]+)+)\b")
# pydantic spells enum members as "<IlluminationShape.ANNULAR: 'annular'>": say 'annular'
_ENUM_MEMBER = re.compile(r"<\w+\.\w+: ('[^']*')>")


def _readable(rule: str) -> str:
    return plain_rule(_ENUM_MEMBER.sub(r"\1", rule))


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        where = next(e for e in errors if e.get("type") == "json_invalid")
        position = (where.get("ctx") or {}).get("error", "")
        detail = f"the body is not valid JSON ({position})" if position else "not valid JSON"
        return response(Problem(400, detail, kind="malformed-json"), request)
    found = field_errors(errors)
    detail = "; ".join(f"{e['field']}: {e['rule']}" for e in found[:5])
    return response(Problem(422, detail, errors=found, kind="invalid-input"), request)


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no such resource: {request.url.path}"
    return response(Problem(exc.status_code, detail, headers=exc.headers), request)


def _problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return response(exc, request)


def translate(exc: Exception) -> Problem | None:
    """What a service-layer exception means to a client; None for a fault of ours (500)."""
    from lto.atlas.errors import DomainError
    from lto.capricorn.ports import BrokerUnavailable
    from lto.capricorn.repositories import ConcurrentUpdate, DuplicateName
    from lto.capricorn.service.handlers import InvalidJob, NotFound, PolicyRejected
    from lto.capricorn.service.preflight import NoSurrogate

    if isinstance(exc, InvalidJob):
        errors = [{"field": f, "rule": r} for f, r in exc.reasons]
        return Problem(422, str(exc), errors=errors, kind="invalid-input")
    if isinstance(exc, PolicyRejected):
        errors = [{"field": v.field, "rule": v.rule} for v in exc.violations]
        return Problem(422, str(exc), errors=errors, kind="policy-violation")
    if isinstance(exc, NotFound):
        return Problem(404, str(exc), kind="not-found")
    if isinstance(exc, ConcurrentUpdate | DuplicateName):
        return Problem(409, str(exc), kind="conflict")
    if isinstance(exc, DomainError):
        field = getattr(exc, "field", None)
        errors = [{"field": str(field), "rule": str(exc)}] if field else []
        return Problem(409 if not errors else 422, str(exc), errors=errors, kind="domain-rule")
    if isinstance(exc, NoSurrogate):
        return Problem(503, f"no surrogate is trained yet: {exc}", kind="no-surrogate")
    if isinstance(exc, BrokerUnavailable):
        return Problem(503, "the message broker is unavailable; try again shortly", kind="broker")
    if _is_database_down(exc):
        return Problem(503, "the database is unavailable; try again shortly", kind="database")
    if _is_unstorable_text(exc):
        return Problem(
            422,
            "a text value contains the NUL character (\\u0000), which cannot be stored: "
            "remove it and send the request again",
            errors=[{"field": "body", "rule": "text must not contain the NUL character"}],
            kind="invalid-input",
        )
    return None


def _is_unstorable_text(exc: Exception) -> bool:
    """PostgreSQL stores no NUL in text or JSON (SQLite does): its refusal is bad input."""
    from sqlalchemy.exc import DataError

    return isinstance(exc, DataError) and "Unicode" in str(exc.orig)


def _is_database_down(exc: Exception) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError

    return isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    problem = translate(exc)
    if problem is not None:
        if problem.status >= 500:
            log.warning("%s %s: %s", request.method, request.url.path, exc)
            problem.headers.setdefault("Retry-After", "5")
        return response(problem, request)
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return response(
        Problem(
            500,
            "LTO failed to answer this request; the log has the details under its id",
            kind="internal-error",
        ),
        request,
    )


class CatchAll:
    """Innermost middleware: whatever a route raised that no handler took becomes a problem
    response here, inside the middleware that adds the security headers and the request id."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started:  # a streamed body failed halfway: nothing left to say
                log.error("%s failed after its response began", scope.get("path"), exc_info=exc)
                return
            await _unexpected(Request(scope), exc)(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Problem, _problem)
    app.add_middleware(CatchAll)  # add first: innermost


__all__ = [
    "KINDS",
    "PROBLEM",
    "TITLES",
    "TYPE_BASE",
    "CatchAll",
    "FieldError",
    "Problem",
    "ProblemDetails",
    "field_errors",
    "install",
    "response",
    "translate",
]
