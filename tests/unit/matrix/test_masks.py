from __future__ import annotations

import numpy as np
import pytest

from lto.matrix.masks import (
    absorber_amplitude,
    contact_array,
    coverage_rectilinear,
    coverage_supersampled,
    line_end,
    line_space,
    rasterise,
    read_layout,
)


@pytest.mark.parametrize("offset", [0.0, 0.25, 0.5, 0.73])
def test_area_weighted_pixels_are_exact_for_rectangles(offset: float) -> None:
    rectangle = [
        (3.3 + offset, 1.1),
        (3.3 + offset, 7.9),
        (11.6 + offset, 7.9),
        (11.6 + offset, 1.1),
    ]
    coverage = coverage_rectilinear([rectangle], (10, 16), 1.0)
    assert coverage.sum() == pytest.approx(8.3 * 6.8, rel=1e-12)
    assert coverage.max() == 1.0
    assert coverage.min() == 0.0
    reversed_orientation = coverage_rectilinear([rectangle[::-1]], (10, 16), 1.0)
    np.testing.assert_allclose(reversed_orientation, coverage)


def test_rectilinear_and_supersampled_coverage_agree_on_an_l_shape() -> None:
    l_shape = [(1.5, 1.5), (1.5, 9.5), (4.5, 9.5), (4.5, 4.5), (9.5, 4.5), (9.5, 1.5)]
    exact = coverage_rectilinear([l_shape], (12, 12), 1.0)
    sampled = coverage_supersampled([l_shape], (12, 12), 1.0, samples=16)
    assert exact.sum() == pytest.approx(8 * 3 + 5 * 3)
    np.testing.assert_allclose(exact, sampled, atol=1 / 16)


def test_line_space_clip_fits_one_period_exactly() -> None:
    clip = line_space(80.0, 40.0, pixel_nm=3.0)
    assert clip.shape == (1, 27)
    assert clip.size_nm[1] == pytest.approx(80.0)
    assert clip.transmission.mean() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="cd_nm: must lie in"):
        line_space(80.0, 90.0, pixel_nm=1.0)


def test_contacts_are_clear_holes_in_absorber_and_line_ends_leave_a_gap() -> None:
    holes = contact_array(100, 120, 40, 50, pixel_nm=2.5)
    assert holes.transmission.mean() == pytest.approx(40 * 50 / (100 * 120))
    ends = line_end(80, 40, 30, 200, pixel_nm=2.0)
    column = ends.transmission[:, ends.shape[1] // 2]
    assert column.min() == 0.0
    assert column.max() == 1.0


def test_attenuated_psm_absorber_is_six_percent_in_antiphase() -> None:
    assert absorber_amplitude("attenuated") == pytest.approx(-np.sqrt(0.06))
    clip = line_space(80, 40, pixel_nm=1.0, kind="attenuated")
    assert np.iscomplexobj(clip.transmission)
    assert np.abs(clip.transmission).min() == pytest.approx(np.sqrt(0.06))
    with pytest.raises(ValueError, match="mask kind"):
        rasterise([], (2, 2), 1.0, kind="chromeless")


def test_clips_are_read_from_gdsii_and_oasis(tmp_path) -> None:
    import gdstk

    library = gdstk.Library(unit=1e-6)
    cell = library.new_cell("TOP")
    cell.add(gdstk.rectangle((0.0, 0.0), (0.04, 0.2), layer=1))
    cell.add(gdstk.rectangle((0.1, 0.0), (0.14, 0.2), layer=1))
    cell.add(gdstk.rectangle((0.0, 0.0), (0.2, 0.2), layer=2))
    for name in ("clip.gds", "clip.oas"):
        path = tmp_path / name
        library.write_gds(str(path)) if name.endswith("gds") else library.write_oas(str(path))
        clip = read_layout(path, layer=1, pixel_nm=2.0, window_nm=(0, 0, 200, 200))
        assert clip.shape == (100, 100)
        assert (1 - clip.transmission).sum() * 4 == pytest.approx(2 * 40 * 200)
    with pytest.raises(ValueError, match="no polygons on layer 7/0"):
        read_layout(tmp_path / "clip.gds", layer=7, pixel_nm=2.0)
    with pytest.raises(FileNotFoundError):
        read_layout(tmp_path / "missing.gds", layer=1, pixel_nm=2.0)


def test_a_clip_can_be_drawn_again_on_a_finer_grid_with_the_same_period() -> None:
    # 230 nm / 4 nm = 57.5 rows: the coarse grid rounds the period; the refined one must keep it
    coarse = line_end(80, 40, 30, 200, pixel_nm=4.0)
    fine = coarse.refined(2)
    assert fine.shape == (2 * coarse.shape[0], 2 * coarse.shape[1])
    assert fine.size_nm == pytest.approx(coarse.size_nm)
    assert fine.transmission.mean() == pytest.approx(coarse.transmission.mean(), abs=1e-12)
    with pytest.raises(ValueError, match="no drawing"):
        type(coarse)(coarse.transmission, coarse.pixel_nm).refined(2)
