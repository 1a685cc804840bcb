"""Process-window metrics from a CD(focus, dose) grid, and image-quality metrics.

Conventions: ``cd`` has shape (F, D), CD in nm at ``focus_nm[i]`` (F values, nm, + into the
resist) and ``dose[j]`` (D values, mJ/cm²). NaN means "nothing printed". Exposure latitude (EL)
is a fraction: the width of a dose range over its centre.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lto.athena._arrays import FloatArray, as_float_array, check_positive
from lto.athena.quadrature import check_grid, interpolation_matrix, refine_grid

BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class DoseWindow:
    """The in-spec dose interval [low, high] at every focus; NaN where no dose prints in spec."""

    focus_nm: FloatArray
    low: FloatArray
    high: FloatArray

    @property
    def exposure_latitude(self) -> FloatArray:
        """EL at each focus: (high − low) / ((high + low)/2); 0 where there is no window."""
        with np.errstate(invalid="ignore"):
            el = 2.0 * (self.high - self.low) / (self.high + self.low)
        return np.asarray(np.nan_to_num(el, nan=0.0))


@dataclass(frozen=True)
class WindowFit:
    """The largest process window of a shape at the required EL."""

    shape: str
    dof_nm: float
    exposure_latitude: float
    focus_center_nm: float
    dose_center: float

    @property
    def focus_range_nm(self) -> tuple[float, float]:
        return (self.focus_center_nm - self.dof_nm / 2, self.focus_center_nm + self.dof_nm / 2)

    @property
    def dose_range(self) -> tuple[float, float]:
        half = self.exposure_latitude * self.dose_center / 2
        return (self.dose_center - half, self.dose_center + half)


def _surface(
    cd: ArrayLike, focus_nm: ArrayLike, dose: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    focus, doses = check_grid(focus_nm, "focus_nm"), check_grid(dose, "dose")
    surface = np.asarray(cd, dtype=np.float64)
    if surface.shape != (focus.size, doses.size):
        raise ValueError(
            f"cd_nm: shape must be (focus, dose) = ({focus.size}, {doses.size}), got {surface.shape}"
        )
    return surface, focus, doses


def _crossing(x0: float, x1: float, g0: float, g1: float) -> float:
    """Where the linear function through (x0, g0), (x1, g1) is zero."""
    return x0 + (x1 - x0) * g0 / (g0 - g1)


def _row_interval(doses: FloatArray, margin: FloatArray) -> tuple[float, float]:
    """The widest contiguous dose interval with margin ≥ 0, its edges linearly interpolated."""
    ok = np.isfinite(margin) & (margin >= 0)
    if not ok.any():
        return (np.nan, np.nan)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], ok.astype(np.int8), [0]))))
    starts, stops = edges[::2], edges[1::2] - 1
    best = int(np.argmax(doses[stops] - doses[starts]))
    i, j = int(starts[best]), int(stops[best])
    low = (
        doses[i]
        if i == 0 or not np.isfinite(margin[i - 1])
        else _crossing(doses[i - 1], doses[i], margin[i - 1], margin[i])
    )
    last = doses.size - 1
    high = (
        doses[j]
        if j == last or not np.isfinite(margin[j + 1])
        else _crossing(doses[j], doses[j + 1], margin[j], margin[j + 1])
    )
    return (float(low), float(high))


def dose_window(
    cd_nm: ArrayLike,
    focus_nm: ArrayLike,
    dose: ArrayLike,
    *,
    target_cd_nm: float,
    tolerance: float = 0.10,
) -> DoseWindow:
    """The in-spec dose interval (|CD − target| ≤ tolerance · target) at every focus."""
    cd, focus, doses = _surface(cd_nm, focus_nm, dose)
    margin = tolerance * target_cd_nm - np.abs(cd - target_cd_nm)
    bounds = np.array([_row_interval(doses, row) for row in margin]).reshape(focus.size, 2)
    return DoseWindow(focus, bounds[:, 0], bounds[:, 1])


def overlap(windows: Sequence[DoseWindow]) -> DoseWindow:
    """The common window of several features printed together (same focus grid)."""
    if not windows:
        raise ValueError("windows: need at least one")
    focus = windows[0].focus_nm
    if any(w.focus_nm.shape != focus.shape or not np.allclose(w.focus_nm, focus) for w in windows):
        raise ValueError("windows: all must share the same focus grid")
    low = np.max([w.low for w in windows], axis=0)
    high = np.min([w.high for w in windows], axis=0)
    empty = ~(high >= low)
    return DoseWindow(focus, np.where(empty, np.nan, low), np.where(empty, np.nan, high))


def _fine(window: DoseWindow, refine: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The window's edges on a refined focus grid; −/+inf where it is closed.

    Each run of focus rows that all have a window is interpolated on its own (cubic where the
    run has three rows or more, so parabolic edges are exact); a refined point between a row
    with a window and one without is closed, since where in between it closes is unknown.
    """
    fine_focus = refine_grid(window.focus_nm, refine)
    fine_low = np.full(fine_focus.size, np.inf)
    fine_high = np.full(fine_focus.size, -np.inf)
    present = np.isfinite(window.low) & np.isfinite(window.high)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], present.astype(np.int8), [0]))))
    for first, stop in zip(edges[::2], edges[1::2], strict=True):
        nodes = window.focus_nm[first:stop]
        inside = (fine_focus >= nodes[0]) & (fine_focus <= nodes[-1])
        if nodes.size == 1:
            fine_low[inside], fine_high[inside] = window.low[first], window.high[first]
            continue
        matrix = interpolation_matrix(nodes, fine_focus[inside], cubic=True)
        fine_low[inside] = matrix @ window.low[first:stop]
        fine_high[inside] = matrix @ window.high[first:stop]
    return fine_focus, fine_low, fine_high


