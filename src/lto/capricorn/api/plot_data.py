"""The numbers behind a job's pictures, for a client that draws its own (the web app):
``GET /api/v1/jobs/{job_id}/plot-data``.

The simulation is the one the report's pictures are drawn from (``report_figures``: the
stored aerial image and focus-exposure matrix, with the job's setup made again as the workers
make it), and every number comes from the functions those pictures use (``lto.matrix``'s
resist model and cut line, ``lto.matrix.figures``' printing level, ``lto.athena``'s process
window): what is plotted here is what the report shows.

The frame is one period of the clip, in nm, at pixel centres; a 1-D grating (one row, uniform
along y) is shown one period tall, as the pictures show it. Images are block-averaged to at
most ``MAX_SIDE`` pixels a side with square blocks, so the aspect stays true. Intensities keep
4 significant digits, positions 1 pm. No NaN or infinity is ever returned: None instead.
A part that cannot be made is None, and ``note`` says why.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from lto.atlas.contracts import SimulationResult
from lto.capricorn.api.report import _profile as job_profile
from lto.capricorn.api.report_figures import AERIAL, FEM, StoredSimulation, load_fem, load_image

if TYPE_CHECKING:
    from lto.atlas.contracts import JobParameters
    from lto.atlas.lifecycle import Job
    from lto.capricorn.ports import ArtifactStore
    from lto.capricorn.repositories import ResultRecord

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
MAX_SIDE = 256  # pixels a side at most, after block-averaging
DIGITS = 4  # significant digits of an intensity
PARTS = ("aerial", "cutline", "resist", "target", "fem")
SURROGATE = (
    "no images: this job ran on the surrogate-only simulator (LTO_SIMULATOR=surrogate), which "
    "predicts the scores and keeps no aerial image or focus-exposure matrix"
)


# --- the answer -------------------------------------------------------------------------------


def job_plot_data(
    job: Job,
    record: ResultRecord | None,
    artifacts: ArtifactStore,
    setup: Callable[[], Any | None],
) -> dict[str, Any]:
    """The plot data of ``job`` (the contract of docs/api.md), whatever its state: a job
    without images says why in ``note``. ``setup`` makes the built-in physics' setup of the
    job (None where it cannot)."""
    _, tolerance, required_el = job_profile(job)
    head: dict[str, Any] = {
        "job_id": job.id,
        "state": job.state.value,
        "target_cd_nm": float(job.parameters.target_cd_nm),
        "cd_tolerance_fraction": float(tolerance),
        "required_exposure_latitude": float(required_el),
    }
    reason = _no_images(job, record)
    if reason is not None or record is None:
        return _unavailable(head, reason or "no images")
    made = setup()
    if made is None:
        return _unavailable(
            head, "no images: the built-in physics cannot set this job up again to read them"
        )
    try:
        result = SimulationResult.model_validate(record.result)
    except ValueError:
        return _unavailable(head, "no images: the stored result cannot be read as a simulation")
    loaded, problems = _load(record, artifacts)
    fem = loaded.get(FEM)
    nominal = loaded.get(AERIAL)
    if nominal is None and fem is not None:  # the job's focus is a row of the matrix
        nominal = fem.images.get(float(job.parameters.focus_nm))
    if nominal is None and fem is None:
        return _unavailable(head, "no images: " + "; ".join(problems))
    # one of the two may be None: the parts that need it say so instead of being made
    simulation = StoredSimulation(result, made, fem, nominal)  # type: ignore[arg-type]
    parts, notes = _parts(simulation, job.parameters, problems)
    return head | {"available": True, "note": "; ".join(notes) or None} | parts


def _no_images(job: Job, record: ResultRecord | None) -> str | None:
    if record is None:
        return f"no images: the job is {job.state.value} and has no simulation result yet"
    if record.artifacts:
        return None
    if record.simulator.startswith("surrogate"):
        return SURROGATE
    return (
        f"no images: the simulator ({record.simulator}) kept none of this job (only the "
        "built-in physics stores its aerial image and focus-exposure matrix)"
    )


def _unavailable(head: dict[str, Any], note: str) -> dict[str, Any]:
    return head | {"available": False, "note": note} | dict.fromkeys(PARTS)


def _load(record: ResultRecord, artifacts: ArtifactStore) -> tuple[dict[str, Any], list[str]]:
    """The stored aerial image and matrix that can be read, and why each other one cannot."""
    loaded: dict[str, Any] = {}
    problems: list[str] = []
    for name, load in ((AERIAL, load_image), (FEM, load_fem)):
        key = record.artifacts.get(name)
        if key is None:
            problems.append(f"the simulator kept no {name} for this job")
            continue
        try:
            data = artifacts.get(key)
        except (KeyError, OSError, ValueError):
            problems.append(f"the artifact {name} is missing from the artifact store")
            continue
        try:
            loaded[name] = load(data)
        except Exception as exc:  # a file of another format, or cut short
            problems.append(f"the artifact {name} cannot be read ({type(exc).__name__})")
    return loaded, problems


def _parts(
    simulation: StoredSimulation, job: JobParameters, problems: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """Each part, or None with the reason in the notes."""
    notes = list(problems)
    image = simulation.nominal_image is not None
    cut: CutSection | None = _attempt(
        "cross-section", lambda: CutSection.of(simulation, job), notes, image
    )
    # name: (what a note calls it, how it is made, whether what it needs is there)
    builders: dict[str, tuple[str, Callable[[], Any], bool]] = {
        "aerial": ("aerial image", lambda: aerial_image(simulation, job, cut), image),
        "cutline": ("cross-section", lambda: cut.as_json() if cut else None, cut is not None),
        "resist": ("resist map", lambda: resist_map(simulation, job), image),
        "target": ("target", lambda: target_mask(simulation), True),
        "fem": (
            "focus-exposure matrix",
            lambda: fem_table(simulation, job),
            simulation.fem is not None,
        ),
    }
    parts = {
        name: _attempt(label, build, notes, possible)
        for name, (label, build, possible) in builders.items()
    }
    return parts, notes


def _attempt(label: str, build: Callable[[], Any], notes: list[str], possible: bool) -> Any:
    """``build()``, or None with a note saying why (a rule the physics states is named; a
    fault of ours is in the log)."""
    if not possible:
        return None
    try:
        return build()
    except ValueError as exc:  # the physics' own rules (InvalidValue): written for engineers
        notes.append(f"no {label}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    except Exception:
        log.exception("plot data: the %s could not be computed", label)
        notes.append(f"no {label}: it could not be computed (the log says why)")
    return None


# --- the frame: one period, pixel centres, at most MAX_SIDE a side ----------------------------


def framed(values: FloatArray) -> FloatArray:
    """One period as drawn: a 1-D grating (one row) repeated one period tall."""
    values = np.asarray(values, dtype=np.float64)
    if values.shape[0] == 1:
        return np.repeat(values, values.shape[1], axis=0)
    return values


def block_factor(shape: tuple[int, ...]) -> int:
    return max(1, math.ceil(max(shape) / MAX_SIDE))


def block_mean(values: FloatArray, factor: int) -> FloatArray:
    """The mean over square blocks of ``factor`` pixels (smaller at the far edges)."""
    if factor == 1:
        return values
    ny, nx = values.shape
    rows = np.add.reduceat(values, np.arange(0, ny, factor), axis=0)
    rows = rows / _block_sizes(ny, factor)[:, None]
    both = np.add.reduceat(rows, np.arange(0, nx, factor), axis=1)
    return np.asarray(both / _block_sizes(nx, factor)[None, :])


def block_centres(size: int, factor: int, pixel_nm: float) -> FloatArray:
    """The centre (nm) of each block of pixels along an axis of ``size`` pixels."""
    starts = np.arange(0, size, factor)
    return np.asarray((starts + _block_sizes(size, factor) / 2) * pixel_nm)


def _block_sizes(size: int, factor: int) -> FloatArray:
    starts = np.arange(0, size, factor)
    return np.diff(np.append(starts, size)).astype(np.float64)


def _grid(values: FloatArray, pixel_nm: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(x centres, y centres, values) of a framed image, block-averaged."""
    factor = block_factor(values.shape)
    ny, nx = values.shape
    return (
        block_centres(nx, factor, pixel_nm),
        block_centres(ny, factor, pixel_nm),
        block_mean(values, factor),
    )


