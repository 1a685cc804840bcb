"""Exposure technologies and the optics that limit them.

The limits are physical or industrial facts, not tuning knobs: a dry lens cannot exceed
NA 1 (in practice ~0.93), water immersion at 193 nm (n = 1.436) reaches NA 1.35, and EUV
scanners ship at NA 0.33 with high-NA tools at 0.55.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from lto.atlas.errors import UnknownName
from lto.atlas.units import NumericalAperture, Wavelength


@dataclass(frozen=True)
class ExposureTechnology:
    """A family of exposure tools: its wavelength, NA ceiling and the medium above the wafer."""

    name: str
    wavelength: Wavelength
    max_na: NumericalAperture
    medium_index: float = 1.0
    description: str = ""
    # The imaging model a job gets unless it names one (docs/physics.md, "Scalar or vector"):
    # the vector model with unpolarised light, which is what an illuminator delivers unless a
    # polarisation is selected, and which reduces to the scalar model where NA is low.
    default_polarization: str = "unpolarized"

    @property
    def immersion(self) -> bool:
        return self.medium_index > 1.0

    @property
    def wavelength_nm(self) -> float:
        return self.wavelength.nm

    def __str__(self) -> str:
        return self.name


EUV = ExposureTechnology(
    "EUV",
    Wavelength(13.5),
    NumericalAperture(0.55),
    description="extreme ultraviolet, reflective optics in vacuum; 0.33 NA today, 0.55 high-NA",
)
ARF_DRY = ExposureTechnology(
    "ArF-dry", Wavelength(193.0), NumericalAperture(0.93), description="193 nm ArF excimer, dry"
)
ARF_IMMERSION = ExposureTechnology(
    "ArF-immersion",
    Wavelength(193.0),
    NumericalAperture(1.35),
    medium_index=1.436,
    description="193 nm ArF excimer with water between lens and wafer (n = 1.436)",
    # hyper-NA scanners ship polarised illuminators: unpolarised light loses the TM contrast
    default_polarization="azimuthal",
)
KRF = ExposureTechnology(
    "KrF", Wavelength(248.0), NumericalAperture(0.93), description="248 nm KrF excimer, dry"
)
I_LINE = ExposureTechnology(
    "i-line", Wavelength(365.0), NumericalAperture(0.65), description="365 nm mercury i-line"
)

TECHNOLOGIES: dict[str, ExposureTechnology] = {
    tech.name: tech for tech in (EUV, ARF_DRY, ARF_IMMERSION, KRF, I_LINE)
}
_ALIASES = {"arfi": "ArF-immersion", "arf": "ArF-dry", "iline": "i-line", "euv": "EUV"}


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


def technology(name: str) -> ExposureTechnology:
    """Look a technology up by name, forgiving case, spaces, dashes and underscores."""
    wanted = _key(name)
    wanted = _key(_ALIASES.get(wanted, wanted))
    for tech in TECHNOLOGIES.values():
        if _key(tech.name) == wanted:
            return tech
    raise UnknownName("exposure technology", name, list(TECHNOLOGIES))


def resolution_limit_pitch_nm(wavelength_nm: float, na: float, sigma: float) -> float:
    """Smallest pitch whose first diffraction orders still enter the pupil: λ / (NA (1 + σ)).

    Below it only the zeroth order passes and the image is flat, whatever the dose.
    """
    return wavelength_nm / (na * (1.0 + sigma))


def k1_factor(half_pitch_nm: float, wavelength_nm: float, na: float) -> float:
    """Rayleigh k1 = half-pitch · NA / λ: how hard a feature is for its optics (≥ 0.25)."""
    return half_pitch_nm * na / wavelength_nm


def rayleigh_dof_nm(wavelength_nm: float, na: float, k2: float = 1.0) -> float:
    """Rayleigh depth of focus k2 · λ / NA², the first-order scaling of usable focus range."""
    return k2 * wavelength_nm / na**2


class Polarization(StrEnum):
    """The imaging model: ``scalar`` (no polarisation; the ICCAD-2013 reference model), or the
    vector model with the illumination's polarisation. TE and TM are relative to lines along y
    (x-periodic patterns): TE is the field along the lines, TM across them."""

    SCALAR = "scalar"
    UNPOLARIZED = "unpolarized"
    TE = "TE"
    TM = "TM"
    X = "x"
    Y = "y"
    AZIMUTHAL = "azimuthal"
    RADIAL = "radial"


class IlluminationShape(StrEnum):
    """Illuminator settings a scanner offers (the source shape in the pupil's sigma space)."""

    CONVENTIONAL = "conventional"
    ANNULAR = "annular"
    DIPOLE = "dipole"
    QUADRUPOLE = "quadrupole"
    PIXELATED = "pixelated"
