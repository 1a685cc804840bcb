"""``lto remote``: the same jobs and predictions, asked of a running LTO service over its REST
API (``LTO_API_URL``, ``LTO_API_KEY``) through ``lto.client``, for an engineer whose laptop has no
database or broker of its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from lto.cli.errors import CliError, ExitCode
from lto.cli.options import job_options

REMOTE_EXIT_CODES = (
    "Exit codes: 0 done; 1 the job failed or was flagged (--wait), or the service failed; "
    "2 the service refused the request (bad input, the field is named); 3 the service cannot be "
    "reached or refused the credential (LTO_API_URL, LTO_API_KEY)."
)


def _client() -> Any:
    from lto.client import LtoClient
    from lto.config import load_settings

    settings = load_settings()
    if not settings.api_key:
        raise CliError(
            "LTO_API_KEY is not set: ask the service's operator for a key (`lto keys create`)",
            ExitCode.ENVIRONMENT,
        )
    return LtoClient(settings.api_url, api_key=settings.api_key)


def _call(work: Any) -> Any:
    """Run one client call; its ``ApiError`` as a one-line CLI error with a fitting code."""
    from lto.client import ApiError, Unreachable

    try:
        return work()
    except Unreachable as exc:
        raise CliError(f"{exc.detail} (LTO_API_URL)", ExitCode.ENVIRONMENT) from None
    except ApiError as exc:
        fields = "; ".join(f"{e.get('field')}: {e.get('rule')}" for e in exc.errors)
        message = fields or exc.detail or exc.title
        if exc.status in (401, 403):
            raise CliError(f"{exc.status}: {message} (LTO_API_KEY)", ExitCode.ENVIRONMENT) from None
        code = ExitCode.BAD_INPUT if 400 <= exc.status < 500 else ExitCode.FAILED
        raise CliError(f"{exc.status}: {message}", code) from None


def _echo(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def _job(options: dict[str, Any]) -> dict[str, Any]:
    from lto.cli.inputs import job_values

    values = job_values(options.pop("params_file", None), options)
    if values.get("submitted_by") == "cli":
        del values["submitted_by"]  # the service knows who calls it
    return values


@click.group(epilog=REMOTE_EXIT_CODES)
def remote() -> None:
    """Ask a running LTO service (LTO_API_URL, with LTO_API_KEY)."""


@remote.command("health", epilog=REMOTE_EXIT_CODES)
def health() -> None:
    """The service's components, one by one."""
    _echo(_call(lambda: _client().components()))


@remote.command("predict", epilog=REMOTE_EXIT_CODES)
@job_options
def predict(**options: Any) -> None:
    """The service's surrogate prediction for a job (no physics)."""
    job = _job(options)
    _echo(_call(lambda: _client().post("tradeoffs/predict", job)))


@remote.command("submit", epilog=REMOTE_EXIT_CODES)
@job_options
@click.option("--wait", is_flag=True, help="Poll until the job is done.")
@click.option("--timeout", type=click.FloatRange(min=1), default=3600.0, show_default=True)
def submit(wait: bool, timeout: float, **options: Any) -> None:
    """Submit a job to the service's pipeline."""
    job = _job(options)
    client = _client()
    found = _call(lambda: client.submit_job(job))
    if wait and found["state"] == "queued":
        found = _call(lambda: client.wait_for_job(found["id"], timeout_s=timeout))
    _echo(found)
    if found["state"] == "rejected":
        raise click.exceptions.Exit(ExitCode.BAD_INPUT)
    if found["state"] in ("blocked", "failed", "anomaly_flagged"):
        raise click.exceptions.Exit(ExitCode.FAILED)


@remote.command("job", epilog=REMOTE_EXIT_CODES)
@click.argument("job_id")
def job(job_id: str) -> None:
    """One job, whole."""
    _echo(_call(lambda: _client().job(job_id)))


@remote.command("report", epilog=REMOTE_EXIT_CODES)
@click.argument("job_id")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the self-contained HTML report here (else the JSON report is printed).",
)
def report(job_id: str, html_file: Path | None) -> None:
    """A job's report, as JSON or as an HTML document to attach to a review."""
    client = _client()
    if html_file is None:
        _echo(_call(lambda: client.report(job_id)))
        return
    from lto.cli.preflight import check_writable

    check_writable(html_file, folder=False, flag="--html")
    html_file.write_text(_call(lambda: client.report(job_id, html=True)), encoding="utf-8")
    click.echo(f"report written to {html_file}", err=True)
