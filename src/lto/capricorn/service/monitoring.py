"""The monitoring loop (every 30 s by default, in the worker or in `lto scheduler`): health of
the database and the broker, throughput, backlog, and drift of recent jobs and predictions
against the production surrogate's training data. Crossing a threshold fires one alert per
source; it is not fired again while that alert is still active (unacknowledged).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lto.atlas.alerts import Alert, Severity
from lto.atlas.contracts import JobParameters, TradeoffPrediction
from lto.capricorn.ports import SIMULATIONS, Broker, dead_letter_queue
from lto.capricorn.service.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)

# (predictions as (parameters, prediction) pairs) → (worst PSI beyond noise, what drifted); None
# when drift cannot be judged (no surrogate, too few jobs)
DriftCheck = Callable[[list[tuple[JobParameters, TradeoffPrediction]]], tuple[float, str] | None]


@dataclass(frozen=True)
class Thresholds:
    max_queue_depth: int = 1000
    max_outbox_backlog: int = 1000
    max_drift_psi: float = 0.2
    drift_window: timedelta = timedelta(hours=24)


@dataclass
class MonitorReport:
    at: datetime
    components: dict[str, dict[str, Any]]
    jobs_per_minute: int
    queue_depth: int | None
    outbox_backlog: int | None
    jobs_by_state: dict[str, int]
    drift: tuple[float, str] | None
    alerts_fired: list[str] = field(default_factory=list)
    dead_letters: int | None = None  # messages no worker could handle (lto.simulations.dead)

    @property
    def healthy(self) -> bool:
        return all(c.get("status") == "ok" for c in self.components.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "healthy": self.healthy,
            "components": self.components,
            "jobs_per_minute": self.jobs_per_minute,
            "queue_depth": self.queue_depth,
            "dead_letters": self.dead_letters,
            "outbox_backlog": self.outbox_backlog,
            "jobs_by_state": self.jobs_by_state,
            "drift": None if self.drift is None else {"psi": self.drift[0], "what": self.drift[1]},
            "alerts_fired": self.alerts_fired,
        }


class Monitor:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        broker: Broker,
        *,
        drift: DriftCheck | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.broker = broker
        self.drift = drift
        self.thresholds = thresholds or Thresholds()

    def tick(self) -> MonitorReport:
        now = datetime.now(UTC)
        components: dict[str, dict[str, Any]] = {}
        per_minute, backlog, states, recent = 0, None, {}, []
        try:
            with self.uow_factory() as uow:
                per_minute = uow.jobs.finished_since(now - timedelta(minutes=1))
                backlog = uow.records.outbox_backlog()
                states = uow.jobs.count_by_state()
                recent = uow.records.predictions(
                    since=now - self.thresholds.drift_window, limit=5000
                )
            components["database"] = {"status": "ok"}
        except Exception as exc:
            components["database"] = {"status": "unavailable", "error": str(exc)[:300]}
        components["broker"] = self.broker.health()
        depth = dead = None
        if components["broker"].get("status") == "ok":
            try:
                depth = self.broker.depth(SIMULATIONS)
                dead = self.broker.depth(dead_letter_queue(SIMULATIONS))
            except Exception as exc:
                components["broker"] = {"status": "unavailable", "error": str(exc)[:300]}
        drift = self._drift(recent)
        report = MonitorReport(now, components, per_minute, depth, backlog, states, drift)
        report.dead_letters = dead
        if components["database"]["status"] == "ok":
            report.alerts_fired = self._alert(report)
        return report

    def _drift(self, recent: list[Any]) -> tuple[float, str] | None:
        if self.drift is None or not recent:
            return None
        pairs = []
        for record in recent:
            try:
                pairs.append(
                    (
                        JobParameters.model_validate(record.parameters),
                        TradeoffPrediction.model_validate(record.prediction),
                    )
                )
            except ValueError:
                continue
        try:
            return self.drift(pairs)
        except Exception:
            log.exception("monitoring: the drift check failed")
            return None

    def _alert(self, report: MonitorReport) -> list[str]:
        t = self.thresholds
        wanted: list[tuple[str, Severity, str]] = []
        for name, component in report.components.items():
            if component.get("status") != "ok":
                wanted.append(
                    (
                        f"health:{name}",
                        Severity.CRITICAL,
                        f"{name} unavailable: {component.get('error', 'no answer')}",
                    )
                )
        if report.queue_depth is not None and report.queue_depth > t.max_queue_depth:
            wanted.append(
                (
                    "backlog:queue",
                    Severity.WARNING,
                    f"{report.queue_depth} simulation requests wait in the queue "
                    f"(threshold {t.max_queue_depth}): add workers",
                )
            )
        if report.dead_letters:
            wanted.append(
                (
                    "dead-letters",
                    Severity.CRITICAL,
                    f"{report.dead_letters} simulation requests no worker could handle are in "
                    f"{dead_letter_queue(SIMULATIONS)} (malformed, or for unknown jobs): "
                    "inspect them, then purge the queue",
                )
            )
        if report.outbox_backlog is not None and report.outbox_backlog > t.max_outbox_backlog:
            wanted.append(
                (
                    "backlog:outbox",
                    Severity.WARNING,
                    f"{report.outbox_backlog} events wait in the outbox (threshold "
                    f"{t.max_outbox_backlog}): is the broker reachable?",
                )
            )
        if report.drift is not None and report.drift[0] > t.max_drift_psi:
            wanted.append(
                (
                    "drift",
                    Severity.WARNING,
                    f"drift: PSI {report.drift[0]:.2f} beyond noise on {report.drift[1]} "
                    f"(threshold {t.max_drift_psi:g}): retrain the surrogate",
                )
            )
        fired = []
        with self.uow_factory() as uow:
            for source, severity, message in wanted:
                if uow.alerts.active_from(source):
                    continue
                uow.alerts.add(Alert(severity, source, message))
                fired.append(source)
            uow.commit()
        return fired

    def run(
        self,
        stop: threading.Event,
        *,
        interval_s: float = 30.0,
        report: Callable[[MonitorReport], None] | None = None,
    ) -> None:
        while not stop.is_set():
            try:
                result = self.tick()
                if report is not None:
                    report(result)
            except Exception:
                log.exception("monitoring: a tick failed")
            stop.wait(interval_s)


__all__ = ["DriftCheck", "Monitor", "MonitorReport", "Thresholds"]
