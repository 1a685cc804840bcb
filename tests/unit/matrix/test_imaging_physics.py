"""Physics of the imaging engine: analytic cases, conservation and symmetry, not snapshots."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lto.bootstrap import cuda_device_count
from lto.matrix import sources
from lto.matrix.imaging import aerial_image, hopkins_kernels
from lto.matrix.masks import contact_array, line_space
from lto.matrix.source_integration import source_quadrature

ARF = {"wavelength_nm": 193.0, "na": 0.93}
ARFI = {"wavelength_nm": 193.0, "na": 1.35, "medium_index": 1.436}


@pytest.fixture(
    params=[
        "numpy",
        pytest.param(
            "cupy",
            marks=pytest.mark.skipif(
                cuda_device_count() == 0, reason="needs cupy and a CUDA device"
            ),
        ),
    ]
)
def backend(request: pytest.FixtureRequest) -> str:
    """The same physics assertions on every backend (cupy accumulates in single precision)."""
    return str(request.param)


def tol(backend: str, numpy_tolerance: float) -> float:
    return numpy_tolerance if backend == "numpy" else max(numpy_tolerance, 2e-5)


def grating(pitch: float, pixel: float = 1.0, rows: int = 2) -> np.ndarray:
    return line_space(pitch, pitch / 2, pixel_nm=pixel, rows=rows).transmission


@pytest.mark.parametrize("method", ["abbe", "hopkins"])
@pytest.mark.parametrize(
    "source",
    [
        sources.conventional(0),
        sources.conventional(0.7),
        sources.annular(0.6, 0.9),
        sources.dipole(0.7, 0.2),
        sources.quadrupole(0.6, 0.25),
    ],
    ids=repr,
)
def test_a_clear_mask_images_to_one_everywhere(
    method: str, source: sources.Source, backend: str
) -> None:
    for defocus in (0.0, 80.0):
        image = aerial_image(
            np.ones((24, 36)),
            pixel_nm=5.0,
            source=source,
            method=method,
            defocus_nm=defocus,
            backend=backend,
            **ARFI,
        )
        np.testing.assert_allclose(image, 1.0, atol=tol(backend, 1e-9))


def test_clear_field_holds_with_aberrations_and_complex_masks() -> None:
    image = aerial_image(
        np.full((16, 16), np.exp(0.3j)),
        pixel_nm=4.0,
        source=sources.annular(0.5, 0.8),
        aberrations={7: 0.05, 9: 0.03},
        **ARFI,
    )
    np.testing.assert_allclose(image, 1.0, atol=1e-9)


def test_image_has_the_masks_shape_for_any_shape_and_pixel() -> None:
    for shape, pixel in (((1, 37), 2.3), ((17, 5), 7.0), ((40, 64), 1.5)):
        image = aerial_image(
            np.random.default_rng(0).random(shape),
            pixel_nm=pixel,
            source=sources.conventional(0.5),
            **ARF,
        )
        assert image.shape == shape
        assert image.dtype == np.float64


@pytest.mark.parametrize("method", ["abbe", "hopkins"])
def test_coherent_cutoff_at_lambda_over_na(method: str, backend: str) -> None:
    """Under sigma = 0 only orders with |k/p| ≤ NA/λ pass: below p = λ/NA the image is flat."""
    limit = 193.0 / 0.93  # 207.5 nm
    optics = {
        "pixel_nm": 1.0,
        "source": sources.conventional(0),
        "method": method,
        "backend": backend,
        **ARF,
    }
    below = aerial_image(grating(200.0), **optics)
    above = aerial_image(grating(216.0), **optics)
    assert 200.0 < limit < 216.0
    assert np.ptp(below) < tol(backend, 1e-12)
    assert below.mean() == pytest.approx(0.25, abs=tol(backend, 1e-12))  # the zeroth order alone
    assert np.ptp(above) > 0.5


@pytest.mark.parametrize("pitch", [250.0, 300.0, 400.0])
def test_coherent_three_beam_image_of_a_half_pitch_grating(pitch: float, backend: str) -> None:
    """I = |a0 + 2 a1 cos(2πx/p)|² with a0 = 1/2 and a1 = 1/π.

    Exactly, with the pixelated mask's own orders; to 1e-4 with the continuous grating's
    (an area-weighted pixel averages the pattern over itself: a sinc and a little aliasing).
    """
    pixel = 1.0
    mask = grating(pitch, pixel)
    image = aerial_image(
        mask, pixel_nm=pixel, source=sources.conventional(0), backend=backend, **ARF
    )
    x = np.arange(image.shape[1]) * pixel
    orders = np.fft.fft(mask[0]) / mask.shape[1]
    exact = np.abs(orders[0] + 2 * np.real(orders[1] * np.exp(2j * np.pi * x / pitch))) ** 2
    np.testing.assert_allclose(image[0], exact, atol=tol(backend, 1e-12))
    centres = x + pixel / 2  # the clear space is centred on x = 0
    analytic = np.abs(0.5 + 2 / np.pi * np.cos(2 * np.pi * centres / pitch)) ** 2
    assert 2 / pitch > 0.93 / 193.0  # the second order does not pass (it is zero anyway)
    np.testing.assert_allclose(image[0], analytic, atol=1e-4)


@pytest.mark.parametrize("sigma", [0.3, 0.6, 0.9])
def test_partially_coherent_cutoff_at_lambda_over_na_one_plus_sigma(
    sigma: float, backend: str
) -> None:
    source = sources.conventional(sigma)
    reach = sigma  # the source's exact extent along the grating's axis
    limit = 193.0 / (0.93 * (1 + reach))
    below, above = limit * 0.985, limit * 1.03
    flat = aerial_image(
        grating(below, below / 200), pixel_nm=below / 200, source=source, backend=backend, **ARF
    )
    modulated = aerial_image(
        grating(above, above / 200), pixel_nm=above / 200, source=source, backend=backend, **ARF
    )
    assert np.ptp(flat) < tol(backend, 1e-9)
    assert np.ptp(modulated) > 1e-3


def test_mean_intensity_is_the_energy_of_the_passed_orders(backend: str) -> None:
    """Parseval: the mean of I is Σ_s w_s Σ_{k passed at s} |c_k|², over the source's nodes."""
    mask = contact_array(300, 260, 110, 90, pixel_nm=5).transmission
    source = sources.annular(0.4, 0.8)
    image = aerial_image(mask, pixel_nm=5, source=source, backend=backend, **ARF)
    coefficients = np.fft.fft2(mask) / mask.size
    fy = np.fft.fftfreq(mask.shape[0], d=5.0)[:, None]
    fx = np.fft.fftfreq(mask.shape[1], d=5.0)[None, :]
    cutoff = 0.93 / 193.0
    orders = np.column_stack(
        [fx.ravel()[None, :].repeat(fy.size, 0).ravel(), fy.repeat(fx.size, 1).ravel()]
    )
    nodes = source_quadrature(source, orders / cutoff, smoothness=0.0)
    energy = np.abs(coefficients.ravel()) ** 2
    expected = float(np.sum(nodes.weights * (nodes.passes @ energy)))
    assert image.mean() == pytest.approx(expected, rel=tol(backend, 1e-10))


