"""``lto models``: the surrogate registry from the command line (list, promote, rollback,
discard). Promotion and rollback also point the local current model (``lto predict``, the
demo) at the new champion, so everything on this machine answers with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lto.cli.errors import CliError, ExitCode

if TYPE_CHECKING:
    from lto.bootstrap import Application

SHOWN = ("accuracy", "coverage")


def _registry_error(exc: Exception) -> CliError:
    return CliError(str(exc), ExitCode.BAD_INPUT)


def list_versions(app: Application) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from lto.metis.registry import RegistryError

    console = Console(highlight=False, soft_wrap=True)
    try:
        versions = app.registry.versions()
    except RegistryError as exc:
        raise CliError(str(exc), ExitCode.ENVIRONMENT) from exc
    if not versions:
        console.print(
            "the registry holds no surrogate yet: `lto train` registers one (the demo's model "
            "is not registered; `lto train --samples 600` takes a minute or two)",
            markup=False,
        )
        return
    table = Table(
        "version", "aliases", "gate", "accuracy", "critical", "shadow jobs", "surrogate", "notes",
        caption="accuracy: held-out jobs with all four learned scores within 0.05 of the physics",
    )  # fmt: skip
    for column in table.columns:
        column.overflow = "fold"
    for version in versions:
        accuracy = version.metrics.get("accuracy") or {}
        notes = [
            f"{k.removeprefix('dataset.').replace('_', ' ')}: {version.tags[k]}"
            for k in ("discarded", "promoted_by_override", "dataset.trained_because")
            if k in version.tags
        ]
        table.add_row(
            version.version,
            ", ".join(version.aliases) or "—",
            version.tags.get("gate", "—"),
            _pct(accuracy.get("overall")),
            _pct(accuracy.get("critical")),
            str(app.lifecycle.shadow_count(version.version)),
            version.surrogate_version or "—",
            escape("; ".join(notes)),
        )
    console.print(table)


def _check_version(version: str | None) -> None:
    if version is not None and not version.isdigit():
        raise CliError(
            f"VERSION {version!r}: must be a whole number (`lto models list` shows them)",
            ExitCode.BAD_INPUT,
        )


def promote(app: Application, version: str | None, override: str | None) -> None:
    from lto.metis.registry import RegistryError

    _check_version(version)

    try:
        event = app.lifecycle.promote(version, override=override)
    except RegistryError as exc:
        raise _registry_error(exc) from exc
    _follow_champion(app, event.version)
    previous = (
        f" (previous champion {event.previous_version} kept for rollback)"
        if event.previous_version
        else ""
    )
    print(f"version {event.version} is the champion{previous}")


def rollback(app: Application) -> None:
    from lto.metis.registry import RegistryError

    try:
        event = app.lifecycle.rollback()
    except RegistryError as exc:
        raise _registry_error(exc) from exc
    _follow_champion(app, event.to_version)
    print(
        f"rolled back: version {event.to_version} is the champion again (was {event.from_version})"
    )


def discard(app: Application, version: str, reason: str) -> None:
    from lto.metis.registry import RegistryError

    _check_version(version)

    try:
        app.lifecycle.discard(version, reason)
    except RegistryError as exc:
        raise _registry_error(exc) from exc
    print(f"version {version} discarded: {reason.strip()}")


def _follow_champion(app: Application, version: str) -> None:
    """The champion's artifact (downloaded from the registry) as the local current model."""
    from lto.daedalus import load_surrogate

    folder = app.registry.download(version)
    load_surrogate(folder)  # refuses a damaged download before anything points at it
    app.model_store.set_current(folder)


def _pct(value: object) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, int | float) else "—"
