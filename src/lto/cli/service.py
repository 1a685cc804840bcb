"""``lto worker`` and ``lto scheduler``: the pipeline's long-running processes."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from typing import Any

import click

from lto.cli.errors import CliError, ExitCode

SERVICE_EXIT_CODES = (
    "Exit codes: 0 stopped on request (SIGTERM, Ctrl-C); 3 environment (LTO_DATABASE_URL, "
    "LTO_BROKER_URL unreachable, a database not migrated: `lto db upgrade`)."
)


@click.command(epilog=SERVICE_EXIT_CODES)
@click.option(
    "--prefetch",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Requests taken at a time (jobs run one at a time per request in hand).",
)
@click.option(
    "--monitor/--no-monitor",
    default=True,
    show_default=True,
    help="Also run the monitoring loop in this process.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=1),
    default=30.0,
    show_default=True,
    help="Seconds between monitoring ticks.",
)
@click.option("--name", help="This worker's name in the audit log (host:pid by default).")
def worker(prefetch: int, monitor: bool, interval: float, name: str | None) -> None:
    """Take simulation requests off the broker and run them; SIGTERM finishes the job in hand
    (a second SIGTERM gives it back to the broker) and stops."""
    from lto.bootstrap import bootstrap
    from lto.capricorn.service.messagebus import request_unfinished
    from lto.capricorn.worker import Worker

    _logging()
    app = bootstrap()
    worker_id = name or f"{socket.gethostname()}:{os.getpid()}"
    app.engine  # noqa: B018 - migrate (or refuse an unmigrated database) before taking work
    app.broker.declare()
    if app.settings.broker_url.startswith("memory://"):
        asked = request_unfinished(app.uow)  # what an earlier embedded worker held died with it
        if asked:
            click.echo(f"asked again for {asked} unfinished jobs (embedded broker)", err=True)
    process = Worker(
        app.broker,
        app.simulation_handler(worker_id),
        relay=app.relay,
        monitor=app.monitor if monitor else None,
        prefetch=prefetch,
        monitor_interval_s=interval,
        on_report=_log_report,
    )
    process.install_signal_handlers()
    click.echo(
        f"worker {worker_id}: database {_where(app)}, broker "
        f"{app.components['broker']}, simulator {app.components['simulator']}",
        err=True,
    )
    process.run()
    click.echo(f"worker {worker_id}: stopped", err=True)


@click.command(epilog=SERVICE_EXIT_CODES)
@click.option("--interval", type=click.FloatRange(min=1), default=30.0, show_default=True)
@click.option("--once", is_flag=True, help="One tick, printed as JSON, then exit.")
def scheduler(interval: float, once: bool) -> None:
    """The monitoring loop on its own: health, throughput, backlog, drift, alerts."""
    from lto.bootstrap import bootstrap

    _logging()
    app = bootstrap()
    app.engine  # noqa: B018 - an unmigrated or unreachable database is exit 3, not an alert
    app.broker.declare()  # a first deployment's queues exist before their health is judged
    if once:
        report = app.monitor.tick()
        click.echo(json.dumps(report.to_json(), indent=2))
        down = [n for n, c in report.components.items() if c.get("status") != "ok"]
        if down:
            raise CliError(
                f"unhealthy: {', '.join(down)} (see the report above)", ExitCode.ENVIRONMENT
            )
        return
    stop = threading.Event()
    import signal

    def handle(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    app.monitor.run(stop, interval_s=interval, report=_log_report)


def _log_report(report: Any) -> None:
    logging.getLogger("lto.monitor").info(
        "healthy=%s jobs/min=%d queue=%s outbox=%s drift=%s alerts=%s",
        report.healthy,
        report.jobs_per_minute,
        report.queue_depth,
        report.outbox_backlog,
        report.drift,
        ",".join(report.alerts_fired) or "-",
    )


def _where(app: Any) -> str:
    from lto.capricorn.adapters.database import describe

    return describe(app.settings.database_url)


def _logging() -> None:
    from lto.cli.logs import text_logs
    from lto.config import load_settings

    text_logs(load_settings().log_level)
