"""Live views over WebSockets.

``/ws/metrics`` (scope ``jobs:read``): a JSON frame every ``metrics_interval_s`` seconds:
``{"type": "metrics", "at", "interval_s", "health": {"status", "components": {name: status},
"checked_at"}, "jobs": {"active": {state: n}, "active_total", "finished_last_minute",
"finished_last_5_minutes", "per_minute"}, "tradeoffs": {"window", "jobs", "previous_jobs",
"scores": {name: {"mean", "previous", "change"}}}, "alerts": {"active", "by_severity",
"latest": [alert, ...]}}``; ``latest`` only for a credential with ``alerts:read``. Without the
database, ``jobs``, ``tradeoffs`` and ``alerts`` are null and ``error`` says why.

``/ws/alerts`` (scope ``alerts:read``): ``{"type": "hello", "user", "active": [alert, ...]}``
first, then ``{"type": "alert_fired" | "alert_acknowledged", "alert": {...}}`` as each
happens (see ``live_feeds.AlertFeed``), and ``{"type": "keepalive", "at"}`` when nothing did
for ``metrics_interval_s``.

The credential: browsers cannot set headers on a WebSocket, so it may come as a query
parameter (``?api_key=lto_…`` or ``?token=<bearer token>``) or as the first message
(``{"api_key": "lto_…"}`` or ``{"token": "…"}``, within ``FIRST_MESSAGE_S``); the usual
``X-API-Key`` or ``Authorization`` headers work too. The socket is accepted and then closed
with 4401 when the credential is missing or invalid (or stops being valid: it is checked
again every ``RECHECK_S``), 4403 when it lacks the scope, 1008 for a first message that is not
a credential, 1013 for a client too slow to keep up. Query strings end up in proxies' logs:
prefer the first message, with a short-lived token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from lto.capricorn.api.auth import Principal
from lto.capricorn.api.config import ApiConfig
from lto.capricorn.api.live_feeds import (
    OVERFLOW,
    AlertFeed,
    LiveMetrics,
    alert_json,
    close_quietly,
    now,
)
from lto.capricorn.api.problems import Problem

router = APIRouter(tags=["live"])

FIRST_MESSAGE_S = 10.0
RECHECK_S = 60.0
UNAUTHENTICATED, FORBIDDEN, POLICY, TRY_AGAIN = 4401, 4403, 1008, 1013


class Session:
    """One socket's caller: who, with what credential, last checked when."""

    def __init__(self, websocket: WebSocket, headers: dict[str, str], principal: Principal) -> None:
        self.websocket, self.headers, self.principal = websocket, headers, principal
        self.checked = time.monotonic()

    async def still_valid(self, scope: str) -> bool:
        """Re-check the credential every ``RECHECK_S`` (a revoked key stops a long socket)."""
        if time.monotonic() - self.checked < RECHECK_S:
            return True
        self.checked = time.monotonic()
        return await _check(self.websocket, self.headers, scope) is not None


def _credential(websocket: WebSocket) -> dict[str, str]:
    query = websocket.query_params
    if query.get("api_key"):
        return {"x-api-key": query["api_key"]}
    if query.get("token"):
        return {"authorization": f"Bearer {query['token']}"}
    found = {
        k: websocket.headers[k] for k in ("x-api-key", "authorization") if k in websocket.headers
    }
    return found


async def _first_message(websocket: WebSocket) -> dict[str, str] | None:
    """The credential in the first message; None (and the socket closed) when it is not one."""
    try:
        text = await asyncio.wait_for(websocket.receive_text(), FIRST_MESSAGE_S)
    except TimeoutError:
        await close_quietly(websocket, UNAUTHENTICATED, "credentials required")
        return None
    except (WebSocketDisconnect, RuntimeError, KeyError):
        return None
    try:
        message = json.loads(text)
    except ValueError:
        message = None
    if isinstance(message, dict):
        if isinstance(message.get("api_key"), str):
            return {"x-api-key": message["api_key"]}
        if isinstance(message.get("token"), str):
            return {"authorization": f"Bearer {message['token']}"}
    await close_quietly(
        websocket, POLICY, 'the first message must be {"api_key": ...} or {"token": ...}'
    )
    return None


