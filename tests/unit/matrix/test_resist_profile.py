"""The depth-resolved resist: light in the film, acid diffusion in z, Mack development by fast
marching, and the profile it leaves. Numerics against closed forms, then the model's physics."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from lto.atlas.materials import ARF_CAR
from lto.matrix import sources
from lto.matrix.development import arrival_times, diffuse_depth, film_intensity, mack_rate
from lto.matrix.fem import CutLine, Optics, cd_at, image
from lto.matrix.masks import line_space
from lto.matrix.resist import ResistModel, measure_cd

ARFI = Optics(193.0, 1.35, sources.annular(0.6, 0.9), medium_index=1.436)
PITCH, LINE, DOSE = 120.0, 60.0, 40.0  # 60 nm lines at 120 nm pitch; threshold CD ≈ 65 nm


@pytest.fixture(scope="module")
def latent_row() -> np.ndarray:
    """The lines' aerial image row after the bake's lateral blur (the same for every model)."""
    clip = line_space(PITCH, LINE, pixel_nm=1.0, rows=1)
    return threshold().latent_image(image(clip, ARFI)[0], 1.0)


def threshold() -> ResistModel:
    return ResistModel.from_formulation(ARF_CAR, 90.0)


def mack(**options: float) -> ResistModel:
    return ResistModel.from_formulation(ARF_CAR, 90.0, development="mack", **options)


def threshold_cd(row: np.ndarray) -> float:
    return measure_cd(threshold().clearing_margin(row, DOSE), 1.0, PITCH / 2)


# --- the numerics against closed forms ------------------------------------------------------


def test_fast_marching_matches_the_vertical_integral_of_a_depth_varying_rate() -> None:
    """A laterally uniform film develops straight down: T(z) = ∫ dz / r(z)."""
    decay, r0 = 30.0, 2.0
    depth = np.arange(0.0, 90.5, 1.0)
    rate = (r0 * np.exp(depth / decay))[:, None] * np.ones((1, 16))
    times = arrival_times(rate, depth_step_nm=1.0, pixel_nm=1.0)
    exact = decay / r0 * (1 - np.exp(-depth / decay))
    np.testing.assert_allclose(times[10:], np.broadcast_to(exact[10:, None], (81, 16)), rtol=3e-3)


def _head_wave_error(step: float) -> float:
    """Max |T − exact| beside a fast vertical slot, the refraction (head-wave) solution.

    The front runs down the slot at r_f and leaks sideways into the slow film at r_s: at distance
    d from the slot, T = min(z/r_s, z/r_f + d·√(1/r_s² − 1/r_f²)).
    """
    r_fast, r_slow, half_width, centre = 10.0, 1.0, 20.0, 100.0
    depth, x = np.arange(0.0, 60.0 + step / 2, step), np.arange(0.0, 200.0, step)
    distance = np.abs(x - centre) - half_width
    rate = np.where(distance < 0, r_fast, r_slow)[None, :] * np.ones((depth.size, 1))
    times = arrival_times(rate, depth_step_nm=step, pixel_nm=step)
    z, d = np.meshgrid(depth, distance, indexing="ij")
    head_wave = z / r_fast + d * math.sqrt(1 / r_slow**2 - 1 / r_fast**2)
    exact = np.minimum(z / r_slow, head_wave)
    away = d >= 5.0  # the speed jumps at the slot's wall: judge the film beside it
    return float(np.max(np.abs(times - exact)[away]))


def test_fast_marching_matches_the_head_wave_beside_a_fast_slot() -> None:
    """Lateral development: within half a slow cell's crossing time, converging at first order
    (the rate is discontinuous)."""
    coarse, fine = _head_wave_error(1.0), _head_wave_error(0.5)
    assert coarse < 0.6 * 1.0 / 1.0
    assert fine < 0.6 * 0.5 / 1.0
    assert fine == pytest.approx(coarse / 2, rel=0.1)


def test_depth_diffusion_damps_each_cosine_mode_by_the_gaussian_factor_and_keeps_the_acid() -> None:
    """Reflecting walls: cos(πkz/t) are the modes; each is damped by exp(−2π²σ²(k/2t)²)."""
    thickness, sigma = 90.0, 15.0
    depth = np.linspace(0.0, thickness, 46)
    step = depth[1]
    for k in (0, 1, 3):
        mode = np.cos(np.pi * k * depth / thickness)
        damping = math.exp(-2 * math.pi**2 * sigma**2 * (k / (2 * thickness)) ** 2)
        np.testing.assert_allclose(diffuse_depth(mode, step, sigma), damping * mode, atol=1e-12)
    decaying = np.exp(-depth / 40.0)
    blurred = diffuse_depth(decaying, step, sigma)
    trapezoid = lambda v: float(np.sum(v[1:] + v[:-1]) / 2)  # noqa: E731
    assert trapezoid(blurred) == pytest.approx(trapezoid(decaying), rel=1e-12)  # no acid leaves
    assert blurred[-1] > decaying[-1]
    assert blurred[0] < decaying[0]


def test_film_intensity_is_beer_lambert_without_reflection_with_standing_waves_otherwise() -> None:
    depth = np.linspace(0.0, 300.0, 3001)
    plain = film_intensity(depth, thickness_nm=300.0, absorption_per_um=1.2)
    np.testing.assert_allclose(plain, np.exp(-1.2e-3 * depth), rtol=1e-14)
    wave = film_intensity(
        depth, thickness_nm=300.0, absorption_per_um=0.0, wavelength_nm=193.0,
        refractive_index=1.7, substrate_reflectivity=0.25, reflection_phase_deg=180.0,
    )  # fmt: skip
    minima = depth[1:-1][(wave[1:-1] < wave[:-2]) & (wave[1:-1] < wave[2:])]
    assert np.diff(minima) == pytest.approx(193.0 / (2 * 1.7), abs=0.2)  # period λ/2n
    assert wave[-1] == pytest.approx(wave.min(), rel=1e-9)  # a 180° reflection: a node on it
    # the contrast of the standing wave: (1 ± √R)² / |denominator|², whatever the denominator
    assert wave.max() / wave.min() == pytest.approx((1.5 / 0.5) ** 2, rel=1e-6)


def test_mack_rate_is_r_max_plus_r_min_when_exposed_r_min_when_not_and_inflects_at_m_th() -> None:
    rates = mack_rate(np.array([0.0, 1.0]), r_max=100.0, r_min=0.05, n=5.0, threshold_inhibitor=0.5)
    np.testing.assert_allclose(rates, [100.05, 0.05])
    m = np.linspace(0.3, 0.7, 4001)
    r = mack_rate(m, r_max=100.0, r_min=0.05, n=5.0, threshold_inhibitor=0.5)
    curvature = np.diff(r, 2)
    inflection = m[1:-1][np.argmin(np.abs(curvature))]
    assert inflection == pytest.approx(0.5, abs=1e-3)


# --- the model's physics --------------------------------------------------------------------


def test_mack_cd_tends_to_the_threshold_cd_as_the_contrast_grows(latent_row: np.ndarray) -> None:
    """As n grows the Mack rate becomes a step at m_th and development becomes a threshold.

    r_min is made negligible: the unexposed film's own erosion (r_min × develop time on each
    wall) is a separate effect that no contrast removes.
    """
    target = threshold_cd(latent_row)
    gaps = [
        abs(
            mack(mack_n=n, r_min_nm_s=0.001)
            .profile(latent_row, DOSE, pixel_nm=1.0, center_nm=60.0)
            .cd_bottom_nm
            - target
        )
        for n in (5.0, 20.0, 80.0, 320.0, 1000.0)
    ]
    assert gaps[0] > 20.0  # at the default contrast development matters (it used to be 0.009 nm)
    assert all(later < earlier for earlier, later in itertools.pairwise(gaps))
    assert gaps[-1] < 0.3


def test_the_sidewall_steepens_with_the_contrast_towards_the_absorption_limit(
    latent_row: np.ndarray,
) -> None:
    """Large n: the wall follows the iso-exposure contour latent(x)·A(z) = const, tilted only by
    absorption; lower n dissolves more of the partly exposed wall and slopes it more."""
    angles = [
        mack(mack_n=n).profile(latent_row, DOSE, pixel_nm=1.0, center_nm=60.0).sidewall_angle_deg
        for n in (3.0, 5.0, 10.0, 20.0)
    ]
    assert all(later > earlier for earlier, later in itertools.pairwise(angles))
    assert 75.0 < angles[0] < angles[-1] < 90.0

    model = mack(mack_n=1000.0, r_min_nm_s=0.001)
    steep = model.profile(latent_row, DOSE, pixel_nm=1.0, center_nm=60.0)
    depth_factor = model.depth_exposure
    bottom_level = model.open_frame_dose_to_clear / DOSE * depth_factor[-1]

    def contour_cd(height: float) -> float:
        level = bottom_level / np.interp(90.0 - height, model.depth_nm, depth_factor)
        return measure_cd(latent_row - level, 1.0, 60.0)

    low, high = 0.1 * 90.0, 0.9 * 90.0  # top loss is 0.06 nm here
    limit = math.degrees(math.atan2(high - low, (contour_cd(low) - contour_cd(high)) / 2))
    assert steep.sidewall_angle_deg == pytest.approx(limit, abs=0.3)


@pytest.mark.parametrize(("r_min", "develop_time"), [(0.05, 60.0), (0.1, 30.0), (0.02, 200.0)])
def test_unexposed_film_loses_r_min_times_the_develop_time(
    r_min: float, develop_time: float
) -> None:
    model = mack(r_min_nm_s=r_min, develop_time_s=develop_time)
    dark = model.profile(np.zeros(64), 30.0, pixel_nm=1.0, center_nm=32.0)
    assert dark.top_loss_nm == pytest.approx(r_min * develop_time, rel=1e-9)
    np.testing.assert_allclose(dark.height_nm, 90.0 - r_min * develop_time, rtol=1e-9)


def test_a_steep_resist_loses_r_min_times_the_develop_time_on_top_of_its_lines(
    latent_row: np.ndarray,
) -> None:
    """The line's top gets a little light; at high contrast that hardly speeds it up."""
    lines = mack(mack_n=20.0).profile(latent_row, DOSE, pixel_nm=1.0, center_nm=60.0)
    assert lines.top_loss_nm == pytest.approx(0.05 * 60.0, rel=0.02)


