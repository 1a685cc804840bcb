"""Exact integration of partially coherent illumination over the source.

A source point σ passes diffraction order k (spatial frequency f_k) when |σ + f_k·λ/NA| ≤ 1: the
orders cut the source into regions bounded by circle arcs (the pupil circle shifted to each order,
and the source's own outline), and inside a region the set of passed orders is constant. In focus,
without aberrations and in the scalar model, every point of a region gives the same image, so the
image is exact when each region is weighted by its exact area. Out of focus (or with aberrations,
or with vector imaging) the image varies smoothly inside each region and is integrated there.

The rule: cut the σ plane into horizontal strips at every y where the arrangement of circles
changes (circle tops and bottoms, pairwise intersections, pixel rows), so that inside a strip each
chord endpoint is an analytic function of y except for square-root behaviour at the strip's
ends. Along y, Gauss–Legendre in t with y = a + (b − a)·sin²(πt/2) removes that square root; along
each line, the breakpoints (chord endpoints) are exact, and each segment between two breakpoints
lies in one region. Segments get one node (in focus) or Gauss–Legendre nodes (smooth case).
In focus the nodes of a region merge into one point carrying the region's area; in the smooth
case nodes merge only when their number would exceed a budget, into cells small enough that the
phase varies by less than about 0.4 rad across one (second order: the cell's centroid carries
its weight, and the region's own set of passed orders, so no node ever passes the wrong orders).

Clips with very many orders (large 2-D clips) make too many strips: they use the area-weighted
grid of the source (``Source.sx/sy/weights``; see docs/physics.md for the measured error).
"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lto.matrix import sources
from lto.matrix.sources import Geometry, Source

_MAX_CROSSING_ORDERS = 160  # orders whose pupil circle cuts the source
_MAX_WORK = 60_000  # strips × circles: above it the arrangement is too fine to be worth cutting
_GRID_BUDGET = 4e9  # grid nodes × orders² for the fallback (the Hopkins kernels' cost)
_NODE_BUDGET = 1500  # smooth-case nodes before they merge into cells
_IN_FOCUS_LINES = 8  # Gauss nodes per strip for the exact areas (merged afterwards: free)
_SMOOTH_LINES = 6  # at least this many out of focus (areas to ~1e-6 per strip)
_EPS = 1e-12


@dataclass(frozen=True, eq=False)
class SourceQuadrature:
    """Nodes (σ units) and weights (summing to 1) that integrate the source, and at each node
    the orders it passes (``passes[q, k]`` for the orders given), exactly as its region does."""

    sx: NDArray[np.float64]
    sy: NDArray[np.float64]
    weights: NDArray[np.float64]
    passes: NDArray[np.bool_]
    exact: bool  # region-exact (True) or the fallback grid (False)

    @property
    def size(self) -> int:
        return int(self.sx.size)


@functools.cache
def gauss_nodes(count: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gauss–Legendre nodes and weights on [0, 1]."""
    x, w = np.polynomial.legendre.leggauss(count)
    nodes, weights = (x + 1.0) / 2.0, w / 2.0
    nodes.flags.writeable = False
    weights.flags.writeable = False
    return nodes, weights


_TOLERANCE = 1e-6  # per patch, of the integral of e^(iφ)


@functools.cache
def _span_limits(tolerance: float) -> NDArray[np.float64]:
    """For n = 1…32 nodes, the largest phase span n Gauss–Legendre nodes integrate e^(iφ) over to
    ``tolerance``: the rule's error is (n!)⁴ a²ⁿ / ((2n+1) ((2n)!)³) for a span a."""
    limits = []
    for count in range(1, 33):
        scale = (2 * count + 1) * math.factorial(2 * count) ** 3 / math.factorial(count) ** 4
        limits.append((tolerance * scale) ** (1.0 / (2 * count)))
    return np.asarray(limits)


