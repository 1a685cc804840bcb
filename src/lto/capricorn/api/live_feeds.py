"""What the API's WebSockets send (``routes/live.py``): the metrics frame, and the alert feed.

How alerts reach the API process: by reading the alerts table, once every ``alerts_poll_s``
(a second by default), from one poller task per API process shared by every connected client
(none runs while nobody listens). Why not the broker's ``lto.notifications`` queue, which
carries every event: a queue delivers each message to one consumer, so several API replicas
would compete for the notifications and each client would see only its replica's share;
giving each replica its own queue needs exclusive, auto-deleted queues the broker port does not
offer, and the in-memory broker is per process anyway (a worker elsewhere never reaches it).
The table is where every process's alerts land (in the transaction that fired them), so
polling it sees all of them, from any worker or monitor, on either database, with one small
indexed query a second however many clients listen.

The poll asks for alerts fired or acknowledged since a cursor that trails the newest event
seen by ``OVERLAP_S`` (a transaction that stamped an alert before it committed, or a worker
whose clock is a little behind, is still caught); events already pushed are remembered until
they fall behind the cursor, so none is pushed twice. An event stamped more than ``OVERLAP_S``
before it commits, or by a clock further behind, is missed by the live feed (never by
``GET /api/v1/alerts``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool

from lto.atlas.alerts import Alert
from lto.atlas.contracts import SIGNAL_NAMES
from lto.atlas.lifecycle import FINAL_STATES, JobState
from lto.capricorn.service.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)

OVERLAP_S = 60.0
QUEUE_SIZE = 1000  # frames waiting for one client; a client further behind is dropped
TREND_WINDOW = 20  # jobs: the mean of the last N against the N before
LATEST_ALERTS = 5
OVERFLOW: dict[str, Any] = {"type": "overflow"}
_FINISHED = {*FINAL_STATES, JobState.ANOMALY_FLAGGED}


def now() -> datetime:
    return datetime.now(UTC)


def alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "severity": alert.severity.value,
        "source": alert.source,
        "message": alert.message,
        "job_id": alert.job_id,
        "fired_at": alert.fired_at.isoformat(),
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
    }


class AlertFeed:
    """Every alert fired or acknowledged, pushed to every subscriber's queue as a frame
    ``{"type": "alert_fired" | "alert_acknowledged", "alert": {...}}``."""

    def __init__(self, uow_factory: UnitOfWorkFactory, *, poll_s: float = 1.0) -> None:
        self.uow_factory = uow_factory
        self.poll_s = poll_s
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._starting = asyncio.Lock()
        self._since = now()
        self._seen: dict[tuple[str, str], datetime] = {}

    async def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        """A queue of what happens from now on (the feed starts if it was not running)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (a test client's): start over in it
            self._loop, self._task, self._starting = loop, None, asyncio.Lock()
            self._subscribers = set()
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=QUEUE_SIZE)
        async with self._starting:
            if self._task is None or self._task.done():
                await run_in_threadpool(self._baseline)
                self._task = loop.create_task(self._run(), name="alert-feed")
            self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(queue)

    async def _run(self) -> None:
        while self._subscribers:
            await asyncio.sleep(self.poll_s)
            try:
                frames = await run_in_threadpool(self.poll)
            except Exception as exc:  # the database away: try again at the next poll
                log.warning("alert feed: cannot read the alerts (%s)", exc)
                continue
            for frame in frames:
                for queue in list(self._subscribers):
                    _offer(queue, frame)

    def _baseline(self) -> None:
        """What already happened is not news: remember it without pushing it."""
        self._since, self._seen = now() - timedelta(seconds=OVERLAP_S), {}
        self.poll()

    def poll(self) -> list[dict[str, Any]]:
        """The frames of the events not pushed yet (oldest first), and the cursor moved on."""
        with self.uow_factory() as uow:
            changed = uow.alerts.changed_since(self._since)
        frames: list[dict[str, Any]] = []
        newest = self._since
        for alert in changed:
            events = [("fired", alert.fired_at)]
            if alert.acknowledged_at is not None:
                events.append(("acknowledged", alert.acknowledged_at))
            for kind, at in events:
                if at < self._since or (alert.id, kind) in self._seen:
                    continue
                self._seen[alert.id, kind] = at
                frames.append({"type": f"alert_{kind}", "alert": alert_json(alert)})
                newest = max(newest, at)
        self._since = max(self._since, newest - timedelta(seconds=OVERLAP_S))
        self._seen = {key: at for key, at in self._seen.items() if at >= self._since}
        return frames


