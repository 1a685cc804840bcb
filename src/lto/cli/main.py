from __future__ import annotations

import sys
from pathlib import Path

import click

from lto import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


@cli.command()
@click.option(
    "--params",
    "params_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON file of job parameters; flags override it.",
)
@click.option("--na", type=float, help="Numerical aperture.")
@click.option("--wavelength", help='Wavelength, e.g. "193 nm" or 13.5.')
@click.option("--dose", help='Dose, e.g. "30 mJ/cm^2" or 30.')
@click.option("--sigma", type=float, help="Outer partial coherence.")
@click.option("--sigma-inner", type=float, help="Inner sigma (annular, dipole, quadrupole).")
@click.option(
    "--illumination", type=click.Choice(["conventional", "annular", "dipole", "quadrupole"])
)
@click.option("--thickness", help='Resist thickness, e.g. "90 nm".')
@click.option("--grid", help='Simulation pixel, e.g. "1 nm".')
@click.option("--cd", help='Target CD, e.g. "40 nm".')
@click.option("--pitch", help='Pitch, e.g. "80 nm".')
@click.option("--focus", help='Focus, + into the resist, e.g. "-20 nm".')
@click.option("--pattern", type=click.Choice(["line_space", "contact_array", "line_end"]))
@click.option("--profile", help="Constraint profile (default: inferred from λ and NA).")
@click.option("--submitted-by", help="Who asks (default: cli).")
@click.option(
    "--focus-points",
    type=click.IntRange(3, 101),
    default=11,
    show_default=True,
    help="Focus steps of the matrix.",
)
@click.option(
    "--dose-points",
    type=click.IntRange(3, 101),
    default=11,
    show_default=True,
    help="Dose steps of the matrix.",
)
@click.option(
    "--method", type=click.Choice(["hopkins", "abbe"]), default="hopkins", show_default=True
)
@click.option(
    "--development",
    type=click.Choice(["threshold", "mack"]),
    default="threshold",
    show_default=True,
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the result JSON here instead of stdout.",
)
@click.option(
    "--plot",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write PNG pictures into this folder.",
)
def simulate(
    params_file: Path | None,
    out: Path | None,
    plot: Path | None,
    focus_points: int,
    dose_points: int,
    method: str,
    development: str,
    **flags: object,
) -> None:
    """Run the physics (imaging, resist, focus-exposure matrix) for one job."""
    from lto.cli.simulate import run

    options = {
        "focus_points": focus_points,
        "dose_points": dose_points,
        "method": method,
        "development": development,
    }
    run(params_file, flags, out=out, plot=plot, options=options)


@cli.command("config")
def show_config() -> None:
    """Show the effective settings and which adapters they select."""
    from lto.bootstrap import ConfigurationError, bootstrap
    from lto.config import load_settings

    try:
        app = bootstrap(load_settings(), create_dirs=False)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    for name, value in app.settings.model_dump().items():
        click.echo(f"LTO_{name.upper():<22} {value}")
    for port, adapter in app.components.items():
        click.echo(f"{port:<27} -> {adapter}")


def main() -> None:
    from pydantic import ValidationError

    try:
        cli(standalone_mode=True)
    except ValidationError as exc:  # bad LTO_* settings: say which variable and why
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            click.echo(f"error: LTO_{where.upper()}: {error['msg']}", err=True)
        sys.exit(2)
