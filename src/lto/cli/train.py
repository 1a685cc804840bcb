"""``lto train``: physics-generated training data, the ensemble fitted, calibrated and measured.

The dataset is reused when it exists (``--dataset FILE``, or the default file named after the
sample count and seed under the data directory); otherwise it is built with both cores and a
progress bar and saved first, so a failure while training never costs the simulations.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lto.cli.errors import CliError, ExitCode
from lto.cli.preflight import check_writable
from lto.cli.progress import with_progress

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rich.console import Console

    from lto.bootstrap import Application
    from lto.daedalus.dataset import TrainingData
    from lto.daedalus.ensemble import EnsembleSurrogate


def run(options: dict[str, Any]) -> None:
    from rich.console import Console

    from lto.bootstrap import bootstrap

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    samples, seed = int(options["samples"]), int(options["seed"])
    workers = int(options["workers"])
    cores = os.cpu_count() or 1
    if workers > cores:
        console.print(
            f"note: --workers {workers} is more than this machine's {cores} cores; using {cores}",
            markup=False,
        )
        workers = cores
    out: Path | None = options.get("out")
    if out is not None and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CliError(f"--out {out}: already exists; choose a new folder", ExitCode.BAD_INPUT)
    check_writable(out.parent if out is not None else None, folder=True, flag="--out")
    app = bootstrap()
    settings = None
    if options.get("tuned"):
        from lto.cli.tune import tuned_settings

        settings = tuned_settings(app)
        console.print(
            "with tuned settings: "
            + "; ".join(
                f"{m} " + ", ".join(f"{k}={v}" for k, v in p.items()) for m, p in settings.items()
            ),
            markup=False,
        )
    data = obtain_dataset(
        app, options.get("dataset"), samples, seed, int(options["workers"]), console
    )
    surrogate = train(app, data, seed, console, settings)
    if out is not None:
        folder = surrogate.save(out)
        hint = f" (use it with `lto predict --model {folder}`)"
    else:
        folder, hint = app.model_store.save(surrogate), " (now the current model)"
    print_metrics(surrogate, console)
    console.print(f"surrogate {surrogate.version} written to {folder}{hint}", markup=False)
    register(app, surrogate, folder, data, seed, console)


def register(
    app: Application,
    surrogate: EnsembleSurrogate,
    folder: Path,
    data: TrainingData,
    seed: int,
    console: Console,
    reason: str = "",
) -> None:
    """The trained model as a candidate in the registry, through the offline gate
    (``Application.register_candidate``); ``reason`` (why it was trained: `lto retrain`'s) is
    kept on the version."""
    from lto.metis.registry import RegistryError

    try:
        version, decision = app.register_candidate(
            surrogate, folder, data, seed, reason=reason, actor="cli"
        )
    except RegistryError as exc:
        raise CliError(
            f"the model is saved in {folder}, but the registry ({app.settings.mlflow_tracking_uri}) "
            f"could not take it: {exc}",
            ExitCode.ENVIRONMENT,
        ) from exc
    if decision.passed:
        console.print(
            f"registered as version {version.version} of the registry; the offline gate passed: "
            "it is the challenger (`lto models promote` after its shadow jobs)",
            markup=False,
        )
    else:
        console.print(
            f"registered as version {version.version}; the offline gate refused it "
            f"({'; '.join(decision.reasons)}): it stays a candidate (`lto models list`)",
            markup=False,
        )


def obtain_dataset(
    app: Application, path: Path | None, samples: int, seed: int, workers: int, console: Console
) -> TrainingData:
    from lto.daedalus.dataset import build_dataset, load_dataset, save_dataset
    from lto.daedalus.domain import default_domain

    target = path or app.dataset_path(samples, seed)
    if target.exists():
        try:
            data = load_dataset(target)
        except (ValueError, OSError) as exc:
            raise CliError(f"--dataset {target}: {exc}", ExitCode.BAD_INPUT) from exc
        console.print(
            f"reusing the dataset {target} ({len(data.frame)} jobs, seed {data.seed}, "
            f"LTO {data.lto_version})",
            markup=False,
        )
        if path is not None and (len(data.frame) != samples or data.seed != seed):
            console.print(
                f"note: --samples {samples} and --seed {seed} do not apply to an existing "
                "dataset (name a new --dataset file to build another)",
                markup=False,
            )
        return data
    if path is None:  # the default place, under the data directory: make it
        target.parent.mkdir(parents=True, exist_ok=True)
    check_writable(target, folder=False, flag="--dataset")
    console.print(
        f"building {samples} physics jobs over the default domain (seed {seed}, "
        f"{workers} processes) into {target}",
        markup=False,
    )
    data = with_progress(
        console,
        lambda report: build_dataset(
            default_domain(),
            samples,
            seed=seed,
            simulator_factory=app.simulator_factory(),
            workers=workers,
            progress=lambda done, total: report(done / max(total, 1), f"simulating {done}/{total}"),
        ),
    )
    save_dataset(data, target)
    console.print(_dataset_line(data), markup=False)
    return data


def _dataset_line(data: TrainingData) -> str:
    summary = data.summary()
    return (
        f"dataset: {summary['built']} jobs built, {summary['failed']} failed, nothing prints in "
        f"{100 * summary['nothing_prints_share']:.1f}%, {summary['build_wall_s']:.0f} s"
    )


def train(
    app: Application,
    data: TrainingData,
    seed: int,
    console: Console,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
) -> EnsembleSurrogate:
    """``Application.fit_surrogate`` behind a progress bar; a dataset it cannot learn from is
    a one-line error."""
    try:
        return with_progress(
            console,
            lambda report: app.fit_surrogate(data, seed, settings=settings, progress=report),
        )
    except ValueError as exc:
        raise CliError(str(exc), ExitCode.BAD_INPUT) from exc


def print_metrics(surrogate: EnsembleSurrogate, console: Console) -> None:
    """The held-out measurements against the targets (accuracy within 0.05 of physics,
    coverage of the 95% intervals, OOD flags)."""
    from rich.table import Table

    m = surrogate.metrics
    accuracy, rows = m["accuracy"], m["rows"]
    table = Table(
        "score", "within ±0.05", "95% coverage", "mean width",
        title=f"held-out test split: {rows['test']} jobs never seen in training",
    )  # fmt: skip
    for name, share in accuracy["per_score"].items():
        table.add_row(
            name, f"{100 * share:.1f}%", f"{100 * m['coverage'][name]:.1f}%",
            f"{m['mean_width'][name]:.3f}",
        )  # fmt: skip
    console.print(table)
    critical = accuracy["critical"]
    critical_text = "n/a" if critical is None else f"{100 * critical:.1f}%"
    console.print(
        f"accuracy (all four scores within 0.05): {100 * accuracy['overall']:.1f}% overall "
        f"(target 97.5%), {critical_text} on {accuracy['critical_jobs']} critical jobs "
        f"(target 98.5%)",
        markup=False,
    )
    ood = m["ood"]
    console.print(
        f"out of distribution: {100 * ood['outside_flagged']:.1f}% of {ood['outside_jobs']} jobs "
        f"outside the domain flagged (target ≥ 95%), {100 * ood['in_domain_flagged']:.1f}% of "
        f"in-domain test jobs flagged (target ≤ 5%); high uncertainty on "
        f"{100 * m['high_uncertainty_share']:.1f}%",
        markup=False,
    )
    if not (accuracy["overall"] >= 0.975):
        console.print(
            "warning: below the accuracy targets: trust its intervals and flags, not its means "
            "(docs/surrogate.md says what limits them)",
            markup=False,
        )
    fits = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in m["fit_seconds"].items())
    console.print(f"training time: {fits}", markup=False)
