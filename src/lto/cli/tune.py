"""``lto tune``: search the surrogate members' hyperparameters with Optuna (pruning), log the
session to MLflow, and keep the best settings for ``lto train --tuned``.

The data are the training rows of the same split ``lto train`` makes (the held-out test split is
never seen), split again 80/20 into fitting and validation rows, with the surrogate's own
features (scaler and dose prior fitted on the fitting rows).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lto.cli.errors import CliError, ExitCode

if TYPE_CHECKING:
    from lto.bootstrap import Application

TUNED = Path("tuning") / "best.json"


def tuned_settings(app: Application) -> dict[str, dict[str, Any]]:
    """The best settings the last `lto tune` kept, per member; refused when there are none."""
    path = app.settings.data_dir / TUNED
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise CliError(
            "--tuned: no tuned settings yet: run `lto tune` first", ExitCode.BAD_INPUT
        ) from None
    except (OSError, ValueError) as exc:
        raise CliError(
            f"--tuned: {path} cannot be read ({exc}); run `lto tune` again", ExitCode.BAD_INPUT
        ) from exc
    return {member: dict(result["best_params"]) for member, result in data["members"].items()}


def run(options: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from lto.bootstrap import bootstrap
    from lto.cli.progress import progress_bar
    from lto.cli.train import obtain_dataset
    from lto.daedalus.columns import LEARNED
    from lto.daedalus.training import split_rows, training_features, usable_rows
    from lto.metis.adapters.optuna_tuning import tune
    from lto.metis.registry import RegistryError

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    app = bootstrap()
    seed, trials = int(options["seed"]), int(options["trials"])
    targets = app.tuning_targets(seed)
    chosen = list(targets) if options["member"] == "all" else [options["member"]]
    data = obtain_dataset(
        app, options.get("dataset"), int(options["samples"]), seed, int(options["workers"]), console
    )
    rows = usable_rows(data.frame)
    train = split_rows(len(rows), seed=seed).train  # the test split stays unseen
    order = np.random.default_rng(seed + 1).permutation(train)
    cut = int(0.8 * order.size)
    fit, val = np.sort(order[:cut]), np.sort(order[cut:])
    if val.size < 10:
        raise CliError(
            f"the dataset has {len(rows)} usable rows: too few to tune (build more with --samples)",
            ExitCode.BAD_INPUT,
        )
    _, _, x = training_features(rows, fit, app.dose_prior_model(seed), seed)
    y = rows[list(LEARNED)].to_numpy(float)
    results = {}
    defaults = app.surrogate_members(seed)
    for name in chosen:
        with progress_bar(console, amount="{task.completed:.0f}/{task.total:.0f}") as bar:
            task = bar.add_task(f"tuning {name}", total=trials)
            result = tune(
                targets[name], x[fit], y[fit], x[val], y[val], trials=trials, seed=seed,
                defaults=defaults[name].get_params(),  # type: ignore[attr-defined]
                progress=lambda done, total, t=task: bar.update(t, completed=done),
            )  # fmt: skip
        results[name] = result.to_json()
    table = Table(
        "member", "validation MAE, defaults", "tuned", "gain", "trials (pruned)", "best settings"
    )
    for name, r in results.items():
        gain = r["improvement"]
        settings = ", ".join(f"{k}={_short(v)}" for k, v in r["best_params"].items())
        table.add_row(
            name, _num(r["default_error"]), _num(r["best_error"]),
            "—" if gain is None else f"{gain:+.0%}", f"{r['trials']} ({r['pruned']})", settings,
        )  # fmt: skip
    Console(highlight=False, soft_wrap=True).print(table)
    _keep(app, results, data.seed, len(rows))
    dataset = {"seed": str(data.seed), "rows": str(len(rows)), "lto_version": data.lto_version}
    try:
        run_id = app.registry.log_tuning(results, dataset=dataset)
        console.print(
            f"tracked as MLflow run {run_id} (experiment lto-surrogate-tuning)", markup=False
        )
    except RegistryError as exc:
        from rich.markup import escape

        console.print(f"[yellow]warning[/yellow] not tracked in MLflow: {escape(str(exc))}")
    console.print("train with these settings: lto train --tuned", markup=False)


def _keep(app: Application, results: dict[str, Any], seed: int, rows: int) -> None:
    path = app.settings.data_dir / TUNED
    path.parent.mkdir(parents=True, exist_ok=True)
    previous: dict[str, Any] = {}
    if path.is_file():
        try:
            previous = json.loads(path.read_text()).get("members", {})
        except (OSError, ValueError):
            previous = {}
    document = {"dataset_seed": seed, "rows": rows, "members": {**previous, **results}}
    staging = path.with_suffix(f".{os.getpid()}.tmp")
    staging.write_text(json.dumps(document, indent=2, default=str))
    os.replace(staging, path)


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
