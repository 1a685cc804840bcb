from __future__ import annotations

import sys

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
