from __future__ import annotations

import json

import pytest

from lto.atlas import UnknownName
from lto.atlas.events import (
    AlertAcknowledged,
    AlertFired,
    AnomalyFlagged,
    DomainEvent,
    DriftDetected,
    JobBlocked,
    JobRejected,
    JobSubmitted,
    ModelPromoted,
    ModelRolledBack,
    ModelTrained,
    OptimizationCompleted,
    SimulationCompleted,
    SimulationFailed,
    SimulationRequested,
    event_from_payload,
)

DESIGNED = {
    "JobSubmitted",
    "JobRejected",
    "JobBlocked",
    "SimulationRequested",
    "SimulationCompleted",
    "SimulationFailed",
    "AnomalyFlagged",
    "AlertFired",
    "AlertAcknowledged",
    "DriftDetected",
    "ModelTrained",
    "ModelPromoted",
    "ModelRolledBack",
    "OptimizationCompleted",
}

SAMPLES: list[DomainEvent] = [
    JobSubmitted(job_id="j", submitted_by="ana", parameters={"na": 1.35}),
    JobRejected(job_id="j", reasons=(("pitch_nm", "below limit"), ("na", "too high"))),
    JobBlocked(job_id="j", reason="yield", alternative={"dose_mj_cm2": 31.0}),
    SimulationRequested(job_id="j", parameters={"na": 1.35}, priority=7),
    SimulationCompleted(job_id="j", result={"cd_nm": 40.1}),
    SimulationFailed(job_id="j", error="timeout"),
    AnomalyFlagged(job_id="j", signals=("yield_risk",), detail="outside interval"),
    AlertFired(alert_id="a", severity="critical", source="drift", message="PSI 0.31"),
    AlertAcknowledged(alert_id="a", acknowledged_by="ana"),
    DriftDetected(model_name="ens", feature="na", psi=0.31, band="significant"),
    ModelTrained(model_name="ens", version="3", metrics={"coverage": 0.951}),
    ModelPromoted(model_name="ens", version="3", previous_version="2"),
    ModelRolledBack(model_name="ens", from_version="3", to_version="2"),
    OptimizationCompleted(
        optimization_id="o", best_parameters={"dose_mj_cm2": 29.5}, best_values=(0.91, 0.12)
    ),
]


def test_the_designed_events_all_exist() -> None:
    assert set(DomainEvent.registry) >= DESIGNED


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.name)
def test_events_survive_the_outbox_as_json(event: DomainEvent) -> None:
    text = json.dumps(event.to_payload())
    assert event_from_payload(event.name, json.loads(text)) == event


def test_events_are_immutable_and_unique() -> None:
    a, b = SAMPLES[0], JobSubmitted(job_id="j", submitted_by="ana", parameters={"na": 1.35})
    assert a.event_id != b.event_id
    with pytest.raises(AttributeError):
        a.job_id = "other"  # type: ignore[misc]


def test_unknown_event_names_are_refused() -> None:
    with pytest.raises(UnknownName, match="domain event"):
        event_from_payload("JobExploded", {})
