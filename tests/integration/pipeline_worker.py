"""A worker process for the pipeline's integration tests: the real Worker, unit of work and
RabbitMQ broker, with an instant simulator that sleeps ``metadata["sleep_s"]`` first (a long
job to kill a worker in). Configured by environment: LTO_IT_DATABASE, LTO_IT_AMQP,
LTO_IT_NAMESPACE, LTO_IT_WORKER."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from lto.atlas.contracts import JobParameters, SimulationResult
from lto.capricorn.adapters.database import make_engine
from lto.capricorn.adapters.rabbitmq import RabbitMqBroker
from lto.capricorn.adapters.sql_unit_of_work import SqlUnitOfWork
from lto.capricorn.service.outbox import OutboxRelay
from lto.capricorn.service.simulation import SimulationHandler
from lto.capricorn.worker import Worker
from lto.daedalus.dataset import result_row
from tests.unit.capricorn.doubles import InstantSimulator


class SleepySimulator(InstantSimulator):
    def run(self, job_id: str, parameters: JobParameters, progress: Any = None) -> SimulationResult:
        time.sleep(float(parameters.metadata.get("sleep_s", 0)))
        return super().run(job_id, parameters, progress)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    engine = make_engine(os.environ["LTO_IT_DATABASE"])
    broker = RabbitMqBroker(os.environ["LTO_IT_AMQP"], namespace=os.environ["LTO_IT_NAMESPACE"])

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine)

    handler = SimulationHandler(
        uow, SleepySimulator(), worker_id=os.environ["LTO_IT_WORKER"], training_row=result_row
    )
    worker = Worker(broker, handler, relay=OutboxRelay(uow, broker))
    worker.install_signal_handlers()
    print("ready", flush=True)
    worker.run()


if __name__ == "__main__":
    main()
