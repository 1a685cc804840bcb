"""The API's pure-ASGI middleware, outermost first: request id and access log, security
headers, request size, rate limit. Pure ASGI (not ``BaseHTTPMiddleware``) so that WebSockets
and streamed bodies pass through untouched and nothing buffers a whole response."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from lto.capricorn.api.config import ApiConfig
from lto.capricorn.api.problems import PROBLEM, Problem

log = logging.getLogger("lto.api.access")
Observe = Callable[[str, str, int, float], None]  # method, route, status, seconds

JSON_CSP = "default-src 'none'; frame-ancestors 'none'"
HTML_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; frame-ancestors 'none'"
)


async def send_problem(send: Any, problem: Problem, path: str, request_id: str = "") -> None:
    body = problem.body(path) | ({"request_id": request_id} if request_id else {})
    raw = json.dumps(body).encode()
    headers = [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(raw)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in problem.headers.items()]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


def _route(scope: Any) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class RequestContext:
    """A request id (the client's ``X-Request-ID`` if sane, else new) on the request, the
    response and every log line; one structured access-log line per request; the duration
    into ``lto_api_request_duration_seconds``."""

    def __init__(self, app: Any, observe: Observe | None = None) -> None:
        self.app = app
        self.observe = observe

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode(errors="ignore")
        request_id = given if 0 < len(given) <= 64 and given.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            if scope["type"] == "http":
                route = _route(scope)
                if self.observe is not None:
                    self.observe(scope["method"], route, status, seconds)
                log.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(1000 * seconds, 2),
                        "client": (scope.get("client") or ("", 0))[0],
                        "user": scope["state"].get("user", ""),
                    },
                )


class SecurityHeaders:
    def __init__(self, app: Any, config: ApiConfig) -> None:
        self.app = app
        self.tls = config.tls

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        docs = path in ("/docs", "/redoc") or path.startswith("/docs/")

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {k.lower() for k, _ in headers}
                kind = dict(headers).get(b"content-type", b"")
                csp = DOCS_CSP if docs else HTML_CSP if kind.startswith(b"text/html") else JSON_CSP
                extra = {
                    b"cache-control": b"no-store",
                    b"x-content-type-options": b"nosniff",
                    b"x-frame-options": b"DENY",
                    b"referrer-policy": b"no-referrer",
                    b"content-security-policy": csp.encode(),
                }
                if self.tls or scope.get("scheme") == "https":
                    extra[b"strict-transport-security"] = b"max-age=31536000; includeSubDomains"
                headers.extend((k, v) for k, v in extra.items() if k not in present)
            await send(message)

        await self.app(scope, receive, sending)


class BodyLimit:
    """413 for a body over ``max_body_bytes``: by its Content-Length at once, or as it streams."""

    def __init__(self, app: Any, config: ApiConfig) -> None:
        self.app = app
        self.limit = config.max_body_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = Problem(
            413,
            f"the request body is larger than {self.limit:,} bytes",
            kind="too-large",
        )
        request_id = scope.get("state", {}).get("request_id", "")
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared < 0:
                invalid = Problem(
                    400,
                    "Content-Length is not a number",
                    errors=[{"field": "header.Content-Length", "rule": "must be a whole number"}],
                    kind="invalid-content-length",
                )
                await send_problem(send, invalid, scope["path"], request_id)
                return
            if declared > self.limit:
                await send_problem(send, problem, scope["path"], request_id)
                return
        if scope["method"] in ("POST", "PUT", "PATCH") and _has_body(scope):
            kind = dict(scope.get("headers") or []).get(b"content-type", b"").decode("latin-1")
            media = kind.split(";")[0].strip().lower()
            if media != "application/json" and not media.endswith("+json"):
                said = f"Content-Type {media}" if media else "no Content-Type"
                await send_problem(
                    send,
                    Problem(
                        415,
                        f"the body must be JSON sent as Content-Type: application/json, not {said}",
                        errors=[
                            {"field": "header.Content-Type", "rule": "must be application/json"}
                        ],
                        kind="unsupported-media-type",
                    ),
                    scope["path"],
                    request_id,
                )
                return
        seen = 0

        async def receiving() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        started = False

        async def sending(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        except _TooLarge:
            if not started:
                await send_problem(send, problem, scope["path"], request_id)


def _has_body(scope: Any) -> bool:
    headers = dict(scope.get("headers") or [])
    length = headers.get(b"content-length")
    return b"transfer-encoding" in headers or (length is not None and length.strip() != b"0")


class _TooLarge(Exception):
    pass


class TokenBuckets:
    """Per client: ``rate`` requests a minute on average, bursts of ``burst``."""

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> float:
        """0 if the request may go; else the seconds until it may."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            if len(self._buckets) > 50_000:
                self._buckets.clear()
            return (1.0 - tokens) / self.rate


EXEMPT = ("/api/v1/health", "/metrics")


class RateLimit:
    """429 with Retry-After once a client has used its share. A client is its credential (the
    hash of the header it presents), else its address; health and metrics are exempt."""

    def __init__(self, app: Any, config: ApiConfig) -> None:
        self.app = app
        self.buckets = TokenBuckets(config.rate_limit_per_minute, config.rate_burst)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        credential = headers.get(b"x-api-key") or headers.get(b"authorization")
        if credential:
            client = "c" + hashlib.sha256(credential).hexdigest()[:32]
        else:
            client = "a" + str((scope.get("client") or ("?", 0))[0])
        wait = self.buckets.take(client)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            await send_problem(
                send,
                Problem(
                    429,
                    f"rate limit: try again in {retry} s",
                    headers={"Retry-After": str(retry)},
                    kind="rate-limited",
                ),
                scope["path"],
                scope.get("state", {}).get("request_id", ""),
            )
            return
        await self.app(scope, receive, send)


__all__ = [
    "BodyLimit",
    "RateLimit",
    "RequestContext",
    "SecurityHeaders",
    "TokenBuckets",
    "send_problem",
]