async def _check(websocket: WebSocket, headers: dict[str, str], scope: str) -> Principal | None:
    authenticator = websocket.app.state.authenticator
    try:
        principal: Principal = await run_in_threadpool(authenticator.authenticate, headers)
        principal.require(scope)
    except Problem as problem:
        code = FORBIDDEN if problem.status == 403 else UNAUTHENTICATED
        await close_quietly(websocket, code, problem.detail)
        return None
    except Exception:  # the database away: nobody can be authenticated now
        await close_quietly(websocket, TRY_AGAIN, "cannot check credentials now; try again")
        return None
    return principal


async def authenticate(websocket: WebSocket, scope: str) -> Session | None:
    await websocket.accept()
    headers = _credential(websocket) or await _first_message(websocket)
    if not headers:
        return None
    principal = await _check(websocket, headers, scope)
    return None if principal is None else Session(websocket, headers, principal)


async def _until_closed(websocket: WebSocket) -> None:
    """Returns when the client goes (what it sends meanwhile is ignored)."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass


def _config(websocket: WebSocket) -> ApiConfig:
    return websocket.app.state.config  # type: ignore[no-any-return]


def _live_metrics(websocket: WebSocket) -> LiveMetrics:
    state = websocket.app.state
    if getattr(state, "live_metrics", None) is None:
        config, services = _config(websocket), state.services
        state.live_metrics = LiveMetrics(
            services.uow,
            services.component_health,
            interval_s=config.metrics_interval_s,
            health_cache_s=config.metrics_cache_s,
        )
    return state.live_metrics  # type: ignore[no-any-return]


def _alert_feed(websocket: WebSocket) -> AlertFeed:
    state = websocket.app.state
    if getattr(state, "alert_feed", None) is None:
        state.alert_feed = AlertFeed(state.services.uow, poll_s=_config(websocket).alerts_poll_s)
    return state.alert_feed  # type: ignore[no-any-return]


@router.websocket("/ws/metrics")
async def metrics_socket(websocket: WebSocket) -> None:
    session = await authenticate(websocket, "jobs:read")
    if session is None:
        return
    live, interval = _live_metrics(websocket), _config(websocket).metrics_interval_s
    closed = asyncio.ensure_future(_until_closed(websocket))
    try:
        while not closed.done():
            if not await session.still_valid("jobs:read"):
                return
            frame = await live.frame(with_alerts=session.principal.has("alerts:read"))
            await websocket.send_json(frame)
            await asyncio.wait({closed}, timeout=interval)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        closed.cancel()


@router.websocket("/ws/alerts")
async def alerts_socket(websocket: WebSocket) -> None:
    session = await authenticate(websocket, "alerts:read")
    if session is None:
        return
    feed, keepalive = _alert_feed(websocket), _config(websocket).metrics_interval_s
    queue = await feed.subscribe()
    closed = asyncio.ensure_future(_until_closed(websocket))
    try:
        active = await run_in_threadpool(_active, websocket)
        await websocket.send_json(
            {"type": "hello", "user": session.principal.name, "active": active}
        )
        while not closed.done():
            frame = await _next(queue, closed, keepalive)
            if frame is OVERFLOW:
                await close_quietly(websocket, TRY_AGAIN, "too slow to keep up; reconnect")
                return
            if frame is None:
                if not await session.still_valid("alerts:read"):
                    return
                frame = {"type": "keepalive", "at": now().isoformat()}
            if not closed.done():
                await websocket.send_json(frame)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        feed.unsubscribe(queue)
        closed.cancel()


def _active(websocket: WebSocket) -> list[dict[str, Any]]:
    with websocket.app.state.services.uow() as uow:
        return [alert_json(a) for a in uow.alerts.active(limit=20)]


async def _next(
    queue: asyncio.Queue[dict[str, Any]], closed: asyncio.Future[None], timeout: float
) -> dict[str, Any] | None:
    """The next frame of the feed; None after ``timeout`` or when the client went."""
    getting = asyncio.ensure_future(queue.get())
    waiting: set[asyncio.Future[Any]] = {getting, closed}
    done, _ = await asyncio.wait(waiting, timeout=timeout, return_when="FIRST_COMPLETED")
    if getting in done:
        return getting.result()
    getting.cancel()
    return None


__all__ = ["router"]
