"""The projection pupil: cutoff, exact defocus, immersion and Zernike aberrations.

Spatial frequencies f are in cycles/nm at the wafer. The pupil passes |f| ≤ NA/λ (which orders
pass each source point is decided in ``lto.matrix.source_integration``). Defocus z (nm,
+ into the resist) is the exact phase exp(i·2π·z·(√((n/λ)² − |f|²) − n/λ)) in the medium of
index n above the wafer (water n = 1.436 at 193 nm); no paraxial approximation. Aberrations are
Fringe Zernike coefficients in waves over the unit pupil.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

Complex = NDArray[np.complex128]


def _fringe_zernike(index: int, rho: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Fringe (University of Arizona) Zernike Z1…Z16."""
    r2 = rho**2
    table = {
        1: lambda: np.ones_like(rho),
        2: lambda: rho * np.cos(theta),
        3: lambda: rho * np.sin(theta),
        4: lambda: 2 * r2 - 1,
        5: lambda: r2 * np.cos(2 * theta),
        6: lambda: r2 * np.sin(2 * theta),
        7: lambda: (3 * r2 - 2) * rho * np.cos(theta),
        8: lambda: (3 * r2 - 2) * rho * np.sin(theta),
        9: lambda: 6 * r2**2 - 6 * r2 + 1,
        10: lambda: rho**3 * np.cos(3 * theta),
        11: lambda: rho**3 * np.sin(3 * theta),
        12: lambda: (4 * r2 - 3) * r2 * np.cos(2 * theta),
        13: lambda: (4 * r2 - 3) * r2 * np.sin(2 * theta),
        14: lambda: (10 * r2**2 - 12 * r2 + 3) * rho * np.cos(theta),
        15: lambda: (10 * r2**2 - 12 * r2 + 3) * rho * np.sin(theta),
        16: lambda: 20 * r2**3 - 30 * r2**2 + 12 * r2 - 1,
    }
    if index not in table:
        raise ValueError(f"aberrations: Fringe Zernike index must be 1…16 (got {index})")
    return table[index]()


def check_aberrations(aberrations: Mapping[int, float] | None) -> None:
    for index, coefficient in (aberrations or {}).items():
        if not isinstance(index, int | np.integer) or not 1 <= int(index) <= 16:
            raise ValueError(f"aberrations: Fringe Zernike index must be 1…16 (got {index!r})")
        if not np.isfinite(coefficient):
            raise ValueError(
                f"aberrations: Z{index} must be a finite number of waves (got {coefficient})"
            )


def aberration_rate(aberrations: Mapping[int, float] | None) -> float:
    """An upper bound on how fast the aberration phase turns (radians per unit σ): no Fringe
    Zernike up to Z16 changes faster than 24 per unit pupil radius."""
    return float(2 * np.pi * 24 * sum(abs(c) for c in (aberrations or {}).values()))


def defocus_rate(
    *, wavelength_nm: float, na: float, defocus_nm: float, medium_index: float
) -> float:
    """How fast the exact defocus phase turns at the pupil's edge, radians per unit σ."""
    cutoff, k = na / wavelength_nm, medium_index / wavelength_nm
    return float(2 * np.pi * abs(defocus_nm) * cutoff**2 / np.sqrt(k**2 - cutoff**2))


def pupil_phase(
    fx: np.ndarray,
    fy: np.ndarray,
    *,
    wavelength_nm: float,
    na: float,
    defocus_nm: float = 0.0,
    medium_index: float = 1.0,
    aberrations: Mapping[int, float] | None = None,
) -> Complex:
    """exp(i·(defocus + aberration phase)) at (fx, fy), with no cutoff: the caller says which
    frequencies pass."""
    cutoff = na / wavelength_nm
    f2 = fx**2 + fy**2
    k_medium = medium_index / wavelength_nm
    phase = 2 * np.pi * defocus_nm * (np.sqrt(np.maximum(k_medium**2 - f2, 0.0)) - k_medium)
    if aberrations:
        rho = np.sqrt(f2) / cutoff
        theta = np.arctan2(fy, fx)
        waves = sum(c * _fringe_zernike(i, rho, theta) for i, c in aberrations.items())
        phase = phase + 2 * np.pi * waves
    return unit_phasors(np.asarray(phase))


def unit_phasors(phase: np.ndarray) -> np.ndarray:
    """exp(i·phase) from a cos and a sin of the real array: cheaper than a complex exp."""
    result = np.empty(phase.shape, dtype=np.complex128)
    result.real = np.cos(phase)
    result.imag = np.sin(phase)
    return result
