"""PNG pictures of a simulation for ``lto simulate --plot``: the drawings themselves live in
``lto.matrix.figures`` (shared with the API's job report); this module writes them to files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lto.matrix.figures import (
    DOSE_LABEL,
    FOCUS_LABEL,
    NOTHING_PRINTS,
    aerial_figure,
    bossung_figure,
    pyplot,
    resist_figure,
    source_figure,
    window_figure,
)

if TYPE_CHECKING:
    from lto.atlas.contracts import JobParameters
    from lto.matrix.adapters.physics import Simulation


def write_pictures(simulation: Simulation, job: JobParameters, folder: Path) -> list[Path]:
    """Draw every picture of ``simulation`` into ``folder``; returns the files written."""
    pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    drawings = (
        ("aerial_image.png", aerial_figure),
        ("resist_contour.png", resist_figure),
        ("bossung.png", bossung_figure),
        ("process_window.png", window_figure),
        ("source.png", source_figure),
    )
    written = []
    for name, draw in drawings:
        path = folder / name
        _save(draw(simulation, job), path)
        written.append(path)
    return written + _resist_profile(simulation, job, folder)


def _resist_profile(simulation: Simulation, job: JobParameters, folder: Path) -> list[Path]:
    """The film left on the cut line after development (lto.cli.profile_plot), at the job's
    dose and focus: CDs at three heights, the sidewall angle and the top loss."""
    from lto.cli.profile_plot import write_resist_profile

    if simulation.profile is None:
        return []
    profile = simulation.profile
    return [write_resist_profile(profile, folder / "resist_profile.png")]


def _save(figure: Any, path: Path) -> None:
    figure.savefig(path, dpi=110)
    pyplot().close(figure)


__all__ = [
    "DOSE_LABEL",
    "FOCUS_LABEL",
    "NOTHING_PRINTS",
    "aerial_figure",
    "bossung_figure",
    "resist_figure",
    "source_figure",
    "window_figure",
    "write_pictures",
]
