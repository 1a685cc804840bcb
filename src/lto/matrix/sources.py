"""Illumination sources as weighted points in sigma coordinates (units of the pupil's NA).

A point (σx, σy) illuminates the mask with a plane wave whose spatial frequency is
(σx, σy)·NA/λ. Shapes are sampled on a square grid of pitch ``step`` (in σ), each point
weighted by the area of the shape inside its cell and placed at that part's centroid (so edges
converge smoothly as the step shrinks; tests/unit/matrix show the convergence), and the weights
are normalised to sum to 1. sigma = 0 is one on-axis point: coherent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

DEFAULT_STEP = 0.1
_SUPERSAMPLE = 8  # sub-points per cell side for the area weights


@dataclass(frozen=True, eq=False)
class Source:
    """Weighted source points; ``sx``, ``sy`` in sigma units, ``weights`` summing to 1."""

    sx: NDArray[np.float64]
    sy: NDArray[np.float64]
    weights: NDArray[np.float64]
    description: str = ""

    def __post_init__(self) -> None:
        if not (self.sx.shape == self.sy.shape == self.weights.shape) or self.sx.ndim != 1:
            raise ValueError("source: sx, sy and weights must be 1-D arrays of one length")
        if self.sx.size == 0:
            raise ValueError(f"source {self.description!r}: the shape holds no sample point")
        if np.any(np.hypot(self.sx, self.sy) > 1.0 + 1e-9):
            raise ValueError("source: points must lie inside the unit circle (sigma ≤ 1)")

    @property
    def size(self) -> int:
        return int(self.sx.size)

    @property
    def max_sigma(self) -> float:
        return float(np.max(np.hypot(self.sx, self.sy)))

    def key(self) -> tuple[bytes, bytes, bytes]:
        """A hashable identity for caches (the exact points and weights)."""
        return (self.sx.tobytes(), self.sy.tobytes(), self.weights.tobytes())

    def __repr__(self) -> str:
        return f"Source({self.description}, {self.size} points)"


def _sample(
    inside: Callable[[np.ndarray, np.ndarray], np.ndarray],
    extent: float,
    step: float,
    description: str,
) -> Source:
    if not 0 < step <= 1:
        raise ValueError(f"step: must lie in (0, 1] sigma (got {step})")
    half = int(np.ceil(extent / step))
    centres = np.arange(-half, half + 1) * step
    cx, cy = np.meshgrid(centres, centres)
    offsets = (np.arange(_SUPERSAMPLE) + 0.5) / _SUPERSAMPLE - 0.5
    ox, oy = np.meshgrid(offsets * step, offsets * step)
    px, py = cx[..., None, None] + ox, cy[..., None, None] + oy
    hits = inside(px, py)
    count = hits.sum(axis=(-1, -2))
    keep = count > 0
    # each point sits at the centroid of the part of its cell inside the shape
    centroid_x = (hits * px).sum(axis=(-1, -2))[keep] / count[keep]
    centroid_y = (hits * py).sum(axis=(-1, -2))[keep] / count[keep]
    return _weighted(centroid_x, centroid_y, count[keep] / _SUPERSAMPLE**2, description)


def _weighted(sx: np.ndarray, sy: np.ndarray, weights: np.ndarray, description: str) -> Source:
    w = np.asarray(weights, dtype=np.float64)
    # a cell centre that falls just outside σ = 1 is pulled onto the circle
    radius = np.hypot(sx, sy)
    scale = np.where(radius > 1.0, 1.0 / np.maximum(radius, 1e-300), 1.0)
    return Source(
        np.asarray(sx * scale, dtype=np.float64),
        np.asarray(sy * scale, dtype=np.float64),
        w / w.sum(),
        description,
    )


def _check_sigma(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}: must lie in [0, 1] (got {value})")
    return float(value)


def conventional(sigma: float, *, step: float = DEFAULT_STEP) -> Source:
    """A uniform disc of radius ``sigma``; sigma = 0 is a single on-axis point (coherent)."""
    sigma = _check_sigma("sigma", sigma)
    if sigma == 0.0:
        return Source(np.zeros(1), np.zeros(1), np.ones(1), "coherent")
    return _sample(lambda x, y: x**2 + y**2 <= sigma**2, sigma, step, f"conventional σ={sigma:g}")


def annular(inner: float, outer: float, *, step: float = DEFAULT_STEP) -> Source:
    """A uniform ring between ``inner`` and ``outer`` sigma."""
    inner, outer = _check_sigma("inner", inner), _check_sigma("outer", outer)
    if inner >= outer:
        raise ValueError(f"inner: must be smaller than outer ({inner:g} ≥ {outer:g})")
    return _sample(
        lambda x, y: (x**2 + y**2 <= outer**2) & (x**2 + y**2 >= inner**2),
        outer,
        step,
        f"annular {inner:g}/{outer:g}",
    )


def _poles(
    centers: list[tuple[float, float]], radius: float, step: float, description: str
) -> Source:
    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        hit = np.zeros(np.broadcast_shapes(x.shape, y.shape), dtype=bool)
        for px, py in centers:
            hit |= (x - px) ** 2 + (y - py) ** 2 <= radius**2
        return hit & (x**2 + y**2 <= 1.0)

    return _sample(inside, 1.0, step, description)


def dipole(center: float, radius: float, axis: str = "x", *, step: float = DEFAULT_STEP) -> Source:
    """Two circular poles of ``radius`` at ±``center`` on the x or y axis (for lines along the
    other axis: an x dipole images vertical lines, i.e. x-periodic gratings)."""
    _check_sigma("center", center)
    if not 0 < radius <= 1:
        raise ValueError(f"radius: must lie in (0, 1] (got {radius})")
    if axis not in ("x", "y"):
        raise ValueError(f"axis: must be 'x' or 'y' (got {axis!r})")
    poles = [(center, 0.0), (-center, 0.0)] if axis == "x" else [(0.0, center), (0.0, -center)]
    return _poles(poles, radius, step, f"dipole-{axis} {center:g}±{radius:g}")


def quadrupole(
    center: float, radius: float, angle_deg: float = 45.0, *, step: float = DEFAULT_STEP
) -> Source:
    """Four circular poles at distance ``center``, the first at ``angle_deg`` (45°: quasar/C-quad;
    0°: cross-quad)."""
    _check_sigma("center", center)
    if not 0 < radius <= 1:
        raise ValueError(f"radius: must lie in (0, 1] (got {radius})")
    angles = np.deg2rad(angle_deg + 90.0 * np.arange(4))
    poles = [(center * np.cos(a), center * np.sin(a)) for a in angles]
    return _poles(poles, radius, step, f"quadrupole {center:g}±{radius:g} @{angle_deg:g}°")


def pixelated(intensity_map: ArrayLike) -> Source:
    """A freeform source: a square map of intensities spanning σ ∈ [−1, 1] on both axes
    (row index = σy, column index = σx); pixels outside the unit circle must be 0."""
    grid = np.asarray(intensity_map, dtype=np.float64)
    if grid.ndim != 2 or grid.shape[0] != grid.shape[1]:
        raise ValueError(f"map: must be a square 2-D array, got shape {grid.shape}")
    if not np.all(np.isfinite(grid)) or np.any(grid < 0):
        raise ValueError("map: intensities must be finite and ≥ 0")
    n = grid.shape[0]
    centres = (np.arange(n) + 0.5) / n * 2.0 - 1.0
    sx, sy = np.meshgrid(centres, centres)
    outside = np.hypot(sx, sy) > 1.0
    if np.any(grid[outside] > 0):
        raise ValueError("map: pixels outside the unit circle (sigma > 1) must be 0")
    keep = grid > 0
    if not keep.any():
        raise ValueError("map: all intensities are 0")
    return _weighted(sx[keep], sy[keep], grid[keep], f"pixelated {n}×{n}")