def test_images_follow_the_mask_under_translation_and_mirroring(backend: str) -> None:
    mask = contact_array(280, 280, 100, 120, pixel_nm=4).transmission
    mask = np.roll(mask, (7, 3), axis=(0, 1))
    optics = {"pixel_nm": 4.0, "source": sources.annular(0.5, 0.85), "backend": backend, **ARF}
    image = aerial_image(mask, **optics)
    np.testing.assert_allclose(
        aerial_image(np.roll(mask, (5, -9), axis=(0, 1)), **optics),
        np.roll(image, (5, -9), axis=(0, 1)),
        atol=tol(backend, 1e-12),
    )
    mirrored = np.roll(np.flip(mask, axis=1), 1, axis=1)  # x → −x on the periodic grid
    np.testing.assert_allclose(
        aerial_image(mirrored, **optics),
        np.roll(np.flip(image, axis=1), 1, axis=1),
        atol=tol(backend, 1e-12),
    )


def test_defocus_is_symmetric_without_aberrations_and_not_with_spherical(backend: str) -> None:
    mask = grating(180.0, 2.0)
    optics = {"pixel_nm": 2.0, "source": sources.annular(0.5, 0.8), "backend": backend, **ARFI}
    plus = aerial_image(mask, defocus_nm=70.0, **optics)
    minus = aerial_image(mask, defocus_nm=-70.0, **optics)
    np.testing.assert_allclose(plus, minus, atol=tol(backend, 1e-12))
    assert np.ptp(plus) < np.ptp(aerial_image(mask, **optics))  # defocus lowers contrast
    spherical = {"aberrations": {9: 0.05}}
    assert (
        np.max(
            np.abs(
                aerial_image(mask, defocus_nm=70.0, **optics, **spherical)
                - aerial_image(mask, defocus_nm=-70.0, **optics, **spherical)
            )
        )
        > 1e-3
    )


