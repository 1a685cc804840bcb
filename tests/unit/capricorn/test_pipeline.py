"""The job pipeline end to end on fakes: submit → validate → pre-flight → queue → the worker's
handler → evaluation, and cancel, review, redelivery and poison messages."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from lto.atlas.errors import IllegalTransition, InvalidValue
from lto.atlas.lifecycle import JobState
from lto.capricorn.adapters.memory_broker import InMemoryBroker
from lto.capricorn.ports import SIMULATIONS, Message, Poison, StopSignal
from lto.capricorn.service.commands import AcknowledgeAlert, CancelJob, ReviewJob, SubmitJob
from lto.capricorn.service.handlers import InvalidJob, NotFound
from lto.capricorn.service.messagebus import MessageBus, request_unfinished
from lto.capricorn.service.outbox import OutboxRelay
from lto.capricorn.service.preflight import NoSurrogate, Preflight
from lto.capricorn.service.simulation import SimulationHandler
from lto.capricorn.service.unit_of_work import UnitOfWork
from lto.daedalus.dataset import result_row
from tests.unit.capricorn.doubles import FixedSurrogate, InstantSimulator, prediction
from tests.unit.capricorn.fakes import FakeUnitOfWork, Store
from tests.unit.capricorn.jobs import job_fields


class Pipeline:
    def __init__(self, surrogate: object | None = None, alternative: object = None) -> None:
        self.store = Store()
        self.simulator = InstantSimulator()
        self.broker = InMemoryBroker()
        self.searched: list[object] = []

        def provide() -> object:
            if surrogate is None:
                raise NoSurrogate("no model trained yet")
            return surrogate

        def search(job: object, constraints: object) -> object:
            self.searched.append(constraints)
            return alternative

        self.bus = MessageBus(self.uow, Preflight(provide, alternatives=search))
        self.relay = OutboxRelay(self.uow, self.broker)
        self.handler = SimulationHandler(self.uow, self.simulator, worker_id="w1",
                                         training_row=result_row)  # fmt: skip

    def uow(self) -> UnitOfWork:
        return FakeUnitOfWork(self.store)

    def submit(self, **changes: object) -> str:
        return self.bus.handle(SubmitJob(job_fields(**changes))).job_id

    def work(self) -> int:
        """Relay the outbox and run every queued request; the number handled."""
        self.relay.drain()
        handled = 0
        while self.broker.depth(SIMULATIONS):
            stop = StopSignal()

            def once(message: Message, stop: StopSignal = stop) -> None:
                stop.stop()
                self.handler(message)

            self.broker.consume(SIMULATIONS, once, stop=stop)
            handled += 1
        return handled

    def job(self, job_id: str):  # type: ignore[no-untyped-def]
        with self.uow() as uow:
            return uow.jobs.get(job_id)


def test_a_job_goes_from_submit_to_completed_with_every_step_audited() -> None:
    pipeline = Pipeline(FixedSurrogate())
    job_id = pipeline.submit()
    assert pipeline.job(job_id).state is JobState.QUEUED
    assert pipeline.work() == 1
    job = pipeline.job(job_id)
    assert job.state is JobState.COMPLETED
    assert [c.state for c in job.history] == [
        JobState.SUBMITTED, JobState.VALIDATING, JobState.PREFLIGHT, JobState.QUEUED,
        JobState.RUNNING, JobState.EVALUATING, JobState.COMPLETED,
    ]  # fmt: skip
    assert job.prediction["model_version"] == "surrogate-v1"
    assert job.evaluation["scores"]["yield_risk"]["within"] == 1.0
    with pipeline.uow() as uow:
        actions = [entry.action for entry in uow.records.audit("job", job_id)]
        assert uow.records.result(job_id).result["cd_nm"] == 90.0
        assert [row.job_id for row in uow.records.buffer()] == [job_id]
        assert len(uow.records.predictions(job_id=job_id)) == 1
    assert actions.count("JobStateChanged") == 6
    assert {"JobSubmitted", "SimulationRequested", "SimulationStarted", "SimulationCompleted",
            "JobCompleted"} <= set(actions)  # fmt: skip


def test_a_malformed_job_is_refused_with_every_field_and_nothing_stored() -> None:
    pipeline = Pipeline()
    with pytest.raises(InvalidJob) as caught:
        pipeline.bus.handle(SubmitJob(job_fields(na=-1, sigma=3, dose_mj=30)))
    fields = {field for field, _ in caught.value.reasons}
    assert fields == {"na", "sigma", "dose_mj"}
    assert pipeline.store.jobs == {}
    assert pipeline.store.outbox == []


def test_a_job_breaking_its_profile_is_rejected_with_every_reason() -> None:
    pipeline = Pipeline(FixedSurrogate())
    job_id = pipeline.submit(na=0.95, pitch_nm=100.0, target_cd_nm=50.0, grid_size_nm=60.0)
    job = pipeline.job(job_id)
    assert job.state is JobState.REJECTED
    assert {v.field for v in job.rejection} >= {"pitch_nm", "grid_size_nm"}
    assert pipeline.work() == 0


def test_preflight_blocks_a_confidently_bad_job_with_an_alternative() -> None:
    from tests.unit.capricorn.jobs import a_job

    better = a_job(dose_mj_cm2=33.0)
    pipeline = Pipeline(FixedSurrogate(prediction(yield_risk=0.9)), alternative=better)
    job = pipeline.job(pipeline.submit())
    assert job.state is JobState.BLOCKED
    assert "yield_risk" in job.blocked_reason
    assert job.alternative["dose_mj_cm2"] == 33.0
    assert pipeline.searched == [[("yield_risk", "<=", 0.5), ("overall_health", ">=", 0.3)]]
    assert pipeline.work() == 0


def test_an_uncertain_prediction_recommends_the_physics_instead_of_blocking() -> None:
    pipeline = Pipeline(FixedSurrogate(prediction(yield_risk=0.9, uncertain=True)))
    job = pipeline.job(pipeline.submit())
    assert job.state is JobState.QUEUED
    assert "uncertain" in job.preflight_note
    assert "physics decides" in job.preflight_note


def test_without_a_surrogate_preflight_says_so_and_lets_the_job_through() -> None:
    pipeline = Pipeline(surrogate=None)
    job = pipeline.job(pipeline.submit())
    assert job.state is JobState.QUEUED
    assert "no surrogate" in job.preflight_note
    assert job.prediction is None
    pipeline.work()
    assert pipeline.job(job.id).state is JobState.COMPLETED


def test_physics_outside_the_predicted_interval_flags_an_anomaly_and_an_alert() -> None:
    pipeline = Pipeline(FixedSurrogate())
    job_id = pipeline.submit(metadata={"resolution_vs_dof": 0.2})
    pipeline.work()
    job = pipeline.job(job_id)
    assert job.state is JobState.ANOMALY_FLAGGED
    assert job.evaluation["anomalous"] == ["resolution_vs_dof"]
    with pipeline.uow() as uow:
        alerts = uow.alerts.active()
    assert [a.job_id for a in alerts] == [job_id]
    assert "resolution vs depth of focus: physics" in alerts[0].message  # in words
    pipeline.bus.handle(ReviewJob(job_id, "escalate", "carol", "real: the pupil fill is wrong"))
    reviewed = pipeline.job(job_id)
    assert reviewed.state is JobState.ESCALATED
    assert reviewed.reviewed_by == "carol"
    with pipeline.uow() as uow:  # the review answered the job's alert
        assert uow.alerts.active() == []
        assert uow.alerts.get(alerts[0].id).acknowledged_by == "carol"  # type: ignore[union-attr]


def test_an_alert_is_acknowledged_by_someone_named() -> None:
    pipeline = Pipeline(FixedSurrogate())
    pipeline.submit(metadata={"resolution_vs_dof": 0.2})
    pipeline.work()
    with pipeline.uow() as uow:
        alert = uow.alerts.active()[0]
    with pytest.raises(InvalidValue, match="acknowledged_by"):
        pipeline.bus.handle(AcknowledgeAlert(alert.id, "  "))
    pipeline.bus.handle(AcknowledgeAlert(alert.id, "carol"))


def test_a_simulation_failure_fails_the_job_with_the_simulators_words() -> None:
    pipeline = Pipeline(FixedSurrogate())
    job_id = pipeline.submit(metadata={"fail": "licence server unreachable"})
    pipeline.work()
    job = pipeline.job(job_id)
    assert job.state is JobState.FAILED
    assert "licence server unreachable" in job.error


def test_cancel_while_queued_and_the_request_then_does_nothing() -> None:
    pipeline = Pipeline(FixedSurrogate())
    job_id = pipeline.submit()
    pipeline.bus.handle(CancelJob(job_id, "alice"))
    assert pipeline.work() == 1
    assert pipeline.job(job_id).state is JobState.CANCELLED
    assert pipeline.simulator.runs == []
    with pytest.raises(IllegalTransition):
        pipeline.bus.handle(CancelJob(job_id, "alice"))
    with pytest.raises(NotFound):
        pipeline.bus.handle(CancelJob("job-nope", "alice"))


def test_a_redelivered_request_has_one_effect() -> None:
    pipeline = Pipeline(FixedSurrogate())
    job_id = pipeline.submit()
    pipeline.relay.drain()
    taken: list[Message] = []
    stop = StopSignal()
    pipeline.broker.consume(SIMULATIONS, lambda m: (taken.append(m), stop.stop()), stop=stop)
    pipeline.handler(taken[0])
    pipeline.handler(taken[0])  # the broker delivered it again (the ack was lost)
    assert pipeline.simulator.runs == [job_id]
    with pipeline.uow() as uow:
        assert len(uow.records.buffer()) == 1


def test_a_job_whose_worker_died_is_taken_over_and_completed_once() -> None:
    pipeline = Pipeline(FixedSurrogate())
    job_id = pipeline.submit()
    pipeline.relay.drain()
    with pipeline.uow() as uow:  # worker w0 claimed it, then died
        job = uow.jobs.get(job_id)
        job.start("w0")
        uow.commit()
    assert pipeline.work() == 1
    job = pipeline.job(job_id)
    assert job.state is JobState.COMPLETED
    assert job.attempts == 2
    assert job.worker_id == "w1"
    assert pipeline.simulator.runs == [job_id]


def test_lost_embedded_requests_are_asked_for_again() -> None:
    pipeline = Pipeline(FixedSurrogate())
    job_id = pipeline.submit()
    pipeline.relay.drain()
    pipeline.broker = InMemoryBroker()  # the process (and its in-memory broker) died
    pipeline.relay = OutboxRelay(pipeline.uow, pipeline.broker)
    assert request_unfinished(pipeline.uow) == 1
    assert pipeline.work() == 1
    assert pipeline.job(job_id).state is JobState.COMPLETED


@pytest.mark.parametrize(
    ("key", "body"),
    [("SimulationRequested", b"{not json"), ("JobSubmitted", b"{}"),
     ("SimulationRequested", json.dumps({"job_id": "job-x", "parameters": {}, "priority": 5,
      "event_id": "ev-1", "occurred_at": "2026-12-03T00:00:00+00:00"}).encode())],
)  # fmt: skip
def test_poison_messages_are_refused(key: str, body: bytes) -> None:
    pipeline = Pipeline()
    with pytest.raises(Poison):
        pipeline.handler(Message("m-1", key, body))


def test_a_failure_after_the_state_change_rolls_back_its_outbox_rows() -> None:
    pipeline = Pipeline(FixedSurrogate())
    job_id = pipeline.submit()
    before = len(pipeline.store.outbox)
    failing: Callable[[], UnitOfWork] = pipeline.uow
    with pytest.raises(RuntimeError), failing() as uow:  # noqa: PT012 - the failure inside the unit of work is the point
        uow.jobs.get(job_id).cancel("alice")
        raise RuntimeError("disk full")
    assert len(pipeline.store.outbox) == before
    assert pipeline.job(job_id).state is JobState.QUEUED


def test_fem_images_are_stored_block_averaged_with_their_pixel_size() -> None:
    import io
    from types import SimpleNamespace

    import numpy as np

    from lto.capricorn.service.simulation import FEM_IMAGE_PIXELS, _images

    image = np.random.default_rng(1).random((1000, 600))
    fem = SimpleNamespace(
        focus_nm=[-50.0, 0.0], dose_mj_cm2=[40.0], cd_nm=[[90.0], [91.0]],
        images={0.0: image, -50.0: image * 0.5},
    )  # fmt: skip
    out = _images(SimpleNamespace(nominal_image=image, fem=fem), pixel_nm=0.5)
    stored = np.load(io.BytesIO(out["fem.npz"]))
    assert max(stored["images"].shape[1:]) <= FEM_IMAGE_PIXELS
    assert float(stored["image_pixel_nm"]) == 0.5 * 4  # 1000 px / 256 → blocks of 4
    assert np.isclose(stored["images"][1].mean(), image.mean(), rtol=1e-3)  # intensity kept
    aerial = np.load(io.BytesIO(out["aerial.npy"]))
    assert aerial.shape == image.shape
    assert aerial.dtype == np.float32