# --- numbers as JSON: finite or None ----------------------------------------------------------


def number(value: Any) -> float | None:
    found = float(value) if value is not None else math.nan
    return found if math.isfinite(found) else None


def positions(values: Iterable[float]) -> list[float]:
    """Positions in nm to 1 pm (every one finite: pixel centres and edges)."""
    return [round(float(v), 3) for v in values]


def levels(values: Iterable[float]) -> list[float]:
    """Intensities to ``DIGITS`` significant digits; never below 0 (|E|² ≥ 0: a negative
    value is the FFT's round-off)."""
    return [float(f"{max(float(v), 0.0):.{DIGITS}g}") for v in values]


# --- the parts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CutSection:
    """The cut line's aerial and latent profiles, the level the resist prints at and its edges:
    what ``lto.matrix.figures``' cross-section draws."""

    x_nm: FloatArray
    aerial: FloatArray
    latent: FloatArray
    level: float
    edges_nm: FloatArray
    at_nm: float

    @classmethod
    def of(cls, simulation: StoredSimulation, job: JobParameters) -> CutSection:
        from lto.matrix.figures import _printing_level
        from lto.matrix.resist import edge_positions

        setup = simulation.setup
        pixel = setup.clip.pixel_nm
        aerial = setup.cut.profile(simulation.nominal_image)
        latent = setup.cut.profile(setup.resist.latent_image(simulation.nominal_image, pixel))
        x = (np.arange(aerial.size) + 0.5) * pixel  # pixel centres
        margin = setup.resist.clearing_margin(latent, job.dose_mj_cm2, pixel_nm=pixel)
        found = bool(np.any(np.diff(np.sign(margin))))
        edges = edge_positions(margin, pixel) + 0.5 * pixel if found else np.array([])
        level = _printing_level(latent, margin, x, edges, setup.resist, job)
        period = aerial.size * pixel
        ny = setup.clip.shape[0]
        # a grating is uniform along y: its cut is drawn across the middle of the frame
        at = period / 2 if ny == 1 else (float(np.mean(setup.cut.rows)) + 0.5) * pixel
        return cls(x, aerial, latent, float(level), np.sort(edges % period), at)

    def as_json(self) -> dict[str, Any]:
        return {
            "x_nm": positions(self.x_nm),
            "intensity": levels(self.aerial),
            "latent": levels(self.latent),
            "threshold": number(self.level),
            "edges_nm": positions(self.edges_nm),
            "axis": "x",  # the cut runs along x through rows of the clip (lto.matrix.fem.CutLine)
            "at_nm": round(self.at_nm, 3),
        }


