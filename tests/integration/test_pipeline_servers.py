"""The job pipeline on the machine's real PostgreSQL and RabbitMQ: a worker killed mid-job
leaves the job to be completed once by another; SIGTERM finishes the job in hand; with
RabbitMQ stopped, submitted jobs are kept and all published once it is back; poison messages
end in the dead-letter queue. These fail, never skip, when a server is down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from lto.atlas.lifecycle import JobState
from lto.capricorn.adapters import orm
from lto.capricorn.adapters.database import make_engine
from lto.capricorn.adapters.rabbitmq import RabbitMqBroker
from lto.capricorn.adapters.sql_unit_of_work import SqlUnitOfWork
from lto.capricorn.ports import (
    SIMULATIONS,
    BrokerUnavailable,
    Message,
    StopSignal,
    dead_letter_queue,
)
from lto.capricorn.service.commands import SubmitJob
from lto.capricorn.service.messagebus import MessageBus
from lto.capricorn.service.monitoring import Monitor
from lto.capricorn.service.outbox import OutboxRelay
from lto.capricorn.service.preflight import NoSurrogate, Preflight
from lto.capricorn.service.simulation import SimulationHandler
from lto.daedalus.dataset import result_row
from tests.integration.databases import AMQP, fresh_database
from tests.unit.capricorn.doubles import InstantSimulator
from tests.unit.capricorn.jobs import job_fields

REPO = Path(__file__).resolve().parents[2]


class Servers:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self.namespace = f"test-{uuid.uuid4().hex[:10]}-"
        self.broker = RabbitMqBroker(AMQP, namespace=self.namespace)
        self.broker.declare()

        def no_surrogate() -> object:
            raise NoSurrogate("none in these tests")

        self.bus = MessageBus(self.uow, Preflight(no_surrogate))
        self.relay = OutboxRelay(self.uow, self.broker)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    def submit(self, **metadata: object) -> str:
        return self.bus.handle(SubmitJob(job_fields(metadata=metadata))).job_id

    def job(self, job_id: str):  # type: ignore[no-untyped-def]
        with self.uow() as uow:
            return uow.jobs.get(job_id)

    def count(self, table: object) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(table)).scalar_one())

    def worker(self, name: str) -> subprocess.Popen[str]:
        env = {
            **os.environ,
            "LTO_IT_DATABASE": self.url,
            "LTO_IT_AMQP": AMQP,
            "LTO_IT_NAMESPACE": self.namespace,
            "LTO_IT_WORKER": name,
            "PYTHONPATH": str(REPO),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.pipeline_worker"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        return process


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    with fresh_database("postgresql", tmp_path) as url:
        made = Servers(url)
        yield made
        made.broker.delete_declared()
        made.broker.close()
        made.engine.dispose()


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout:g} s")
        time.sleep(0.1)


def stop(process: subprocess.Popen[str]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


def test_a_worker_killed_mid_job_leaves_it_to_another_who_completes_it_once(
    servers: Servers,
) -> None:
    job_id = servers.submit(sleep_s=3)
    servers.relay.drain()
    first = servers.worker("worker-a")
    try:
        wait_for(lambda: servers.job(job_id).state is JobState.RUNNING)
        first.kill()  # SIGKILL: no goodbye, the broker redelivers the unacked request
        first.wait(timeout=30)
        second = servers.worker("worker-b")
        try:
            wait_for(lambda: servers.job(job_id).state is JobState.COMPLETED)
        finally:
            assert stop(second) == 0
    finally:
        if first.poll() is None:
            first.kill()
    job = servers.job(job_id)
    assert (job.attempts, job.worker_id) == (2, "worker-b")
    assert servers.count(orm.job_results) == 1
    assert servers.count(orm.training_buffer) == 1
    assert servers.count(orm.processed_messages) == 1
    with servers.uow() as uow:
        started = [
            e.actor for e in uow.records.audit("job", job_id) if e.action == "SimulationStarted"
        ]
    assert started == ["worker-a", "worker-b"]


def test_sigterm_finishes_the_job_in_hand_then_stops(servers: Servers) -> None:
    job_id = servers.submit(sleep_s=2)
    servers.relay.drain()
    worker = servers.worker("worker-a")
    wait_for(lambda: servers.job(job_id).state is JobState.RUNNING)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0
    job = servers.job(job_id)
    assert job.state is JobState.COMPLETED
    assert job.attempts == 1
    assert servers.broker.depth(SIMULATIONS) == 0


def run_worker_thread(
    servers: Servers, handler: Callable[[Message], None]
) -> tuple[StopSignal, threading.Thread]:
    signal_ = StopSignal()
    thread = threading.Thread(
        target=servers.broker.consume,
        args=(SIMULATIONS, handler),
        kwargs={"stop": signal_},
        daemon=True,
    )
    thread.start()
    return signal_, thread


def rabbitmq(action: str) -> None:
    subprocess.run(["rabbitmqctl", action], check=True, capture_output=True, timeout=120)


@pytest.mark.slow
def test_with_rabbitmq_stopped_jobs_are_kept_and_all_published_once_it_is_back(
    servers: Servers,
) -> None:
    rabbitmq("stop_app")
    try:
        jobs = [servers.submit() for _ in range(5)]
        with pytest.raises(BrokerUnavailable):
            servers.relay.relay_once()
        with servers.uow() as uow:
            assert uow.records.outbox_backlog() == servers.count(orm.outbox) > 0
        assert all(servers.job(j).state is JobState.QUEUED for j in jobs)
    finally:
        rabbitmq("start_app")
        subprocess.run(
            ["rabbitmqctl", "await_startup"], check=True, capture_output=True, timeout=120
        )
    wait_for(lambda: _published(servers), timeout=60)
    simulator = InstantSimulator()
    handler = SimulationHandler(servers.uow, simulator, worker_id="w", training_row=result_row)
    signal_, thread = run_worker_thread(servers, handler)
    try:
        wait_for(lambda: all(servers.job(j).state is JobState.COMPLETED for j in jobs))
    finally:
        signal_.stop()
        thread.join(timeout=30)
    assert sorted(simulator.runs) == sorted(jobs)  # each once
    assert servers.broker.depth(SIMULATIONS) == 0


def _published(servers: Servers) -> bool:
    try:
        servers.relay.drain()
    except BrokerUnavailable:
        return False
    return True


def test_poison_messages_end_in_the_dead_letter_queue(servers: Servers) -> None:
    servers.broker.publish(
        [
            Message("m-garbage", "SimulationRequested", b"{not json"),
            Message(
                "m-nobody",
                "SimulationRequested",
                b'{"job_id": "job-none", "parameters": {}, "priority": 5, "event_id": "m-nobody",'
                b' "occurred_at": "2026-12-03T00:00:00+00:00"}',
            ),
        ]
    )
    handler = SimulationHandler(
        servers.uow, InstantSimulator(), worker_id="w", training_row=result_row
    )
    signal_, thread = run_worker_thread(servers, handler)
    try:
        wait_for(lambda: servers.broker.depth(dead_letter_queue(SIMULATIONS)) == 2)
    finally:
        signal_.stop()
        thread.join(timeout=30)
    report = Monitor(servers.uow, servers.broker).tick()  # the operators hear of them
    assert report.dead_letters == 2
    assert "dead-letters" in report.alerts_fired
    dead = servers.broker.dead_letters(SIMULATIONS)
    assert sorted(m.message_id for m in dead) == ["m-garbage", "m-nobody"]
    assert servers.broker.depth(SIMULATIONS) == 0
