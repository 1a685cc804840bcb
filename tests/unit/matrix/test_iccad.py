"""LTO reproduces the ICCAD-2013 benchmark's masks and reference images (data README's values)."""

from __future__ import annotations

import numpy as np
import pytest

from lto.matrix.iccad import (
    CLIPS,
    load_clip,
    load_kernels,
    naive_reference_image,
    read_glp,
    reference_image,
)

# clip: (mask pixels, max I nominal, max I outside the central 1024²), from the data's README
REFERENCE = {
    "M1_test1": (218902, 0.4355, 0.0155),
    "M1_test2": (172224, 0.3968, 0.0751),
    "M1_test3": (217432, 0.4179, 0.0059),
    "M1_test4": (84037, 0.2168, 0.0015),
    "M1_test5": (285988, 0.4117, 0.0544),
    "M1_test6": (290100, 0.5830, 0.0684),
    "M1_test7": (232224, 0.3923, 0.1760),
    "M1_test8": (130238, 0.4479, 0.0040),
    "M1_test9": (322122, 0.4316, 0.0477),
    "M1_test10": (104004, 0.4319, 0.0053),
}


@pytest.mark.parametrize("clip", CLIPS)
def test_clips_rasterise_and_image_as_the_community_does(clip: str) -> None:
    pixels, peak, outside_peak = REFERENCE[clip]
    mask = load_clip(clip)
    assert mask.shape == (2048, 2048)
    assert int(mask.sum()) == pixels
    image = reference_image(mask)
    inside = np.zeros(mask.shape, dtype=bool)
    inside[512:1536, 512:1536] = True
    assert round(float(image.max()), 4) == peak
    assert round(float(image[~inside].max()), 4) == outside_peak


@pytest.mark.parametrize(("corner", "level"), [("focus", 0.951537), ("defocus", 0.941749)])
def test_clear_field_of_the_iccad_kernels(corner: str, level: float) -> None:
    image = reference_image(np.ones((128, 128)), corner=corner)  # type: ignore[arg-type]
    np.testing.assert_allclose(image, level, atol=5e-7)


def test_the_fast_path_equals_the_book_formula_to_rounding() -> None:
    mask = load_clip("M1_test4")
    fast, naive = reference_image(mask), naive_reference_image(mask)
    assert np.max(np.abs(fast - naive)) < 1e-9


def test_dose_scales_the_amplitude_so_the_image_by_dose_squared() -> None:
    mask = load_clip("M1_test10")
    np.testing.assert_allclose(
        reference_image(mask, dose=1.02), 1.0404 * reference_image(mask), rtol=1e-9, atol=1e-15
    )


def test_kernels_carry_their_stored_conventions() -> None:
    data = load_kernels("focus")
    assert data.kernels.shape == (24, 35, 35)
    assert data.weights.sum() == pytest.approx(210.189, abs=1e-3)
    assert np.all(np.diff(data.weights) <= 0)


def test_glp_reader_takes_rects_and_polygons_and_refuses_garbage(tmp_path) -> None:
    clip = tmp_path / "clip.glp"
    clip.write_text(
        "BEGIN\nCELL X PRIME\n   RECT N M1  0  0  10  20\n   PGON N M1  0 0  5 0  5 5  0 5\nENDMSG\n"
    )
    assert read_glp(clip) == [
        [(0, 0), (0, 20), (10, 20), (10, 0)],
        [(0, 0), (5, 0), (5, 5), (0, 5)],
    ]
    clip.write_text("   RECT N M1  0  0  ten  20\n")
    with pytest.raises(ValueError, match=r"clip.glp:1: coordinates must be integers"):
        read_glp(clip)
    with pytest.raises(ValueError, match="clip: must be one of"):
        load_clip("M1_test11")
