"""Process-window metrics on synthetic surfaces with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from lto.athena.process_window import (
    DoseWindow,
    best_focus,
    bossung_fits,
    dose_to_size,
    dose_window,
    edge_crossings,
    el_dof_curve,
    elliptical_window,
    meef,
    nils,
    overlap,
    rectangular_window,
)

T, TOL, S, A, D0 = (
    40.0,
    0.10,
    1.0,
    0.002,
    30.0,
)  # target, tolerance, dose slope, curvature, nominal dose
FOCUS = np.linspace(-150, 150, 31)
DOSE = np.linspace(20, 40, 41)


def bossung(best: float = 0.0, target: float = T, slope: float = S) -> np.ndarray:
    """A parabolic Bossung family: CD = T − s (d − d0) − a (f − f_best)²."""
    return target - slope * (DOSE[None, :] - D0) - A * (FOCUS[:, None] - best) ** 2


def test_the_dose_window_follows_the_parabola() -> None:
    window = dose_window(bossung(), FOCUS, DOSE, target_cd_nm=T)
    # in spec: d0 − (tolT + a f²)/s ≤ d ≤ d0 + (tolT − a f²)/s, as far as the dose grid reaches
    low, high = D0 - (TOL * T + A * FOCUS**2) / S, D0 + (TOL * T - A * FOCUS**2) / S
    sampled = low >= DOSE[0]
    np.testing.assert_allclose(window.low[sampled], low[sampled], atol=1e-9)
    np.testing.assert_allclose(window.high[sampled], high[sampled], atol=1e-9)
    clipped = (low < DOSE[0]) & (high > DOSE[0])
    np.testing.assert_allclose(window.low[clipped], DOSE[0])  # the window ends where the grid does
    assert np.all(np.isnan(window.low[high < DOSE[0]]))
    assert window.exposure_latitude[15] == pytest.approx(2 * TOL * T / S / D0)


def test_best_focus_and_dose_to_size() -> None:
    for shift in (0.0, 20.0, -35.0):
        assert best_focus(bossung(shift), FOCUS, DOSE, target_cd_nm=T) == pytest.approx(
            shift, abs=1e-9
        )
    assert dose_to_size(bossung()[15], DOSE, target_cd_nm=T) == pytest.approx(D0)
    assert np.isnan(dose_to_size(bossung()[15], DOSE, target_cd_nm=200.0))


def test_bossung_curves_are_symmetric_about_best_focus() -> None:
    fits = bossung_fits(bossung(), FOCUS, DOSE)
    np.testing.assert_allclose(fits[:, 1], 0.0, atol=1e-9)  # no linear term: symmetric in focus
    np.testing.assert_allclose(fits[:, 2], -A, rtol=1e-9)


@pytest.mark.parametrize("el", [0.02, 0.05, 0.10])
def test_rectangular_dof_matches_the_closed_form(el: float) -> None:
    """Symmetric range ±F: width (2 tol T − a F²)/s = EL · (d0 − a F²/2s)."""
    window = dose_window(bossung(), FOCUS, DOSE, target_cd_nm=T)
    exact = 2 * np.sqrt((2 * TOL * T - el * S * D0) / (A * (1 - el / 2)))
    fit = rectangular_window(window, required_el=el)
    assert fit.dof_nm == pytest.approx(exact, rel=1e-4)  # continuous, not a multiple of a step
    assert fit.exposure_latitude >= el
    assert fit.focus_center_nm == pytest.approx(0.0, abs=0.5)


@pytest.mark.parametrize("el", [0.02, 0.05, 0.10])
def test_rectangular_dof_is_exact_on_a_coarse_matrix(el: float) -> None:
    """Eleven focus rows 30 nm apart: the window's edges are parabolas the cubic spline holds
    exactly, and the rectangle's ends are interpolated, not snapped to a grid (was −1.3%).
    At EL 2% the exact rectangle (±61 nm) reaches past ±60, the last rows with a window (±90
    have none): where between them it closes is unknown, so the DoF stops at those rows."""
    focus = np.linspace(-150, 150, 11)
    cd = T - S * (DOSE[None, :] - D0) - A * focus[:, None] ** 2
    window = dose_window(cd, focus, DOSE, target_cd_nm=T)
    exact = 2 * np.sqrt((2 * TOL * T - el * S * D0) / (A * (1 - el / 2)))
    expected = min(exact, 120.0)
    assert rectangular_window(window, required_el=el).dof_nm == pytest.approx(expected, rel=2e-4)


def test_rectangular_dof_moves_continuously_with_the_window() -> None:
    """A grid-snapped DoF moves in steps of the refined focus step; a continuous one follows the
    closed form for every small change of the Bossung curvature."""
    window_of = lambda a: dose_window(  # noqa: E731
        T - S * (DOSE[None, :] - D0) - a * FOCUS[:, None] ** 2, FOCUS, DOSE, target_cd_nm=T
    )
    curvatures = A * (1 + np.linspace(0, 0.01, 6))
    dofs = [rectangular_window(window_of(a), required_el=0.05).dof_nm for a in curvatures]
    exact = 2 * np.sqrt((2 * TOL * T - 0.05 * S * D0) / (curvatures * (1 - 0.05 / 2)))
    np.testing.assert_allclose(dofs, exact, rtol=1e-4)
    assert np.all(np.diff(dofs) < 0)


def test_required_el_must_be_a_fraction() -> None:
    window = dose_window(bossung(), FOCUS, DOSE, target_cd_nm=T)
    with pytest.raises(ValueError, match=r"required_el: must lie in \[0, 2\)"):
        rectangular_window(window, required_el=-0.1)


def test_the_el_dof_curve_falls() -> None:
    window = dose_window(bossung(), FOCUS, DOSE, target_cd_nm=T)
    dofs = el_dof_curve(window, [0.0, 0.05, 0.10, 0.2, 0.35])
    assert np.all(np.diff(dofs) <= 0)
    assert dofs[-1] == 0.0  # 35% EL exceeds the 32% (8 mJ/cm² around 25) the window ever has


def elliptic_window(width: float, half_dof: float, center: float = 30.0) -> DoseWindow:
    focus = np.linspace(-150, 150, 151)
    half = width * np.sqrt(np.clip(1 - (focus / half_dof) ** 2, 0, None))
    inside = np.abs(focus) <= half_dof
    return DoseWindow(
        focus, np.where(inside, center - half, np.nan), np.where(inside, center + half, np.nan)
    )


def test_an_elliptical_window_holds_an_ellipse_of_its_own_focus_extent() -> None:
    """For an elliptical window of half-width W, any ellipse with b ≤ W reaches the full ±F0,
    while the rectangle only reaches F0 √(1 − (b/W)²)."""
    window, el = elliptic_window(width=3.0, half_dof=100.0), 0.05
    b = el * 30.0 / 2
    assert elliptical_window(window, required_el=el).dof_nm == pytest.approx(200.0, abs=3.0)
    assert rectangular_window(window, required_el=el).dof_nm == pytest.approx(
        200 * np.sqrt(1 - (b / 3.0) ** 2), abs=3.0
    )


def test_the_ellipse_is_never_shorter_than_the_rectangle() -> None:
    window = dose_window(bossung(), FOCUS, DOSE, target_cd_nm=T)
    for el in (0.02, 0.05, 0.1):
        assert (
            elliptical_window(window, required_el=el).dof_nm
            >= rectangular_window(window, required_el=el).dof_nm - 1.0
        )


def test_overlapping_window_of_two_features_is_their_intersection() -> None:
    dense = dose_window(bossung(), FOCUS, DOSE, target_cd_nm=T)
    iso = dose_window(bossung(best=30.0, slope=1.5), FOCUS, DOSE, target_cd_nm=T)
    common = overlap([dense, iso])
    both = np.isfinite(common.low)
    np.testing.assert_allclose(common.low[both], np.maximum(dense.low, iso.low)[both])
    np.testing.assert_allclose(common.high[both], np.minimum(dense.high, iso.high)[both])
    assert np.all(np.isnan(common.low[np.isnan(dense.low) | np.isnan(iso.low)]))
    assert rectangular_window(common, required_el=0.05).dof_nm < min(
        rectangular_window(dense, required_el=0.05).dof_nm,
        rectangular_window(iso, required_el=0.05).dof_nm,
    )
    far = dose_window(bossung() + 100, FOCUS, DOSE, target_cd_nm=T)
    assert np.all(np.isnan(overlap([dense, far]).low))
    assert rectangular_window(overlap([dense, far])).dof_nm == 0.0


def test_a_surface_that_never_prints_in_spec_has_no_window() -> None:
    window = dose_window(np.full((31, 41), np.nan), FOCUS, DOSE, target_cd_nm=T)
    assert np.all(np.isnan(window.low))
    assert rectangular_window(window).dof_nm == 0.0
    assert elliptical_window(window).dof_nm == 0.0


def test_nils_of_a_two_beam_image_is_pi() -> None:
    """I = ½ + ½ cos(2πx/p) at threshold ½: edges at p/4, log slope 2π/p, CD = p/2 → NILS = π."""
    pitch = 100.0
    x = np.linspace(0, pitch, 2001)
    intensity = 0.5 + 0.5 * np.cos(2 * np.pi * x / pitch)
    np.testing.assert_allclose(edge_crossings(x, intensity, 0.5), [25.0, 75.0], atol=1e-6)
    assert nils(x, intensity, threshold=0.5, cd_nm=pitch / 2) == pytest.approx(np.pi, rel=1e-4)


def test_nils_of_an_exponential_edge_is_its_log_slope_times_cd() -> None:
    x = np.linspace(0, 50, 501)
    assert nils(x, np.exp(0.1 * x), threshold=np.e, cd_nm=20.0) == pytest.approx(2.0, rel=1e-3)
    assert np.isnan(nils(x, np.ones_like(x), threshold=0.3, cd_nm=20.0))


def test_meef_is_the_slope_of_wafer_cd_on_mask_cd() -> None:
    mask = np.array([150.0, 160.0, 170.0, 180.0])  # at 4x
    wafer = 1.8 * mask / 4 - 20
    assert meef(mask, wafer, magnification=4) == pytest.approx(1.8)
    with pytest.raises(ValueError, match="two different mask CDs"):
        meef([160.0, 160.0], [40.0, 40.0])


def test_a_surface_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match=r"cd_nm: shape must be \(focus, dose\)"):
        dose_window(np.zeros((41, 31)), FOCUS, DOSE, target_cd_nm=T)
