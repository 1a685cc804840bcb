"""Physics features beside the raw parameters, and the scaler fitted on training data only.

The models see what a lithographer would compute first: k1 of the half-pitch, λ/NA, the
Rayleigh DoF λ/NA², the pitch over the resolution limit λ/(NA(1+σ)), the coherent (λ/NA) and
incoherent (λ/(2NA)) cutoff pitches, and the technology one-hot. Every feature is a function of
the job's parameters alone, so a prediction needs no simulation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

PROFILES: tuple[str, ...] = ("EUV", "ArF-immersion", "ArF-dry", "KrF")
ILLUMINATIONS: tuple[str, ...] = ("conventional", "annular", "dipole", "quadrupole")
PATTERNS: tuple[str, ...] = ("line_space", "contact_array", "line_end")
LEVELS: dict[str, tuple[str, ...]] = {
    "profile": PROFILES,
    "illumination": ILLUMINATIONS,
    "pattern": PATTERNS,
}
NUMERIC: tuple[str, ...] = (
    "na",
    "sigma",
    "sigma_inner",
    "pitch_nm",
    "target_cd_nm",
    "grid_size_nm",
    "resist_thickness_nm",
    "focus_nm",
    "dose_mj_cm2",
)
DERIVED: tuple[str, ...] = (
    "log_wavelength",
    "k1_half_pitch",
    "lambda_over_na",
    "rayleigh_dof_nm",
    "pitch_over_limit",
    "pitch_over_coherent_cutoff",
    "pitch_over_incoherent_cutoff",
    "duty",
    "pixels_per_pitch",
    "grid_over_nyquist",
    "focus_over_rayleigh",
    "thickness_over_cd",
)
FEATURES: tuple[str, ...] = (
    NUMERIC
    + DERIVED
    + tuple(f"{column}={level}" for column, levels in LEVELS.items() for level in levels)
)


def physics_features(frame: pd.DataFrame) -> pd.DataFrame:
    """``FEATURES`` for each row of ``frame`` (which holds ``columns.PARAMETERS``), unscaled,
    as a frame (for datasets; predictions use ``feature_matrix``)."""
    return pd.DataFrame(feature_matrix(frame), index=frame.index, columns=list(FEATURES))


def feature_matrix(columns: Mapping[str, Any]) -> np.ndarray:
    """``FEATURES`` as an (n, d) array from ``columns.PARAMETERS`` given as a frame or a
    mapping of arrays (no pandas on the prediction path: it costs milliseconds per call).

    Categorical levels outside ``LEVELS`` get all-zero one-hots (the domain check flags them).
    """

    def number(name: str) -> np.ndarray:
        return np.asarray(columns[name], dtype=float)

    wavelength, na, sigma = number("wavelength_nm"), number("na"), number("sigma")
    pitch, cd, grid = number("pitch_nm"), number("target_cd_nm"), number("grid_size_nm")
    rayleigh = wavelength / na**2
    derived = {
        "log_wavelength": np.log(wavelength),
        "k1_half_pitch": (pitch / 2) * na / wavelength,
        "lambda_over_na": wavelength / na,
        "rayleigh_dof_nm": rayleigh,
        "pitch_over_limit": pitch * na * (1 + sigma) / wavelength,
        "pitch_over_coherent_cutoff": pitch * na / wavelength,
        "pitch_over_incoherent_cutoff": pitch * 2 * na / wavelength,
        "duty": cd / pitch,
        "pixels_per_pitch": pitch / grid,
        "grid_over_nyquist": grid * 4 * na / wavelength,
        "focus_over_rayleigh": number("focus_nm") / rayleigh,
        "thickness_over_cd": number("resist_thickness_nm") / cd,
    }
    out = np.empty((pitch.size, len(FEATURES)))
    for j, name in enumerate(NUMERIC):
        out[:, j] = number(name)
    for j, name in enumerate(DERIVED, start=len(NUMERIC)):
        out[:, j] = derived[name]
    j = len(NUMERIC) + len(DERIVED)
    for column, levels in LEVELS.items():
        values = np.asarray(columns[column]).astype(str)
        for level in levels:
            out[:, j] = values == level
            j += 1
    return out


@dataclass(frozen=True)
class FeatureScaler:
    """Standardises features with the training set's mean and spread (one-hots included:
    a constant column keeps scale 1). Fitted on the training split only."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, features: np.ndarray) -> FeatureScaler:
        mean = features.mean(axis=0)
        scale = features.std(axis=0)
        return cls(mean, np.where(scale > 1e-12, scale, 1.0))

    def transform(self, features: np.ndarray) -> np.ndarray:
        return (np.asarray(features, float) - self.mean) / self.scale

    def to_json(self) -> dict[str, list[float]]:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, list[float]]) -> FeatureScaler:
        return cls(np.asarray(data["mean"], float), np.asarray(data["scale"], float))


__all__ = ["FEATURES", "FeatureScaler", "feature_matrix", "physics_features"]