def test_a_positive_line_is_narrower_on_top_and_the_substrate_cd_is_the_matrix_cd(
    latent_row: np.ndarray,
) -> None:
    model = mack()
    profile = model.profile(latent_row, DOSE, pixel_nm=1.0, center_nm=60.0)
    assert profile.cd_top_nm < profile.cd_middle_nm < profile.cd_bottom_nm
    margin = model.clearing_margin(latent_row, DOSE, pixel_nm=1.0)
    assert measure_cd(margin, 1.0, 60.0) == pytest.approx(profile.cd_bottom_nm, abs=1e-9)
    clip = line_space(PITCH, LINE, pixel_nm=1.0, rows=1)
    via_fem = cd_at(clip, image(clip, ARFI), model, DOSE, CutLine((0,), 60.0))
    assert via_fem == pytest.approx(profile.cd_bottom_nm, abs=1e-9)


def test_the_threshold_profile_is_vertical_and_keeps_its_thickness(latent_row: np.ndarray) -> None:
    profile = threshold().profile(latent_row, DOSE, pixel_nm=1.0, center_nm=60.0)
    assert profile.cd_top_nm == profile.cd_middle_nm == profile.cd_bottom_nm
    assert profile.cd_bottom_nm == pytest.approx(threshold_cd(latent_row))
    assert profile.sidewall_angle_deg == pytest.approx(90.0)
    assert profile.top_loss_nm == 0.0
    assert profile.arrival_s is None


