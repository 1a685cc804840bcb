"""Gaussian quadrature over a sampled surface: the exact probability mass of each grid cell.

A CD(focus, dose) surface is known only at grid nodes. To integrate a function of it against
Gaussian focus and dose variation without sampling noise, the surface is refined by
interpolation and every refined node gets the exact Gaussian mass of its cell (cell walls halfway
between nodes; the outermost cells reach to ±∞, so the masses always sum to 1 and the surface is
taken as constant beyond its edges).

A cell's mass is not spread evenly over it: where the Gaussian falls steeply (a spec edge two
sigma out) the half of a cell nearer the mean holds more of it. ``gaussian_cells`` also returns,
per cell, where its mass is centred and how wide the cell is in units of probability, so that an
integrand that changes sign inside a cell can be split by mass rather than by length.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr, ndtri

from lto.athena._arrays import FloatArray, as_float_array


def check_grid(values: ArrayLike, name: str) -> FloatArray:
    nodes = as_float_array(values, name)
    if nodes.ndim != 1 or nodes.size < 2:
        raise ValueError(f"{name}: must be a 1-D grid of at least 2 values")
    if np.any(np.diff(nodes) <= 0):
        raise ValueError(f"{name}: must be strictly increasing")
    return nodes


def refine_grid(nodes: FloatArray, factor: int) -> FloatArray:
    """``factor`` − 1 evenly spaced points inserted in every interval of ``nodes``."""
    if factor < 1:
        raise ValueError(f"refine: must be ≥ 1 (got {factor})")
    steps = np.linspace(0.0, 1.0, factor, endpoint=False)
    inner = (nodes[:-1, None] + np.diff(nodes)[:, None] * steps[None, :]).ravel()
    return np.append(inner, nodes[-1])


def interpolation_matrix(
    nodes: FloatArray, points: FloatArray, *, cubic: bool = True
) -> FloatArray:
    """Matrix ``M`` with ``M @ values_at_nodes`` = interpolation at ``points``.

    Cubic: the not-a-knot cubic spline, exact for polynomials up to degree 3 (a parabolic
    Bossung curve is reproduced exactly); linear otherwise.
    """
    if cubic and nodes.size >= 3:
        from scipy.interpolate import CubicSpline

        spline = CubicSpline(nodes, np.eye(nodes.size), axis=0)
        return np.asarray(spline(np.clip(points, nodes[0], nodes[-1])), dtype=np.float64)
    index = np.clip(np.searchsorted(nodes, points, side="right") - 1, 0, nodes.size - 2)
    left, right = nodes[index], nodes[index + 1]
    weight = np.clip((points - left) / (right - left), 0.0, 1.0)
    matrix = np.zeros((points.size, nodes.size))
    rows = np.arange(points.size)
    matrix[rows, index] = 1.0 - weight
    matrix[rows, index + 1] += weight
    return matrix


def gaussian_cell_masses(nodes: FloatArray, mean: FloatArray, sigma: FloatArray) -> FloatArray:
    """Probability that N(mean, sigma²) falls in each node's cell; shape ``(N,) + mean.shape``.

    Nodes come first so that, for many jobs, every operation runs along the long job axis.
    ``sigma`` = 0 puts all the mass in the cell that holds ``mean``.
    """
    walls = 0.5 * (nodes[1:] + nodes[:-1])  # the outer walls at ±inf need no evaluation
    mean, sigma = np.asarray(mean, dtype=np.float64), np.asarray(sigma, dtype=np.float64)
    z = walls.reshape((walls.size,) + (1,) * mean.ndim) - mean
    with np.errstate(divide="ignore", invalid="ignore"):
        z /= sigma
    z[np.isnan(z)] = np.inf  # a wall exactly at the mean with sigma 0
    cdf = ndtr(z)
    masses = np.empty((nodes.size, *cdf.shape[1:]))
    masses[0] = cdf[0]
    np.subtract(cdf[1:], cdf[:-1], out=masses[1:-1])
    np.subtract(1.0, cdf[-1], out=masses[-1])
    return masses


def gaussian_cells(
    nodes: FloatArray, mean: FloatArray, sigma: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Each node's cell under N(mean, sigma²): its mass, mass centre, width and bend in mass.

    Returns ``(masses, offsets, widths, bends)``, each of shape ``(N,) + mean.shape``:
    - ``masses``: as ``gaussian_cell_masses``;
    - ``offsets``: the cell's median (the point splitting its mass in two) minus the node;
    - ``widths``: w = mass / density at that median, the cell's length as the mass sees it;
    - ``bends``: c = w · (median − mean) / sigma², how far x(u) bends within the cell, where u
      (0 to 1) is the share of the cell's mass below x: x ≈ median + w·t + ½·c·w·t², t = u − ½.

    Why: a function g that is linear across a cell, g = g_node + s·(x − node), is positive on
    the share ½ + ξ + ½·c·sign(s)·ξ² of the cell's *mass*, ξ = (g_node + s·offset) / (|s|·w)
    (clipped to [0, 1]), accurate to third order in the cell's size even where the density
    changes fast across it; the share of its *length* instead biases a spec edge two sigma out
    by a few percent on an 11 × 11 grid. Outermost cells reach to ±∞: there the offset is
    clipped to the finite half cell and the width to its length, which honours "constant beyond
    the edges". Cells of zero mass get offset, width and bend 0 (they carry no weight).
    """
    masses = gaussian_cell_masses(nodes, mean, sigma)
    mean, sigma = np.asarray(mean, dtype=np.float64), np.asarray(sigma, dtype=np.float64)
    shape = (nodes.size,) + (1,) * mean.ndim
    walls = 0.5 * (nodes[1:] + nodes[:-1])
    low = np.concatenate((nodes[:1], walls)).reshape(shape)  # ±∞ walls replaced by the node
    high = np.concatenate((walls, nodes[-1:])).reshape(shape)
    z_low = (low - mean) / np.where(sigma > 0, sigma, 1.0)
    cdf_low = ndtr(z_low)
    cdf_low[0] = 0.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z_median = ndtri(np.clip(cdf_low + 0.5 * masses, 0.0, 1.0))
        median = mean + sigma * z_median
        density = np.exp(-0.5 * z_median**2) / (np.sqrt(2.0 * np.pi) * sigma)
        widths = masses / density
    node = nodes.reshape(shape)
    usable = (masses > 0) & np.isfinite(median) & np.isfinite(widths)
    offsets = np.where(usable, np.clip(median, low, high) - node, 0.0)
    widths = np.where(usable, np.minimum(widths, high - low), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        bends = np.where(usable & (sigma > 0), widths * (median - mean) / sigma**2, 0.0)
    return masses, offsets, widths, np.clip(bends, -1.0, 1.0)