def rectangular_window(
    window: DoseWindow, *, required_el: float = 0.05, refine: int = 20, dose_steps: int = 64
) -> WindowFit:
    """The widest focus range over which one dose range of EL ≥ ``required_el`` stays in spec.

    The widest rectangle has an EL of exactly ``required_el`` (a wider dose range only shortens
    it), so it is found over its lower dose L alone: for each L the dose range is [L, H] with
    2(H − L)/(H + L) = EL, and its focus extent is the longest run of focus where the window
    holds it, its ends interpolated where low(f) reaches L or high(f) reaches H (the window's
    edges are cubic between the matrix's focus rows). L is scanned on ``dose_steps`` values and
    the best refined by a bounded scalar search, so the DoF is continuous in the data, not a
    multiple of a grid step. A focus row with no window closes the range at its neighbour.
    """
    if not 0.0 <= required_el < 2.0:
        raise ValueError(f"required_el: must lie in [0, 2) as a fraction (got {required_el})")
    focus, low, high = _fine(window, refine)
    empty = WindowFit("rectangle", 0.0, 0.0, float("nan"), float("nan"))
    open_ = np.isfinite(low) & np.isfinite(high) & (high >= low)
    if not open_.any():
        return empty
    ratio = (1.0 + required_el / 2.0) / (1.0 - required_el / 2.0)  # H / L at that EL

    def extent(lower: float) -> tuple[float, float, float]:
        return _longest_run(focus, low, high, lower, lower * ratio)

    candidates = np.linspace(low[open_].min(), high[open_].max() / ratio, dose_steps)
    lengths = [extent(float(c))[0] for c in candidates]
    k = int(np.argmax(lengths))
    if lengths[k] <= 0.0 and not _holds(low, high, candidates[k], candidates[k] * ratio).any():
        best_lower = _widest_lower(low, high, ratio, open_)
        if best_lower is None:
            return empty
    else:
        lo = candidates[max(k - 1, 0)]
        hi = candidates[min(k + 1, candidates.size - 1)]
        best_lower = float(candidates[k])
        if hi > lo:
            from scipy.optimize import minimize_scalar

            found = minimize_scalar(
                lambda c: -extent(float(c))[0],
                bounds=(float(lo), float(hi)),
                method="bounded",
                options={"xatol": 1e-9 * max(abs(hi), 1.0)},
            )
            if -found.fun >= lengths[k]:
                best_lower = float(found.x)
    dof, start, stop = extent(best_lower)
    if not np.isfinite(start):
        return empty
    return WindowFit(  # its EL is required_el by construction (H = ratio · L)
        "rectangle",
        float(dof),
        float(required_el),
        float(0.5 * (start + stop)),
        float(0.5 * best_lower * (1.0 + ratio)),
    )


def _holds(low: FloatArray, high: FloatArray, lower: float, upper: float) -> BoolArray:
    """Where the window holds the dose range [lower, upper] (False where it is closed)."""
    with np.errstate(invalid="ignore"):
        return np.asarray((low <= lower) & (high >= upper))


