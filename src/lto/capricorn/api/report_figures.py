"""The pictures of a job's report, redrawn from what the pipeline stored.

The worker keeps the nominal aerial image (``aerial.npy``) and the focus-exposure matrix
(``fem.npz``: focus, dose, the CD table and one image per focus) in the artifact store (see
``capricorn.service.simulation``); the built-in physics' setup for the job (profile, clip, cut
line, resist) is made again from its parameters, exactly as the workers make it. With those,
the pictures are ``lto.matrix.figures``' own: the same drawings as ``lto simulate --plot``,
to the same conventions.

Nothing here raises for a picture it cannot draw: each figure says why it is missing (no
result yet, a simulator that keeps no images, an artifact gone from the store), and the
report carries that sentence instead. Drawn pictures are kept for the last few reports (a
finished job's pictures never change).
"""

from __future__ import annotations

import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lto.atlas.contracts import SimulationResult

if TYPE_CHECKING:
    import numpy as np

    from lto.atlas.lifecycle import Job
    from lto.capricorn.ports import ArtifactStore
    from lto.capricorn.repositories import ResultRecord
    from lto.matrix.fem import FocusExposureMatrix

log = logging.getLogger(__name__)

AERIAL, FEM = "aerial.npy", "fem.npz"
# name, title, caption, the artifacts it needs
FIGURES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("aerial_image", "Aerial image",
     "The nominal aerial image at the job's focus (2×2 periods, one outlined; clear field = 1) "
     "and its cross-section at the cut line, with the latent image after the bake, the level "
     "the resist prints at and the resist edges.", (AERIAL,)),
    ("resist_contour", "Resist contour over the target",
     "The resist left after development at the job's dose (grey), its edge (blue) and the "
     "mask as drawn at the target CD (green); equal aspect, nm axes.", (AERIAL,)),
    ("bossung", "Bossung curves",
     "CD against focus (+ into the resist), one curve per dose of the focus-exposure matrix, "
     "the target ±tolerance band shaded and the best focus marked.", (FEM,)),
    ("process_window", "Process window",
     "The focus-exposure window between the CD spec's upper and lower contours, with the "
     "largest rectangle and ellipse at the required exposure latitude and their DoF.", (FEM,)),
)  # fmt: skip
SURROGATE_NOTE = (
    "This job ran on the surrogate-only simulator (LTO_SIMULATOR=surrogate): its scores are "
    "the surrogate's mean prediction, and no aerial image, resist contour or focus-exposure "
    "matrix exists, so the report has no pictures."
)


@dataclass(frozen=True)
class ReportFigure:
    name: str
    title: str
    caption: str
    available: bool  # it can be drawn (``png`` holds it once drawn)
    png: bytes | None = None
    note: str = ""  # why there is no picture


@dataclass(frozen=True, eq=False)
class StoredSimulation:
    """A simulation rebuilt from the pipeline's records (``lto.matrix.figures.Pictured``)."""

    result: SimulationResult
    setup: Any
    fem: FocusExposureMatrix
    nominal_image: np.ndarray


def load_fem(data: bytes) -> FocusExposureMatrix:
    """``fem.npz`` as the worker wrote it (no pickles are read)."""
    import numpy as np

    from lto.matrix.fem import FocusExposureMatrix

    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        focus, doses, cd = stored["focus_nm"], stored["dose_mj_cm2"], stored["cd_nm"]
        image_focus, images = stored["image_focus_nm"], stored["images"]
    by_focus = {float(f): np.asarray(images[i]) for i, f in enumerate(image_focus)}
    return FocusExposureMatrix(focus, doses, cd, by_focus)


def load_image(data: bytes) -> np.ndarray:
    import numpy as np

    return np.asarray(np.load(io.BytesIO(data), allow_pickle=False))


def _missing(note: str) -> list[ReportFigure]:
    return [
        ReportFigure(name, title, caption, False, note=note) for name, title, caption, _ in FIGURES
    ]


