from __future__ import annotations

import numpy as np
import pytest

from lto.matrix.masks import (
    absorber_amplitude,
    contact_array,
    coverage,
    coverage_rectilinear,
    coverage_supersampled,
    fit_pixel,
    layout_format,
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


def _two_lines_library(unit: float = 1e-6):
    import gdstk

    library = gdstk.Library(unit=unit)
    cell = library.new_cell("TOP")
    cell.add(gdstk.rectangle((0.0, 0.0), (0.04, 0.2), layer=1))
    cell.add(gdstk.rectangle((0.1, 0.0), (0.14, 0.2), layer=1))
    cell.add(gdstk.rectangle((0.0, 0.0), (0.2, 0.2), layer=2))
    return library


def test_clips_are_read_from_gdsii_and_oasis(tmp_path) -> None:
    library = _two_lines_library()
    for name in ("clip.gds", "clip.oas"):
        path = tmp_path / name
        library.write_gds(str(path)) if name.endswith("gds") else library.write_oas(str(path))
        assert layout_format(path) == name[-3:]
        clip = read_layout(path, layer=1, pixel_nm=2.0, window_nm=(0, 0, 200, 200))
        assert clip.shape == (100, 100)
        assert (1 - clip.transmission).sum() * 4 == pytest.approx(2 * 40 * 200)
    with pytest.raises(ValueError, match=r"no polygons on layer 7/0 .*layers present: 1/0, 2/0"):
        read_layout(tmp_path / "clip.gds", layer=7, pixel_nm=2.0)
    with pytest.raises(FileNotFoundError):
        read_layout(tmp_path / "missing.gds", layer=1, pixel_nm=2.0)


def test_the_format_is_told_by_content_and_a_file_that_is_not_a_layout_is_named(tmp_path) -> None:
    library = _two_lines_library()
    disguised = tmp_path / "really_gds.oas"  # a GDSII stream with an OASIS name still reads
    library.write_gds(str(disguised))
    assert read_layout(disguised, layer=1, pixel_nm=4.0).shape == (50, 35)
    text = tmp_path / "notes.gds"
    text.write_text("not a layout at all")
    with pytest.raises(ValueError, match=r"notes\.gds is not a GDSII or OASIS file"):
        read_layout(text, layer=1, pixel_nm=2.0)
    truncated = tmp_path / "cut.gds"
    truncated.write_bytes(disguised.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"cut\.gds is a damaged GDS file"):
        read_layout(truncated, layer=1, pixel_nm=2.0)


def test_layout_cells_and_windows_are_checked_with_reasons(tmp_path) -> None:
    library = _two_lines_library()
    library.new_cell("OTHER").add(__import__("gdstk").rectangle((0, 0), (1, 1), layer=1))
    path = tmp_path / "two_tops.gds"
    library.write_gds(str(path))
    with pytest.raises(ValueError, match=r"cell: two_tops\.gds has 2 top cells \(OTHER, TOP\)"):
        read_layout(path, layer=1, pixel_nm=2.0)
    with pytest.raises(
        ValueError, match=r"cell: 'NOPE' is not in two_tops\.gds; it has OTHER, TOP"
    ):
        read_layout(path, layer=1, pixel_nm=2.0, cell="NOPE")
    with pytest.raises(ValueError, match=r"window: no polygons of layer 1/0 of cell 'TOP'"):
        read_layout(path, layer=1, pixel_nm=2.0, cell="TOP", window_nm=(500, 500, 700, 700))
    with pytest.raises(ValueError, match=r"window: need x0 < x1 and y0 < y1"):
        read_layout(path, layer=1, pixel_nm=2.0, cell="TOP", window_nm=(200, 0, 0, 200))
    with pytest.raises(ValueError, match=r"window: need four finite numbers"):
        read_layout(path, layer=1, pixel_nm=2.0, cell="TOP", window_nm=(0, 0, float("nan"), 9))


def test_layout_polygons_are_merged_cut_to_the_window_and_biased(tmp_path) -> None:
    import gdstk

    library = gdstk.Library(unit=1e-9)  # nm database units
    cell = library.new_cell("TOP")
    cell.add(gdstk.rectangle((20, 0), (60, 200), layer=1))
    cell.add(gdstk.rectangle((40, 0), (80, 200), layer=1))  # overlaps the first by 20 nm
    cell.add(gdstk.rectangle((150, -50), (250, 250), layer=1))  # crosses the window's edges
    path = tmp_path / "merged.gds"
    library.write_gds(str(path))
    clip = read_layout(path, layer=1, pixel_nm=2.0, window_nm=(0, 0, 200, 200))
    dark = (1 - clip.transmission).sum() * clip.pixel_nm**2
    assert dark == pytest.approx(60 * 200 + 50 * 200)  # the union, inside the window only
    biased = read_layout(path, layer=1, pixel_nm=2.0, window_nm=(0, 0, 200, 200), bias_nm=4)
    dark_biased = (1 - biased.transmission).sum() * biased.pixel_nm**2
    assert dark_biased == pytest.approx(64 * 200 + 52 * 200)  # each width + 4 nm, cut to y 0-200


def test_a_clip_can_be_drawn_again_on_a_finer_grid_with_the_same_period() -> None:
    # 230 nm / 4 nm = 57.5 rows: the coarse grid rounds the period; the refined one must keep it
    coarse = line_end(80, 40, 30, 200, pixel_nm=4.0)
    fine = coarse.refined(2)
    assert fine.shape == (2 * coarse.shape[0], 2 * coarse.shape[1])
    assert fine.size_nm == pytest.approx(coarse.size_nm)
    assert fine.transmission.mean() == pytest.approx(coarse.transmission.mean(), abs=1e-12)
    with pytest.raises(ValueError, match="no drawing"):
        type(coarse)(coarse.transmission, coarse.pixel_nm).refined(2)


def test_overlapping_polygons_count_once_in_partly_covered_pixels() -> None:
    r = [(0.5, 0), (0.5, 4), (3.5, 4), (3.5, 0)]
    mask = rasterise([r, r], (4, 5), 1.0)
    np.testing.assert_allclose(mask[0], [0.5, 0, 0, 0.5, 1])
    np.testing.assert_allclose(mask, rasterise([r], (4, 5), 1.0))
    shifted = [(x + 1.25, y) for x, y in r]  # overlaps r on [1.75, 3.5]
    both = coverage([r, shifted], (4, 6), 1.0)
    np.testing.assert_allclose(both[0], [0.5, 1, 1, 1, 0.75, 0])
    assert both.sum() == pytest.approx(4 * (4.75 - 0.5))


def test_touching_polygons_leave_no_seam_and_a_triangle_overlap_counts_once() -> None:
    left = [(1.0, 0.0), (1.0, 3.0), (2.5, 3.0), (2.5, 0.0)]
    right = [(2.5, 0.0), (2.5, 3.0), (4.0, 3.0), (4.0, 0.0)]
    touching = coverage([left, right], (3, 5), 1.0)
    np.testing.assert_allclose(touching[1], [0, 1, 1, 1, 0])
    triangle = [(0.0, 0.0), (4.0, 0.0), (0.0, 4.0)]
    square = [(0.0, 0.0), (0.0, 2.0), (2.0, 2.0), (2.0, 0.0)]  # inside the triangle entirely
    mixed = coverage([triangle, square], (4, 4), 1.0)
    np.testing.assert_allclose(mixed, coverage([triangle], (4, 4), 1.0))  # not triangle + square
    assert mixed.sum() == pytest.approx(8.0, abs=0.5)  # supersampled: within a few samples


@pytest.mark.parametrize("seed", range(5))
def test_coverage_conserves_the_area_of_the_union(seed: int) -> None:
    import gdstk

    rng = np.random.default_rng(seed)
    rectangles = []
    for _ in range(12):
        x0, y0 = rng.uniform(0, 30, size=2)
        w, h = rng.uniform(1, 12, size=2)
        rectangles.append([(x0, y0), (x0, y0 + h), (x0 + w, y0 + h), (x0 + w, y0)])
    pixel = 0.7
    covered = coverage(rectangles, (64, 64), pixel)  # 44.8 nm square: every rectangle inside
    shapes = [gdstk.Polygon(r) for r in rectangles]
    union_area = sum(p.area() for p in gdstk.boolean(shapes, [], "or", precision=1e-6))
    assert covered.max() <= 1.0
    assert covered.sum() * pixel**2 == pytest.approx(union_area, rel=1e-9)


def test_a_union_with_a_hole_keeps_the_hole() -> None:
    frame = [
        [(0, 0), (0, 6), (1.5, 6), (1.5, 0)],
        [(4.5, 0), (4.5, 6), (6, 6), (6, 0)],
        [(0, 0), (0, 1.5), (6, 1.5), (6, 0)],
        [(0, 4.5), (0, 6), (6, 6), (6, 4.5)],
    ]
    covered = coverage(frame, (6, 6), 1.0)
    assert covered.sum() == pytest.approx(36 - 9)
    assert covered[3, 3] == 0.0
    assert covered[1, 2] == pytest.approx(0.5)


def test_both_contact_pitches_are_whole_numbers_of_the_largest_fitting_pixel() -> None:
    holes = contact_array(100, 150, 40, 40, pixel_nm=6)
    assert holes.pixel_nm == pytest.approx(50 / 9)  # the largest pixel <= 6 nm dividing both
    assert holes.size_nm == pytest.approx((150.0, 100.0), rel=1e-12)
    assert holes.transmission.sum() * holes.pixel_nm**2 == pytest.approx(40 * 40)
    with pytest.raises(
        ValueError,
        match=r"contact_array: no pixel between 3 and 6 nm .*pitch_y_nm = 101 nm.*largest pixel that fits them all is 1 nm",
    ):
        contact_array(100, 101, 40, 40, pixel_nm=6)


def test_a_line_end_gap_is_imaged_at_the_size_drawn() -> None:
    ends = line_end(80, 40, 40, 160, pixel_nm=3)
    assert ends.size_nm == pytest.approx((200.0, 80.0), rel=1e-12)
    assert ends.pixel_nm <= 3
    column = 1 - ends.transmission[:, ends.shape[1] // 2]  # absorber along the line's axis
    gap_nm = ends.size_nm[0] - column.sum() * ends.pixel_nm
    assert gap_nm == pytest.approx(40.0, rel=1e-12)


def test_fit_pixel_never_coarsens_the_grid_and_refuses_bad_values() -> None:
    pixel, counts = fit_pixel([("pitch", 90.0)], 4.0, where="line_space")
    assert counts == (23,)
    assert pixel == pytest.approx(90 / 23)
    assert fit_pixel([("a", 64.0), ("b", 96.0)], 8.0, where="x") == (8.0, (8, 12))
    assert fit_pixel([("pitch", 3.0)], 5.0, where="x") == (3.0, (1,))  # a period under a pixel
    with pytest.raises(ValueError, match=r"x: pixel_nm must be a finite number > 0 \(got inf\)"):
        fit_pixel([("pitch", 90.0)], float("inf"), where="x")
    with pytest.raises(ValueError, match=r"x: pitch must be a finite number > 0 \(got nan\)"):
        fit_pixel([("pitch", float("nan"))], 1.0, where="x")
