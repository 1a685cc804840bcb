"""The numerics under the resist model: light in the film, acid diffusion in depth, development.

Pure pieces, each checked against a closed form in tests/unit/matrix/test_resist_profile.py:

- :func:`film_intensity`: the relative intensity at depth z in a resist film of thickness t on a
  substrate, at normal incidence. With no substrate reflection it is Beer-Lambert, e^(−αz). With
  an amplitude reflection ρ at the substrate and the cover/resist interface on top, the field is
  the thin-film sum e^(ikz) + ρ e^(ik(2t−z)) over 1 − ρ_top ρ e^(2ikt) (k = 2πN/λ, N = n + iκ,
  κ = αλ/4π): standing waves of period λ/2n and the swing of coupled energy with thickness. It
  is normalised by the entrance transmission, so the non-reflecting film is exactly e^(−αz) and
  the material's clearing dose keeps its meaning.
- :func:`diffuse_depth`: post-exposure-bake acid diffusion along z, a Gaussian of the diffusion
  length with reflecting (no-flux) boundaries at the film's top and bottom (a cosine transform:
  the even extension of the film is periodic over 2t). Diffusion is separable, so together with
  the lateral blur of the aerial image this gives the (x, z) latent image exactly.
- :func:`arrival_times`: development as a front leaving the top surface at t = 0 and moving
  through the film at the local dissolution rate r(x, z): the arrival time T solves the eikonal
  equation |∇T| = 1/r (fast marching, scikit-fmm, second order, periodic along the clip). Where
  the rate is high in the exposed space and low in the line, the front dissolves the line's side
  as well as its top: lateral development is what makes the profile, not a column-by-column sum.

:func:`mack_rate` is Mack's dissolution rate of the inhibitor concentration m left after the bake.
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sfft


def film_intensity(
    depth_nm: np.ndarray,
    *,
    thickness_nm: float,
    absorption_per_um: float,
    wavelength_nm: float | None = None,
    refractive_index: float = 1.7,
    cover_index: float = 1.0,
    substrate_reflectivity: float = 0.0,
    reflection_phase_deg: float = 180.0,
) -> np.ndarray:
    """Intensity at each depth (0 at the film's top) per unit intensity entering the film.

    ``substrate_reflectivity`` is the intensity reflectance |ρ|² at the resist/substrate
    interface and ``reflection_phase_deg`` the phase of ρ (180°: a node at the substrate, as on
    bare silicon); ``cover_index`` is the medium above the resist (air 1.0, water 1.44). Zero
    reflectivity (an ideal bottom anti-reflection coating) needs no wavelength.
    """
    z = np.asarray(depth_nm, dtype=np.float64)
    alpha = absorption_per_um / 1000.0  # 1/nm
    if substrate_reflectivity == 0.0:
        return np.exp(-alpha * z)
    if wavelength_nm is None:
        raise ValueError(
            "resist.wavelength_nm: needed for standing waves (substrate_reflectivity > 0)"
        )
    kappa = alpha * wavelength_nm / (4.0 * np.pi)
    k = 2.0 * np.pi * (refractive_index + 1j * kappa) / wavelength_nm
    rho = np.sqrt(substrate_reflectivity) * np.exp(1j * np.deg2rad(reflection_phase_deg))
    index = refractive_index + 1j * kappa
    rho_top = (index - cover_index) / (index + cover_index)  # the upward wave at the top
    field = np.exp(1j * k * z) + rho * np.exp(1j * k * (2.0 * thickness_nm - z))
    return np.asarray(np.abs(field / (1.0 - rho_top * rho * np.exp(2j * k * thickness_nm))) ** 2)


def diffuse_depth(
    profile: np.ndarray, depth_step_nm: float, diffusion_length_nm: float
) -> np.ndarray:
    """Gaussian blur (σ = diffusion length) along axis 0, reflecting at both ends.

    ``profile`` is sampled at z_j = j·Δz, j = 0…N, both film surfaces included; no acid leaves
    the film, so the mean over the film is kept.
    """
    values = np.asarray(profile, dtype=np.float64)
    if diffusion_length_nm == 0.0 or values.shape[0] < 2:
        return values
    intervals = values.shape[0] - 1
    frequency = np.arange(values.shape[0]) / (2.0 * intervals * depth_step_nm)  # cycles/nm
    damping = np.exp(-2.0 * np.pi**2 * diffusion_length_nm**2 * frequency**2)
    damping = damping.reshape((-1,) + (1,) * (values.ndim - 1))
    return np.asarray(sfft.idct(sfft.dct(values, type=1, axis=0) * damping, type=1, axis=0))


def mack_rate(
    inhibitor: np.ndarray, *, r_max: float, r_min: float, n: float, threshold_inhibitor: float
) -> np.ndarray:
    """Mack's rate r(m) = r_max (a+1)(1−m)^n / (a + (1−m)^n) + r_min, in the units of r_max.

    a = (n+1)/(n−1)·(1−m_th)^n puts the curve's inflection at m_th; n is the developer's
    selectivity (the contrast): the larger n, the closer r is to a step at m_th.
    """
    a = (n + 1.0) / (n - 1.0) * (1.0 - threshold_inhibitor) ** n
    soluble = (1.0 - np.asarray(inhibitor, dtype=np.float64)) ** n
    return np.asarray(r_max * (a + 1.0) * soluble / (a + soluble) + r_min)


def arrival_times(rate: np.ndarray, *, depth_step_nm: float, pixel_nm: float) -> np.ndarray:
    """When the dissolution front reaches each node of the film, leaving the top at t = 0.

    ``rate`` has depth on axis 0 (z_j = j·Δz, the top surface first, the substrate last) and
    one or two lateral axes of pitch ``pixel_nm``, periodic like the clip. Returns T in the time
    unit of 1/rate (nm / (nm/s) → s), of ``rate``'s shape.
    """
    import skfmm  # type: ignore[import-untyped]  # compiled: imported on first use

    speed = np.asarray(rate, dtype=np.float64)
    lateral = tuple(axis for axis in range(1, speed.ndim) if speed.shape[axis] > 1)
    squeezed = speed.reshape((speed.shape[0], *(speed.shape[a] for a in lateral)))
    depth = np.arange(-1, speed.shape[0]) * depth_step_nm  # a row of developer above the film
    phi = np.broadcast_to(
        depth.reshape((-1,) + (1,) * len(lateral)), (depth.size, *squeezed.shape[1:])
    )
    grid_speed = np.concatenate([squeezed[:1], squeezed], axis=0)
    floor = 1e-12 * float(np.max(grid_speed))  # a zero rate never develops: a finite, huge time
    times = skfmm.travel_time(
        np.ascontiguousarray(phi),  # scikit-fmm misreads non-contiguous arrays
        np.ascontiguousarray(np.maximum(grid_speed, floor)),
        dx=(depth_step_nm,) + (pixel_nm,) * len(lateral),
        periodic=(False,) + (True,) * len(lateral),
    )
    return np.asarray(times)[1:].reshape(speed.shape)
