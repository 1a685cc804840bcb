"""Alerts: something an engineer must look at (an anomalous job, drift, an unhealthy
component), fired once and acknowledged once."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from lto.atlas.aggregate import Aggregate
from lto.atlas.errors import InvalidValue, InvariantViolated
from lto.atlas.events import AlertAcknowledged, AlertFired
from lto.atlas.identity import new_id


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Alert(Aggregate):
    def __init__(
        self,
        severity: Severity | str,
        source: str,
        message: str,
        *,
        job_id: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__()
        self.id = id or new_id("alert")
        self.severity = Severity(severity)
        self.source, self.message, self.job_id = source, message, job_id
        self.fired_at = datetime.now(UTC)
        self.acknowledged_by: str | None = None
        self.acknowledged_at: datetime | None = None
        self.version = 0
        self.record(
            AlertFired(
                alert_id=self.id, severity=self.severity.value, source=source, message=message
            )
        )

    @classmethod
    def restore(
        cls,
        *,
        id: str,
        severity: str,
        source: str,
        message: str,
        job_id: str | None,
        fired_at: datetime,
        acknowledged_by: str | None,
        acknowledged_at: datetime | None,
        version: int,
    ) -> Alert:
        alert = cls.__new__(cls)
        Aggregate.__init__(alert)
        alert.id, alert.severity, alert.source = id, Severity(severity), source
        alert.message, alert.job_id, alert.fired_at = message, job_id, fired_at
        alert.acknowledged_by, alert.acknowledged_at = acknowledged_by, acknowledged_at
        alert.version = version
        return alert

    @property
    def active(self) -> bool:
        return self.acknowledged_at is None

    def acknowledge(self, by: str) -> None:
        if not by.strip():
            raise InvalidValue("acknowledged_by", "must name who acknowledges it", by)
        by = by.strip()
        if not self.active:
            raise InvariantViolated(
                f"alert {self.id} was already acknowledged by {self.acknowledged_by}"
            )
        self.acknowledged_by, self.acknowledged_at = by, datetime.now(UTC)
        self.record(AlertAcknowledged(alert_id=self.id, acknowledged_by=by))


__all__ = ["Alert", "Severity"]
