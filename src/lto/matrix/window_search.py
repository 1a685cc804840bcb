"""Find the process window wherever it lies, then measure it on a matrix that contains it.

The focus-exposure matrix used to span ±15% of the dose the user typed and ±1.5× a required
DoF around the focus they typed, so a job typed 20% off dose to size had no window in its
matrix, and EL, DoF and best focus moved with where the user centred it. Here the user's dose
and focus play no part:

1. Every focus row costs one aerial image; every dose on it only a development of the cut line
   (dose scales the latent image). So along dose everything is solved exactly by root finding
   on the row (Brent in log dose): the dose to size and the window's edges, the doses where CD
   = target · (1 ∓ tolerance). The dose grid of the matrix is only for tables and pictures.
2. Focus rows sit on a lattice k · step anchored at focus 0 (the lens's focal plane), never at
   the user's focus, so one process always gets the same rows. The search starts at focus 0 and
   ±1, ±2 steps, climbs towards the row of widest exposure latitude if that lies further out,
   then adds rows on each side until the window's EL there falls below the required EL (the DoF
   at the required EL is then measured inside the matrix, not cut by it), coarsening the step
   far out, up to ``max_focus_nm``. A window spanning fewer than five rows is refined by
   halving the step around it.
3. Best focus is the centre of the Bossung family: the focus where the window is widest in
   dose (the maximum of a cubic spline of the rows' exact EL). For symmetric Bossung curves it
   is their common extremum; unlike the extremum of the curve at dose to size it stays defined
   at the isofocal dose, where that curve is flat (dense lines at 50% duty print the target at
   every focus there). Best focus then gets a row of its own (one image, which the simulator
   reuses for NILS and MEEF there), on which dose to size and EL are solved exactly. Rows
   symmetric about a system's symmetry give a best focus on that symmetry exactly.
4. What the matrix could not close is reported as a bound: the DoF when the window at the
   required EL still holds at the widest focus allowed, or when the dose range searched cuts
   the window at any focus; the EL when an edge of the window at best focus lies outside the
   dose range searched.

Outcomes (``ProcessWindow.status``): ``"ok"`` (a window was found, even if narrower than the
required EL: then DoF is 0), ``"no_window"`` (the feature prints but its CD is never within
target ± tolerance at any focus searched) and ``"nothing_prints"`` (no focus and no dose in the
range prints the feature at all). ``reason`` says why in words.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq

from lto.athena import process_window as pw
from lto.matrix.fem import FocusExposureMatrix, Gauge

Status = Literal["ok", "no_window", "nothing_prints"]
ImageAt = Callable[[float], np.ndarray]
Progress = Callable[[float, str], None]

MIN_ROWS_IN_WINDOW = 5  # fewer rows than this inside the window: halve the step around it
MAX_HALVINGS = 3
ROOT_XTOL = 1e-8  # in log dose: a relative dose error of 1e-8


@dataclass(frozen=True)
class WindowSpec:
    """What the search looks for and how far it may go.

    ``focus_step_nm``: the lattice step the rows start with. ``initial_rows``: rows at ±1..±n
    steps evaluated first; beyond ``coarse_after`` steps the step doubles, beyond twice that it
    doubles again. ``max_focus_nm``: no row further than this from focus 0. ``dose_bracket``:
    the doses searched (mJ/cm²). ``focus_range``/``dose_range``: given by the user, they replace
    the search: ``focus_points`` evenly spaced rows over ``focus_range``, roots only inside
    ``dose_range``. ``dose_points``: doses of the matrix's CD table.
    """

    target_cd_nm: float
    tolerance: float
    required_el: float
    focus_step_nm: float
    max_focus_nm: float
    dose_bracket: tuple[float, float]
    fallback_dose: float
    initial_rows: int = 2
    coarse_after: int = 5
    focus_points: int = 11
    dose_points: int = 11
    focus_range: tuple[float, float] | None = None
    dose_range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        for name in ("target_cd_nm", "focus_step_nm", "max_focus_nm", "fallback_dose"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name}: must be a finite number > 0 (got {value})")
        if not 0 < self.tolerance < 1:
            raise ValueError(f"tolerance: must lie in (0, 1) (got {self.tolerance})")
        if not 0 <= self.required_el < 2:
            raise ValueError(f"required_el: must lie in [0, 2) (got {self.required_el})")
        _check_range("dose_bracket", self.dose_bracket, positive=True)
        if self.dose_range is not None:
            _check_range("dose_range", self.dose_range, positive=True)
        if self.focus_range is not None:
            _check_range("focus_range", self.focus_range, positive=False)
        if self.focus_points < 3 or self.dose_points < 2:
            raise ValueError(
                f"focus_points, dose_points: need ≥ 3 and ≥ 2 (got {self.focus_points}, "
                f"{self.dose_points})"
            )

    @property
    def doses_searched(self) -> tuple[float, float]:
        return self.dose_range if self.dose_range is not None else self.dose_bracket


def _check_range(name: str, bounds: tuple[float, float], *, positive: bool) -> None:
    low, high = (float(b) for b in bounds)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"{name}: must be two finite numbers, low < high (got {bounds})")
    if positive and low <= 0:
        raise ValueError(f"{name}: doses must be > 0 (got {bounds})")


@dataclass(frozen=True, eq=False)
class Row:
    """One focus: its cut line's latent image and the doses solved on it (NaN: none)."""

    focus_nm: float
    latent: np.ndarray
    size_dose: float
    low: float
    high: float
    low_is_bound: bool  # the window's edge is the end of the doses searched, not a CD edge
    high_is_bound: bool
    printed: bool  # some dose searched printed the feature (a CD between 0 and the period)

    @property
    def has_window(self) -> bool:
        return bool(np.isfinite(self.low) and np.isfinite(self.high))

    @property
    def exposure_latitude(self) -> float:
        """(high − low)/centre, 0 without a window."""
        return 2.0 * (self.high - self.low) / (self.high + self.low) if self.has_window else 0.0


