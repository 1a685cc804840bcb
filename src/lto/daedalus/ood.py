"""Out of distribution: how far a job's features lie from the training set.

The distance is Mahalanobis on the scaled features, with a Ledoit–Wolf-style shrunk covariance
(the one-hot columns make the sample covariance singular). It is reported in units of the
training set's own 99th-percentile distance: 1.0 is the edge of what the models saw, and a
job beyond it is flagged. The threshold comes from the training rows themselves, so about 1% of
in-distribution jobs are flagged by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

QUANTILE = 0.99


@dataclass(frozen=True)
class MahalanobisOOD:
    mean: np.ndarray  # (d,)
    precision: np.ndarray  # (d, d): the inverse of the shrunk covariance
    threshold: float  # the training set's 99th-percentile distance

    @classmethod
    def fit(cls, features: np.ndarray, *, shrinkage: float = 0.05) -> MahalanobisOOD:
        x = np.asarray(features, float)
        if x.ndim != 2 or x.shape[0] < 2:
            raise ValueError(f"features: need a 2-D array of at least 2 rows (got {x.shape})")
        mean = x.mean(axis=0)
        covariance = np.cov(x, rowvar=False)
        target = np.trace(covariance) / covariance.shape[0]
        shrunk = (1.0 - shrinkage) * covariance + shrinkage * target * np.eye(covariance.shape[0])
        precision = np.linalg.pinv(shrunk, hermitian=True)
        fitted = cls(mean, precision, 1.0)
        distances = fitted.distance(x)
        return cls(mean, precision, float(np.quantile(distances, QUANTILE)))

    def distance(self, features: np.ndarray) -> np.ndarray:
        """Mahalanobis distance (not squared) of each row."""
        centred = np.asarray(features, float) - self.mean
        squared = np.sum((centred @ self.precision) * centred, axis=1)  # BLAS, not einsum
        return np.sqrt(np.maximum(squared, 0.0))

    def ratio(self, features: np.ndarray) -> np.ndarray:
        """Distance over the training set's 99th percentile: above 1 is out of distribution."""
        return self.distance(features) / self.threshold

    def to_json(self) -> dict[str, Any]:
        return {
            "mean": self.mean.tolist(),
            "precision": self.precision.tolist(),
            "threshold": self.threshold,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MahalanobisOOD:
        return cls(
            np.asarray(data["mean"], float),
            np.asarray(data["precision"], float),
            float(data["threshold"]),
        )
