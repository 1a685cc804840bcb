"""The cupy backend runs the same physics assertions as numpy; skipped where no CUDA device is."""

from __future__ import annotations

import numpy as np
import pytest

from lto.bootstrap import cuda_device_count

pytestmark = pytest.mark.skipif(
    cuda_device_count() == 0, reason="needs cupy and a CUDA device (pip install 'lto[gpu]')"
)


def test_clear_field_and_three_beam_image_on_the_gpu() -> None:
    from lto.matrix import sources
    from lto.matrix.imaging import aerial_image
    from lto.matrix.masks import line_space

    clear = aerial_image(
        np.ones((32, 32)),
        pixel_nm=4.0,
        wavelength_nm=193.0,
        na=1.35,
        medium_index=1.436,
        source=sources.annular(0.6, 0.9),
        backend="cupy",
    )
    np.testing.assert_allclose(clear, 1.0, atol=1e-6)
    mask = line_space(300.0, 150.0, pixel_nm=1.0, rows=2).transmission
    gpu = aerial_image(
        mask,
        pixel_nm=1.0,
        wavelength_nm=193.0,
        na=0.93,
        source=sources.conventional(0),
        backend="cupy",
    )
    cpu = aerial_image(
        mask, pixel_nm=1.0, wavelength_nm=193.0, na=0.93, source=sources.conventional(0)
    )
    np.testing.assert_allclose(gpu, cpu, atol=1e-5)


def test_the_cuda_accumulation_kernel_matches_numpy() -> None:
    import cupy

    from lto.matrix.backend import CupyBackend, NumpyBackend

    rng = np.random.default_rng(0)
    fields = (rng.normal(size=(24, 72, 72)) + 1j * rng.normal(size=(24, 72, 72))).astype(
        np.complex64
    )
    weights = rng.uniform(0, 2, 24).astype(np.float32)
    gpu = CupyBackend().accumulate_intensity(cupy.asarray(fields), cupy.asarray(weights))
    np.testing.assert_allclose(
        cupy.asnumpy(gpu), NumpyBackend().accumulate_intensity(fields, weights), rtol=1e-5
    )


def test_iccad_reference_images_agree_between_backends() -> None:
    from lto.matrix.iccad import load_clip, reference_image

    mask = load_clip("M1_test4")
    np.testing.assert_allclose(
        reference_image(mask, backend="cupy"), reference_image(mask), atol=1e-6
    )
