from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from lto import __version__
from lto.cli.errors import EXIT_CODES_HELP, GuardedGroup
from lto.cli.layout import layout_options
from lto.cli.options import job_options, output_options, physics_options


@click.group(cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lto")
def cli() -> None:
    """LTO, the Lithography Tradeoff Optimizer.

    Describe a litho process, predict its tradeoffs, run the physics, optimise.
    Configuration comes from LTO_* environment variables (see `lto config`).
    """


@cli.command()
def demo() -> None:
    """Run the main job on embedded defaults (no servers needed)."""
    from lto.cli.demo import run_demo

    run_demo()


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


@cli.command("profiles")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
def profiles(as_json: bool) -> None:
    """List the technologies (constraint profiles: wavelength, NA range, medium index, required
    DoF and EL, CD tolerance) and the resists (chemistry, absorption, diffusion, dose to clear)."""
    from lto.cli.profiles import show

    show(as_json=as_json)


@cli.command("config")
def show_config() -> None:
    """Show the effective settings and which adapters they select."""
    from lto.bootstrap import bootstrap
    from lto.config import load_settings

    app = bootstrap(load_settings(), create_dirs=False)
    for name, value in app.settings.model_dump().items():
        click.echo(f"LTO_{name.upper():<22} {value}")
    for port, adapter in app.components.items():
        click.echo(f"{port:<27} -> {adapter}")


def main() -> None:
    """The console script: errors are turned into messages and exit codes by GuardedGroup."""
    cli(standalone_mode=True)
