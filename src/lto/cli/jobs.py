"""``lto jobs`` and ``lto alerts``: the job pipeline from the command line.

``lto jobs submit`` takes the same job flags as ``lto simulate`` (or ``--params FILE``) and
sends the job through validation and pre-flight; a queued job waits in the database's outbox
for a worker (``lto worker``) to take it. ``--wait`` runs one in this process until the job is
done, the embedded way to run one job through the whole pipeline.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from lto.cli.errors import CliError, ExitCode
from lto.cli.options import job_options

JOBS_EXIT_CODES = (
    "Exit codes: 0 done; 1 pre-flight blocked the job, or (--wait) it failed or was flagged; "
    "2 bad input (flags, parameters, a job the profile rejects, an unknown job); "
    "3 environment (LTO_DATABASE_URL, LTO_BROKER_URL)."
)


def _someone(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--by``: whoever it is must have a name (the audit log keeps it)."""
    if value is not None and not value.strip():
        raise click.BadParameter("must name someone, not be empty", param=param)
    return value.strip() if value is not None else None


STATES = [
    "submitted",
    "validating",
    "rejected",
    "preflight",
    "blocked",
    "queued",
    "cancelled",
    "running",
    "failed",
    "evaluating",
    "completed",
    "anomaly_flagged",
    "engineer_review",
    "cleared",
    "escalated",
]


@click.group()
def jobs() -> None:
    """Submit, list, show, cancel and review jobs of the pipeline."""


