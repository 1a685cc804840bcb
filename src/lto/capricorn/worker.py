"""``lto worker``: takes simulation requests off the broker and runs them, any number of
workers on any number of machines. Beside the consumer it runs an outbox relay (so events its
jobs produce leave promptly) and, unless told not to, the monitoring loop.

SIGTERM (or Ctrl-C) stops taking new jobs and finishes the one in hand; a second signal gives
the job in hand back to the broker (requeued: another worker takes it over) and exits.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from lto.capricorn.ports import SIMULATIONS, Broker, Handler, StopSignal
from lto.capricorn.service.monitoring import Monitor, MonitorReport
from lto.capricorn.service.outbox import OutboxRelay

log = logging.getLogger(__name__)


@dataclass
class Worker:
    broker: Broker
    handler: Handler
    relay: OutboxRelay | None = None
    monitor: Monitor | None = None
    prefetch: int = 1
    monitor_interval_s: float = 30.0
    on_report: Callable[[MonitorReport], None] | None = None
    stop: StopSignal = field(default_factory=StopSignal)

    def run(self) -> None:
        self.broker.declare()
        background = threading.Event()
        threads = []
        if self.relay is not None:
            threads.append(
                threading.Thread(
                    target=self.relay.run, args=(background,), name="outbox-relay", daemon=True
                )
            )
        if self.monitor is not None:
            threads.append(
                threading.Thread(
                    target=self.monitor.run,
                    args=(background,),
                    kwargs={"interval_s": self.monitor_interval_s, "report": self.on_report},
                    name="monitor",
                    daemon=True,
                )
            )
        for thread in threads:
            thread.start()
        try:
            self.broker.consume(SIMULATIONS, self.handler, stop=self.stop, prefetch=self.prefetch)
        finally:
            background.set()
            if self.relay is not None:
                self.relay.notify()
            for thread in threads:
                thread.join(timeout=10)
            if self.relay is not None:
                try:
                    self.relay.drain()  # what this worker's last job produced
                except Exception as exc:
                    log.warning("worker: events left in the outbox for the next relay (%s)", exc)

    def install_signal_handlers(self) -> None:
        """First SIGTERM/SIGINT: finish the job in hand; second: requeue it and go."""

        def handle(signum: int, _frame: FrameType | None) -> Any:
            if self.stop.is_set:
                log.warning("worker: second signal, giving the job in hand back to the broker")
                self.stop.abandon()
            else:
                log.warning("worker: signal %d, finishing the job in hand, then stopping", signum)
                self.stop.stop()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)


__all__ = ["Worker"]