def test_immersion_na_above_one_needs_the_medium() -> None:
    with pytest.raises(ValueError, match="na: must lie in"):
        aerial_image(
            grating(120.0),
            pixel_nm=1.0,
            source=sources.conventional(0.5),
            wavelength_nm=193.0,
            na=1.35,
        )


@pytest.mark.parametrize("defocus", [0.0, 60.0])
def test_abbe_and_hopkins_agree(defocus: float, backend: str) -> None:
    rng = np.random.default_rng(5)
    mask = np.kron(rng.random((16, 16)) > 0.5, np.ones((6, 6))).astype(float)
    optics = {
        "pixel_nm": 4.0,
        "source": sources.annular(0.6, 0.9),
        "defocus_nm": defocus,
        "backend": backend,
        **ARFI,
    }
    abbe = aerial_image(mask, method="abbe", **optics)
    hopkins = aerial_image(mask, method="hopkins", **optics)
    assert np.linalg.norm(hopkins - abbe) / np.linalg.norm(abbe) < 1e-3


def test_hopkins_reports_captured_energy_and_caches_kernels() -> None:
    optics = {"pixel_nm": 4.0, "source": sources.annular(0.6, 0.9), **ARFI}
    full = hopkins_kernels((64, 64), energy=0.9999, **optics)
    few = hopkins_kernels((64, 64), max_kernels=4, **optics)
    assert full.energy_captured >= 0.9999
    assert few.count == 4
    assert few.energy_captured < full.energy_captured
    assert np.all(np.diff(full.eigenvalues) <= 0)
    assert hopkins_kernels((64, 64), energy=0.9999, **optics) is full


def test_the_grid_rule_for_many_orders_converges() -> None:
    """Clips with too many orders for the exact rule integrate on the area-weighted grid."""
    mask = contact_array(240, 240, 90, 90, pixel_nm=4).transmission
    steps = (0.2, 0.1, 0.05, 0.025, 0.0125)
    images = [
        aerial_image(mask, pixel_nm=4, source=as_points(sources.annular(0.6, 0.9, step=s)), **ARFI)
        for s in steps
    ]
    changes = [np.linalg.norm(b - a) / np.linalg.norm(a) for a, b in itertools.pairwise(images)]
    assert changes[0] > 0.02  # a 0.2 σ grid is too coarse for a 0.3 σ wide ring
    assert changes[-1] < 1e-3  # halving 0.025 σ changes the image by < 0.1%
    exact = aerial_image(mask, pixel_nm=4, source=sources.annular(0.6, 0.9), **ARFI)
    assert np.linalg.norm(images[-1] - exact) / np.linalg.norm(exact) < 1e-3


def as_points(source: sources.Source) -> sources.Source:
    return sources.Source(source.sx, source.sy, source.weights, "points")


