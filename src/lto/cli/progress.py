"""The progress bars of the long commands (simulate, sweep, train), drawn alike on stderr."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

T = TypeVar("T")
Report = Callable[[float, str], None]  # (fraction done in [0, 1], what is happening)


def progress_bar(console: Console, *, amount: str = "{task.percentage:>3.0f}%") -> Progress:
    """A transient bar: description, bar, ``amount`` (a rich format of the task), time."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn(amount),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def with_progress(console: Console, work: Callable[[Report], T], label: str = "simulating") -> T:
    """Run ``work`` with a bar fed by the fraction-and-message callback it is given."""
    with progress_bar(console) as bar:
        task = bar.add_task(label, total=1.0)
        return work(
            lambda fraction, message: bar.update(
                task, completed=fraction, description=message or label
            )
        )