def _widest_lower(
    low: FloatArray, high: FloatArray, ratio: float, open_: BoolArray
) -> float | None:
    """A lower dose whose range fits at the focus where the window is widest (a zero-length
    rectangle), or None where no focus holds a range of the required EL."""
    with np.errstate(invalid="ignore"):
        fits = open_ & (high >= low * ratio)
    if not fits.any():
        return None
    i = int(np.argmax(np.where(fits, high / np.where(low > 0, low, np.inf), -np.inf)))
    return float(low[i])


def _longest_run(
    focus: FloatArray, low: FloatArray, high: FloatArray, lower: float, upper: float
) -> tuple[float, float, float]:
    """(length, start, end) of the longest focus interval holding [lower, upper]; its ends are
    interpolated linearly between the nodes where the holding stops. (0, nan, nan) if none."""
    holds = _holds(low, high, lower, upper)
    if not holds.any():
        return (0.0, float("nan"), float("nan"))
    edges = np.flatnonzero(np.diff(np.concatenate(([0], holds.astype(np.int8), [0]))))
    best = (-1.0, float("nan"), float("nan"))
    for first, last in zip(edges[::2], edges[1::2] - 1, strict=True):
        start = _run_end(focus, low, high, lower, upper, int(first), int(first) - 1)
        stop = _run_end(focus, low, high, lower, upper, int(last), int(last) + 1)
        if stop - start > best[0]:
            best = (stop - start, start, stop)
    return best


def _run_end(
    focus: FloatArray,
    low: FloatArray,
    high: FloatArray,
    lower: float,
    upper: float,
    inside: int,
    outside: int,
) -> float:
    """Where, between the node ``inside`` (holding) and ``outside`` (not, or off the grid), the
    window stops holding [lower, upper]: the nearer of the linear crossings low = lower and
    high = upper. A closed node (no window) or the grid's end stops it at ``inside``."""
    if outside < 0 or outside >= focus.size:
        return float(focus[inside])
    if not (np.isfinite(low[outside]) and np.isfinite(high[outside])):
        return float(focus[inside])
    fraction = 1.0
    for value_in, value_out, limit, sign in (
        (low[inside], low[outside], lower, 1.0),  # low must stay ≤ lower
        (high[inside], high[outside], upper, -1.0),  # high must stay ≥ upper
    ):
        if sign * (value_out - limit) > 0:  # violated at the outside node
            fraction = min(fraction, float((limit - value_in) / (value_out - value_in)))
    return float(focus[inside] + fraction * (focus[outside] - focus[inside]))