def _offer(queue: asyncio.Queue[dict[str, Any]], frame: dict[str, Any]) -> None:
    try:
        queue.put_nowait(frame)
    except asyncio.QueueFull:  # a client this far behind is told so, and dropped
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(OVERFLOW)


class Cached:
    """A value recomputed at most every ``ttl_s`` seconds."""

    def __init__(self, compute: Callable[[], Any], ttl_s: float) -> None:
        self.compute, self.ttl_s = compute, ttl_s
        self._value: Any = None
        self._at = -float("inf")

    def get(self) -> Any:
        if time.monotonic() - self._at >= self.ttl_s:
            self._value, self._at = self.compute(), time.monotonic()
        return self._value


class LiveMetrics:
    """The ``/ws/metrics`` frame, made once for every client: the snapshot is kept a second
    (at most one set of queries a second, however many listen), the components' health
    ``health_cache_s`` (a broker or registry check can take a while)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        health: Callable[[], dict[str, dict[str, Any]]],
        *,
        interval_s: float,
        health_cache_s: float = 5.0,
    ) -> None:
        self.uow_factory = uow_factory
        self.interval_s = interval_s
        self._health = Cached(lambda: (health(), now()), health_cache_s)
        self._snapshot = Cached(self._read, min(1.0, interval_s))
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    async def frame(self, *, with_alerts: bool) -> dict[str, Any]:
        lock = self._locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with lock:  # one client computes, the others reuse it
            snapshot = await run_in_threadpool(self._snapshot.get)
        frame = dict(snapshot)
        if not with_alerts and isinstance(frame.get("alerts"), dict):  # counts, not messages
            frame["alerts"] = {k: v for k, v in frame["alerts"].items() if k != "latest"}
        return frame

    def _read(self) -> dict[str, Any]:
        components, checked = self._health.get()
        at = now()
        statuses = {name: str(info.get("status", "down")) for name, info in components.items()}
        overall = "down" if "down" in statuses.values() else (
            "degraded" if "degraded" in statuses.values() else "ok")  # fmt: skip
        frame: dict[str, Any] = {
            "type": "metrics",
            "at": at.isoformat(),
            "interval_s": self.interval_s,
            "health": {
                "status": overall,
                "components": statuses,
                "checked_at": checked.isoformat(),
            },
        }
        try:
            frame |= self._database(at)
        except Exception as exc:
            log.warning("/ws/metrics: cannot read the database (%s)", exc)
            frame |= {"jobs": None, "tradeoffs": None, "alerts": None,
                      "error": "the database is unavailable"}  # fmt: skip
        return frame

    def _database(self, at: datetime) -> dict[str, Any]:
        with self.uow_factory() as uow:
            states = uow.jobs.count_by_state()
            last_minute = uow.jobs.finished_since(at - timedelta(minutes=1))
            last_five = uow.jobs.finished_since(at - timedelta(minutes=5))
            signals = uow.records.latest_signals(limit=2 * TREND_WINDOW)
            active = uow.alerts.count_by_severity(active=True)
            latest = uow.alerts.active(limit=LATEST_ALERTS)
        unfinished = {s: n for s, n in states.items() if JobState(s) not in _FINISHED and n}
        return {
            "jobs": {
                "active": unfinished,
                "active_total": sum(unfinished.values()),
                "finished_last_minute": last_minute,
                "finished_last_5_minutes": last_five,
                "per_minute": round(last_five / 5, 2),
            },
            "tradeoffs": trends(signals, TREND_WINDOW),
            "alerts": {
                "active": sum(active.values()),
                "by_severity": active,
                "latest": [alert_json(a) for a in latest],
            },
        }


def trends(newest_first: list[dict[str, float]], window: int) -> dict[str, Any]:
    """The mean of each score over the last ``window`` results, against the ``window`` before
    (``change`` = current − previous; None where either is empty)."""
    current, previous = newest_first[:window], newest_first[window : 2 * window]
    scores: dict[str, Any] = {}
    for name in SIGNAL_NAMES:
        now_mean = _mean([s[name] for s in current if name in s])
        before = _mean([s[name] for s in previous if name in s])
        change = None if now_mean is None or before is None else round(now_mean - before, 4)
        scores[name] = {"mean": now_mean, "previous": before, "change": change}
    return {
        "window": window,
        "jobs": len(current),
        "previous_jobs": len(previous),
        "scores": scores,
    }


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


async def close_quietly(websocket: Any, code: int, reason: str = "") -> None:
    with contextlib.suppress(Exception):
        await websocket.close(code=code, reason=reason.encode()[:120].decode(errors="ignore"))


__all__ = ["OVERFLOW", "AlertFeed", "LiveMetrics", "alert_json", "close_quietly", "trends"]