def nodes_for(phase_span: ArrayLike, minimum: int, tolerance: float = _TOLERANCE) -> Any:
    """The fewest Gauss–Legendre nodes (at least ``minimum``, at most 32) that integrate a
    function whose phase turns by ``phase_span`` radians across the interval to ``tolerance``;
    an array of counts for an array of spans."""
    counts = np.searchsorted(_span_limits(tolerance), np.asarray(phase_span)) + 1
    counts = np.clip(counts, max(minimum, 1), 32)
    return int(counts) if np.ndim(counts) == 0 else counts


_CACHE: OrderedDict[tuple[object, ...], SourceQuadrature] = OrderedDict()
_CACHE_SIZE = 64


def clear_cache() -> None:
    _CACHE.clear()
    _GRID_CACHE.clear()


def source_quadrature(
    source: Source, orders: NDArray[np.float64], *, smoothness: float
) -> SourceQuadrature:
    """Quadrature of ``source`` for a clip whose diffraction orders sit at ``orders`` ((N, 2), in
    units of NA/λ: the order k passes at σ when |σ + orders[k]| ≤ 1).

    ``smoothness`` is the fastest rate (radians per unit σ) at which a source point's image can
    change inside a region (defocus, aberration and polarisation phases); 0 means the image is
    constant in each region (scalar, in focus, no aberrations).
    """
    rung = _rung(smoothness)
    key = (source.key(), orders.tobytes(), rung)
    return _remembered(_CACHE, _CACHE_SIZE, key, lambda: _build(source, orders, rung))


def _remembered(
    cache: OrderedDict[tuple[object, ...], SourceQuadrature],
    size: int,
    key: tuple[object, ...],
    build: Callable[[], SourceQuadrature],
) -> SourceQuadrature:
    """``cache[key]``, built on a miss; the least recently used entry goes beyond ``size``."""
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = cache[key] = build()
    if len(cache) > size:
        cache.popitem(last=False)
    return value


def _rung(smoothness: float) -> float:
    """``smoothness`` rounded up to a rung of a ladder of ratio 1.5: nearby focus values share
    one (slightly finer) quadrature, so a focus-exposure matrix builds a few, not one per row."""
    if smoothness <= 0:
        return 0.0
    return float(1.5 ** math.ceil(math.log(smoothness) / math.log(1.5) - 1e-9))


def _passes(sx: np.ndarray, sy: np.ndarray, orders: np.ndarray) -> NDArray[np.bool_]:
    """``|σ + order|² ≤ 1`` for every (node, order), as |σ|² + 2 σ·order ≤ 1 − |order|²: one
    small matrix product instead of a dozen (nodes × orders) temporaries."""
    if not (sx.size and len(orders)):
        return np.zeros((sx.size, len(orders)), dtype=bool)
    points = np.column_stack([sx, sy])
    lhs = points @ (2.0 * orders.T)
    lhs += (sx * sx + sy * sy)[:, None]
    return np.asarray(lhs <= (1.0 + 1e-12) - np.einsum("ij,ij->i", orders, orders)[None, :])


def _passes_outside(
    sx: np.ndarray, sy: np.ndarray, orders: np.ndarray, crossing: np.ndarray, extent: float
) -> NDArray[np.bool_]:
    """``_passes`` for orders whose circle does not cut a shape of radius ``extent``: each such
    order passes at every node (its circle holds the shape) or at none."""
    passes = np.empty((sx.size, len(orders)), dtype=bool)
    passes[:] = (np.hypot(orders[:, 0], orders[:, 1]) <= 1.0)[None, :]
    passes[:, crossing] = False
    return passes


_GRID_CACHE: OrderedDict[tuple[object, ...], SourceQuadrature] = OrderedDict()


def _grid_rule(source: Source, orders: np.ndarray) -> SourceQuadrature:
    """``_split_grid`` remembered: it does not depend on focus, so a focus-exposure matrix builds
    it once."""
    key = (source.key(), orders.tobytes())
    return _remembered(_GRID_CACHE, 8, key, lambda: _split_grid(source, orders))


