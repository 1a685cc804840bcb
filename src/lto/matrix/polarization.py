"""Vector imaging: the field of each plane wave in the resist, for polarised illumination.

At high NA the two beams that print dense lines meet at large angles, and only the field
components parallel in both interfere: two TM (p) waves at ±θ in the medium interfere with
cos 2θ, not 1. The model, for a reduction projector whose mask side is nearly paraxial:

- the source point carries a Jones vector (Ex, Ey) (``polarization``; "unpolarized" is the
  incoherent mean of x and y);
- a wave leaving the pupil at transverse frequency f (cycles/nm, azimuth φ) travels in the
  medium of index n at sin θ = λ|f|/n; its field splits into s (TE, ŝ = (−sin φ, cos φ, 0)) and
  p (TM, the in-plane component (cos φ, sin φ, 0) of the Jones vector, rotated by the lens to
  p̂ = (cos θ cos φ, cos θ sin φ, −sin θ));
- the radiometric obliquity factor of an aplanatic reduction lens scales its amplitude by
  (cos θ)^(−1/2) (energy conservation between the nearly paraxial mask side and the wafer side);
- the intensity is |Ex|² + |Ey|² + |Ez|², normalised so that a clear mask images to 1.

"TE" and "TM" name the field relative to lines along y (x-periodic patterns, as the engine's
line/space clips are drawn): "TE" is the field along the lines (= "y"), "TM" across them (= "x").
"azimuthal" and "radial" turn with each source point's azimuth.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

Polarization = Literal["TE", "TM", "x", "y", "unpolarized", "azimuthal", "radial"]
POLARIZATIONS: tuple[str, ...] = get_args(Polarization)

JonesStates = list[tuple[float, np.ndarray, np.ndarray]]  # (share, Ex (Q,), Ey (Q,))


def check_polarization(polarization: str | None) -> None:
    if polarization is not None and polarization not in POLARIZATIONS:
        raise ValueError(
            f"polarization: must be None (scalar) or one of {', '.join(POLARIZATIONS)} "
            f"(got {polarization!r})"
        )


def jones_states(sx: np.ndarray, sy: np.ndarray, polarization: Polarization) -> JonesStates:
    """The source's polarisation at each point: mutually incoherent states with their shares."""
    one, zero = np.ones_like(sx), np.zeros_like(sx)
    if polarization in ("x", "TM"):
        return [(1.0, one, zero)]
    if polarization in ("y", "TE"):
        return [(1.0, zero, one)]
    if polarization == "unpolarized":
        return [(0.5, one, zero), (0.5, zero, one)]
    radius = np.hypot(sx, sy)
    on_axis = radius < 1e-12  # no azimuth: the on-axis point is taken unpolarised
    cos = np.where(on_axis, 1.0, sx / np.where(on_axis, 1.0, radius))
    sin = np.where(on_axis, 0.0, sy / np.where(on_axis, 1.0, radius))
    if polarization == "radial":
        ex, ey = cos, sin
    else:  # azimuthal
        ex, ey = -sin, cos
    states: JonesStates = [(1.0, np.where(on_axis, 0.0, ex), np.where(on_axis, 0.0, ey))]
    if np.any(on_axis):
        mix = on_axis * np.sqrt(0.5)
        states += [(1.0, mix, zero), (1.0, zero, mix)]
    return states


def field_components(
    fx: np.ndarray,
    fy: np.ndarray,
    ex: np.ndarray,
    ey: np.ndarray,
    *,
    wavelength_nm: float,
    medium_index: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Ex, Ey, Ez) in the medium of the wave at transverse frequency (fx, fy) for the Jones
    vector (ex, ey) (broadcast together), obliquity factor included."""
    f = np.hypot(fx, fy)
    sin_t = np.minimum(wavelength_nm * f / medium_index, 1.0 - 1e-12)
    cos_t = np.sqrt(1.0 - sin_t**2)
    safe = np.where(f > 0, f, 1.0)
    cos_p = np.where(f > 0, fx / safe, 1.0)
    sin_p = np.where(f > 0, fy / safe, 0.0)
    e_s = -ex * sin_p + ey * cos_p
    e_p = ex * cos_p + ey * sin_p
    scale = cos_t**-0.5
    return (
        scale * (-e_s * sin_p + e_p * cos_t * cos_p),
        scale * (e_s * cos_p + e_p * cos_t * sin_p),
        scale * (-e_p * sin_t),
    )


def variation_rate(na: float, medium_index: float) -> float:
    """How fast (per unit σ) the polarisation and obliquity factors change near the pupil edge:
    they are analytic up to sin θ = 1, which lies (n − NA)/NA beyond the pupil's edge."""
    ratio = na / medium_index
    return float(2.0 * ratio / (1.0 - ratio**2))