@dataclass(frozen=True, eq=False)
class ProcessWindow:
    """The search's answer: the matrix, the window on its rows, and the metrics with bounds."""

    status: Status
    reason: str | None
    matrix: FocusExposureMatrix
    window: pw.DoseWindow
    rows: tuple[Row, ...]
    best_focus_nm: float
    dose_to_size: float
    exposure_latitude: float  # fraction, at best focus
    exposure_latitude_is_bound: bool
    fit: pw.WindowFit  # the rectangle at the required EL: its dof_nm is the DoF
    depth_of_focus_is_bound: bool
    gauge: Gauge = field(repr=False)

    @property
    def focus_range_nm(self) -> tuple[float, float]:
        return (float(self.matrix.focus_nm[0]), float(self.matrix.focus_nm[-1]))

    @property
    def dose_range_mj_cm2(self) -> tuple[float, float]:
        return (float(self.matrix.dose_mj_cm2[0]), float(self.matrix.dose_mj_cm2[-1]))

    def cd_surface(
        self, doses: np.ndarray, extra: dict[float, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(focus, CD[focus, dose]) on every row (plus ``extra`` focus → image) at ``doses``.

        For integrals around an operating point the matrix's own dose grid does not reach:
        every extra dose costs a development of each row, no image.
        """
        latents = {row.focus_nm: row.latent for row in self.rows}
        for where, intensity in (extra or {}).items():
            latents.setdefault(float(where), self.gauge.latent(intensity))
        focus = np.array(sorted(latents))
        cd = np.array([[self.gauge.cd(latents[f], float(d)) for d in doses] for f in focus])
        return focus, cd


class WindowSearch:
    """Runs the search of the module docstring for one clip; see :meth:`run`."""

    def __init__(
        self,
        gauge: Gauge,
        image_at: ImageAt,
        spec: WindowSpec,
        progress: Progress | None = None,
    ) -> None:
        self.gauge = gauge
        self.spec = spec
        self._image_at = image_at
        self._progress = progress or (lambda fraction, message: None)
        self._rows: dict[float, Row] = {}
        self.images: dict[float, np.ndarray] = {}

    # --- one row -------------------------------------------------------------------------------

    def row(self, focus_nm: float) -> Row:
        """The row at ``focus_nm`` (one image, cached), with its doses solved."""
        key = float(np.round(focus_nm, 9))
        if key not in self._rows:
            intensity = self._image_at(key)
            self.images[key] = intensity
            self._rows[key] = self._solve(key, self.gauge.latent(intensity))
            count = len(self._rows)
            self._progress(min(0.95, count / (count + 6.0)), f"focus {key:+.1f} nm")
        return self._rows[key]

    def _solve(self, focus: float, latent: np.ndarray) -> Row:
        spec, target = self.spec, self.spec.target_cd_nm
        low_dose, high_dose = spec.doses_searched
        seen: list[float] = []

        def cd(log_dose: float) -> float:
            value = self.gauge.signed_cd(latent, math.exp(log_dose))
            seen.append(value)
            return value

        ends = (math.log(low_dose), math.log(high_dose))
        at_ends = (cd(ends[0]), cd(ends[1]))
        size = _dose_for(cd, ends, at_ends, target, tolerance=0.25 * spec.tolerance * target)
        edges = [
            _dose_for(cd, ends, at_ends, value, tolerance=0.25 * spec.tolerance * target)
            for value in (target * (1 - spec.tolerance), target * (1 + spec.tolerance))
        ]
        low, high, low_bound, high_bound = _window(
            edges, at_ends, ends, target, spec.tolerance, lambda d: cd(math.log(d))
        )
        period = latent.size * self.gauge.pixel_nm
        printed = any(0.0 < v < period for v in seen)
        return Row(focus, latent, size, low, high, low_bound, high_bound, printed)

    # --- the search ------------------------------------------------------------------------------

    def run(self) -> ProcessWindow:
        if self.spec.focus_range is not None:
            low, high = self.spec.focus_range
            for focus in np.linspace(low, high, self.spec.focus_points):
                self.row(float(focus))
            open_ends = self._open_ends()
        else:
            open_ends = self._search_lattice()
        return self._measure(open_ends)

    def _search_lattice(self) -> tuple[bool, bool]:
        """Rows on the lattice; returns whether the window still holds the required EL at the
        farthest row allowed on the (low, high) side."""
        step, spec = self.spec.focus_step_nm, self.spec
        limit = math.floor(spec.max_focus_nm / step + 1e-9)
        initial = min(spec.initial_rows, limit)
        ks = list(range(-initial, initial + 1))
        for k in ks:
            self.row(k * step)
        # locate: walk outwards until some row has a window
        while not any(self._rows[k * step].has_window for k in ks):
            low_k, high_k = ks[0] - self._step(ks[0]), ks[-1] + self._step(ks[-1])
            grew = False
            for k in (low_k, high_k):
                if abs(k) <= limit:
                    self.row(k * step)
                    ks.append(k)
                    grew = True
            ks.sort()
            if not grew:
                return (False, False)
        # climb and widen: extend a side while its outermost row is the widest or still open
        open_ends = [False, False]
        for side in (0, 1):
            while True:
                end = ks[0] if side == 0 else ks[-1]
                outer = self._rows[end * step]
                widest = max(self._rows[k * step].exposure_latitude for k in ks)
                climbing = outer.exposure_latitude >= widest and outer.has_window
                holding = outer.exposure_latitude >= spec.required_el and outer.has_window
                if not (climbing or holding):
                    break
                k = end - self._step(end) if side == 0 else end + self._step(end)
                if abs(k) > limit:
                    open_ends[side] = holding
                    break
                self.row(k * step)
                ks.insert(0, k) if side == 0 else ks.append(k)
        self._refine()
        return (open_ends[0], open_ends[1])

    def _step(self, k: int) -> int:
        """Lattice steps to the next row beyond ``k``: 1 near focus 0, then 2, then 4."""
        after = self.spec.coarse_after
        return 1 if abs(k) < after else 2 if abs(k) < 2 * after else 4

    def _refine(self) -> None:
        """Halve the step around a window spanning fewer than ``MIN_ROWS_IN_WINDOW`` rows."""
        for _ in range(MAX_HALVINGS):
            rows = self.sorted_rows()
            latitudes = np.array([r.exposure_latitude for r in rows])
            if latitudes.max() <= 0:
                return
            floor = min(self.spec.required_el, 0.5 * latitudes.max())
            inside = np.flatnonzero(latitudes >= floor)
            if inside.size >= MIN_ROWS_IN_WINDOW:
                return
            first, last = max(inside[0] - 1, 0), min(inside[-1] + 1, len(rows) - 1)
            for a, b in zip(rows[first:last], rows[first + 1 : last + 1], strict=True):
                self.row(0.5 * (a.focus_nm + b.focus_nm))

    def _open_ends(self) -> tuple[bool, bool]:
        rows = self.sorted_rows()
        holds = [r.has_window and r.exposure_latitude >= self.spec.required_el for r in rows]
        return (holds[0], holds[-1])

    def sorted_rows(self) -> list[Row]:
        return [self._rows[f] for f in sorted(self._rows)]

    # --- the metrics -----------------------------------------------------------------------------

    def _measure(self, open_ends: tuple[bool, bool]) -> ProcessWindow:
        status, reason = self._status(self.sorted_rows())
        best, size, el, el_bound = float("nan"), float("nan"), 0.0, False
        if status == "ok":
            best, size = self._best_focus_and_dose(self.sorted_rows())
            at_best = self._row_at(best)  # solved exactly there: one image, reused for NILS
            if at_best.has_window:
                el, el_bound = (
                    at_best.exposure_latitude,
                    at_best.low_is_bound or at_best.high_is_bound,
                )
            if np.isfinite(at_best.size_dose):
                size = at_best.size_dose
        rows = self.sorted_rows()
        focus = np.array([r.focus_nm for r in rows])
        window = pw.DoseWindow(
            focus,
            np.array([r.low if r.has_window else np.nan for r in rows]),
            np.array([r.high if r.has_window else np.nan for r in rows]),
        )
        fit = pw.WindowFit("rectangle", 0.0, 0.0, float("nan"), float("nan"))
        dof_bound = False
        if status == "ok":
            fit = pw.rectangular_window(window, required_el=self.spec.required_el)
            cut_in_dose = any(r.low_is_bound or r.high_is_bound for r in rows)
            dof_bound = cut_in_dose or (fit.dof_nm > 0 and self._touches_end(fit, focus, open_ends))
        matrix = self._table(rows, size)
        return ProcessWindow(
            status, reason, matrix, window, tuple(rows), best, size, el, el_bound, fit,
            dof_bound, self.gauge,
        )  # fmt: skip

    def _row_at(self, focus_nm: float) -> Row:
        """The row at ``focus_nm``: an existing one within 1e-6 nm, else a new one."""
        nearest = min(self._rows, key=lambda f: abs(f - focus_nm))
        return self._rows[nearest] if abs(nearest - focus_nm) <= 1e-6 else self.row(focus_nm)

    def _status(self, rows: list[Row]) -> tuple[Status, str | None]:
        low, high = self.spec.doses_searched
        where = f"at focus {rows[0].focus_nm:+.4g} to {rows[-1].focus_nm:+.4g} nm"
        doses = f"doses {low:.4g} to {high:.4g} mJ/cm²"
        if not any(r.printed for r in rows):
            return "nothing_prints", f"the feature does not print {where} at {doses}"
        if not any(r.has_window for r in rows):
            target, tol = self.spec.target_cd_nm, self.spec.tolerance
            return "no_window", (
                f"the CD is never within {target:g} nm ± {100 * tol:g}% {where} at {doses}"
            )
        return "ok", None

    def _best_focus_and_dose(self, rows: list[Row]) -> tuple[float, float]:
        """Best focus (where the window is widest in dose) and dose to size there."""
        run = _widest_run(rows)
        focus = np.array([r.focus_nm for r in run])
        latitudes = np.array([r.exposure_latitude for r in run])
        widest = int(np.argmax(latitudes))
        best = _peak(focus, latitudes, near=_vertex(focus, latitudes, widest))
        sizes = np.array([r.size_dose for r in run])
        fallback = 0.5 * (run[widest].low + run[widest].high)
        return best, _spline_at(focus, sizes, best, fallback=fallback)

    def _touches_end(
        self, fit: pw.WindowFit, focus: np.ndarray, open_ends: tuple[bool, bool]
    ) -> bool:
        """Whether the DoF rectangle is cut by the matrix's end on a side where the window
        still held the required EL at the farthest row allowed."""
        start, stop = fit.focus_range_nm
        margin = 1e-6 * (focus[-1] - focus[0])
        return (open_ends[0] and start <= focus[0] + margin) or (
            open_ends[1] and stop >= focus[-1] - margin
        )

    def _table(self, rows: list[Row], size: float) -> FocusExposureMatrix:
        """The CD table on a dose grid that shows the window closing on both sides."""
        spec = self.spec
        if spec.dose_range is not None:
            doses = np.linspace(*spec.dose_range, spec.dose_points)
        else:
            lows = [r.low for r in rows if r.has_window]
            highs = [r.high for r in rows if r.has_window]
            center = size if np.isfinite(size) else spec.fallback_dose
            if lows:
                low, high = min(lows), max(highs)
                pad = max(0.25 * (high - low), 0.05 * center)
            else:
                low = high = center
                pad = 0.15 * center
            low, high = max(low - pad, spec.dose_bracket[0]), min(high + pad, spec.dose_bracket[1])
            doses = np.linspace(low, high, spec.dose_points)
        focus = np.array([r.focus_nm for r in rows])
        cd = np.array([[self.gauge.cd(r.latent, float(d)) for d in doses] for r in rows])
        images = {r.focus_nm: self.images[r.focus_nm] for r in rows}
        return FocusExposureMatrix(focus, doses, cd, images)


# --- root finding on one row -----------------------------------------------------------------


def _dose_for(
    cd: Callable[[float], float],
    ends: tuple[float, float],
    at_ends: tuple[float, float],
    value: float,
    *,
    tolerance: float,
) -> float:
    """The dose (not its log) where the row's CD crosses ``value``; NaN where it does not cross
    inside the bracket or jumps across it (the feature appears or vanishes there)."""
    if (at_ends[0] - value) * (at_ends[1] - value) > 0:
        return float("nan")
    root = brentq(lambda x: cd(x) - value, ends[0], ends[1], xtol=ROOT_XTOL)
    if abs(cd(root) - value) > tolerance:  # a jump, not a crossing
        return float("nan")
    return float(math.exp(root))


def _window(
    edges: list[float],
    at_ends: tuple[float, float],
    ends: tuple[float, float],
    target: float,
    tolerance: float,
    cd_at_dose: Callable[[float], float],
) -> tuple[float, float, bool, bool]:
    """(low, high, low is bound, high is bound) of the doses printing CD in spec on a row."""
    nan = float("nan")
    if at_ends[0] == at_ends[1]:
        return nan, nan, False, False
    rising = at_ends[1] > at_ends[0]  # spaces widen with dose, lines narrow
    enter, leave = (edges[0], edges[1]) if rising else (edges[1], edges[0])
    in_spec = [abs(v - target) <= tolerance * target for v in at_ends]
    low_bound, high_bound = math.isnan(enter) and in_spec[0], math.isnan(leave) and in_spec[1]
    low = math.exp(ends[0]) if low_bound else enter
    high = math.exp(ends[1]) if high_bound else leave
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        return nan, nan, False, False
    if abs(cd_at_dose(math.sqrt(low * high)) - target) > tolerance * target * (1 + 1e-6):
        return nan, nan, False, False  # the CD jumps over the spec instead of passing through
    return low, high, low_bound, high_bound


# --- along focus -------------------------------------------------------------------------------


def _widest_run(rows: list[Row]) -> list[Row]:
    """The contiguous rows with a window around the row of widest EL."""
    widest = int(np.argmax([r.exposure_latitude for r in rows]))
    first = widest
    while first > 0 and rows[first - 1].has_window:
        first -= 1
    last = widest
    while last < len(rows) - 1 and rows[last + 1].has_window:
        last += 1
    return rows[first : last + 1]


def _vertex(focus: np.ndarray, values: np.ndarray, widest: int) -> float:
    """The vertex of the parabola through the row ``widest`` and its neighbours (the row
    itself at a run's end or where the parabola opens upwards)."""
    if widest == 0 or widest == values.size - 1:
        return float(focus[widest])
    x, y = focus[widest - 1 : widest + 2], values[widest - 1 : widest + 2]
    c2, c1, _ = np.polyfit(x, y, 2)
    if c2 >= 0:
        return float(focus[widest])
    return float(np.clip(-c1 / (2 * c2), x[0], x[-1]))


def _peak(focus: np.ndarray, values: np.ndarray, *, near: float) -> float:
    """The maximum of the cubic spline through (focus, values) nearest ``near``; ``near``
    itself where the spline has no maximum inside or too few rows."""
    if values.size < 3:
        return near
    spline = CubicSpline(focus, values)
    roots = spline.derivative().roots(extrapolate=False)
    roots = roots[np.isfinite(roots)]
    roots = roots[spline(roots, 2) < 0] if roots.size else roots
    if roots.size == 0:
        return near
    return float(roots[np.argmin(np.abs(roots - near))])


def _spline_at(focus: np.ndarray, values: np.ndarray, at: float, *, fallback: float) -> float:
    ok = np.isfinite(values)
    if ok.sum() == 0:
        return float(fallback)
    if ok.sum() == 1:
        return float(values[ok][0])
    x, y = focus[ok], values[ok]
    if not x[0] <= at <= x[-1]:
        return float(np.interp(at, x, y))
    if x.size == 2:
        return float(np.interp(at, x, y))
    return float(CubicSpline(x, y)(at))
