"""Illumination sources in sigma coordinates (units of the pupil's NA).

A point (σx, σy) illuminates the mask with a plane wave whose spatial frequency is
(σx, σy)·NA/λ. Every shape keeps its exact outline (``Geometry``: discs, rings, poles, or a
pixel map), which the imaging engine integrates exactly (``lto.matrix.source_integration``): the
user never chooses a step. Each shape also carries weighted sample points on a square grid of
pitch ``step`` (in σ; each point weighted by the area of the shape inside its cell, at that
part's centroid, weights summing to 1): they draw the source, and they are the fallback rule for
clips with very many diffraction orders. sigma = 0 is one on-axis point: coherent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

DEFAULT_STEP = 0.1
_SUPERSAMPLE = 8  # sub-points per cell side for the area weights


Disc = tuple[float, float, float]  # (centre σx, centre σy, radius)


@dataclass(frozen=True, eq=False)
class Geometry:
    """A source's exact outline and brightness: the union of ``include`` discs minus the
    ``exclude`` discs, inside the unit circle, uniformly bright; or a ``pixels`` map (n×n over
    σ ∈ [−1, 1]², row = σy, column = σx) whose pixels are uniformly bright inside the unit circle.
    """

    include: tuple[Disc, ...] = ()
    exclude: tuple[Disc, ...] = ()
    pixels: NDArray[np.float64] | None = None

    @property
    def extent(self) -> float:
        """The radius (σ) of a disc around the origin that holds the whole shape."""
        if self.pixels is not None:
            return 1.0
        return min(1.0, max(float(np.hypot(x, y) + r) for x, y, r in self.include))

    @property
    def feature(self) -> float:
        """The narrowest part of the shape (σ): a pole's radius, a ring's width, a pixel."""
        if self.pixels is not None:
            return 2.0 / self.pixels.shape[0]
        widths = [r for *_, r in self.include]
        for ox, oy, outer in self.include:
            for ix, iy, inner in self.exclude:
                if np.hypot(ox - ix, oy - iy) < outer:
                    widths.append(max(outer - inner, 1e-3))
        return float(min(widths))

    def circles(self) -> NDArray[np.float64]:
        """Every circle on the outline, (C, 3) as (x, y, r): the unit circle included."""
        discs = [*self.include, *self.exclude, (0.0, 0.0, 1.0)]
        return np.asarray(discs, dtype=np.float64)

    def pixel_edges(self) -> NDArray[np.float64]:
        """The pixel map's cell edges in σ (empty for disc shapes)."""
        if self.pixels is None:
            return np.empty(0)
        return np.linspace(-1.0, 1.0, self.pixels.shape[0] + 1)

    def density(self, x: np.ndarray, y: np.ndarray) -> NDArray[np.float64]:
        """Brightness at (x, y) (unnormalised): 0 outside the shape."""
        inside = x**2 + y**2 <= 1.0
        if self.pixels is not None:
            n = self.pixels.shape[0]
            col = np.clip(np.floor((x + 1.0) * n / 2.0).astype(np.int64), 0, n - 1)
            row = np.clip(np.floor((y + 1.0) * n / 2.0).astype(np.int64), 0, n - 1)
            return np.where(inside, self.pixels[row, col], 0.0)
        hit = np.zeros(np.broadcast_shapes(np.shape(x), np.shape(y)), dtype=bool)
        for cx, cy, r in self.include:
            hit |= (x - cx) ** 2 + (y - cy) ** 2 <= r**2
        for cx, cy, r in self.exclude:
            hit &= (x - cx) ** 2 + (y - cy) ** 2 > r**2
        return (hit & inside).astype(np.float64)

    def key(self) -> tuple[object, ...]:
        pixels = None if self.pixels is None else self.pixels.tobytes()
        return (self.include, self.exclude, pixels)


