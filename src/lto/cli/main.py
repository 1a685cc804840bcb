from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from lto import __version__
from lto.cli.accounts import keys, users
from lto.cli.db import db
from lto.cli.errors import EXIT_CODES_HELP, GuardedGroup
from lto.cli.jobs import alerts, jobs
from lto.cli.layout import layout_options
from lto.cli.options import job_options, output_options, physics_options
from lto.cli.remote import remote
from lto.cli.serve import serve
from lto.cli.service import scheduler, worker
from lto.cli.web import web

DRIFT_EXIT_CODES = (
    "Exit codes: 0 done (drift or not: the report says); 1 training failed; 2 bad input (flags, "
    "job files, too few jobs); 3 environment (LTO_* settings, the registry or data folder)."
)


@click.group(cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lto")
def cli() -> None:
    """LTO, the Lithography Tradeoff Optimizer.

    Describe a litho process, predict its tradeoffs, run the physics, optimise.
    Configuration comes from LTO_* environment variables (see `lto config`).
    """
    from lto.cli.logs import quiet_libraries

    quiet_libraries(os.environ.get("LTO_LOG_LEVEL", "INFO").upper())


@cli.command()
@click.option("--tour/--no-tour", default=True, show_default=True,
              help="The terminal tour first (physics, surrogate, optimisation, pipeline).")  # fmt: skip
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="Then start the API, a worker and the web app until Ctrl-C.")  # fmt: skip
@click.option("--api-port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--web-port", type=click.IntRange(1, 65535), default=8050, show_default=True)
@click.option("--once", is_flag=True, hidden=True,
              help="Start everything, print where it runs, stop (for tests).")  # fmt: skip
def demo(tour: bool, serve: bool, api_port: int, web_port: int, once: bool) -> None:
    """Run the main job on embedded defaults (no servers needed): a tour, then the web app."""
    from lto.cli.demo import run_demo

    run_demo(tour=tour, serve=serve, api_port=api_port, web_port=web_port, once=once)


@cli.command(epilog=EXIT_CODES_HELP)
@job_options
@physics_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the result JSON here instead of stdout.",
)
@layout_options
@output_options
def simulate(**options: Any) -> None:
    """Run the physics (imaging, resist, focus-exposure matrix) for one job.

    Prints the result JSON (metrics, the job's parameters, its id, the LTO version, the resist
    used). The simulator is the one LTO_SIMULATOR chooses; pictures and tables need the built-in.
    """
    from lto.cli.simulate import run

    run(options)


@cli.command(epilog=EXIT_CODES_HELP)
@job_options
@physics_options
@click.option(
    "--vary",
    required=True,
    help="What to sweep, NAME=START:STOP:STEP with NAME one of pitch, cd, na, sigma, "
    "sigma_inner, dose, focus (e.g. pitch=60:200:10).",
)
@output_options
def sweep(**options: Any) -> None:
    """Run the physics at each value of one parameter and tabulate CD, dose to size, EL, DoF,
    NILS and yield risk (e.g. through pitch)."""
    from lto.cli.sweep import run

    run(options)


@cli.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--samples",
    type=click.IntRange(min=100, max=1_000_000),
    default=3000,
    show_default=True,
    help="Physics jobs in the training dataset.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Sampling and split seed.")
@click.option(
    "--dataset",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Parquet dataset to reuse, or where to write the one built.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the model here (default: a versioned folder under LTO_DATA_DIR, made current).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=256),
    default=2,
    show_default=True,
    help="Processes that run the physics.",
)
@click.option("--tuned", is_flag=True, help="Use the hyperparameters the last `lto tune` found.")
def train(**options: Any) -> None:
    """Build (or reuse) a physics dataset, train the surrogate ensemble, calibrate its
    intervals and print its held-out accuracy and coverage."""
    from lto.cli.train import run

    run(options)