@jobs.command("submit", epilog=JOBS_EXIT_CODES)
@job_options
@click.option("--wait", is_flag=True, help="Run a worker in this process until the job is done.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=3600.0,
    show_default=True,
    help="With --wait: give up after this many seconds.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
def submit(**options: Any) -> None:
    """Submit a job: validated, pre-flighted by the surrogate, queued for the physics."""
    from lto.bootstrap import bootstrap
    from lto.capricorn.service.commands import SubmitJob
    from lto.cli.inputs import job_values

    values = job_values(options.pop("params_file", None), options)
    app = bootstrap()
    submitted = app.bus.handle(SubmitJob(values))
    if options["wait"] and submitted.state.value == "queued":
        _wait(app, submitted.job_id, options["timeout"])
    job = job_view(app, submitted.job_id)
    _show(job, options["as_json"])
    if job["state"] == "rejected":
        raise click.exceptions.Exit(ExitCode.BAD_INPUT)
    if job["state"] == "blocked":
        raise click.exceptions.Exit(ExitCode.FAILED)
    if options["wait"] and job["state"] in ("failed", "anomaly_flagged"):
        raise click.exceptions.Exit(ExitCode.FAILED)


def _wait(app: Any, job_id: str, timeout: float) -> None:
    from lto.capricorn.ports import BrokerError

    try:
        waiting = run_until_done(app, [job_id], timeout)
    except BrokerError as exc:
        raise CliError(
            f"job {job_id} is queued (stored, with its request in the outbox), but the broker "
            f"cannot be reached to run it now: {exc}. It runs once a worker reaches the broker "
            "(LTO_BROKER_URL); do not submit it again.",
            ExitCode.ENVIRONMENT,
        ) from None
    if waiting:
        raise CliError(f"job {job_id} still waits after {timeout:g} s", ExitCode.FAILED)


def run_until_done(app: Any, job_ids: list[str], timeout: float) -> list[str]:
    """Relay and run simulation requests in this process until none of ``job_ids`` is queued
    or running (or ``timeout`` passes); the ids still waiting."""
    import threading

    from lto.capricorn.ports import SIMULATIONS, StopSignal

    handler = app.simulation_handler("cli-wait")
    stop = StopSignal()
    deadline = time.monotonic() + timeout

    def waiting() -> list[str]:
        return [i for i in job_ids if job_view(app, i)["state"] in ("queued", "running")]

    def handle(message: Any) -> None:
        handler(message)
        if not waiting():
            stop.stop()

    def watchdog() -> None:
        while not stop.is_set:
            if time.monotonic() > deadline:
                stop.stop()
            time.sleep(0.5)

    if not waiting():
        return []
    threading.Thread(target=watchdog, daemon=True).start()
    app.broker.declare()
    app.relay.drain()
    app.broker.consume(SIMULATIONS, handle, stop=stop)
    app.relay.drain()  # the jobs' own events (completion, alerts)
    return waiting()


@jobs.command("list", epilog=JOBS_EXIT_CODES)
@click.option("--state", type=click.Choice(STATES), help="Only jobs in this state.")
@click.option("--by", "submitted_by", help="Only jobs submitted by this person.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def list_jobs(state: str | None, submitted_by: str | None, limit: int, as_json: bool) -> None:
    """The newest jobs first."""
    from lto.atlas.lifecycle import JobState
    from lto.bootstrap import bootstrap

    app = bootstrap()
    with app.uow() as uow:
        page = uow.jobs.page(
            state=JobState(state) if state else None, submitted_by=submitted_by, limit=limit
        )
        rows = [_summary(job) for job in page.jobs]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no jobs")
        return
    for row in rows:
        click.echo(
            f"{row['id']}  {row['state']:<16} {row['submitted_at'][:19]}  "
            f"{row['submitted_by']}  {row['note']}"
        )


@jobs.command("show", epilog=JOBS_EXIT_CODES)
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True)
def show(job_id: str, as_json: bool) -> None:
    """One job: its state, history, pre-flight, result and evaluation."""
    from lto.bootstrap import bootstrap

    _show(job_view(bootstrap(), job_id), as_json)


@jobs.command("cancel", epilog=JOBS_EXIT_CODES)
@click.argument("job_id")
@click.option("--by", default="cli", show_default=True, callback=_someone, help="Who cancels it.")
def cancel(job_id: str, by: str) -> None:
    """Cancel a queued job (a running one cannot be)."""
    from lto.bootstrap import bootstrap
    from lto.capricorn.service.commands import CancelJob

    state = bootstrap().bus.handle(CancelJob(job_id, by))
    click.echo(f"{job_id}: {state.value}")


@jobs.command("review", epilog=JOBS_EXIT_CODES)
@click.argument("job_id")
@click.argument("decision", type=click.Choice(["start", "clear", "escalate"]), metavar="DECISION")
@click.option("--by", required=True, callback=_someone, help="The engineer reviewing it.")
@click.option(
    "--note", default="", help="Why (kept in the audit log; required to clear or escalate)."
)
def review(job_id: str, decision: str, by: str, note: str) -> None:
    """Review a flagged job: DECISION is start, clear (a false alarm) or escalate (a real
    problem)."""
    from lto.bootstrap import bootstrap
    from lto.capricorn.service.commands import ReviewJob

    state = bootstrap().bus.handle(ReviewJob(job_id, decision, by, note))  # type: ignore[arg-type]
    click.echo(f"{job_id}: {state.value}")


@jobs.command("export-buffer", epilog=JOBS_EXIT_CODES)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Parquet file for `lto train --dataset`.",
)
@click.option(
    "--ingested/--no-ingested",
    default=True,
    show_default=True,
    help="Include the simulation results other systems sent (POST /api/v1/ingest/...).",
)
def export_buffer(out: Path, ingested: bool) -> None:
    """Write the completed jobs' results (the training buffer), and the simulation results
    ingested from other simulators, as a training dataset."""
    from lto.bootstrap import bootstrap
    from lto.capricorn.service.ingest import training_rows
    from lto.cli.preflight import check_writable
    from lto.daedalus.dataset import result_row, save_dataset, training_data_from_history
    from lto.daedalus.domain import default_domain

    if out.suffix.lower() != ".parquet":
        raise CliError(
            f"--out {out}: the dataset is Parquet, name it *.parquet", ExitCode.BAD_INPUT
        )
    check_writable(out, folder=False, flag="--out")
    app = bootstrap()
    with app.uow() as uow:
        found = training_rows(uow, result_row, include_ingested=ingested)
    simulator = "lto pipeline" + (" + ingested results" if found.ingested else "")
    try:
        data = training_data_from_history(found.rows, default_domain(), simulator=simulator)
    except ValueError as exc:
        raise CliError(str(exc), ExitCode.BAD_INPUT) from None
    save_dataset(data, out)
    extra = f" and {found.ingested} ingested results" if ingested else ""
    click.echo(f"{found.jobs} jobs{extra} written to {out}")
    if found.skipped:
        click.echo(f"{found.skipped} ingested results no longer valid were left out", err=True)


