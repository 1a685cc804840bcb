"""Partial coherence integrated exactly: against the circle-overlap (two-beam) closed form for
every source shape, and converged out of focus, at the defaults a user gets (no step chosen)."""

from __future__ import annotations

import numpy as np
import pytest

from lto.matrix import source_integration, sources
from lto.matrix.imaging import aerial_image
from lto.matrix.masks import line_space
from lto.matrix.sources import Source

Disc = tuple[float, float, float]


def lens_area(r: float, big_r: float, d: float) -> float:
    """Area of the intersection of two discs (radii r, R, centres d apart)."""
    if d >= r + big_r:
        return 0.0
    if d <= abs(big_r - r):
        return float(np.pi * min(r, big_r) ** 2)
    a = r**2 * np.arccos((d**2 + r**2 - big_r**2) / (2 * d * r))
    b = big_r**2 * np.arccos((d**2 + big_r**2 - r**2) / (2 * d * big_r))
    return float(
        a
        + b
        - 0.5 * np.sqrt((-d + r + big_r) * (d + r - big_r) * (d - r + big_r) * (d + r + big_r))
    )


def share_passing(include: list[Disc], exclude: list[Disc], centre_x: float) -> float:
    """Share of the source (disjoint ``include`` discs minus nested ``exclude`` discs) inside the
    unit pupil circle shifted to ``centre_x``: the source points that pass that order."""
    inside = sum(lens_area(r, 1.0, np.hypot(x - centre_x, y)) for x, y, r in include)
    inside -= sum(lens_area(r, 1.0, np.hypot(x - centre_x, y)) for x, y, r in exclude)
    total = sum(np.pi * r**2 for *_, r in include) - sum(np.pi * r**2 for *_, r in exclude)
    return float(inside / total)


def two_beam_image(row: np.ndarray, pixel: float, share: float) -> np.ndarray:
    """Orders 0 and ±1, never ±1 together, each first order passed by ``share`` of a source
    symmetric in x: I = |c0|² + share · Σ± (|c±|² + 2 Re c0 c±* e^(∓2πix/p))."""
    n = row.size
    pitch = n * pixel
    c = np.fft.fft(row) / n
    x = np.arange(n) * pixel
    image = np.full(n, abs(c[0]) ** 2, dtype=np.complex128)
    for k in (-1, 1):
        image += share * (
            abs(c[k]) ** 2 + 2 * c[0] * np.conj(c[k]) * np.exp(-2j * np.pi * k * x / pitch)
        )
    return image.real


def pole_discs(centre: float, radius: float, angles_deg: list[float]) -> list[Disc]:
    return [
        (centre * np.cos(np.deg2rad(a)), centre * np.sin(np.deg2rad(a)), radius) for a in angles_deg
    ]


CASES = [
    ("conventional 0.5", 0.85, 1.0, 1.2, sources.conventional(0.5), [(0.0, 0.0, 0.5)], []),
    ("conventional 0.3", 0.85, 1.0, 1.1, sources.conventional(0.3), [(0.0, 0.0, 0.3)], []),
    ("conventional 1.0", 0.93, 1.0, 1.9, sources.conventional(1.0), [(0.0, 0.0, 1.0)], []),
    (
        "quadrupole 0.7±0.2",
        0.85, 1.0, 1.5,
        sources.quadrupole(0.7, 0.2),
        pole_discs(0.7, 0.2, [45, 135, 225, 315]),
        [],
    ),
    ("annular 0.6/0.9", 0.85, 1.0, 1.2, sources.annular(0.6, 0.9), [(0.0, 0.0, 0.9)], [(0.0, 0.0, 0.6)]),
    ("dipole 0.8±0.2", 0.85, 1.0, 1.7, sources.dipole(0.8, 0.2), pole_discs(0.8, 0.2, [0, 180]), []),
    ("ArF-i dipole 0.9/0.6, 80 nm", 1.35, 1.436, 193.0 / (80 * 1.35), sources.dipole(0.75, 0.15), pole_discs(0.75, 0.15, [0, 180]), []),
]  # fmt: skip


