"""``lto serve``: the REST API under uvicorn, with this process's outbox relay, and (on the
embedded in-memory broker, which only this process can reach) a worker thread that runs the
jobs the API queues."""

from __future__ import annotations

import threading
from typing import Any

import click

from lto.cli.service import SERVICE_EXIT_CODES


@click.command(epilog=SERVICE_EXIT_CODES)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
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
def serve(host: str, port: int, worker: bool | None, log_format: str, proxy_headers: bool) -> None:
    """Serve the REST API (OpenAPI docs at /docs unless LTO_API_DOCS=false)."""
    import uvicorn

    from lto.bootstrap import bootstrap
    from lto.capricorn.api.observability import configure_json_logs

    app = bootstrap()
    level = app.settings.log_level
    from lto.cli.logs import quiet_libraries, text_logs

    if log_format == "json":
        configure_json_logs(level)
        quiet_libraries(level)
    else:
        text_logs(level)
    app.engine  # noqa: B018 - migrate (or refuse an unmigrated database) before listening
    app.broker.declare()
    embedded = app.settings.broker_url.startswith("memory://")
    stop_worker = _start_worker(app) if (embedded if worker is None else worker) else None
    api = app.api()
    click.echo(
        f"LTO API on http://{host}:{port} (docs: /docs): database "
        f"{app.components['database']}, broker {app.components['broker']}"
        + (", with a worker thread" if stop_worker else ""),
        err=True,
    )
    try:
        uvicorn.run(
            api,
            host=host,
            port=port,
            log_config=None,
            access_log=False,  # the API logs each request itself, with its id
            proxy_headers=proxy_headers,
            server_header=False,
        )
    finally:
        if stop_worker is not None:
            stop_worker()


def _start_worker(app: Any) -> Any:
    import os
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