@click.group()
def alerts() -> None:
    """Alerts from evaluation and monitoring: list and acknowledge."""


@alerts.command("list")
@click.option("--all", "everything", is_flag=True, help="Acknowledged ones too.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
def list_alerts(everything: bool, limit: int) -> None:
    """Active alerts, newest first."""
    from lto.bootstrap import bootstrap

    with bootstrap().uow() as uow:
        found = uow.alerts.history(limit=limit) if everything else uow.alerts.active(limit=limit)
    if not found:
        click.echo("no alerts" if everything else "no active alerts")
    for alert in found:
        ack = f"  (acknowledged by {alert.acknowledged_by})" if alert.acknowledged_by else ""
        click.echo(
            f"{alert.id}  {alert.severity.value:<8} {alert.fired_at.isoformat()[:19]}  "
            f"{alert.source}: {alert.message}{ack}"
        )


@alerts.command("ack")
@click.argument("alert_id")
@click.option("--by", required=True, callback=_someone, help="Who acknowledges it.")
def ack(alert_id: str, by: str) -> None:
    """Acknowledge an alert."""
    from lto.bootstrap import bootstrap
    from lto.capricorn.service.commands import AcknowledgeAlert

    bootstrap().bus.handle(AcknowledgeAlert(alert_id, by))
    click.echo(f"{alert_id}: acknowledged by {by}")


def job_view(app: Any, job_id: str) -> dict[str, Any]:
    with app.uow() as uow:
        job = uow.jobs.get(job_id)
        if job is None:
            raise CliError(f"no job {job_id!r}: `lto jobs list` shows them", ExitCode.BAD_INPUT)
        view = _summary(job)
        view.update(
            parameters=job.parameters.model_dump(mode="json", exclude_defaults=True),
            history=[
                {"state": c.state.value, "at": c.at.isoformat(), "reason": c.reason}
                for c in job.history
            ],
            rejection=[str(v) for v in job.rejection],
            alternative=job.alternative,
            error=job.error or None,
            attempts=job.attempts,
            worker=job.worker_id or None,
            evaluation=job.evaluation,
            result=job.result,
        )
        stored = uow.records.result(job_id)
        view["artifacts"] = stored.artifacts if stored else {}
    return view


def _summary(job: Any) -> dict[str, Any]:
    note = job.error or job.blocked_reason or "; ".join(str(v) for v in job.rejection)
    return {
        "id": job.id,
        "state": job.state.value,
        "submitted_by": job.parameters.submitted_by,
        "submitted_at": job.submitted_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
        "note": note or job.preflight_note,
    }


def _show(view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(view, indent=2, default=str))
        return
    click.echo(f"job {view['id']}: {view['state']}")
    for change in view["history"]:
        reason = f"  {change['reason']}" if change["reason"] else ""
        click.echo(f"  {change['at'][:19]}  {change['state']}{reason}")
    for reason in view["rejection"]:
        click.echo(f"  rejected: {reason}")
    if view["attempts"] > 1:
        click.echo(f"  attempts: {view['attempts']} (last on worker {view['worker']})")
    if view["note"] and not view["rejection"]:
        click.echo(f"  pre-flight / note: {view['note']}")
    if view["alternative"]:
        click.echo(f"  try instead: {json.dumps(view['alternative'])}")
    if view["evaluation"]:
        for line in view["evaluation"].get("details", []):
            click.echo(f"  evaluation: {line}")
    if view["result"]:
        r = view["result"]
        click.echo(
            f"  result: CD {_num(r.get('cd_nm'))} nm, DoF {_num(r.get('depth_of_focus_nm'))} nm, "
            f"EL {_num(r.get('exposure_latitude_pct'))} %, NILS {_num(r.get('nils'))}"
        )
    for name, key in view["artifacts"].items():
        click.echo(f"  artifact {name}: {key}")


def _num(value: Any) -> str:
    """Four significant figures, or "-" where the physics has no value."""
    return "-" if value is None else f"{float(value):.4g}"