def elliptical_window(
    window: DoseWindow, *, required_el: float = 0.05, refine: int = 20, dose_steps: int = 64
) -> WindowFit:
    """The widest ellipse (focus axis = DoF, dose axis = EL · centre dose) inside the window."""
    focus, low, high = _fine(window, refine)
    finite = np.isfinite(low) & np.isfinite(high)
    if not finite.any():
        return WindowFit("ellipse", 0.0, 0.0, float("nan"), float("nan"))
    best = WindowFit("ellipse", 0.0, 0.0, float("nan"), float("nan"))
    edge = np.minimum(focus - focus[0], focus[-1] - focus)  # the ellipse stays on the grid
    distance = np.abs(focus[:, None] - focus[None, :])  # [candidate centre, focus]
    for center in np.linspace(low[finite].min(), high[finite].max(), dose_steps):
        b = required_el * center / 2.0
        margin = np.clip(np.minimum(center - low, high - center), 0.0, None)  # (F,)
        ratio = np.clip(margin / b, 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = np.where(ratio < 1.0, distance / np.sqrt(1.0 - ratio**2)[None, :], np.inf)
        semi = np.minimum(reach.min(axis=1), edge)
        semi[margin < b] = 0.0  # the centre itself must hold the full dose axis
        k = int(np.argmax(semi))
        if 2 * semi[k] > best.dof_nm:
            best = WindowFit(
                "ellipse", float(2 * semi[k]), required_el, float(focus[k]), float(center)
            )
    return best


def el_dof_curve(
    window: DoseWindow, exposure_latitudes: ArrayLike, *, refine: int = 20
) -> FloatArray:
    """DoF of the rectangular window at each EL: the classic EL–DoF tradeoff curve."""
    return np.array(
        [
            rectangular_window(window, required_el=float(e), refine=refine).dof_nm
            for e in np.atleast_1d(exposure_latitudes)
        ]
    )


def bossung_fits(cd_nm: ArrayLike, focus_nm: ArrayLike, dose: ArrayLike) -> FloatArray:
    """Least-squares parabola CD = c0 + c1·f + c2·f² per dose: shape (D, 3), NaN rows skipped."""
    cd, focus, doses = _surface(cd_nm, focus_nm, dose)
    coefficients = np.full((doses.size, 3), np.nan)
    for j in range(doses.size):
        ok = np.isfinite(cd[:, j])
        if ok.sum() >= 3:
            coefficients[j] = np.polynomial.polynomial.polyfit(focus[ok], cd[ok, j], 2)
    return coefficients


def dose_to_size(cd_at_focus: ArrayLike, dose: ArrayLike, *, target_cd_nm: float) -> float:
    """The dose at which CD equals the target (linear between grid doses); NaN if never."""
    cd = np.asarray(cd_at_focus, dtype=np.float64)
    doses = check_grid(dose, "dose")
    error = cd - target_cd_nm
    for j in range(doses.size - 1):
        e0, e1 = error[j], error[j + 1]
        if np.isfinite(e0) and np.isfinite(e1) and (e0 == 0 or e0 * e1 < 0):
            return float(_crossing(doses[j], doses[j + 1], e0, e1)) if e0 != 0 else float(doses[j])
    if np.isfinite(error[-1]) and error[-1] == 0:
        return float(doses[-1])
    return float("nan")


def best_focus(
    cd_nm: ArrayLike, focus_nm: ArrayLike, dose: ArrayLike, *, target_cd_nm: float
) -> float:
    """The vertex of the Bossung parabola at the grid dose closest to dose-to-size.

    Without aberrations the Bossung curves are symmetric about best focus, so this is where CD is
    stationary in focus.
    """
    cd, focus, doses = _surface(cd_nm, focus_nm, dose)
    fits = bossung_fits(cd, focus, doses)
    nominal = int(np.argmin(np.abs(focus)))
    size_dose = dose_to_size(cd[nominal], doses, target_cd_nm=target_cd_nm)
    j = int(np.argmin(np.abs(doses - size_dose))) if np.isfinite(size_dose) else doses.size // 2
    _, c1, c2 = fits[j]
    if not np.isfinite(c2) or c2 == 0:
        return float("nan")
    return float(-c1 / (2 * c2))


def edge_crossings(x_nm: ArrayLike, intensity: ArrayLike, threshold: float) -> FloatArray:
    """Positions where the intensity profile crosses ``threshold`` (linear interpolation)."""
    x = check_grid(x_nm, "x_nm")
    profile = as_float_array(intensity, "intensity")
    if profile.shape != x.shape:
        raise ValueError(f"intensity: must match x_nm's shape {x.shape}, got {profile.shape}")
    above = profile - threshold
    sign_change = np.flatnonzero(np.signbit(above[:-1]) != np.signbit(above[1:]))
    return np.array([_crossing(x[i], x[i + 1], above[i], above[i + 1]) for i in sign_change])


def nils(x_nm: ArrayLike, intensity: ArrayLike, *, threshold: float, cd_nm: float) -> float:
    """Normalised image log-slope CD · |d ln I / dx| at the threshold edges (mean over edges).

    NILS below ~1.5 prints poorly; above ~2 is comfortable. NaN if no edge crosses.
    """
    x = check_grid(x_nm, "x_nm")
    profile = check_positive(as_float_array(intensity, "intensity"), "intensity", allow_zero=True)
    edges = edge_crossings(x, profile, threshold)
    if edges.size == 0:
        return float("nan")
    slope = np.interp(edges, x, np.gradient(profile, x))
    return float(np.mean(cd_nm * np.abs(slope) / threshold))


def meef(mask_cd_nm: ArrayLike, wafer_cd_nm: ArrayLike, *, magnification: float = 1.0) -> float:
    """Mask error enhancement factor: d(wafer CD) / d(mask CD / magnification), by least squares.

    1 means mask errors print one-for-one; low-k1 features amplify them (MEEF > 1).
    """
    mask = as_float_array(mask_cd_nm, "mask_cd_nm") / magnification
    wafer = as_float_array(wafer_cd_nm, "wafer_cd_nm")
    if mask.size < 2 or mask.shape != wafer.shape or np.ptp(mask) == 0:
        raise ValueError("mask_cd_nm: need at least two different mask CDs, one wafer CD each")
    slope, _ = np.polyfit(mask, wafer, 1)
    return float(slope)
