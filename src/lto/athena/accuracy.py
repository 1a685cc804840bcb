"""Surrogate accuracy in the seed's sense: the share of predictions within tolerance of physics.

A job's prediction is *within tolerance* when every one of its scores is within ``tolerance``
(absolute, on the [0, 1] score scale; 0.05 by default) of the physics. Targets: at least 97.5% of
all jobs and 98.5% of critical jobs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from lto.athena._arrays import as_float_array

DEFAULT_TOLERANCE = 0.05
OVERALL_TARGET = 0.975
CRITICAL_TARGET = 0.985


def within_tolerance(
    predicted: ArrayLike, actual: ArrayLike, *, tolerance: float = DEFAULT_TOLERANCE
) -> np.ndarray:
    """Per job (row): True when all its scores are within ``tolerance`` of the physics."""
    pred, act = as_float_array(predicted, "predicted"), as_float_array(actual, "actual")
    if pred.shape != act.shape:
        raise ValueError(f"predicted, actual: shapes differ ({pred.shape} vs {act.shape})")
    error = np.abs(pred - act)
    return np.asarray(error <= tolerance if error.ndim == 1 else np.all(error <= tolerance, axis=1))


@dataclass(frozen=True)
class AccuracyReport:
    overall: float
    critical: float | None
    per_signal: tuple[float, ...]
    jobs: int
    critical_jobs: int
    tolerance: float

    @property
    def meets_targets(self) -> bool:
        critical_ok = self.critical is None or self.critical >= CRITICAL_TARGET
        return self.overall >= OVERALL_TARGET and critical_ok


def accuracy_report(
    predicted: ArrayLike,
    actual: ArrayLike,
    *,
    critical: ArrayLike | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> AccuracyReport:
    """Shares within tolerance overall, on critical jobs, and per signal (column)."""
    pred, act = as_float_array(predicted, "predicted"), as_float_array(actual, "actual")
    pred, act = np.atleast_2d(pred.T).T, np.atleast_2d(act.T).T
    if pred.shape[0] == 0:
        raise ValueError("predicted: no jobs")
    hits = within_tolerance(pred, act, tolerance=tolerance)
    mask = np.zeros(hits.size, bool) if critical is None else np.asarray(critical, dtype=bool)
    if mask.shape != hits.shape:
        raise ValueError(f"critical: needs one flag per job ({hits.size}), got {mask.shape}")
    per_signal = tuple(float(v) for v in np.mean(np.abs(pred - act) <= tolerance, axis=0))
    return AccuracyReport(
        overall=float(hits.mean()),
        critical=float(hits[mask].mean()) if mask.any() else None,
        per_signal=per_signal,
        jobs=int(hits.size),
        critical_jobs=int(mask.sum()),
        tolerance=tolerance,
    )
