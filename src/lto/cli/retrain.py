"""``lto drift`` and ``lto retrain``: is the surrogate's world still the one it learned, and a
new candidate when it is not (drift), when it is old (schedule), or when an engineer says so.

Recent jobs come from a file (JSON lines or a JSON list of job parameters, or a Parquet dataset
``lto train`` wrote); the job pipeline supplies them from its database in a deployment. The
last report is kept in ``LTO_DATA_DIR/drift/latest.json``, where the application finds the
current drift that ``surrogate_reliability`` discounts. A retrained model is a candidate: it is
registered and gated, never made current before it is promoted.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lto.cli.errors import CliError, ExitCode

if TYPE_CHECKING:
    from rich.console import Console

    from lto.atlas.contracts import JobParameters
    from lto.bootstrap import Application
    from lto.daedalus.ensemble import EnsembleSurrogate
    from lto.metis.drift import DriftReport

DRIFT = Path("drift")  # one report per model version: <version>.json


def read_jobs(path: Path) -> list[JobParameters]:
    """Jobs from JSON lines, a JSON list (or one object), or a Parquet dataset; each checked,
    a bad one refused with its line and the field at fault."""
    from pydantic import ValidationError

    from lto.atlas.contracts import JobParameters

    if path.suffix == ".parquet":
        return _dataset_jobs(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"--jobs {path}: cannot read it ({exc})", ExitCode.BAD_INPUT) from exc
    try:
        if path.suffix == ".jsonl":
            raise json.JSONDecodeError("JSON lines", text, 0)  # one job a line, said by line
        loaded = json.loads(text)
        records = loaded if isinstance(loaded, list) else [loaded]
        where = [f"item {i + 1}" for i in range(len(records))]
    except json.JSONDecodeError:
        lines = [(n + 1, line) for n, line in enumerate(text.splitlines()) if line.strip()]
        records, where = [], []
        for number, line in lines:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise CliError(
                    f"--jobs {path} line {number}: not JSON ({exc.msg})", ExitCode.BAD_INPUT
                ) from exc
            where.append(f"line {number}")
    jobs = []
    for place, record in zip(where, records, strict=True):
        if not isinstance(record, dict):
            raise CliError(
                f"--jobs {path} {place}: expected an object of job parameters", ExitCode.BAD_INPUT
            )
        try:
            jobs.append(JobParameters.model_validate({"submitted_by": "cli", **record}))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "job"
            message = str(first["msg"]).removeprefix("Value error, ")
            raise CliError(
                f"--jobs {path} {place}: {field}: {message}", ExitCode.BAD_INPUT
            ) from exc
    return jobs


def _dataset_jobs(path: Path) -> list[JobParameters]:
    from lto.daedalus.columns import job_from_row
    from lto.daedalus.dataset import load_dataset

    try:
        frame = load_dataset(path).frame
    except (ValueError, OSError) as exc:
        raise CliError(f"--jobs {path}: {exc}", ExitCode.BAD_INPUT) from exc
    return [
        job_from_row(row) for row in frame.to_dict("records") if row.get("status", "ok") == "ok"
    ]


def current_model(app: Application, model: Path | None) -> EnsembleSurrogate:
    """``--model``, else the registry's champion, else the local current model."""
    from lto.daedalus import load_surrogate
    from lto.metis.registry import CHAMPION, RegistryError

    if model is not None:
        from lto.daedalus import SurrogateError

        try:
            return load_surrogate(model)
        except SurrogateError as exc:
            raise CliError(f"--model {model}: {exc}", ExitCode.BAD_INPUT) from exc
    try:
        champion = app.registry.by_alias(CHAMPION)
    except RegistryError:
        champion = None
    if champion is not None:
        return load_surrogate(app.registry.download(champion.version))
    return app.model_store.load_current()


def measure_drift(app: Application, surrogate: EnsembleSurrogate, jobs_file: Path) -> DriftReport:
    from lto.metis.drift import DriftError, check_drift

    jobs = read_jobs(jobs_file)
    try:
        report = check_drift(
            surrogate.metrics.get("training_distribution"),
            jobs,
            surrogate.evaluate_batch(jobs),
            model_version=surrogate.version,
        )
    except DriftError as exc:
        raise CliError(str(exc), ExitCode.BAD_INPUT) from exc
    save_latest(app.settings.data_dir, report)
    return report