@cli.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--member",
    type=click.Choice(["xgboost", "mlp", "all"]),
    default="all",
    show_default=True,
    help="Which member's hyperparameters to search.",
)
@click.option(
    "--trials", type=click.IntRange(min=2, max=1000), default=20, show_default=True,
    help="Optuna trials per member (the default settings run first).",
)  # fmt: skip
@click.option(
    "--samples", type=click.IntRange(min=100, max=1_000_000), default=3000, show_default=True,
    help="Physics jobs in the dataset (built, or reused when it exists).",
)  # fmt: skip
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Sampling, split and search seed."
)
@click.option(
    "--dataset",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Parquet dataset to reuse, or where to write the one built.",
)
@click.option(
    "--workers", type=click.IntRange(min=1, max=256), default=2, show_default=True,
    help="Processes that run the physics.",
)  # fmt: skip
def tune(**options: Any) -> None:
    """Search the surrogate members' hyperparameters with Optuna (median pruning on the
    validation error by boosting round or epoch), log the session to MLflow and keep the best
    settings for `lto train --tuned`."""
    from lto.cli.tune import run

    run(options)


@cli.command(epilog=EXIT_CODES_HELP)
@job_options
@click.option(
    "--model",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A surrogate folder (default: the current model `lto train` wrote).",
)
@click.option("--compare", is_flag=True, help="Also run the physics and show it beside.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def predict(**options: Any) -> None:
    """The surrogate's six tradeoff scores with 95% intervals for one job, in milliseconds,
    with flags saying when to run the physics instead."""
    from lto.cli.predict import run

    run(options)


@cli.command(epilog=EXIT_CODES_HELP)
@job_options
@click.option(
    "--free",
    "free",
    multiple=True,
    required=True,
    help="A parameter to search, NAME or NAME=LOW:HIGH (na, sigma, sigma_inner, dose, focus, "
    "thickness); without a range, the profile's. Repeat for several.",
)
@click.option(
    "--objective",
    "objectives",
    multiple=True,
    required=True,
    help="What to optimise, NAME or NAME:max / NAME:min: a tradeoff score (yield_risk, "
    "overall_health or health, …) or, with the physics, depth_of_focus_nm (dof), "
    "exposure_latitude_pct (el), nils, image_contrast, edge_placement_error_nm (epe). "
    "Two or more give a Pareto front.",
)
@click.option(
    "--constraint",
    "constraints",
    multiple=True,
    help="An outcome bound, NAME<=VALUE or NAME>=VALUE (e.g. yield_risk<=0.05). The profile's "
    "rules on the parameters always hold.",
)
@click.option(
    "--evaluator",
    type=click.Choice(["physics", "surrogate", "two-stage"]),
    default="physics",
    show_default=True,
    help="Score trials with the physics, the surrogate, or search on the surrogate and "
    "confirm the best with the physics.",
)
@click.option(
    "--trials",
    type=click.IntRange(min=1, max=100_000),
    default=40,
    show_default=True,
    help="Trial budget of the study, shared by every process that joins it.",
)
@click.option(
    "--confirm",
    "confirm_top",
    type=click.IntRange(min=1, max=100),
    default=5,
    show_default=True,
    help="Two-stage: candidates the physics confirms.",
)
@click.option(
    "--sampler",
    type=click.Choice(["auto", "tpe", "nsga2", "gp", "random"]),
    default="auto",
    show_default=True,
    help="Optuna sampler (auto: TPE, for one or several objectives).",
)
@click.option("--seed", type=int, default=None, help="Sampler seed (reproducible studies).")
@click.option(
    "--study",
    "study_name",
    help="Study name: a new one is made, an existing one with the same problem is resumed or "
    "joined by this process (default: a new name).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the result JSON (best settings, Pareto front, importance, history) here.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result JSON instead of tables.")
def optimize(**options: Any) -> None:
    """Search process settings with Optuna: the best settings for one objective, or the
    Pareto front of several, under the profile's rules and your constraints.

    Studies live in LTO_STUDY_STORAGE (a journal file in LTO_DATA_DIR by default; the
    PostgreSQL database in a deployment), so several processes can share one (--study NAME)
    and a stopped study resumes where it stopped.
    """
    from lto.cli.optimize import run

    run(options)


@cli.group()
def models() -> None:
    """The surrogate registry: candidates, the offline gate, champion, rollback."""


@models.command("list")
def models_list() -> None:
    """Every registered surrogate: aliases, gate result, held-out accuracy, shadow jobs."""
    from lto.bootstrap import bootstrap
    from lto.cli.models import list_versions

    list_versions(bootstrap())


@models.command("promote")
@click.argument("version", required=False)
@click.option(
    "--override",
    metavar="REASON",
    help="Promote although the gate refused it or its shadow jobs are too few; the reason is "
    "recorded on the version.",
)
def models_promote(version: str | None, override: str | None) -> None:
    """Make VERSION (default: the challenger) the champion; the old one is kept for rollback."""
    from lto.bootstrap import bootstrap
    from lto.cli.models import promote

    promote(bootstrap(), version, override)


@models.command("rollback")
def models_rollback() -> None:
    """Restore the previous champion (kept 30 days)."""
    from lto.bootstrap import bootstrap
    from lto.cli.models import rollback

    rollback(bootstrap())


@models.command("discard")
@click.argument("version")
@click.option("--reason", required=True, help="Why it must never be promoted.")
def models_discard(version: str, reason: str) -> None:
    """Mark VERSION as never to be promoted."""
    from lto.bootstrap import bootstrap
    from lto.cli.models import discard

    discard(bootstrap(), version, reason)


@cli.command(epilog=DRIFT_EXIT_CODES)
@click.option(
    "--jobs",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Recent jobs: JSON lines or a JSON list of job parameters, or a Parquet dataset.",
)
@click.option(
    "--model",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A surrogate folder (default: the registry's champion, else the current model).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def drift(**options: Any) -> None:
    """PSI of recent jobs and their predictions against the surrogate's training data: above
    0.2 on any, the surrogate should be retrained."""
    from lto.cli.retrain import run_drift

    run_drift(options)


@cli.command(epilog=DRIFT_EXIT_CODES)
@click.option(
    "--jobs",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Recent jobs to check for drift first (retrain when it is significant).",
)
@click.option(
    "--max-age-days", type=click.FloatRange(min=0), help="Retrain a model older than this."
)
@click.option("--force", metavar="REASON", help="Retrain by hand, for this reason.")
@click.option(
    "--samples",
    type=click.IntRange(min=100, max=1_000_000),
    default=3000,
    show_default=True,
    help="Physics jobs in the new dataset.",
)
@click.option("--seed", type=int, help="Sampling seed (default: the current model's + 1).")
@click.option(
    "--dataset",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Parquet dataset to reuse, or where to write the one built.",
)
@click.option(
    "--workers", type=click.IntRange(min=1, max=256), default=2, show_default=True,
    help="Processes that run the physics.",
)  # fmt: skip
def retrain(**options: Any) -> None:
    """Train a new candidate surrogate when drift is significant (--jobs), the model is old
    (--max-age-days) or you say so (--force REASON); it is registered and gated, not made
    current."""
    from lto.cli.retrain import run_retrain

    run_retrain(options)


@cli.command("profiles")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
def profiles(as_json: bool) -> None:
    """List the technologies (constraint profiles: wavelength, NA range, medium index, required
    DoF and EL, CD tolerance) and the resists (chemistry, absorption, diffusion, dose to clear)."""
    from lto.cli.profiles import show

    show(as_json=as_json)


SECRET_SETTINGS = frozenset({"jwt_secret", "api_key"})


@cli.command("config")
def show_config() -> None:
    """Show the effective settings and which adapters they select."""
    import re

    from lto.bootstrap import bootstrap
    from lto.config import load_settings

    app = bootstrap(load_settings(), create_dirs=False)
    for name, value in app.settings.model_dump().items():
        if name in SECRET_SETTINGS and value:
            value = "*** (set)"
        elif isinstance(value, str) and "@" in value:  # a URL's password
            value = re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", value)
        click.echo(f"LTO_{name.upper():<32} {value}")
    for port, adapter in app.components.items():
        click.echo(f"{port:<27} -> {adapter}")


cli.add_command(db)
cli.add_command(jobs)
cli.add_command(alerts)
cli.add_command(worker)
cli.add_command(scheduler)
cli.add_command(serve)
cli.add_command(remote)
cli.add_command(users)
cli.add_command(keys)
cli.add_command(web)


def main() -> None:
    """The console script: errors are turned into messages and exit codes by GuardedGroup."""
    cli(standalone_mode=True)