def aerial_image(
    simulation: StoredSimulation, job: JobParameters, cut: CutSection | None
) -> dict[str, Any]:
    pixel = simulation.setup.clip.pixel_nm
    x, y, intensity = _grid(framed(simulation.nominal_image), pixel)
    return {
        "x_nm": positions(x),
        "y_nm": positions(y),
        "intensity": [levels(row) for row in intensity],
        "print_threshold": None if cut is None else number(cut.level),
        "focus_nm": float(job.focus_nm),
        "dose_mj_cm2": float(job.dose_mj_cm2),
    }


def resist_map(simulation: StoredSimulation, job: JobParameters) -> dict[str, Any]:
    """Where resist is left after development at the job's dose (the clearing margin < 0),
    on the aerial image's grid (a block is resist where most of its pixels are)."""
    setup = simulation.setup
    pixel = setup.clip.pixel_nm
    latent = setup.resist.latent_image(simulation.nominal_image, pixel)
    margin = setup.resist.clearing_margin(latent, job.dose_mj_cm2, pixel_nm=pixel)
    left = framed((np.asarray(margin) < 0).astype(np.float64))
    x, y, share = _grid(left, pixel)
    return {
        "x_nm": positions(x),
        "y_nm": positions(y),
        "remaining": (share >= 0.5).astype(int).tolist(),
    }


