"""``lto serve``: the REST API under uvicorn, with this process's outbox relay, and (on the
embedded in-memory broker, which only this process can reach) a worker thread that runs the
jobs the API queues.

``--processes N`` runs N uvicorn worker processes (one Python interpreter per core: the API's
Python work is bound by the GIL). Only with a server database and RabbitMQ: the embedded
broker lives in one process. Each process keeps its own credential cache, rate-limit buckets
and prediction batches (so the rate limit is per process).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import click

from lto.cli.errors import CliError, ExitCode
from lto.cli.service import SERVICE_EXIT_CODES

# Parallelism in the API comes from concurrent requests (and their batches), not from the
# surrogate's math libraries: their thread pools would spin on the same cores.
_ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@click.command(epilog=SERVICE_EXIT_CODES)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="uvicorn worker processes (server database and RabbitMQ only); one per core.",
)
@click.option(
    "--worker/--no-worker",
    default=None,
    help="Run a worker thread in this process too (the default on the embedded broker, "
    "where no other process can take the jobs; with RabbitMQ run `lto worker`).",
)
@click.option(
    "--log-format",
    type=click.Choice(["json", "text"]),
    default="json",
    show_default=True,
    help="JSON lines (with request ids) for log collectors, or text for a terminal.",
)
@click.option("--proxy-headers/--no-proxy-headers", default=True, show_default=True,
              help="Trust X-Forwarded-Proto/For from the reverse proxy in front.")  # fmt: skip
def serve(
    host: str, port: int, processes: int, worker: bool | None, log_format: str, proxy_headers: bool
) -> None:
    """Serve the REST API (OpenAPI docs at /docs unless LTO_API_DOCS=false)."""
    import uvicorn

    from lto.bootstrap import bootstrap

    for name in _ONE_THREAD:
        os.environ.setdefault(name, "1")
    app = bootstrap()
    _logs(app.settings.log_level, log_format)
    app.engine  # noqa: B018 - migrate (or refuse an unmigrated database) before listening
    app.broker.declare()
    app.api_config()  # the embedded signing secret exists before any process reads it
    embedded = app.settings.broker_url.startswith("memory://")
    if processes > 1 and (embedded or app.settings.database_url.startswith("sqlite:")):
        raise CliError(
            "--processes above 1 needs a server database and broker (LTO_DATABASE_URL="
            "postgresql://…, LTO_BROKER_URL=amqp://…): the embedded ones live in one process",
            ExitCode.BAD_INPUT,
        )
    if processes > 1 and worker:
        raise CliError(
            "--worker runs in one process: use `lto worker` beside --processes", ExitCode.BAD_INPUT
        )
    run_worker = embedded if worker is None else worker
    click.echo(
        f"LTO API on http://{host}:{port} (docs: /docs): database "
        f"{app.components['database']}, broker {app.components['broker']}"
        + (f", {processes} processes" if processes > 1 else "")
        + (", with a worker thread" if run_worker else ""),
        err=True,
    )
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,
        "access_log": False,  # the API logs each request itself, with its id
        "proxy_headers": proxy_headers,
        "server_header": False,
    }
    if processes > 1:
        os.environ["LTO_SERVE_LOG_FORMAT"] = log_format
        uvicorn.run("lto.cli.serve:api_process", factory=True, workers=processes, **options)
        return
    _warm(app)
    stop_worker = _start_worker(app) if run_worker else None
    try:
        uvicorn.run(app.api(), **options)
    finally:
        if stop_worker is not None:
            stop_worker()


def api_process() -> Any:
    """The app of one of ``--processes`` uvicorn workers (each bootstraps its own)."""
    from lto.bootstrap import bootstrap

    app = bootstrap()
    _logs(app.settings.log_level, os.environ.get("LTO_SERVE_LOG_FORMAT", "json"))
    _warm(app)
    return app.api()


def _warm(app: Any) -> None:
    """Load the surrogate before the first request (seconds), not during it."""
    try:
        app.production_surrogate()
    except Exception:  # none trained yet: predictions answer 503 until there is one
        return


def _logs(level: str, log_format: str) -> None:
    from lto.capricorn.api.observability import configure_json_logs
    from lto.cli.logs import quiet_libraries, redact_credentials, text_logs

    if log_format == "json":
        configure_json_logs(level)
        quiet_libraries(level)
        redact_credentials()
    else:
        text_logs(level)


def _start_worker(app: Any) -> Any:
    import socket

    from lto.capricorn.service.messagebus import request_unfinished
    from lto.capricorn.worker import Worker

    if app.settings.broker_url.startswith("memory://"):
        request_unfinished(app.uow)
    worker = Worker(
        app.broker,
        app.simulation_handler(f"{socket.gethostname()}:{os.getpid()}:api"),
        monitor=app.monitor,
    )
    thread = threading.Thread(target=worker.run, name="worker", daemon=True)
    thread.start()

    def stop() -> None:
        worker.stop.stop()
        thread.join(timeout=30)

    return stop
