"""The focus-exposure matrix: CD at every (focus, dose), one aerial image per focus.

Dose scales the latent image linearly, so each focus costs one image (Hopkins kernels cached per
focus) and every dose only a CD extraction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from lto.matrix.backend import ArrayBackend
from lto.matrix.imaging import Method, aerial_image
from lto.matrix.masks import Clip
from lto.matrix.resist import ResistModel, measure_cd
from lto.matrix.sources import Source

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Optics:
    wavelength_nm: float
    na: float
    source: Source
    medium_index: float = 1.0
    aberrations: Mapping[int, float] | None = None


@dataclass(frozen=True)
class CutLine:
    """Where CD is measured: along x, through ``rows`` of the clip (averaged: two rows put the
    cut on the boundary between them), at the feature's centre ``center_nm``, and its kind."""

    rows: tuple[int, ...]
    center_nm: float
    feature: Literal["resist", "space"] = "resist"

    def profile(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values[list(self.rows)].mean(axis=0))


@dataclass(frozen=True, eq=False)
class FocusExposureMatrix:
    focus_nm: np.ndarray  # (F,)
    dose_mj_cm2: np.ndarray  # (D,)
    cd_nm: np.ndarray  # (F, D), NaN where the feature does not print
    images: dict[float, np.ndarray]  # aerial image per focus

    def bossung(self) -> list[tuple[float, np.ndarray]]:
        """One CD-vs-focus curve per dose."""
        return [(float(d), self.cd_nm[:, j]) for j, d in enumerate(self.dose_mj_cm2)]


def image(
    clip: Clip,
    optics: Optics,
    *,
    defocus_nm: float = 0.0,
    method: Method = "hopkins",
    backend: str | ArrayBackend = "numpy",
) -> np.ndarray:
    return aerial_image(
        clip.transmission,
        pixel_nm=clip.pixel_nm,
        wavelength_nm=optics.wavelength_nm,
        na=optics.na,
        source=optics.source,
        defocus_nm=defocus_nm,
        method=method,
        backend=backend,
        medium_index=optics.medium_index,
        aberrations=optics.aberrations,
    )


def cd_at(
    clip: Clip, intensity: np.ndarray, resist: ResistModel, dose: float, cut: CutLine
) -> float:
    latent = cut.profile(resist.latent_image(intensity, clip.pixel_nm))
    return measure_cd(
        resist.clearing_margin(latent, dose), clip.pixel_nm, cut.center_nm, feature=cut.feature
    )


def focus_exposure_matrix(
    clip: Clip,
    optics: Optics,
    resist: ResistModel,
    cut: CutLine,
    *,
    focus_nm: Sequence[float],
    dose_mj_cm2: Sequence[float],
    method: Method = "hopkins",
    backend: str | ArrayBackend = "numpy",
    progress: Progress | None = None,
) -> FocusExposureMatrix:
    focus = np.asarray(focus_nm, dtype=np.float64)
    doses = np.asarray(dose_mj_cm2, dtype=np.float64)
    if focus.ndim != 1 or doses.ndim != 1 or focus.size < 1 or doses.size < 1:
        raise ValueError("focus_nm, dose_mj_cm2: need 1-D lists of at least one value each")
    cd = np.full((focus.size, doses.size), np.nan)
    images: dict[float, np.ndarray] = {}
    for i, z in enumerate(focus):
        intensity = image(clip, optics, defocus_nm=float(z), method=method, backend=backend)
        images[float(z)] = intensity
        latent_row = cut.profile(resist.latent_image(intensity, clip.pixel_nm))
        for j, dose in enumerate(doses):
            margin = resist.clearing_margin(latent_row, float(dose))
            cd[i, j] = measure_cd(margin, clip.pixel_nm, cut.center_nm, feature=cut.feature)
        if progress is not None:
            progress((i + 1) / focus.size, f"focus {z:+.0f} nm")
    return FocusExposureMatrix(focus, doses, cd, images)