def target_mask(simulation: StoredSimulation) -> dict[str, Any]:
    """The mask's polygons as drawn, in the frame of the aerial image (a grating's line
    runs the frame's full height)."""
    clip = simulation.setup.clip
    if clip.drawing is None:
        raise ValueError("the job's clip keeps no drawing of its mask")
    polygons = []
    for polygon in clip.drawing.polygons:
        points = np.asarray(polygon, dtype=np.float64)
        if clip.shape[0] == 1:
            x0, x1, top = points[:, 0].min(), points[:, 0].max(), clip.size_nm[1]
            points = np.array([[x0, 0.0], [x0, top], [x1, top], [x1, 0.0]])
        polygons.append([positions(point) for point in points])
    return {"polygons": polygons}


def fem_table(simulation: StoredSimulation, job: JobParameters) -> dict[str, Any]:
    """The CD table ([dose][focus]), best focus and dose to size as the job found them, and
    the window: DoF and EL as the job's search measured them, the largest rectangle at the
    required EL in this matrix (as the process-window picture draws it)."""
    from lto.athena import process_window as pw

    matrix, result, profile = simulation.fem, simulation.result, simulation.setup.profile
    cd = np.asarray(matrix.cd_nm, dtype=np.float64)
    window = None
    if np.any(np.isfinite(cd)):
        el = profile.required_exposure_latitude
        doses = pw.dose_window(
            cd, matrix.focus_nm, matrix.dose_mj_cm2,
            target_cd_nm=job.target_cd_nm, tolerance=profile.cd_tolerance_fraction,
        )  # fmt: skip
        fit = pw.rectangular_window(doses, required_el=el)
        rectangle = None
        if fit.dof_nm > 0 and fit.exposure_latitude >= el:
            (f0, f1), (d0, d1) = fit.focus_range_nm, fit.dose_range
            rectangle = {"focus_low_nm": f0, "focus_high_nm": f1,
                         "dose_low_mj_cm2": d0, "dose_high_mj_cm2": d1}  # fmt: skip
        window = {
            "dof_nm": number(result.depth_of_focus_nm),
            "el_pct": number(result.exposure_latitude_pct),
            "dof_is_bound": bool(result.depth_of_focus_is_bound),
            "rectangle": rectangle,
        }
    return {
        "focus_nm": [float(f) for f in matrix.focus_nm],
        "dose_mj_cm2": [float(d) for d in matrix.dose_mj_cm2],
        "cd_nm": [[_cd(v) for v in row] for row in cd.T.tolist()],
        "best_focus_nm": number(result.best_focus_nm),
        "dose_to_size_mj_cm2": number(result.dose_to_size_mj_cm2),
        "window": window,
    }


def _cd(value: float) -> float | None:
    return round(value, 3) if math.isfinite(value) else None


# --- kept for the last few jobs ---------------------------------------------------------------


class AnswerCache:
    """The last ``size`` answers (their JSON), by job, result and state: a finished job's
    images never change, so its plot data is computed once."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._found: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], make: Callable[[], bytes]) -> bytes:
        with self._lock:
            if key in self._found:
                self._found.move_to_end(key)
                return self._found[key]
        made = make()
        with self._lock:
            self._found[key] = made
            while len(self._found) > self.size:
                self._found.popitem(last=False)
        return made

    def clear(self) -> None:
        with self._lock:
            self._found.clear()


CACHE = AnswerCache()


__all__ = [
    "CACHE",
    "MAX_SIDE",
    "AnswerCache",
    "CutSection",
    "aerial_image",
    "block_centres",
    "block_factor",
    "block_mean",
    "fem_table",
    "framed",
    "job_plot_data",
    "number",
    "resist_map",
    "target_mask",
]
