"""How the ``lto`` command fails: one-line messages and documented exit codes, never tracebacks.

Every command runs inside ``GuardedGroup``, the one place where an exception becomes a message on
stderr and an exit code. Scripts branch on the code (``ExitCode``); people read the message,
which names the flag, field or LTO_* variable at fault and what to do about it.
"""

from __future__ import annotations

import sys
from enum import IntEnum
from typing import IO, Any

import click


class ExitCode(IntEnum):
    """What a non-zero exit means; ``lto simulate --help`` and the README list the same."""

    OK = 0
    FAILED = 1  # the simulation (or LTO itself) failed while running
    BAD_INPUT = 2  # a flag, a parameter file or a job parameter is wrong
    ENVIRONMENT = 3  # LTO_* settings, a missing GPU stack, a folder that cannot be written
    CANNOT_IMAGE = 4  # the job is well formed but nothing usable prints
    TOO_LARGE = 5  # the job would need more memory than this machine has
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT
    BROKEN_PIPE = 141  # the reader of the output went away (`| head`), as shells report SIGPIPE


EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 the simulation failed; 2 bad input (flags, parameters, files); "
    "3 environment (LTO_* settings, CuPy, unwritable folders); 4 the job cannot image (pitch "
    "below the resolution limit, grid too coarse, nothing prints; the result JSON is still "
    "written when the physics ran); 5 the grid would need more memory than this machine has."
)


class CliError(click.ClickException):
    """A failure the user can act on: printed as ``error: <message>`` with its exit code."""

    def __init__(self, message: str, code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.exit_code = int(code)

    def show(self, file: IO[Any] | None = None) -> None:
        # plain click.echo, not Rich: a message may hold "[length]", which Rich would eat
        for line in self.format_message().splitlines() or [""]:
            click.echo(f"error: {line}", file=file or sys.stderr)


class CannotImage(CliError):
    """The job is valid but cannot image; the message says why (exit code 4)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.CANNOT_IMAGE)


def _validation_lines(exc: Any) -> tuple[list[str], ExitCode]:
    """A pydantic ValidationError as one line per error, its rule in plain words: LTO_*
    variables for settings."""
    from lto.atlas.wording import plain_rule

    settings = exc.title == "Settings"
    lines = []
    for error in exc.errors():
        message = plain_rule(str(error["msg"]))
        where = ".".join(str(p) for p in error["loc"])
        if settings:
            lines.append(f"LTO_{where.upper()}: {message}" if where else message)
        else:
            lines.append(f"{where or 'parameters'}: {message}")
    return lines, ExitCode.ENVIRONMENT if settings else ExitCode.BAD_INPUT


def to_cli_error(exc: BaseException) -> CliError:
    """The one mapping from what went wrong to a message and an exit code."""
    from pydantic import ValidationError

    from lto.atlas.errors import DomainError
    from lto.bootstrap import ConfigurationError

    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, ValidationError):
        lines, code = _validation_lines(exc)
        return CliError("\n".join(lines), code)
    if isinstance(exc, ConfigurationError):
        return CliError(str(exc), ExitCode.ENVIRONMENT)
    if isinstance(exc, DomainError):
        return CliError(str(exc), ExitCode.BAD_INPUT)
    if isinstance(exc, MemoryError):
        return CliError(
            "ran out of memory: use a coarser --grid, fewer --focus-points, or a smaller clip",
            ExitCode.TOO_LARGE,
        )
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return CliError(f"{where}{exc.strerror or exc}", ExitCode.ENVIRONMENT)
    service = _service_error(exc)
    if service is not None:
        return service
    if _is_problem_error(exc):
        return CliError(str(exc), ExitCode.BAD_INPUT)
    if _is_study_error(exc):
        return CliError(str(exc), ExitCode.ENVIRONMENT)
    if _is_surrogate_error(exc):
        return CliError(str(exc), ExitCode.ENVIRONMENT)
    if _is_simulation_error(exc):
        return CliError(str(exc), ExitCode.FAILED)
    return CliError(
        f"internal error ({type(exc).__name__}): {exc}. Please report it with the command you ran.",
        ExitCode.FAILED,
    )


def _service_error(exc: BaseException) -> CliError | None:
    """Capricorn's errors (the database, the broker, the pipeline), where they were loaded."""
    if "lto.capricorn.service.handlers" in sys.modules:
        from lto.capricorn.service.handlers import InvalidJob, NotFound

        if isinstance(exc, InvalidJob):
            return CliError("\n".join(f"{f}: {r}" for f, r in exc.reasons), ExitCode.BAD_INPUT)
        if isinstance(exc, NotFound):
            return CliError(str(exc), ExitCode.BAD_INPUT)
    if "lto.capricorn.ports" in sys.modules:
        from lto.capricorn.ports import BrokerError

        if isinstance(exc, BrokerError):
            return CliError(f"broker: {exc} (LTO_BROKER_URL)", ExitCode.ENVIRONMENT)
    if "lto.capricorn.repositories" in sys.modules:
        from lto.capricorn.repositories import ConcurrentUpdate, DuplicateName

        if isinstance(exc, DuplicateName):
            return CliError(str(exc), ExitCode.BAD_INPUT)
        if isinstance(exc, ConcurrentUpdate):
            return CliError(f"{exc}: try again", ExitCode.FAILED)
    if "lto.capricorn.adapters.migrations" in sys.modules:
        from lto.capricorn.adapters.migrations import DatabaseError

        if isinstance(exc, DatabaseError):
            return CliError(str(exc), ExitCode.ENVIRONMENT)
    if "sqlalchemy" in sys.modules:
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            first = str(exc.orig or exc).strip().splitlines()[0]
            return CliError(f"database: {first} (LTO_DATABASE_URL)", ExitCode.ENVIRONMENT)
    return None


def _is_simulation_error(exc: BaseException) -> bool:
    from lto.matrix.ports import SimulationError

    return isinstance(exc, SimulationError)


def _is_problem_error(exc: BaseException) -> bool:
    from lto.metis.problem import ProblemError

    return isinstance(exc, ProblemError)


def _is_study_error(exc: BaseException) -> bool:
    if "lto.metis.adapters.optuna_study" not in sys.modules:  # never imported: not its error
        return False
    from lto.metis.adapters.optuna_study import StudyError

    return isinstance(exc, StudyError)


def _is_surrogate_error(exc: BaseException) -> bool:
    from lto.daedalus.ports import SurrogateError

    return isinstance(exc, SurrogateError)


class GuardedGroup(click.Group):
    """A click group whose commands fail with ``to_cli_error``'s message and code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # a bad flag: one line, not click's usage block
            path = " ".join(["lto", *exc.ctx.command_path.split()[1:]]) if exc.ctx else "lto"
            hint = f" ({path} --help)" if exc.ctx and exc.ctx.parent else ""
            raise CliError(f"{exc.format_message()}{hint}", ExitCode.BAD_INPUT) from exc
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # `lto … | head`: the reader left; stop quietly, as SIGPIPE would
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # nothing more to flush at exit
            raise click.exceptions.Exit(ExitCode.BROKEN_PIPE) from None
        except KeyboardInterrupt as exc:  # Ctrl-C: one line, the shell's code for SIGINT
            raise CliError(
                "interrupted; what was stored is kept (an interrupted `lto optimize` resumes "
                "with the same command and --study)",
                ExitCode.INTERRUPTED,
            ) from exc
        except Exception as exc:
            raise to_cli_error(exc) from exc
