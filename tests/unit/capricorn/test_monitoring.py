"""The monitoring loop on fakes: counts and health, one alert per source while it is active,
drift judged by the injected check."""

from __future__ import annotations

from typing import Any

from lto.atlas.lifecycle import Job
from lto.capricorn.adapters.memory_broker import InMemoryBroker
from lto.capricorn.repositories import PredictionRecord
from lto.capricorn.service.monitoring import Monitor, Thresholds
from tests.unit.capricorn.doubles import prediction
from tests.unit.capricorn.fakes import FakeUnitOfWork, Store
from tests.unit.capricorn.jobs import a_job


def uow_on(store: Store) -> Any:
    return lambda: FakeUnitOfWork(store)


def test_a_tick_reports_health_counts_and_backlog() -> None:
    store = Store()
    with FakeUnitOfWork(store) as uow:
        uow.jobs.add(Job(a_job()))
        uow.commit()
    report = Monitor(uow_on(store), InMemoryBroker()).tick()
    assert report.healthy
    assert report.jobs_by_state == {"submitted": 1}
    assert report.outbox_backlog == 1
    assert report.queue_depth == 0
    assert report.alerts_fired == []
    assert report.to_json()["components"]["broker"]["status"] == "ok"


def test_an_unavailable_broker_fires_one_critical_alert_until_acknowledged() -> None:
    store, broker = Store(), InMemoryBroker()
    broker.close()
    monitor = Monitor(uow_on(store), broker)
    first = monitor.tick()
    assert not first.healthy
    assert first.alerts_fired == ["health:broker"]
    assert monitor.tick().alerts_fired == []  # still active: not again
    with FakeUnitOfWork(store) as uow:
        (alert,) = uow.alerts.active()
        assert alert.severity.value == "critical"
        alert.acknowledge("ops")
        uow.commit()
    assert monitor.tick().alerts_fired == ["health:broker"]


def test_backlogs_above_their_thresholds_fire_alerts() -> None:
    store = Store()
    with FakeUnitOfWork(store) as uow:
        for _ in range(3):
            uow.jobs.add(Job(a_job()))
        uow.commit()
    monitor = Monitor(uow_on(store), InMemoryBroker(), thresholds=Thresholds(max_outbox_backlog=2))
    assert monitor.tick().alerts_fired == ["backlog:outbox"]


def test_drift_is_judged_on_recent_predictions_and_alerts_above_the_threshold() -> None:
    store = Store()
    from datetime import UTC, datetime

    with FakeUnitOfWork(store) as uow:
        for i in range(3):
            uow.records.add_prediction(
                PredictionRecord(
                    f"p{i}",
                    datetime.now(UTC),
                    "surrogate-v1",
                    a_job().model_dump(mode="json"),
                    prediction().model_dump(mode="json"),
                    False,
                )
            )
        uow.commit()
    seen: list[int] = []

    def drift(pairs: list[Any]) -> tuple[float, str]:
        seen.append(len(pairs))
        return (0.35, "input pitch_nm")

    report = Monitor(uow_on(store), InMemoryBroker(), drift=drift).tick()
    assert seen == [3]
    assert report.drift == (0.35, "input pitch_nm")
    assert report.alerts_fired == ["drift"]
    with FakeUnitOfWork(store) as uow:
        assert "retrain" in uow.alerts.active()[0].message


def test_dead_lettered_requests_fire_one_critical_alert() -> None:
    from lto.capricorn.ports import SIMULATIONS, Message, Poison, StopSignal

    store, broker = Store(), InMemoryBroker()
    broker.declare()
    broker.publish([Message("m-garbage", "SimulationRequested", b"{not json")])
    stop = StopSignal()

    def poisoned(message: Message) -> None:
        stop.stop()
        raise Poison("not JSON")

    broker.consume(SIMULATIONS, poisoned, stop=stop)
    monitor = Monitor(uow_on(store), broker)
    report = monitor.tick()
    assert report.dead_letters == 1
    assert report.alerts_fired == ["dead-letters"]
    assert report.to_json()["dead_letters"] == 1
    with FakeUnitOfWork(store) as uow:
        (alert,) = uow.alerts.active()
    assert alert.severity.value == "critical"
    assert "lto.simulations.dead" in alert.message
    assert monitor.tick().alerts_fired == []  # once while it is active
