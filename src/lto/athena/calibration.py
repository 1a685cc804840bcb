"""How honest are the intervals? Coverage, width, interval score, and split-conformal repair."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from lto.athena._arrays import FloatArray, as_float_array


def _triple(
    y: ArrayLike, lower: ArrayLike, upper: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    actual, low, high = (
        as_float_array(y, "y"),
        as_float_array(lower, "lower"),
        as_float_array(upper, "upper"),
    )
    if not actual.shape == low.shape == high.shape:
        raise ValueError(
            f"y, lower, upper: shapes differ ({actual.shape}, {low.shape}, {high.shape})"
        )
    if np.any(low > high):
        raise ValueError("lower: must not exceed upper")
    return actual, low, high


def coverage(y: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> FloatArray:
    """Share of actual values inside their interval (per column for 2-D input)."""
    actual, low, high = _triple(y, lower, upper)
    return np.asarray(np.mean((actual >= low) & (actual <= high), axis=0))


def mean_width(lower: ArrayLike, upper: ArrayLike) -> FloatArray:
    low, high = as_float_array(lower, "lower"), as_float_array(upper, "upper")
    return np.asarray(np.mean(high - low, axis=0))


def interval_score(
    y: ArrayLike, lower: ArrayLike, upper: ArrayLike, *, alpha: float = 0.05
) -> FloatArray:
    """Winkler interval score (lower is better): width + (2/α)·distance outside the interval.

    It rewards narrow intervals but charges misses at 2/α, so it cannot be gamed by either
    over- or under-covering.
    """
    actual, low, high = _triple(y, lower, upper)
    penalty = (2.0 / alpha) * (np.clip(low - actual, 0, None) + np.clip(actual - high, 0, None))
    return np.asarray(np.mean(high - low + penalty, axis=0))


def coverage_standard_error(target: float, n: int) -> float:
    """Binomial standard error of an empirical coverage over ``n`` points (≈ 0.7% at n = 1000)."""
    return math.sqrt(target * (1 - target) / n)


@dataclass(frozen=True)
class ConformalCalibrator:
    """Split-conformal scale: intervals μ ± q̂·σ reach ``target`` coverage on exchangeable data."""

    quantile: FloatArray  # q̂ per output
    target: float

    def interval(
        self, mean: ArrayLike, scale: ArrayLike, *, bounds: tuple[float, float] | None = None
    ) -> tuple[FloatArray, FloatArray]:
        mu, sigma = as_float_array(mean, "mean"), as_float_array(scale, "scale")
        low, high = mu - self.quantile * sigma, mu + self.quantile * sigma
        if bounds is not None:
            low, high = np.clip(low, *bounds), np.clip(high, *bounds)
        return np.asarray(low), np.asarray(high)


def split_conformal(
    y: ArrayLike, mean: ArrayLike, scale: ArrayLike, *, target: float = 0.95
) -> ConformalCalibrator:
    """Fit q̂ on a held-out calibration set: the ⌈(n+1)·target⌉-th smallest |y − μ|/σ.

    If the model's σ is too wide, q̂ comes out below 1.96 and the intervals narrow; too narrow,
    and they widen. Works per column for 2-D input.
    """
    actual, mu, sigma = (
        as_float_array(y, "y"),
        as_float_array(mean, "mean"),
        as_float_array(scale, "scale"),
    )
    if not actual.shape == mu.shape == sigma.shape:
        raise ValueError("y, mean, scale: shapes differ")
    if np.any(sigma <= 0):
        raise ValueError("scale: must be > 0")
    if not 0 < target < 1:
        raise ValueError(f"target: must lie in (0, 1) (got {target})")
    n = actual.shape[0]
    rank = math.ceil((n + 1) * target)
    if rank > n:
        raise ValueError(
            f"y: need at least {math.ceil(target / (1 - target))} calibration points for {target:.0%} coverage (got {n})"
        )
    scores = np.sort(np.abs(actual - mu) / sigma, axis=0)
    return ConformalCalibrator(np.asarray(scores[rank - 1]), target)