@pytest.mark.parametrize("method", ["abbe", "hopkins"])
@pytest.mark.parametrize(("name", "na", "n", "k", "source", "include", "exclude"), CASES)
def test_two_beam_images_match_the_circle_overlap_formula(
    name: str,
    na: float,
    n: float,
    k: float,
    source: Source,
    include: list[Disc],
    exclude: list[Disc],
    method: str,
) -> None:
    """Pitch λ/(k·NA) with k > 1: no source point passes both first orders; each passes the
    first order it sees in proportion to the exact overlap of its shape with the shifted pupil."""
    pitch = 193.0 / (k * na)
    clip = line_space(pitch, pitch / 2, pixel_nm=pitch / 128, rows=1)
    image = aerial_image(
        clip.transmission, pixel_nm=clip.pixel_nm, wavelength_nm=193.0, na=na,
        medium_index=n, source=source, method=method,
    )[0]  # fmt: skip
    share = share_passing(include, exclude, 193.0 / (pitch * na))
    exact = two_beam_image(clip.transmission[0], clip.pixel_nm, share)
    np.testing.assert_allclose(image, exact, atol=1e-5)
    contrast = np.ptp(image) / (image.max() + image.min())
    assert contrast == pytest.approx(np.ptp(exact) / (exact.max() + exact.min()), rel=1e-4)


def test_the_docs_example_has_the_converged_contrast() -> None:
    """The ArF-immersion example of the README: 40/80 nm lines, dipole 0.9/0.6 at NA 1.35."""
    clip = line_space(80.0, 40.0, pixel_nm=1.0, rows=1)
    image = aerial_image(
        clip.transmission, pixel_nm=1.0, wavelength_nm=193.0, na=1.35, medium_index=1.436,
        source=sources.dipole(0.75, 0.15),
    )[0]  # fmt: skip
    assert np.ptp(image) / (image.max() + image.min()) == pytest.approx(0.3709, abs=2e-4)


def brute_force(source: Source) -> Source:
    """The same shape as bare points on a 0.004 σ area-weighted grid (integrated point by point)."""
    return Source(source.sx, source.sy, source.weights, "grid")


FOCUS_CASES = [
    (1.35, 1.436, 90.0, sources.annular(0.6, 0.9, step=0.004), sources.annular(0.6, 0.9)),
    (1.35, 1.436, 90.0, sources.conventional(0.9, step=0.004), sources.conventional(0.9)),
    (0.85, 1.0, 160.0, sources.quadrupole(0.7, 0.2, step=0.004), sources.quadrupole(0.7, 0.2)),
    (0.85, 1.0, 160.0, sources.dipole(0.8, 0.2, step=0.004), sources.dipole(0.8, 0.2)),
    (0.85, 1.0, 160.0, sources.conventional(0.2, step=0.004), sources.conventional(0.2)),
]


@pytest.mark.parametrize("polarization", [None, "TM"])
@pytest.mark.parametrize("defocus", [0.0, 120.0, -250.0])
@pytest.mark.parametrize(("na", "n", "pitch", "fine", "source"), FOCUS_CASES)
def test_images_in_and_out_of_focus_are_converged_at_the_defaults(
    na: float,
    n: float,
    pitch: float,
    fine: Source,
    source: Source,
    defocus: float,
    polarization: str | None,
) -> None:
    clip = line_space(pitch, pitch / 2, pixel_nm=pitch / 64, rows=1)
    optics = {
        "pixel_nm": clip.pixel_nm, "wavelength_nm": 193.0, "na": na, "medium_index": n,
        "defocus_nm": defocus, "polarization": polarization,
    }  # fmt: skip
    image = aerial_image(clip.transmission, source=source, **optics)
    reference = aerial_image(clip.transmission, source=brute_force(fine), **optics)
    assert np.max(np.abs(image - reference)) < 3e-4  # the 0.004 σ grid's own error is ~1e-4