def save_latest(data_dir: Path, report: DriftReport) -> None:
    """The report as its model's latest (``drift/<version>.json``): judging another model
    never overwrites the champion's."""
    target = data_dir / DRIFT / f"{report.model_version}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_suffix(f".{os.getpid()}.tmp")
    staging.write_text(json.dumps(report.to_json(), indent=2))
    os.replace(staging, target)


def show_report(report: DriftReport, console: Console) -> None:
    from rich.table import Table

    table = Table(
        "quantity", "PSI beyond noise", "PSI measured", "band",
        title=f"drift of {report.jobs} recent jobs against model {report.model_version}'s training data",
        caption="PSI < 0.1 none, 0.1–0.2 moderate, > 0.2 significant; judged beyond the "
        "≈ 9·(1/jobs + 1/reference rows) that sampling alone gives",
    )  # fmt: skip
    for finding in report.findings:
        table.add_row(
            f"{finding.kind}: {finding.name}", f"{finding.psi:.3f}", f"{finding.raw_psi:.3f}",
            finding.band,
        )  # fmt: skip
    console.print(table)
    if report.needs_retraining:
        names = ", ".join(f.name for f in report.drifted)
        console.print(
            f"significant drift ({names}): retrain (`lto retrain --jobs FILE`); events: "
            + ", ".join(f"DriftDetected({e.feature}, PSI {e.psi:.2f})" for e in report.events()),
            markup=False,
        )
    else:
        console.print(f"no significant drift (worst PSI {report.worst:.3f})", markup=False)


def run_drift(options: dict[str, Any]) -> None:
    from rich.console import Console

    from lto.bootstrap import bootstrap

    app = bootstrap()
    surrogate = current_model(app, options.get("model"))
    report = measure_drift(app, surrogate, options["jobs"])
    if options.get("as_json"):
        print(json.dumps(report.to_json(), indent=2))
        return
    show_report(report, Console(highlight=False, soft_wrap=True))


def run_retrain(options: dict[str, Any]) -> None:
    from rich.console import Console

    from lto.bootstrap import bootstrap
    from lto.cli.train import obtain_dataset, print_metrics, register, train

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    force: str | None = options.get("force")
    if force is not None and not force.strip():
        raise CliError("--force: give the reason for retraining by hand", ExitCode.BAD_INPUT)
    app = bootstrap()
    surrogate = current_model(app, None)
    reasons = []
    if options.get("jobs") is not None:
        report = measure_drift(app, surrogate, options["jobs"])
        show_report(report, console)
        if report.needs_retraining:
            reasons.append(
                "drift: " + ", ".join(f"{f.name} PSI {f.psi:.2f}" for f in report.drifted)
            )
    age = _age_days(surrogate)
    limit = options.get("max_age_days")
    if limit is not None and age is not None and age > limit:
        reasons.append(f"schedule: the model is {age:.1f} days old (--max-age-days {limit:g})")
    if force:
        reasons.append(f"by hand: {force.strip()}")
    if not reasons:
        checked = [
            "no significant drift in --jobs" if options.get("jobs") else "no --jobs to check",
            f"not older than {limit:g} days" if limit is not None else "no --max-age-days",
            "no --force",
        ]
        console.print(f"no retraining needed: {', '.join(checked)}", markup=False)
        return
    console.print(f"retraining because {'; '.join(reasons)}", markup=False)
    seed = options.get("seed")
    if seed is None:  # fresh samples: a seed no dataset here was built with
        seed = app.fresh_seed()
    data = obtain_dataset(
        app, options.get("dataset"), int(options["samples"]), seed, int(options["workers"]), console
    )
    candidate = train(app, data, seed, console)
    folder = app.model_store.save(candidate, make_current=False)  # a candidate until promoted
    print_metrics(candidate, console)
    console.print(
        f"candidate {candidate.version} written to {folder} (not made current)", markup=False
    )
    register(app, candidate, folder, data, seed, console, reason="; ".join(reasons))


def _age_days(surrogate: EnsembleSurrogate) -> float | None:
    """Days since training, from the version training gives (``surrogate-<UTC stamp>-s<seed>``);
    None for a version named otherwise."""
    stamp = surrogate.version.split("-")[1] if surrogate.version.count("-") >= 2 else ""
    try:
        trained = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return (datetime.now(UTC) - trained).total_seconds() / 86400.0