def test_a_two_dimensional_latent_image_develops_like_its_rows_when_uniform_along_y(
    latent_row: np.ndarray,
) -> None:
    model = mack()
    one_row = model.clearing_margin(latent_row, DOSE, pixel_nm=1.0)
    sheet = model.clearing_margin(np.tile(latent_row, (6, 1)), DOSE, pixel_nm=1.0)
    np.testing.assert_allclose(sheet, np.tile(one_row, (6, 1)), atol=1e-9)


def test_an_open_frame_on_a_reflecting_substrate_swings_with_thickness() -> None:
    """The swing curve: the dose to clear oscillates with period λ/2n in thickness; without
    reflection it is E0·e^(αt) exactly."""
    thicknesses = np.arange(80.0, 200.0, 2.0)

    def ratio(reflectivity: float, thickness: float) -> float:
        model = ResistModel.from_formulation(
            ARF_CAR, thickness, development="mack", substrate_reflectivity=reflectivity,
            wavelength_nm=193.0, refractive_index=1.7,
        )  # fmt: skip
        return model.open_frame_dose_to_clear * model.bottom_absorption / model.dose_to_clear_mj_cm2

    plain = [ratio(0.0, t) for t in thicknesses]
    np.testing.assert_allclose(plain, 1.0, rtol=1e-12)
    swing = np.array([ratio(0.2, t) for t in thicknesses])
    assert np.ptp(swing) > 0.2
    peaks = thicknesses[1:-1][(swing[1:-1] > swing[:-2]) & (swing[1:-1] > swing[2:])]
    assert np.diff(peaks) == pytest.approx(193.0 / (2 * 1.7), abs=4.0)