class FigureCache:
    """The pictures of the last ``size`` reports, by job and result."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._found: OrderedDict[tuple[str, str, int], list[ReportFigure]] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, key: tuple[str, str, int], draw: Callable[[], list[ReportFigure]]
    ) -> list[ReportFigure]:
        with self._lock:
            if key in self._found:
                self._found.move_to_end(key)
                return self._found[key]
        figures = draw()
        with self._lock:
            self._found[key] = figures
            while len(self._found) > self.size:
                self._found.popitem(last=False)
        return figures


CACHE = FigureCache()


def job_figures(
    job: Job,
    record: ResultRecord | None,
    artifacts: ArtifactStore,
    setup: Callable[[], Any | None],
    *,
    draw: bool = True,
    dpi: int = 90,
) -> list[ReportFigure]:
    """The report's pictures of ``job``: drawn, or each with the reason it cannot be; with
    ``draw`` False only which can be (from the artifacts the store holds: nothing is read)."""
    if record is None:
        return _missing(f"no pictures: the job is {job.state.value} and has no simulation result")
    if not record.artifacts:
        if record.simulator.startswith("surrogate"):
            return _missing(SURROGATE_NOTE)
        return _missing(
            f"no pictures: the simulator ({record.simulator}) kept no images of this job "
            "(only the built-in physics stores its aerial image and focus-exposure matrix)"
        )
    if not draw:
        return _listed(record, artifacts)
    key = (job.id, record.created_at.isoformat(), dpi)
    return CACHE.get(key, lambda: _draw(job, record, artifacts, setup(), dpi))


def _problem(record: ResultRecord, artifacts: ArtifactStore, name: str) -> str | None:
    key = record.artifacts.get(name)
    if key is None:
        return f"the simulator kept no {name} for this job"
    try:
        found = artifacts.exists(key)
    except (OSError, ValueError):
        found = False
    return None if found else f"the artifact {name} is missing from the artifact store"


def _listed(record: ResultRecord, artifacts: ArtifactStore) -> list[ReportFigure]:
    problems = {n: _problem(record, artifacts, n) for n in (AERIAL, FEM)}
    listed = []
    for name, title, caption, needs in FIGURES:
        absent = [p for p in (problems[n] for n in needs) if p]
        note = "no picture: " + "; ".join(absent) if absent else ""
        listed.append(ReportFigure(name, title, caption, not absent, note=note))
    return listed


def _draw(
    job: Job, record: ResultRecord, artifacts: ArtifactStore, setup: Any | None, dpi: int
) -> list[ReportFigure]:
    if setup is None:
        return _missing(
            "no pictures: the built-in physics cannot set this job up again to redraw them"
        )
    loaded: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, load in ((AERIAL, load_image), (FEM, load_fem)):
        key = record.artifacts.get(name)
        if key is None:
            problems[name] = f"the simulator kept no {name} for this job"
            continue
        try:
            data = artifacts.get(key)
        except (KeyError, OSError, ValueError):
            problems[name] = f"the artifact {name} is missing from the artifact store"
            continue
        try:
            loaded[name] = load(data)
        except Exception as exc:  # a file of another format, or cut short
            problems[name] = f"the artifact {name} cannot be read ({type(exc).__name__})"
    try:
        result = SimulationResult.model_validate(record.result)
    except ValueError:
        return _missing("no pictures: the stored result cannot be read as a simulation result")
    nominal = loaded.get(AERIAL)
    fem = loaded.get(FEM)
    if nominal is None and fem is not None:  # the job's focus is a row of the matrix
        nominal = fem.images.get(float(job.parameters.focus_nm))
    simulation = StoredSimulation(result, setup, fem, nominal)  # type: ignore[arg-type]
    have = {AERIAL: nominal is not None, FEM: fem is not None}
    return [
        _figure(simulation, job, name, title, caption, dpi)
        if all(have[n] for n in needs)
        else ReportFigure(
            name, title, caption, False, note="no picture: " + "; ".join(problems[n] for n in needs)
        )
        for name, title, caption, needs in FIGURES
    ]


def _figure(
    simulation: StoredSimulation, job: Job, name: str, title: str, caption: str, dpi: int
) -> ReportFigure:
    from lto.matrix import figures

    draw = {
        "aerial_image": figures.aerial_figure,
        "resist_contour": figures.resist_figure,
        "bossung": figures.bossung_figure,
        "process_window": figures.window_figure,
    }[name]
    try:
        with figures.DRAWING:
            picture = figures.png(draw(simulation, job.parameters), dpi=dpi)
    except Exception:
        log.exception("report of %s: the %s could not be drawn", job.id, name)
        return ReportFigure(
            name, title, caption, False, note="no picture: it could not be drawn (the log says why)"
        )
    return ReportFigure(name, title, caption, True, picture)


__all__ = [
    "FIGURES",
    "SURROGATE_NOTE",
    "FigureCache",
    "ReportFigure",
    "StoredSimulation",
    "job_figures",
    "load_fem",
    "load_image",
]
