"""The six tradeoff scores (DESIGN.md section 5; formulas and meaning in docs/tradeoffs.md).

Every score is a pure, vectorised function: pass scalars for one job or arrays for many (they
broadcast), get a float array in [0, 1]. Only ``yield_risk`` is "higher is worse".
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from lto.athena._arrays import FloatArray, as_float_array, harmonic_mean, owned
from lto.athena.quadrature import (
    check_grid,
    gaussian_cells,
    interpolation_matrix,
    refine_grid,
)

HEALTH_WEIGHTS: Mapping[str, float] = {
    "resolution_vs_dof": 0.30,
    "yield_risk": 0.30,
    "speed_vs_accuracy": 0.10,
    "cost_vs_fidelity": 0.10,
    "surrogate_reliability": 0.20,
}


def resolution_margin(
    pitch_nm: ArrayLike, wavelength_nm: ArrayLike, na: ArrayLike, sigma: ArrayLike
) -> FloatArray:
    """How far the pitch sits above the resolution limit λ/(NA(1+σ)): pitch/limit − 1."""
    pitch = as_float_array(pitch_nm, "pitch_nm", minimum=0.0, strict=True)
    wavelength = as_float_array(wavelength_nm, "wavelength_nm", minimum=0.0, strict=True)
    aperture = as_float_array(na, "na", minimum=0.0, strict=True)
    coherence = as_float_array(sigma, "sigma", minimum=0.0)
    margin = owned(coherence + 1.0)
    margin = owned(margin * aperture)  # each step may broadcast to a larger shape
    margin = owned(margin * pitch)
    margin /= wavelength
    margin -= 1.0
    return margin


def resolution_vs_dof(
    pitch_nm: ArrayLike,
    wavelength_nm: ArrayLike,
    na: ArrayLike,
    sigma: ArrayLike,
    dof_nm: ArrayLike,
    required_dof_nm: ArrayLike,
    *,
    margin_scale: float = 0.25,
) -> FloatArray:
    """√(resolution score × DoF adequacy).

    resolution score = 1 − exp(−max(margin, 0)/margin_scale): 0 at the resolution limit, 0.63 at
    25% above it, → 1 far above. DoF adequacy = min(DoF at the required EL / required DoF, 1).
    """
    margin = resolution_margin(pitch_nm, wavelength_nm, na, sigma)
    dof = as_float_array(dof_nm, "dof_nm", minimum=0.0)
    required = as_float_array(required_dof_nm, "required_dof_nm", minimum=0.0, strict=True)
    resolution = np.maximum(margin, 0.0, out=margin)
    resolution *= -1.0 / margin_scale
    np.expm1(resolution, out=resolution)
    np.negative(resolution, out=resolution)  # 1 − exp(−margin/scale)
    adequacy = owned(dof / required)
    np.minimum(adequacy, 1.0, out=adequacy)
    score = owned(resolution * adequacy)
    return np.sqrt(score, out=score)


def yield_risk(
    cd_nm: ArrayLike,
    focus_nm: ArrayLike,
    dose: ArrayLike,
    *,
    target_cd_nm: ArrayLike,
    focus_mean_nm: ArrayLike,
    focus_sigma_nm: ArrayLike,
    dose_mean: ArrayLike,
    dose_sigma_fraction: ArrayLike,
    tolerance: float = 0.10,
    refine: int | None = None,
) -> FloatArray:
    """Probability that CD leaves target ± tolerance under Gaussian focus and dose variation.

    ``cd_nm`` has shape (..., F, D): CD at every (focus, dose) node of the grids ``focus_nm`` (F)
    and ``dose`` (D), for any number of jobs in front. NaN marks "nothing printed" and counts as
    out of spec (as CD 0). Focus ~ N(focus_mean, focus_sigma²), dose ~ N(dose_mean,
    (dose_sigma_fraction · dose_mean)²), independent. The integral is a quadrature: the surface
    is refined ``refine`` times per interval (cubic spline; linear if anything failed to print),
    each refined node weighted by its cell's exact Gaussian mass times the share of that mass in
    spec (see ``_in_spec_share``); beyond the grid the edge values hold.

    ``refine=None`` (the default) refines adaptively: 8, 16, 32, 64 sub-intervals until two
    successive estimates agree to 1e-4 + 1e-3 × risk (every job), so that a coarse matrix (an
    11 × 11 focus-exposure matrix) integrates to the accuracy of a fine one. An integer fixes
    the refinement (1: the grid as given), for batches where speed matters more.
    """
    focus = check_grid(focus_nm, "focus_nm")
    doses = check_grid(dose, "dose")
    cd = np.asarray(cd_nm, dtype=np.float64)
    if cd.ndim < 2 or cd.shape[-2:] != (focus.size, doses.size):
        raise ValueError(
            f"cd_nm: last two axes must be (focus, dose) = ({focus.size}, {doses.size}), got {cd.shape}"
        )
    if not 0.0 < tolerance < 1.0:
        raise ValueError(
            f"tolerance: must lie in (0, 1) as a fraction of the target (got {tolerance})"
        )
    if refine is not None and refine < 1:
        raise ValueError(f"refine: must be ≥ 1 or None for adaptive (got {refine})")
    target = as_float_array(target_cd_nm, "target_cd_nm", minimum=0.0, strict=True)
    focus_mean = as_float_array(focus_mean_nm, "focus_mean_nm")
    focus_sigma = as_float_array(focus_sigma_nm, "focus_sigma_nm", minimum=0.0)
    dose_center = as_float_array(dose_mean, "dose_mean", minimum=0.0, strict=True)
    dose_fraction = as_float_array(dose_sigma_fraction, "dose_sigma_fraction", minimum=0.0)

    batch = np.broadcast_shapes(
        cd.shape[:-2],
        target.shape,
        focus_mean.shape,
        focus_sigma.shape,
        dose_center.shape,
        dose_fraction.shape,
    )
    count = int(np.prod(batch))
    surfaces = np.broadcast_to(cd, (*batch, *cd.shape[-2:])).reshape(count, *cd.shape[-2:])
    per_job = tuple(
        np.broadcast_to(a, batch).reshape(count)
        for a in (target, focus_mean, focus_sigma, dose_center, dose_fraction)
    )
    if refine is not None:
        good = _in_spec_probability(surfaces, focus, doses, per_job, tolerance, refine)
    else:
        good = _in_spec_probability(surfaces, focus, doses, per_job, tolerance, _ADAPTIVE[0])
        for step in _ADAPTIVE[1:]:
            finer = _in_spec_probability(surfaces, focus, doses, per_job, tolerance, step)
            change = float(np.max(np.abs(finer - good) - _RTOL * (1.0 - finer)))
            good = finer
            if change <= _ATOL:
                break
    risk = np.subtract(1.0, good, out=good)
    return np.clip(risk, 0.0, 1.0, out=risk).reshape(batch)


# Adaptive refinement: the sub-interval counts tried, and when two successive estimates agree.
_ADAPTIVE = (8, 16, 32, 64)
_ATOL, _RTOL = 1e-4, 1e-3

# Jobs are integrated in chunks of about this many surface values, so that the dozen
# temporaries of ``_in_spec_share`` stay in cache instead of streaming through memory.
_CHUNK_VALUES = 1 << 18


def _in_spec_probability(
    surfaces: FloatArray,
    focus: FloatArray,
    doses: FloatArray,
    per_job: tuple[FloatArray, ...],
    tolerance: float,
    refine: int,
) -> FloatArray:
    """P(CD in spec) for each of the (jobs, F, D) ``surfaces``, refined ``refine`` times."""
    count = surfaces.shape[0]
    fine_focus, fine_dose = refine_grid(focus, refine), refine_grid(doses, refine)
    printed = bool(np.isfinite(np.min(surfaces)) and np.isfinite(np.max(surfaces)))
    matrices = None
    if refine > 1:  # a spline would ring across a step to "nothing printed": linear there
        matrices = (
            interpolation_matrix(focus, fine_focus, cubic=printed),
            interpolation_matrix(doses, fine_dose, cubic=printed).T,
        )
    good = np.empty(count)
    chunk = max(1, _CHUNK_VALUES // (fine_focus.size * fine_dose.size))
    for start in range(0, count, chunk):
        part = slice(start, start + chunk)
        surface = (
            surfaces[part]
            if printed
            else np.nan_to_num(surfaces[part], nan=0.0, posinf=0.0, neginf=0.0)
        )
        if matrices is not None:
            surface = matrices[0] @ surface @ matrices[1]
        target, mean, sigma, center, fraction = (a[part] for a in per_job)
        jobs_last = np.ascontiguousarray(np.moveaxis(surface, 0, -1))  # (F, D, jobs)
        focus_cells = gaussian_cells(fine_focus, mean, sigma)
        dose_cells = gaussian_cells(fine_dose, center, fraction * center)
        share = _in_spec_share(
            jobs_last, target, tolerance, (fine_focus, fine_dose), focus_cells, dose_cells
        )
        share *= dose_cells[0][None, :, :]
        by_focus = share.sum(axis=1)
        by_focus *= focus_cells[0]
        good[part] = by_focus.sum(axis=0)
    return good


def _slope(values: FloatArray, nodes: FloatArray, axis: int) -> FloatArray:
    """dg/dx along ``axis`` (0 or 1) of ``values`` (F, D, jobs): central differences over the
    two neighbours (one-sided at the ends), so a kink at a node does not tilt its cell."""
    moved = np.moveaxis(values, axis, 0)
    out = np.empty_like(moved)
    shape = (nodes.size - 2,) + (1,) * (moved.ndim - 1)
    np.subtract(moved[2:], moved[:-2], out=out[1:-1])
    out[1:-1] /= (nodes[2:] - nodes[:-2]).reshape(shape)
    np.subtract(moved[1], moved[0], out=out[0])
    out[0] /= nodes[1] - nodes[0]
    np.subtract(moved[-1], moved[-2], out=out[-1])
    out[-1] /= nodes[-1] - nodes[-2]
    return np.moveaxis(out, 0, axis)


def _in_spec_share(
    cd: FloatArray,
    target: FloatArray,
    tolerance: float,
    nodes: tuple[FloatArray, FloatArray],
    focus_cells: tuple[FloatArray, ...],
    dose_cells: tuple[FloatArray, ...],
) -> FloatArray:
    """Share of each node's cell *mass* where CD is within target ± tolerance; ``cd`` is
    (F, D, jobs), the cells as ``gaussian_cells`` gives them (masses, offsets, widths, bends).

    The spec margin g = tolerance·target − |CD − target| is taken as linear across the cell
    with the slopes s_f, s_d of its neighbours. In the cell's mass coordinates its change is
    S_f = s_f·width_f and S_d = s_d·width_d, its value at the mass centre g_c = g + s_f·offset_f
    + s_d·offset_d, and the share ½ + ξ + ½·ξ²·(bend_f·S_f + bend_d·S_d)/(|S_f| + |S_d|) with
    ξ = g_c/(|S_f| + |S_d|), clipped to [0, 1] (exact to third order along one axis; the two
    axes weighted by their share of the change). Counting whole cells makes the error first
    order in the cell size; splitting cells by length leaves a bias where the density is steep
    (a few percent on an 11 × 11 grid).
    """
    margin = np.subtract(cd, target)
    np.abs(margin, out=margin)
    np.subtract(tolerance * target, margin, out=margin)
    slope_f = _slope(margin, nodes[0], 0)
    slope_d = _slope(margin, nodes[1], 1)
    _, offset_f, width_f, bend_f = focus_cells
    _, offset_d, width_d, bend_d = dose_cells
    centred = margin
    centred += slope_f * offset_f[:, None, :]
    centred += slope_d * offset_d[None, :, :]
    slope_f *= width_f[:, None, :]  # S_f, signed
    slope_d *= width_d[None, :, :]
    bent = slope_f * bend_f[:, None, :]
    bent += slope_d * bend_d[None, :, :]
    spread = np.abs(slope_f, out=slope_f)
    spread += np.abs(slope_d, out=slope_d)
    spread += np.finfo(np.float64).tiny  # a flat margin decides by its sign alone
    bent /= spread
    with np.errstate(over="ignore"):
        share = np.divide(centred, spread, out=spread)
    near = np.clip(share, -0.5, 0.5)
    near *= near
    near *= bent
    near *= 0.5
    share += near
    share += 0.5
    return np.clip(share, 0.0, 1.0, out=share)


def speed_vs_accuracy(
    image_error: ArrayLike,
    compute_time_s: ArrayLike,
    *,
    error_tolerance: float = 0.02,
    time_budget_s: float = 60.0,
) -> FloatArray:
    """Harmonic mean of accuracy = clip(1 − error/tolerance, 0, 1) and speed = 1/(1 + t/budget).

    ``image_error`` is the relative L2 error of the aerial image against a finer-grid reference.
    """
    error = as_float_array(image_error, "image_error", minimum=0.0)
    time = as_float_array(compute_time_s, "compute_time_s", minimum=0.0)
    accuracy = owned(error * (-1.0 / error_tolerance))
    accuracy += 1.0
    np.clip(accuracy, 0.0, 1.0, out=accuracy)
    speed = owned(time * (1.0 / time_budget_s))
    speed += 1.0
    np.reciprocal(speed, out=speed)
    return harmonic_mean(accuracy, speed)


def epe_limit_nm(target_cd_nm: ArrayLike, cd_tolerance: float = 0.10) -> FloatArray:
    """The edge error at which CD just leaves spec when both edges move: tolerance · CD / 2."""
    return np.asarray(cd_tolerance * as_float_array(target_cd_nm, "target_cd_nm") / 2.0)


def cost_vs_fidelity(
    epe_nm: ArrayLike,
    cost: ArrayLike,
    *,
    epe_limit: ArrayLike,
    cost_budget: float,
) -> FloatArray:
    """Harmonic mean of fidelity = clip(1 − EPE/limit, 0, 1) and cost efficiency = 1/(1 + cost/budget).

    EPE is the mean absolute edge placement error of the resist contour against the target.
    """
    epe = as_float_array(epe_nm, "epe_nm", minimum=0.0)
    spend = as_float_array(cost, "cost", minimum=0.0)
    limit = as_float_array(epe_limit, "epe_limit", minimum=0.0, strict=True)
    fidelity = owned(epe / limit)
    np.subtract(1.0, fidelity, out=fidelity)
    np.clip(fidelity, 0.0, 1.0, out=fidelity)
    efficiency = owned(spend * (1.0 / cost_budget))
    efficiency += 1.0
    np.reciprocal(efficiency, out=efficiency)
    return harmonic_mean(fidelity, efficiency)


def surrogate_reliability(
    interval_width: ArrayLike,
    ood_distance: ArrayLike = 0.0,
    drift_psi: ArrayLike = 0.0,
    *,
    ood_scale: float = 3.0,
    drift_scale: float = 0.2,
) -> FloatArray:
    """(1 − normalised uncertainty) × OOD factor × drift factor.

    ``interval_width``: mean width of the 95% intervals on the [0, 1] score scale. The OOD factor
    1/(1 + (d/ood_scale)²) halves the score at Mahalanobis distance ``ood_scale``; the drift
    factor 1/(1 + (PSI/drift_scale)²) halves it at PSI 0.2, the "significant drift" band.
    """
    width = as_float_array(interval_width, "interval_width", minimum=0.0)
    distance = as_float_array(ood_distance, "ood_distance", minimum=0.0)
    psi = as_float_array(drift_psi, "drift_psi", minimum=0.0)
    score = owned(np.subtract(1.0, width))
    np.clip(score, 0.0, 1.0, out=score)
    for value, scale in ((distance, ood_scale), (psi, drift_scale)):
        penalty = owned(value * (1.0 / scale))
        np.square(penalty, out=penalty)
        penalty += 1.0
        score = owned(score / penalty)  # may broadcast
    return score


def overall_health(
    resolution_vs_dof: ArrayLike,
    yield_risk: ArrayLike,
    speed_vs_accuracy: ArrayLike,
    cost_vs_fidelity: ArrayLike,
    surrogate_reliability: ArrayLike,
    *,
    weights: Mapping[str, float] = HEALTH_WEIGHTS,
) -> FloatArray:
    """Weighted mean of the other five scores, yield risk counted as 1 − risk."""
    missing = set(HEALTH_WEIGHTS) - set(weights)
    if missing:
        raise ValueError(f"weights: missing {', '.join(sorted(missing))}")
    if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise ValueError("weights: must be ≥ 0 with a positive sum")
    scores = {
        "resolution_vs_dof": resolution_vs_dof,
        "yield_risk": yield_risk,
        "speed_vs_accuracy": speed_vs_accuracy,
        "cost_vs_fidelity": cost_vs_fidelity,
        "surrogate_reliability": surrogate_reliability,
    }
    arrays = {name: as_float_array(value, name, minimum=0.0) for name, value in scores.items()}
    for name, array in arrays.items():
        if array.size and float(np.max(array)) > 1.0:
            raise ValueError(f"{name}: scores must lie in [0, 1]")
    norm = sum(weights[name] for name in scores)
    total = np.zeros(np.broadcast_shapes(*(a.shape for a in arrays.values())))
    total += weights["yield_risk"] / norm  # the "1" of 1 − yield_risk
    for name, array in arrays.items():
        sign = -1.0 if name == "yield_risk" else 1.0
        total += (sign * weights[name] / norm) * array
    return np.clip(total, 0.0, 1.0, out=total)
