"""The ``lto`` command. Each subcommand imports what it needs when it runs, so ``--help`` is fast."""

from lto.cli.main import cli, main

__all__ = ["cli", "main"]
