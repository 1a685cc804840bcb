"""The pipeline's Prometheus metrics, derived from the database at scrape time.

Why not counters incremented where things happen: jobs complete in ``lto worker`` processes on
other machines, alerts fire in the monitor's, and there may be several API replicas. A counter
in this process would count only what this process did (and start again from zero whenever it
restarts). The database has seen everything, so each scrape asks it with a few cheap aggregate
queries: jobs by state (``count_by_state``, one GROUP BY), job durations (one aggregate over
the state changes that ended each run), alerts by severity and the outbox backlog. Every
replica reports the same totals, which is what a counter summed over replicas should not do:
scrape one replica for them, or use ``max by`` over replicas.

The totals only grow, as Prometheus counters must: a job is counted under the outcome its
pipeline run had (completed, anomaly flagged, failed, cancelled; rejected and blocked have
their own counters) and a flagged job's review (engineer_review, cleared, escalated) keeps it
counted as flagged. A job's duration runs from its submission to the first of those outcomes,
and never changes once it has one.

A scrape storm cannot load the database: the answer is kept ``cache_s`` seconds, and
concurrent scrapes wait for the one asking. A part that cannot be read (the database or the
broker down) is left out of the answer and ``lto_pipeline_metrics_up{source}`` says 0; the
scrape itself never fails.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from lto.atlas.alerts import Severity
from lto.atlas.lifecycle import JobState

if TYPE_CHECKING:
    from prometheus_client.core import Metric

    from lto.capricorn.api.services import ApiServices

log = logging.getLogger(__name__)

DURATION_BUCKETS = (1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0)
S = JobState
# the outcome a job's pipeline run had, whatever state it is in now
OUTCOME_OF: dict[JobState, str] = {
    S.COMPLETED: "completed",
    S.ANOMALY_FLAGGED: "anomaly_flagged",
    S.ENGINEER_REVIEW: "anomaly_flagged",
    S.CLEARED: "anomaly_flagged",
    S.ESCALATED: "anomaly_flagged",
    S.FAILED: "failed",
    S.CANCELLED: "cancelled",
}
OUTCOMES = ("completed", "anomaly_flagged", "failed", "cancelled")


class PipelineCollector:
    """A prometheus_client custom collector over the API's services (see the module's doc)."""

    def __init__(
        self,
        services: ApiServices,
        *,
        cache_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = services
        self.cache_s = cache_s
        self.clock = clock
        self._lock = threading.Lock()
        self._cached: list[Metric] | None = None
        self._at = 0.0

    def describe(self) -> Iterable[Metric]:
        """The families without samples: registering the collector asks nothing of the
        database."""
        return [family for _, family in _families()]

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            now = self.clock()
            if self._cached is None or now - self._at >= self.cache_s:
                self._cached = self._gather()
                self._at = now
            return list(self._cached)

    def _gather(self) -> list[Metric]:
        up = dict(_families())["lto_pipeline_metrics_up"]
        found: list[Metric] = []
        for source, read in (("database", self._database), ("broker", self._broker),
                             ("model_store", self._drift)):  # fmt: skip
            try:
                found += read()
            except Exception as exc:  # a scrape reports what it could read, never fails
                log.warning("metrics: could not read the %s: %s", source, exc)
                up.add_metric([source], 0.0)
            else:
                up.add_metric([source], 1.0)
        return [*found, up]

    def _database(self) -> list[Metric]:
        with self.services.uow() as uow:
            states = uow.jobs.count_by_state()
            durations = uow.jobs.durations(DURATION_BUCKETS)
            fired = uow.alerts.count_by_severity()
            active = uow.alerts.count_by_severity(active=True)
            backlog = uow.records.outbox_backlog()
        families = dict(_families())
        submitted, completed = families["lto_jobs_submitted"], families["lto_jobs_completed"]
        submitted.add_metric([], float(sum(states.values())))
        outcomes = dict.fromkeys(OUTCOMES, 0)
        for state, count in states.items():
            outcome = OUTCOME_OF.get(JobState(state))
            if outcome is not None:
                outcomes[outcome] += count
        for outcome, count in outcomes.items():
            completed.add_metric([outcome], float(count))
        families["lto_jobs_blocked"].add_metric([], float(states.get(S.BLOCKED.value, 0)))
        families["lto_jobs_rejected"].add_metric([], float(states.get(S.REJECTED.value, 0)))
        for state in JobState:
            count = states.get(state.value, 0)
            families["lto_jobs_in_state"].add_metric([state.value], float(count))
        buckets = [
            (_le(bound), float(n))
            for bound, n in zip(durations.bounds, durations.cumulative, strict=True)
        ]
        families["lto_job_duration_seconds"].add_metric(
            [], [*buckets, ("+Inf", float(durations.count))], durations.sum_s
        )
        for severity in Severity:
            name = severity.value
            families["lto_alert_fired"].add_metric([name], float(fired.get(name, 0)))
            families["lto_alerts_active"].add_metric([name], float(active.get(name, 0)))
        families["lto_outbox_backlog"].add_metric([], float(backlog))
        names = (
            "lto_jobs_submitted", "lto_jobs_completed", "lto_jobs_blocked", "lto_jobs_rejected",
            "lto_jobs_in_state", "lto_job_duration_seconds", "lto_alert_fired",
            "lto_alerts_active", "lto_outbox_backlog",
        )  # fmt: skip
        return [families[name] for name in names]

    def _broker(self) -> list[Metric]:
        health = self.services.broker.health()
        queues = health.get("queues") or {}
        if health.get("status") != "ok" and not queues:
            raise RuntimeError(str(health.get("error") or health.get("status")))
        depth = dict(_families())["lto_queue_depth"]
        for queue, count in sorted(queues.items()):
            depth.add_metric([str(queue)], float(count))
        return [depth]

    def _drift(self) -> list[Metric]:
        psi = self.services.drift_psi()
        if psi is None:
            return []
        family = dict(_families())["lto_model_drift_psi"]
        family.add_metric([], float(psi))
        return [family]


def _le(bound: float) -> str:
    return f"{bound:g}" if bound != int(bound) else f"{bound:.1f}"


def _families() -> list[tuple[Any, Any]]:
    """Fresh, empty metric families by name (each scrape fills its own)."""
    from prometheus_client.core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
    )

    made = [
        CounterMetricFamily("lto_jobs_submitted", "Jobs accepted and stored (all states)"),
        CounterMetricFamily(
            "lto_jobs_completed",
            "Jobs whose pipeline run ended, by outcome (a reviewed job stays anomaly_flagged)",
            labels=["state"],
        ),
        CounterMetricFamily("lto_jobs_blocked", "Jobs pre-flight blocked"),
        CounterMetricFamily("lto_jobs_rejected", "Jobs rejected by the contract or the policy"),
        GaugeMetricFamily("lto_jobs_in_state", "Jobs in each state now", labels=["state"]),
        HistogramMetricFamily(
            "lto_job_duration_seconds",
            "Time from a job's submission to its pipeline outcome (completed, flagged, failed, "
            "rejected, blocked, cancelled)",
        ),
        CounterMetricFamily("lto_alert_fired", "Alerts fired, by severity", labels=["severity"]),
        GaugeMetricFamily(
            "lto_alerts_active", "Alerts not yet acknowledged, by severity", labels=["severity"]
        ),
        GaugeMetricFamily("lto_outbox_backlog", "Events in the outbox not yet published"),
        GaugeMetricFamily(
            "lto_queue_depth", "Messages ready in each broker queue", labels=["queue"]
        ),
        GaugeMetricFamily(
            "lto_model_drift_psi",
            "Worst population stability index of the last drift report on the current surrogate",
        ),
        GaugeMetricFamily(
            "lto_pipeline_metrics_up",
            "Whether the last scrape could read each source of the pipeline's metrics (1) or not",
            labels=["source"],
        ),
    ]
    return [(family.name, family) for family in made]


__all__ = ["DURATION_BUCKETS", "OUTCOMES", "PipelineCollector"]