def test_more_dose_clears_more_of_the_row(latent_row: np.ndarray) -> None:
    """A matrix row develops at 11 doses (its speed is the benchmarks' to measure: no timing
    limits in tests); more dose never clears less at any point of the row."""
    model = mack()
    margins = [
        model.clearing_margin(latent_row, float(dose), pixel_nm=1.0)
        for dose in np.linspace(30.0, 50.0, 11)
    ]
    assert all(np.all(b >= a - 1e-9) for a, b in itertools.pairwise(margins))


# --- bad input -----------------------------------------------------------------------------


BASE = {"thickness_nm": 90.0, "absorption_per_um": 1.2, "diffusion_length_nm": 15.0}


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("thickness_nm", float("nan"), "finite number > 0"),
        ("thickness_nm", -5.0, "finite number > 0"),
        ("absorption_per_um", float("nan"), "finite number ≥ 0"),
        ("absorption_per_um", -1.0, "finite number ≥ 0"),
        ("absorption_per_um", float("inf"), "finite number ≥ 0"),
        ("diffusion_length_nm", float("nan"), "finite number ≥ 0"),
        ("diffusion_length_nm", -3.0, "finite number ≥ 0"),
        ("dose_to_clear_mj_cm2", float("nan"), "finite number > 0"),
        ("dose_to_clear_mj_cm2", 0.0, "finite number > 0"),
        ("r_max_nm_s", float("nan"), "finite number > 0"),
        ("r_min_nm_s", -0.1, "finite number ≥ 0"),
        ("mack_n", 1.0, "finite number > 1"),
        ("develop_time_s", float("nan"), "finite number > 0"),
        ("develop_time_s", 0.5, "fully exposed film"),
        ("develop_time_s", 5000.0, "unexposed film"),
        ("threshold_inhibitor", 1.0, r"\(0, 1\)"),
        ("substrate_reflectivity", 1.0, r"\[0, 1\)"),
        ("substrate_reflectivity", float("nan"), r"\[0, 1\)"),
    ],
)
def test_bad_resist_numbers_are_refused_naming_the_parameter_and_the_rule(
    field: str, value: float, rule: str
) -> None:
    settings = {**BASE, "dose_to_clear_mj_cm2": 12.0, "development": "mack", field: value}
    with pytest.raises(ValueError, match=rf"resist\.{field}: .*{rule}"):
        ResistModel(**settings)  # type: ignore[arg-type]