def _split_grid(source: Source, orders: np.ndarray) -> SourceQuadrature:
    """The area-weighted grid for clips with too many orders to cut exactly. Each cell is split
    where a pupil circle crosses it, at 8 × 8 sub-points: one node per (cell, set of passed
    orders), with that part's area at its centroid. The cells are never coarser than a quarter
    of the shape's narrowest feature (a pole's radius, a ring's width) nor 0.1 σ. Where splitting
    would cost too much (nodes × orders² over a budget: the ICCAD clips' thousands of orders),
    each cell is one node at its centroid."""
    geometry = source.geometry
    step = min(sources.DEFAULT_STEP, geometry.feature / 4.0) if geometry else 1.0
    cells_estimate = source.size * (sources.DEFAULT_STEP / step) ** 2
    if geometry is None or cells_estimate * 8 * len(orders) ** 2 > _GRID_BUDGET:
        # too many orders to split cells at the kernels' cost (the ICCAD clips): the shape's
        # own area-weighted points, each passing orders all or nothing
        passes = _passes(source.sx, source.sy, orders)
        return SourceQuadrature(source.sx, source.sy, source.weights, passes, exact=False)
    px, py, brightness, _ = sources.subsamples(geometry, step)
    cells = np.broadcast_to(np.arange(px.shape[0])[:, None], px.shape).ravel()
    px, py, brightness = px.ravel(), py.ravel(), brightness.ravel()
    lit = brightness > 0
    px, py, brightness, cells = px[lit], py[lit], brightness[lit], cells[lit]
    extent = geometry.extent
    distance = np.hypot(orders[:, 0], orders[:, 1])
    crossing = np.flatnonzero((distance < 1.0 + extent) & (distance > 1.0 - extent))
    split = crossing.size > 0
    group = cells
    if split:  # each cell's parts that pass different orders become their own nodes
        sets = _set_ids(_passes(px, py, orders[crossing]))
        group = cells * (int(sets.max()) + 1) + sets
    sx, sy, weight, first = _centroids(group, brightness, px, py)
    passes = _passes(sx, sy, orders)  # right for every order that does not cut the shape
    if split:
        passes[:, crossing] = _passes(px[first], py[first], orders[crossing])
    return SourceQuadrature(sx, sy, weight / weight.sum(), passes, exact=False)


def _set_ids(passes: np.ndarray) -> NDArray[np.int64]:
    """A dense id (0, 1, …) per distinct row of booleans: equal rows, equal ids."""
    packed = np.ascontiguousarray(np.packbits(passes, axis=1))
    if packed.shape[1] <= 8:  # up to 64 orders: each row is one uint64, sorted far faster
        padded = np.zeros((packed.shape[0], 8), np.uint8)
        padded[:, : packed.shape[1]] = packed
        rows = padded.view(np.uint64).ravel()
    else:
        rows = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, ids = np.unique(rows, return_inverse=True)
    return np.asarray(ids, dtype=np.int64).ravel()


