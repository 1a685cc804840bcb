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
from lto.matrix.polarization import Polarization
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
    polarization: Polarization | None = None  # None: the scalar model


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
        polarization=optics.polarization,
    )


def cd_at(
    clip: Clip, intensity: np.ndarray, resist: ResistModel, dose: float, cut: CutLine
) -> float:
    gauge = Gauge(resist, clip.pixel_nm, cut)
    return gauge.cd(gauge.latent(intensity), dose)


@dataclass(frozen=True)
class Gauge:
    """Measures the CD of one clip's feature on its cut line, at any dose, from one image.

    Dose scales the latent image, so a focus costs one image and :meth:`latent`; each dose after
    that costs only a development of the cut line (:meth:`cd`).
    """

    resist: ResistModel
    pixel_nm: float
    cut: CutLine

    def latent(self, intensity: np.ndarray) -> np.ndarray:
        """The cut line's latent image per unit dose (blurred by the bake)."""
        return self.cut.profile(self.resist.latent_image(intensity, self.pixel_nm))

    def margin(self, latent_row: np.ndarray, dose: float) -> np.ndarray:
        return self.resist.clearing_margin(latent_row, float(dose), pixel_nm=self.pixel_nm)

    def cd(self, latent_row: np.ndarray, dose: float) -> float:
        """CD in nm; NaN where the feature is absent at the cut's centre or fills the period."""
        margin = self.margin(latent_row, dose)
        return measure_cd(margin, self.pixel_nm, self.cut.center_nm, feature=self.cut.feature)

    def signed_cd(self, latent_row: np.ndarray, dose: float) -> float:
        """CD in nm with "absent" as 0 and "fills the whole period" as the period.

        Monotone in dose for a positive resist (lines narrow, spaces widen as dose grows) and
        never NaN, so the dose giving a CD can be found by bracketing.
        """
        margin = self.margin(latent_row, dose)
        cd = measure_cd(margin, self.pixel_nm, self.cut.center_nm, feature=self.cut.feature)
        if np.isfinite(cd):
            return float(cd)
        index = int(np.floor(self.cut.center_nm / self.pixel_nm)) % margin.size
        cleared = margin[index] > 0
        present = cleared if self.cut.feature == "space" else not cleared
        return float(margin.size * self.pixel_nm) if present else 0.0


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
    gauge = Gauge(resist, clip.pixel_nm, cut)
    for i, z in enumerate(focus):
        intensity = image(clip, optics, defocus_nm=float(z), method=method, backend=backend)
        images[float(z)] = intensity
        latent_row = gauge.latent(intensity)
        cd[i] = [gauge.cd(latent_row, float(dose)) for dose in doses]
        if progress is not None:
            progress((i + 1) / focus.size, f"focus {z:+.0f} nm")
    return FocusExposureMatrix(focus, doses, cd, images)