def test_standing_waves_need_the_wavelength() -> None:
    with pytest.raises(ValueError, match=r"resist\.wavelength_nm: is needed"):
        mack(substrate_reflectivity=0.1)


@pytest.mark.parametrize("development", ["threshold", "mack"])
@pytest.mark.parametrize("dose", [float("nan"), float("inf"), -1.0])
def test_a_bad_dose_is_refused_naming_it(development: str, dose: float) -> None:
    model = ResistModel.from_formulation(ARF_CAR, 90.0, development=development)
    with pytest.raises(ValueError, match=r"dose_mj_cm2: must be a finite number ≥ 0"):
        model.clearing_margin(np.ones(8), dose, pixel_nm=1.0)
    with pytest.raises(ValueError, match=r"dose_mj_cm2"):
        model.profile(np.ones(8), dose, pixel_nm=1.0, center_nm=4.0)


def test_mack_needs_the_lateral_grid_step() -> None:
    with pytest.raises(ValueError, match=r"pixel_nm: .*lateral grid step"):
        mack().clearing_margin(np.ones(8), 20.0)


# --- what leaves the engine ------------------------------------------------------------------


def test_the_profile_summary_is_a_valid_result_contract(latent_row: np.ndarray) -> None:
    from lto.atlas.contracts import ResistProfileSummary

    profile = mack().profile(latent_row, DOSE, pixel_nm=1.0, center_nm=60.0)
    summary = ResistProfileSummary(**profile.summary())
    assert summary.cd_bottom_nm == pytest.approx(profile.cd_bottom_nm)
    assert summary.develop_time_s == 60.0
    gone = mack().profile(latent_row, 25.0, pixel_nm=1.0, center_nm=60.0)  # the space scums
    assert ResistProfileSummary(**gone.summary()).cd_bottom_nm is None


def test_the_profile_picture_marks_the_edges_it_measured(
    latent_row: np.ndarray, tmp_path: Path
) -> None:
    from lto.cli.profile_plot import write_resist_profile

    profile = mack().profile(latent_row, DOSE, pixel_nm=1.0, center_nm=60.0)
    for height, cd in zip(
        profile.cd_heights_nm,
        (profile.cd_top_nm, profile.cd_middle_nm, profile.cd_bottom_nm),
        strict=True,
    ):
        left, right = profile.edges_at(height)
        assert right - left == pytest.approx(cd)
        assert left < 60.0 < right
    written = write_resist_profile(profile, tmp_path / "pictures" / "resist_profile.png")
    assert written.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_development_too_large_to_march_is_refused_before_the_wait() -> None:
    with pytest.raises(ValueError, match=r"latent: Mack development of a 512×512 image marches"):
        mack().clearing_margin(np.ones((512, 512)), 20.0, pixel_nm=1.0)


@pytest.mark.parametrize("development", ["threshold", "mack"])
def test_a_latent_image_with_nan_is_refused(development: str) -> None:
    model = ResistModel.from_formulation(ARF_CAR, 90.0, development=development)
    with pytest.raises(ValueError, match=r"latent: must be finite"):
        model.clearing_margin(np.array([0.2, np.nan, 0.9]), 30.0, pixel_nm=1.0)
    with pytest.raises(ValueError, match=r"latent: must be finite"):
        model.profile(np.array([0.2, np.inf, 0.9]), 30.0, pixel_nm=1.0, center_nm=1.0)
