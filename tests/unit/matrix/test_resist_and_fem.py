from __future__ import annotations

import numpy as np
import pytest

from lto.atlas.materials import ARF_CAR
from lto.matrix import sources
from lto.matrix.fem import CutLine, Optics, focus_exposure_matrix
from lto.matrix.masks import line_space
from lto.matrix.resist import ResistModel, edge_positions, measure_cd

ARFI = Optics(193.0, 1.35, sources.annular(0.6, 0.9), medium_index=1.436)


def resist(development: str = "threshold", thickness: float = 90.0) -> ResistModel:
    return ResistModel.from_formulation(ARF_CAR, thickness, development=development)


@pytest.mark.parametrize("development", ["threshold", "mack"])
def test_an_open_frame_clears_at_e0_times_e_to_the_alpha_t(development: str) -> None:
    model = resist(development)
    e_clear = model.open_frame_dose_to_clear
    assert e_clear == pytest.approx(ARF_CAR.dose_to_clear_mj_cm2 * np.exp(1.2 * 0.09))
    open_frame = np.ones((1, 8))
    assert model.clearing_margin(open_frame, e_clear, pixel_nm=1.0) == pytest.approx(0.0, abs=1e-9)
    assert np.all(model.clearing_margin(open_frame, 0.95 * e_clear, pixel_nm=1.0) < 0)
    assert np.all(model.clearing_margin(open_frame, 1.05 * e_clear, pixel_nm=1.0) > 0)


@pytest.mark.parametrize("development", ["threshold", "mack"])
def test_more_dose_clears_more_and_thicker_films_need_more(development: str) -> None:
    levels = np.linspace(0.05, 1.0, 50)[None, :]
    margins = [
        resist(development).clearing_margin(levels, dose, pixel_nm=1.0)
        for dose in (10.0, 20.0, 40.0)
    ]
    assert np.all(np.diff(margins, axis=0) > 0)
    assert (
        resist(development, 200.0).open_frame_dose_to_clear
        > resist(development, 90.0).open_frame_dose_to_clear
    )


def test_acid_diffusion_is_a_gaussian_blur_that_keeps_the_dose() -> None:
    pitch, pixel = 100.0, 1.0
    x = np.arange(100) * pixel
    wave = (1 + 0.5 * np.cos(2 * np.pi * x / pitch))[None, :]
    blurred = resist().latent_image(wave, pixel)
    damping = np.exp(-2 * np.pi**2 * ARF_CAR.diffusion_length_nm**2 / pitch**2)
    np.testing.assert_allclose(
        blurred, 1 + 0.5 * damping * np.cos(2 * np.pi * x / pitch)[None, :], atol=1e-12
    )
    assert blurred.mean() == pytest.approx(wave.mean())
    sharp = ResistModel(
        thickness_nm=90, absorption_per_um=1.2, diffusion_length_nm=0, dose_to_clear_mj_cm2=12
    )
    np.testing.assert_array_equal(sharp.latent_image(wave, pixel), wave)


def test_cd_is_measured_between_interpolated_edges_and_wraps_around() -> None:
    x = np.arange(100) + 0.0
    margin = np.abs(x - 50.0) - 20.3  # resist (margin < 0) from 29.7 to 70.3
    np.testing.assert_allclose(edge_positions(margin, 1.0), [29.7, 70.3], atol=1e-9)
    assert measure_cd(margin, 1.0, 50.0) == pytest.approx(40.6)
    wrapped = np.roll(margin, 50)  # the line now straddles the clip's edge
    assert measure_cd(wrapped, 1.0, 0.0) == pytest.approx(40.6)
    assert measure_cd(-margin, 1.0, 50.0, feature="space") == pytest.approx(40.6)
    assert np.isnan(measure_cd(np.full(100, -1.0), 1.0, 50.0))  # nothing clears: no line, a film
    assert np.isnan(measure_cd(margin, 1.0, 0.0))  # the centre is cleared: the line is elsewhere


def test_bad_resist_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="thickness_nm"):
        ResistModel(
            thickness_nm=0, absorption_per_um=1, diffusion_length_nm=5, dose_to_clear_mj_cm2=10
        )
    with pytest.raises(ValueError, match="development"):
        ResistModel(
            thickness_nm=90,
            absorption_per_um=1,
            diffusion_length_nm=5,
            dose_to_clear_mj_cm2=10,
            development="etch",
        )  # type: ignore[arg-type]


def test_bossung_curves_are_symmetric_in_focus_and_cd_falls_with_dose() -> None:
    clip = line_space(120.0, 60.0, pixel_nm=1.0)
    fem = focus_exposure_matrix(
        clip,
        ARFI,
        resist(),
        CutLine((0,), 60.0),
        focus_nm=np.linspace(-90, 90, 7),
        dose_mj_cm2=np.linspace(34, 46, 5),
    )
    assert fem.cd_nm.shape == (7, 5)
    finite = np.isfinite(fem.cd_nm)
    np.testing.assert_allclose(fem.cd_nm[finite], fem.cd_nm[::-1][finite], atol=1e-9)
    middle = fem.cd_nm[3]
    assert np.all(
        np.diff(middle[np.isfinite(middle)]) < 0
    )  # positive resist: more dose, thinner lines
    assert len(fem.bossung()) == 5


def test_signed_cd_runs_from_the_period_to_zero_as_the_dose_clears_a_line() -> None:
    """A dark line on a two-beam image: under-dosed, nothing clears (the line fills the period);
    over-dosed, the line is gone (0); in between the CD falls monotonically — what root finding
    for dose to size needs, where ``cd`` says NaN at both ends."""
    from lto.matrix.fem import Gauge

    pitch, pixel = 100.0, 0.5
    x = np.arange(int(pitch / pixel)) * pixel
    film = ResistModel(
        thickness_nm=50, absorption_per_um=0, diffusion_length_nm=0, dose_to_clear_mj_cm2=10
    )
    gauge = Gauge(film, pixel, CutLine((0,), pitch / 2, "resist"))
    latent = gauge.latent((0.5 + 0.4 * np.cos(2 * np.pi * x / pitch))[None, :])
    doses = np.geomspace(5.0, 200.0, 60)
    signed = np.array([gauge.signed_cd(latent, d) for d in doses])
    assert signed[0] == pitch
    assert signed[-1] == 0.0
    assert np.all(np.diff(signed) <= 0)
    assert np.isnan(gauge.cd(latent, doses[0]))
    assert np.isnan(gauge.cd(latent, doses[-1]))
    # at dose 2E the edge sits where I = ½: a quarter pitch from the line's centre each side
    assert gauge.signed_cd(latent, 20.0) == pytest.approx(pitch / 2, abs=1e-9)