def test_bad_inputs_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="mask: must be a 2-D"):
        aerial_image(np.ones(10), pixel_nm=1.0, source=sources.conventional(0.5), **ARF)
    with pytest.raises(ValueError, match="pixel_nm"):
        aerial_image(np.ones((4, 4)), pixel_nm=0.0, source=sources.conventional(0.5), **ARF)
    with pytest.raises(ValueError, match="method"):
        aerial_image(
            np.ones((4, 4)), pixel_nm=1.0, source=sources.conventional(0.5), method="tcc", **ARF
        )  # type: ignore[arg-type]


GOOD = {"pixel_nm": 4.0, "wavelength_nm": 193.0, "na": 0.93, "defocus_nm": 0.0}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"defocus_nm": float("nan")}, "defocus_nm: must be finite"),
        ({"defocus_nm": float("inf")}, "defocus_nm: must be finite"),
        ({"medium_index": float("inf")}, "medium_index: must be finite"),
        ({"medium_index": 0.5}, "medium_index: must be ≥ 1"),
        ({"wavelength_nm": float("inf")}, "wavelength_nm: must be finite"),
        ({"wavelength_nm": -193.0}, "wavelength_nm: must be > 0"),
        ({"pixel_nm": float("inf")}, "pixel_nm: must be finite"),
        ({"pixel_nm": float("nan")}, "pixel_nm: must be finite"),
        ({"pixel_nm": 60.0}, r"pixel_nm: must be at most λ/\(4·NA\)"),
        ({"na": float("nan")}, "na: must be finite"),
        ({"aberrations": {9: float("nan")}}, "aberrations: Z9 must be a finite"),
        ({"aberrations": {40: 0.1}}, "aberrations: Fringe Zernike index must be 1…16"),
        ({"method": "tcc"}, "method: must be"),
    ],
)
@pytest.mark.parametrize("method", ["abbe", "hopkins"])
def test_garbage_parameters_are_refused_by_name_and_rule(
    change: dict[str, object], message: str, method: str
) -> None:
    optics = {**GOOD, "method": method, **change}
    with pytest.raises(ValueError, match=message):
        aerial_image(np.ones((8, 8)), source=sources.conventional(0.5), **optics)  # type: ignore[arg-type]


def test_masks_of_absurd_transmission_are_refused() -> None:
    for mask, message in (
        (np.full((8, 8), 1e300), "mask: |transmission| must be at most"),
        (np.full((8, 8), np.nan), "mask: transmission must be finite"),
        (np.array([["a", "b"], ["c", "d"]]), "mask: must hold numbers"),
    ):
        with pytest.raises(ValueError, match=message):
            aerial_image(mask, source=sources.conventional(0.5), **GOOD)


def test_source_weights_must_be_a_distribution() -> None:
    """A clear mask images to 1 only if the weights sum to 1: 5, or negatives, are refused."""
    with pytest.raises(ValueError, match="weights must sum to 1"):
        sources.Source(np.zeros(1), np.zeros(1), np.array([5.0]))
    with pytest.raises(ValueError, match="weights must be finite and ≥ 0"):
        sources.Source(np.zeros(2), np.zeros(2), np.array([2.0, -1.0]))
    with pytest.raises(ValueError, match="sx and sy must be finite"):
        sources.Source(np.array([np.nan]), np.zeros(1), np.ones(1))
    with pytest.raises(ValueError, match="sigma: must lie in"):
        sources.conventional(float("nan"))
    with pytest.raises(ValueError, match="step: must lie in"):
        sources.annular(0.5, 0.8, step=float("nan"))


def test_hopkins_kernels_cannot_be_edited_by_a_caller() -> None:
    kernels = hopkins_kernels((16, 16), pixel_nm=4.0, source=sources.annular(0.5, 0.8), **ARFI)
    with pytest.raises(ValueError, match="read-only"):
        kernels.kernels[0, 0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        kernels.eigenvalues[0] = 0.0
