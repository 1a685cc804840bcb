"""Resist: from the aerial image to what stays on the wafer, and the CD measured on it.

Exposure: the absorbed dose at depth z is dose · I(x, y) · e^(−αz) (α the resist's absorption).
E0 (``dose_to_clear_mj_cm2``) is the material's clearing dose as absorbed; a positive film
clears when its bottom does, so an open frame of thickness t clears at E0 · e^(αt): thicker or
more absorbing films need more dose.
Post-exposure bake: the acid diffuses, a Gaussian blur of diffusion length L (σ = L), applied in
Fourier space (the clip is periodic). Development, two options:
- ``threshold``: the resist clears where the blurred dose reaching the film's bottom is at least
  E0 (the classic threshold model);
- ``mack``: depth-resolved. The inhibitor left is m = exp(−C·D(z)), the Mack rate
  r(m) = r_max (a+1)(1−m)^n / (a + (1−m)^n) + r_min dissolves the film slice by slice, and a
  point clears when the film is gone within the develop time. By default the develop time is
  the one that just clears an open frame at E0 · e^(αt), so both models share the open-frame
  dose to clear and differ in how sharply the film responds around it.
Both give a *margin*, positive where the resist clears; the printed edge is where it is zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import fft as sfft

from lto.atlas.materials import ResistFormulation

Development = Literal["threshold", "mack"]


@dataclass(frozen=True)
class ResistModel:
    thickness_nm: float
    absorption_per_um: float
    diffusion_length_nm: float
    dose_to_clear_mj_cm2: float
    development: Development = "threshold"
    # Mack development (used when development == "mack")
    r_max_nm_s: float = 100.0
    r_min_nm_s: float = 0.05
    mack_n: float = 5.0
    threshold_inhibitor: float = 0.5
    develop_time_s: float | None = None  # None: the time that just clears an open frame at E0
    slices: int = 16

    def __post_init__(self) -> None:
        if self.develop_time_s is not None and not self.develop_time_s > 0:
            raise ValueError(f"resist.develop_time_s: must be > 0 (got {self.develop_time_s})")
        if not 0 < self.threshold_inhibitor < 1 or self.mack_n <= 1:
            raise ValueError("resist: Mack needs 0 < threshold_inhibitor < 1 and n > 1")
        for name in ("thickness_nm", "dose_to_clear_mj_cm2"):
            if not getattr(self, name) > 0:
                raise ValueError(f"resist.{name}: must be > 0 (got {getattr(self, name)})")
        if self.absorption_per_um < 0 or self.diffusion_length_nm < 0:
            raise ValueError("resist: absorption and diffusion length must be ≥ 0")
        if self.development not in ("threshold", "mack"):
            raise ValueError(
                f"resist.development: must be 'threshold' or 'mack' (got {self.development!r})"
            )

    @classmethod
    def from_formulation(
        cls, resist: ResistFormulation, thickness_nm: float, **options: object
    ) -> ResistModel:
        return cls(
            thickness_nm=thickness_nm,
            absorption_per_um=resist.absorption_per_um,
            diffusion_length_nm=resist.diffusion_length_nm,
            dose_to_clear_mj_cm2=resist.dose_to_clear_mj_cm2,
            **options,  # type: ignore[arg-type]
        )

    @property
    def bottom_absorption(self) -> float:
        """e^(−αt): the share of the surface dose that reaches the film's bottom."""
        return float(np.exp(-self.absorption_per_um * self.thickness_nm / 1000.0))

    @property
    def open_frame_dose_to_clear(self) -> float:
        """The surface dose that just clears an unpatterned film: E0 · e^(αt)."""
        return self.dose_to_clear_mj_cm2 / self.bottom_absorption

    def latent_image(self, intensity: np.ndarray, pixel_nm: float) -> np.ndarray:
        """Blurred intensity per unit dose: the acid image the development acts on."""
        if self.diffusion_length_nm == 0:
            return np.asarray(intensity, dtype=np.float64)
        ny, nx = intensity.shape
        fy = sfft.fftfreq(ny, d=pixel_nm)[:, None]
        fx = sfft.rfftfreq(nx, d=pixel_nm)[None, :]
        blur = np.exp(-2.0 * np.pi**2 * self.diffusion_length_nm**2 * (fx**2 + fy**2))
        return np.asarray(sfft.irfft2(sfft.rfft2(intensity) * blur, s=intensity.shape))

    def clearing_margin(self, latent: np.ndarray, dose_mj_cm2: float) -> np.ndarray:
        """Positive where the resist clears (for a positive resist), zero at the printed edge."""
        if self.development == "threshold":
            return dose_mj_cm2 * self.bottom_absorption * latent / self.dose_to_clear_mj_cm2 - 1.0
        return self._mack_margin(latent, dose_mj_cm2)

    def _clear_time(self, latent: np.ndarray, dose_mj_cm2: float) -> np.ndarray:
        """Seconds to dissolve the whole film, slice by slice, at every point."""
        # Dill C such that an absorbed dose of E0 leaves the threshold inhibitor
        c = -np.log(self.threshold_inhibitor) / self.dose_to_clear_mj_cm2
        n = self.mack_n
        a = (n + 1) / (n - 1) * (1 - self.threshold_inhibitor) ** n
        depth_step = self.thickness_nm / self.slices
        time = np.zeros_like(latent, dtype=np.float64)
        for z in (np.arange(self.slices) + 0.5) * depth_step:
            inhibitor = np.exp(
                -c * dose_mj_cm2 * latent * np.exp(-self.absorption_per_um * z / 1000.0)
            )
            soluble = (1 - inhibitor) ** n
            time += depth_step / (
                self.r_max_nm_s * (a + 1) * soluble / (a + soluble) + self.r_min_nm_s
            )
        return time

    @property
    def develop_time(self) -> float:
        if self.develop_time_s is not None:
            return self.develop_time_s
        return float(self._clear_time(np.ones(1), self.open_frame_dose_to_clear)[0])

    def _mack_margin(self, latent: np.ndarray, dose_mj_cm2: float) -> np.ndarray:
        return np.log(
            self.develop_time / self._clear_time(latent, dose_mj_cm2)
        )  # > 0: clears in time


def edge_positions(margin_row: np.ndarray, pixel_nm: float) -> np.ndarray:
    """Sub-pixel x positions (nm) where a periodic row's margin changes sign."""
    following = np.roll(margin_row, -1)
    crossing = np.flatnonzero(np.signbit(margin_row) != np.signbit(following))
    fraction = margin_row[crossing] / (margin_row[crossing] - following[crossing])
    return (crossing + fraction) * pixel_nm


def measure_cd(
    margin_row: np.ndarray,
    pixel_nm: float,
    center_nm: float,
    *,
    feature: Literal["resist", "space"] = "resist",
) -> float:
    """Width of the feature around ``center_nm`` on a periodic cut line, with sub-pixel edges.

    ``resist``: the line of resist left (margin < 0) around the centre; ``space``: the cleared
    opening (margin > 0). NaN when the feature is absent at the centre or fills the whole period.
    """
    period = margin_row.size * pixel_nm
    index = int(np.floor(center_nm / pixel_nm)) % margin_row.size
    present = margin_row[index] < 0 if feature == "resist" else margin_row[index] > 0
    edges = edge_positions(margin_row, pixel_nm)
    if not present or edges.size < 2:
        return float("nan")
    offsets = (edges - center_nm) % period  # distance to the right, wrapping
    right = float(np.min(offsets))
    left = float(np.min((center_nm - edges) % period))
    return right + left