def _centroids(
    group: np.ndarray, weights: np.ndarray, sx: np.ndarray, sy: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each group of nodes as one: its weighted centroid, its total weight, and the index of one
    of its nodes (whose passed orders the group shares)."""
    _, group = np.unique(group, return_inverse=True)
    group = np.asarray(group).ravel()
    count = int(group.max()) + 1
    total = np.bincount(group, weights, minlength=count)
    cx = np.bincount(group, weights * sx, minlength=count) / total
    cy = np.bincount(group, weights * sy, minlength=count) / total
    first = np.full(count, -1, dtype=np.int64)
    first[group[::-1]] = np.arange(group.size)[::-1]
    return cx, cy, total, first


def _build(source: Source, orders: np.ndarray, smoothness: float) -> SourceQuadrature:
    geometry = source.geometry
    if geometry is None or (source.size == 1 and source.max_sigma == 0.0):
        return _grid_rule(source, orders)  # points given as such, or the coherent point
    extent = geometry.extent
    distance = np.hypot(orders[:, 0], orders[:, 1])
    crossing = np.flatnonzero((distance < 1.0 + extent - _EPS) & (distance > 1.0 - extent + _EPS))
    if crossing.size > _MAX_CROSSING_ORDERS:
        return _grid_rule(source, orders)
    order_circles = np.column_stack(
        [-orders[crossing, 0], -orders[crossing, 1], np.ones(crossing.size)]
    )
    circles = np.vstack([geometry.circles(), order_circles])
    strips = _strip_edges(circles, geometry, extent)
    if (strips.size - 1) * len(circles) > _MAX_WORK:
        return _grid_rule(source, orders)
    sx, sy, weights, segment, (mx, my) = _nodes(circles, geometry, strips, smoothness)
    keep = weights > 0
    sx, sy, weights, segment = sx[keep], sy[keep], weights[keep], segment[keep]
    # a segment lies in one region: its midpoint says which orders (of those whose circles cut
    # the source; the others pass everywhere or nowhere) all its nodes pass
    cut = _passes(mx, my, orders[crossing])
    regions = _set_ids(cut)[segment] if crossing.size else np.zeros(sx.size, np.int64)
    sx, sy, weights, first = _merge(sx, sy, weights, regions, smoothness)
    passes = _passes_outside(sx, sy, orders, crossing, extent)
    passes[:, crossing] = cut[segment[first]]
    total = weights.sum()
    if not total > 0:
        raise ValueError(f"source {source.description!r}: the shape has no area")
    return SourceQuadrature(sx, sy, weights / total, passes, exact=True)


def _strip_edges(circles: np.ndarray, geometry: Geometry, extent: float) -> NDArray[np.float64]:
    """Every y where the arrangement of the circles (and pixel rows) changes, within the shape."""
    x, y, r = circles.T
    values = [y - r, y + r, geometry.pixel_edges(), [-extent, extent]]
    i, j = np.triu_indices(len(circles), k=1)
    dx, dy = x[j] - x[i], y[j] - y[i]
    d = np.hypot(dx, dy)
    meet = (d > np.abs(r[i] - r[j]) + _EPS) & (d < r[i] + r[j] - _EPS)
    i, j, dx, dy, d = i[meet], j[meet], dx[meet], dy[meet], d[meet]
    a = (d**2 + r[i] ** 2 - r[j] ** 2) / (2 * d)
    h = np.sqrt(np.maximum(r[i] ** 2 - a**2, 0.0))
    base = y[i] + a * dy / d
    values += [base + h * dx / d, base - h * dx / d]
    edges = np.concatenate([np.ravel(v) for v in values])
    edges = np.unique(np.clip(edges, -extent, extent))
    return edges[np.concatenate(([True], np.diff(edges) > 1e-10))]


Nodes = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]


def _nodes(circles: np.ndarray, geometry: Geometry, strips: np.ndarray, smoothness: float) -> Nodes:
    """Tensor Gauss nodes over every (strip, segment) patch, weighted by the source's density:
    (x, y, weight, the index of each node's segment, the segments' midpoints (x, y))."""
    a, b = strips[:-1], strips[1:]
    if smoothness == 0:
        counts = np.full(a.size, _IN_FOCUS_LINES)
    else:
        counts = np.atleast_1d(nodes_for(smoothness * (b - a) * np.pi / 2, _SMOOTH_LINES))
    ys, wys = [], []
    for count in np.unique(counts):  # strips of one node count at once (order does not matter)
        pick = counts == count
        t, w = gauss_nodes(int(count))
        lo, span = a[pick][:, None], (b - a)[pick][:, None]
        ys.append((lo + span * np.sin(np.pi * t / 2) ** 2).ravel())
        wys.append((span * (w * np.pi / 2 * np.sin(np.pi * t))).ravel())
    y = np.concatenate(ys)
    wy = np.concatenate(wys)
    lo, hi = _segments(circles, geometry, y)
    length = hi - lo
    if smoothness == 0:
        mid = (lo + hi) / 2
        yy = np.broadcast_to(y[:, None], mid.shape)
        weight = wy[:, None] * length * geometry.density(mid, yy)
        ok = np.isfinite(weight) & (weight > 0)
        mx, my = mid[ok], yy[ok]
        return mx, my, weight[ok], np.arange(mx.size), (mx, my)
    return _smooth_nodes(lo, hi, y, wy, geometry, smoothness)


def _segments(
    circles: np.ndarray, geometry: Geometry, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive breakpoints on each line y: (lines, segments) arrays, NaN where unused."""
    cx, cy, r = circles.T
    half = np.sqrt(np.maximum(r[None, :] ** 2 - (y[:, None] - cy[None, :]) ** 2, 0.0))
    hits = np.abs(y[:, None] - cy[None, :]) < r[None, :]
    left = np.where(hits, cx[None, :] - half, np.nan)
    right = np.where(hits, cx[None, :] + half, np.nan)
    columns = [left, right]
    edges = geometry.pixel_edges()
    if edges.size:
        columns.append(np.broadcast_to(edges[None, :], (y.size, edges.size)))
    points = np.sort(np.concatenate(columns, axis=1), axis=1)  # NaN sort last
    lo, hi = points[:, :-1], points[:, 1:]
    valid = np.isfinite(lo) & np.isfinite(hi) & (hi > lo)
    return np.where(valid, lo, np.nan), np.where(valid, hi, np.nan)


def _smooth_nodes(
    lo: np.ndarray,
    hi: np.ndarray,
    y: np.ndarray,
    wy: np.ndarray,
    geometry: Geometry,
    smoothness: float,
) -> Nodes:
    """Gauss–Legendre nodes along every segment, as many as its phase span needs."""
    valid = np.isfinite(lo)
    line = np.nonzero(valid)[0]
    lo, hi = lo[valid], hi[valid]
    mid = (lo + hi) / 2
    inside = geometry.density(mid, y[line]) > 0
    line, lo, hi, mid = line[inside], lo[inside], hi[inside], mid[inside]
    counts = nodes_for(smoothness * (hi - lo), 1)
    xs, ys, ws, segments = [], [], [], []
    for count in np.unique(counts):
        pick = np.flatnonzero(counts == count)
        t, w = gauss_nodes(int(count))
        span = (hi[pick] - lo[pick])[:, None]
        x = lo[pick][:, None] + span * t[None, :]
        yy = np.broadcast_to(y[line[pick]][:, None], x.shape)
        weight = wy[line[pick]][:, None] * span * w[None, :] * geometry.density(x, yy)
        xs.append(x.ravel())
        ys.append(yy.ravel())
        ws.append(weight.ravel())
        segments.append(np.repeat(pick, int(count)))
    return (
        np.concatenate(xs), np.concatenate(ys), np.concatenate(ws), np.concatenate(segments),
        (mid, y[line]),
    )  # fmt: skip


def _merge(
    sx: np.ndarray,
    sy: np.ndarray,
    weights: np.ndarray,
    regions: np.ndarray,
    smoothness: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nodes of one region (one set of passed orders, ``regions`` its id per node) and one cell
    become one node at their weighted centroid: whole regions in focus, cells of ~0.4 rad of
    phase otherwise. Returns the merged nodes and, for each, one node it was made of."""
    if smoothness > 0 and sx.size <= _NODE_BUDGET:
        return sx, sy, weights, np.arange(sx.size)
    if smoothness == 0:
        group = regions
    else:
        size = max(0.4 / smoothness, 1e-3)
        ix, iy = (np.floor(v / size).astype(np.int64) for v in (sx, sy))
        ix, iy = ix - ix.min(), iy - iy.min()
        cell = ix * (int(iy.max()) + 1) + iy  # one integer per cell: a 1-D sort, not a row sort
        group = cell * (int(regions.max()) + 1) + regions
    return _centroids(group, weights, sx, sy)