def test_more_nodes_do_not_change_a_defocused_image(monkeypatch: pytest.MonkeyPatch) -> None:
    """Self-convergence: doubling every Gauss rule's phase allowance moves nothing by 1e-4."""
    clip = line_space(120.0, 60.0, pixel_nm=2.0, rows=1)
    optics = {
        "pixel_nm": 2.0, "wavelength_nm": 193.0, "na": 1.35, "medium_index": 1.436,
        "source": sources.annular(0.5, 0.95), "defocus_nm": 200.0, "aberrations": {9: 0.03},
    }  # fmt: skip
    image = aerial_image(clip.transmission, **optics)
    rule = source_integration.nodes_for
    monkeypatch.setattr(source_integration, "nodes_for", lambda span, low: rule(2 * span, low) + 4)
    source_integration.clear_cache()
    finer = aerial_image(clip.transmission, **optics)
    source_integration.clear_cache()
    assert np.max(np.abs(image - finer)) < 1e-4


def test_in_focus_regions_merge_into_a_few_points() -> None:
    """In focus each region of constant passed orders is one weighted point: exact and cheap."""
    band_orders = np.array([[-1.5, 0.0], [0.0, 0.0], [1.5, 0.0]])
    nodes = source_integration.source_quadrature(
        sources.annular(0.6, 0.9), band_orders, smoothness=0.0
    )
    assert nodes.exact
    assert nodes.size == 3  # passes {0}, {0, +1}, {0, −1}
    assert nodes.weights.sum() == pytest.approx(1.0, abs=1e-14)
    plus = share_passing([(0, 0, 0.9)], [(0, 0, 0.6)], 1.5)
    assert sorted(nodes.weights) == pytest.approx(sorted([1 - 2 * plus, plus, plus]), abs=1e-7)


def test_pixelated_sources_are_integrated_over_their_pixels() -> None:
    """A pixel map of a uniform disc converges to the disc; its pixels are exact squares."""
    n = 64
    centres = (np.arange(n) + 0.5) / n * 2 - 1
    x, y = np.meshgrid(centres, centres)
    square = np.where((np.abs(x) < 0.5) & (np.abs(y) < 0.5), 1.0, 0.0)  # 32 × 32 pixels
    clip = line_space(160.0, 80.0, pixel_nm=2.5, rows=1)
    optics = {"pixel_nm": 2.5, "wavelength_nm": 193.0, "na": 0.85}
    image = aerial_image(clip.transmission, source=sources.pixelated(square), **optics)[0]
    # the square [−0.5, 0.5]² cut by the pupil circle shifted to the first order, by integration
    d = 193.0 / (160.0 * 0.85)
    ys = np.linspace(-0.5, 0.5, 200001)
    chord = np.clip(np.sqrt(np.maximum(1 - ys**2, 0)) - d + 0.5, 0, 1)  # x ∈ [−0.5, √(1−y²) − d]
    share = float(np.trapezoid(chord, ys))
    exact = two_beam_image(clip.transmission[0], 2.5, share)
    np.testing.assert_allclose(image, exact, atol=2e-6)


@pytest.mark.parametrize("method", ["abbe", "hopkins"])
def test_a_large_clip_of_many_periods_images_as_one_period(method: str) -> None:
    """800 × 800 pixels of 40/80 lines hold too many orders for the exact cut: the grid rule
    splits its cells where pupil circles cross them, and a thin dipole stays within 1e-4 of the
    single period's exact image (a 0.1 σ grid of whole cells was 0.07 off)."""
    period = line_space(80.0, 40.0, pixel_nm=1.0).transmission
    optics = {
        "pixel_nm": 1.0, "wavelength_nm": 193.0, "na": 1.35, "medium_index": 1.436,
        "source": sources.dipole(0.75, 0.15), "method": method,
    }  # fmt: skip
    exact = aerial_image(period, **optics)[0]
    tiled = aerial_image(np.tile(period, (800, 10)), **optics)
    assert np.max(np.abs(tiled[::97, :80] - exact)) < 1e-4


def test_clips_of_thousands_of_orders_fall_back_to_the_shapes_own_points() -> None:
    """A 5 µm contact cell at NA 1.35: every order count gets a quadrature, never a crash."""
    orders = np.stack(np.meshgrid(np.arange(-60, 61), np.arange(-60, 61)), -1).reshape(-1, 2)
    nodes = source_integration.source_quadrature(
        sources.dipole(0.75, 0.15), orders * 0.0286, smoothness=0.0
    )
    assert not nodes.exact
    assert nodes.weights.sum() == pytest.approx(1.0)
    assert nodes.passes.shape == (nodes.size, len(orders))