@dataclass(frozen=True, eq=False)
class Source:
    """Weighted source points; ``sx``, ``sy`` in sigma units, ``weights`` summing to 1, and the
    exact ``geometry`` they sample (None for a source given only as points: it is imaged at
    those points)."""

    sx: NDArray[np.float64]
    sy: NDArray[np.float64]
    weights: NDArray[np.float64]
    description: str = ""
    geometry: Geometry | None = None

    def __post_init__(self) -> None:
        if not (self.sx.shape == self.sy.shape == self.weights.shape) or self.sx.ndim != 1:
            raise ValueError("source: sx, sy and weights must be 1-D arrays of one length")
        if self.sx.size == 0:
            raise ValueError(f"source {self.description!r}: the shape holds no sample point")
        if not (np.all(np.isfinite(self.sx)) and np.all(np.isfinite(self.sy))):
            raise ValueError("source: sx and sy must be finite")
        if np.any(np.hypot(self.sx, self.sy) > 1.0 + 1e-9):
            raise ValueError("source: points must lie inside the unit circle (sigma ≤ 1)")
        if not np.all(np.isfinite(self.weights)) or np.any(self.weights < 0):
            raise ValueError("source: weights must be finite and ≥ 0")
        if not abs(float(self.weights.sum()) - 1.0) <= 1e-9:
            raise ValueError(
                f"source: weights must sum to 1 (got {float(self.weights.sum()):.6g}); "
                "a clear mask must image to intensity 1"
            )

    @property
    def size(self) -> int:
        return int(self.sx.size)

    @property
    def max_sigma(self) -> float:
        return float(np.max(np.hypot(self.sx, self.sy)))

    def key(self) -> tuple[object, ...]:
        """A hashable identity for caches (the exact points, weights and outline)."""
        outline = None if self.geometry is None else self.geometry.key()
        return (self.sx.tobytes(), self.sy.tobytes(), self.weights.tobytes(), outline)

    def __repr__(self) -> str:
        return f"Source({self.description}, {self.size} points)"


def subsamples(
    geometry: Geometry, step: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The grid of pitch ``step`` with 8 × 8 sub-points per cell: (cells, 64) arrays of the
    sub-points' x, y and brightness, for the cells the shape touches, and each cell's index."""
    if not 0 < step <= 1:
        raise ValueError(f"step: must lie in (0, 1] sigma (got {step})")
    half = int(np.ceil(geometry.extent / step))
    centres = np.arange(-half, half + 1) * step
    cx, cy = np.meshgrid(centres, centres)
    offsets = (np.arange(_SUPERSAMPLE) + 0.5) / _SUPERSAMPLE - 0.5
    ox, oy = np.meshgrid(offsets * step, offsets * step)
    px = (cx[..., None, None] + ox).reshape(-1, _SUPERSAMPLE**2)
    py = (cy[..., None, None] + oy).reshape(-1, _SUPERSAMPLE**2)
    hits = geometry.density(px, py)  # brightness of each sub-point (a pixel map's, or 1)
    touched = np.flatnonzero(hits.sum(axis=1) > 0)
    return px[touched], py[touched], hits[touched], touched


def _sample(geometry: Geometry, step: float, description: str) -> Source:
    px, py, hits, _ = subsamples(geometry, step)
    count = hits.sum(axis=-1)
    keep = count > 0
    # each point sits at the centroid of the part of its cell inside the shape
    centroid_x = (hits * px).sum(axis=-1)[keep] / count[keep]
    centroid_y = (hits * py).sum(axis=-1)[keep] / count[keep]
    return _weighted(centroid_x, centroid_y, count[keep] / _SUPERSAMPLE**2, description, geometry)


def _weighted(
    sx: np.ndarray,
    sy: np.ndarray,
    weights: np.ndarray,
    description: str,
    geometry: Geometry | None = None,
) -> Source:
    w = np.asarray(weights, dtype=np.float64)
    # a cell centre that falls just outside σ = 1 is pulled onto the circle
    radius = np.hypot(sx, sy)
    scale = np.where(radius > 1.0, 1.0 / np.maximum(radius, 1e-300), 1.0)
    return Source(
        np.asarray(sx * scale, dtype=np.float64),
        np.asarray(sy * scale, dtype=np.float64),
        w / w.sum(),
        description,
        geometry,
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
    return _sample(Geometry(include=((0.0, 0.0, sigma),)), step, f"conventional σ={sigma:g}")


def annular(inner: float, outer: float, *, step: float = DEFAULT_STEP) -> Source:
    """A uniform ring between ``inner`` and ``outer`` sigma."""
    inner, outer = _check_sigma("inner", inner), _check_sigma("outer", outer)
    if inner >= outer:
        raise ValueError(f"inner: must be smaller than outer ({inner:g} ≥ {outer:g})")
    geometry = Geometry(include=((0.0, 0.0, outer),), exclude=((0.0, 0.0, inner),))
    return _sample(geometry, step, f"annular {inner:g}/{outer:g}")


def _poles(
    centers: list[tuple[float, float]], radius: float, step: float, description: str
) -> Source:
    geometry = Geometry(include=tuple((float(x), float(y), float(radius)) for x, y in centers))
    return _sample(geometry, step, description)


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
    return _weighted(
        sx[keep], sy[keep], grid[keep], f"pixelated {n}×{n}", Geometry(pixels=grid.copy())
    )
