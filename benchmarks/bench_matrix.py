"""The physics engine's speed, each case against a floor measured in the same run.

1. ICCAD-2013 clips (2048² at 1 nm, K = 24 SOCS kernels): LTO's band-limited path against the
   naive floor, the FFTs alone of the textbook method (one forward and K inverse complex FFTs of
   the full grid, complex64, scipy.fft on all cores: the fastest CPU FFT measured here). Target:
   at least 10x faster. Also checks that the fast image equals the textbook one (to 1e-9).
2. LTO's own Abbe and Hopkins engines on a 2048² clip at 1 nm (193 nm, NA 1.35 immersion,
   annular 0.6/0.9): time per image, the Hopkins speedup, and the kernel time the cache saves.
3. A 21 x 21 focus-exposure matrix with CD extraction, for a 1-D line/space pattern and a
   512 x 512 2-D clip: seconds, and the ratio to one aerial image of the same clip.
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np
from scipy import fft
from timing import best_of

from lto.atlas.materials import ARF_CAR
from lto.matrix import sources
from lto.matrix.fem import CutLine, Optics, focus_exposure_matrix, image
from lto.matrix.iccad import CLIPS, load_clip, load_kernels, naive_reference_image, reference_image
from lto.matrix.imaging import aerial_image, clear_kernel_cache, hopkins_image, hopkins_kernels
from lto.matrix.masks import contact_array, line_space
from lto.matrix.resist import ResistModel


def iccad() -> None:
    print("1. ICCAD-2013 aerial images, 2048 x 2048 at 1 nm, K = 24")
    kernels = load_kernels("focus")
    buffer = np.zeros((2048, 2048), dtype=np.complex64)

    def naive_floor(mask: np.ndarray) -> None:
        fft.fft2(mask.astype(np.complex64), workers=-1)
        for _ in range(kernels.kernels.shape[0]):
            fft.ifft2(buffer, workers=-1)

    print(f"   {'clip':<10} {'LTO (s)':>8} {'floor (s)':>10} {'speedup':>8}")
    speedups = []
    for name in CLIPS:
        mask = load_clip(name)
        ours, floor = (
            best_of(lambda m=mask: reference_image(m)),
            best_of(lambda m=mask: naive_floor(m), repeats=1),
        )
        speedups.append(floor / ours)
        print(f"   {name:<10} {ours:>8.3f} {floor:>10.3f} {floor / ours:>7.1f}x")
    mask = load_clip("M1_test1")
    error = float(np.max(np.abs(reference_image(mask) - naive_reference_image(mask))))
    print(
        f"   median speedup {np.median(speedups):.1f}x; max |fast − textbook| on M1_test1 = {error:.1e}"
    )


def engines() -> None:
    print("2. LTO Abbe vs Hopkins, 2048 x 2048 at 1 nm, 193 nm NA 1.35 (water), annular 0.6/0.9")
    mask = load_clip("M1_test1").astype(np.float64)
    source = sources.annular(0.6, 0.9)
    optics = {
        "pixel_nm": 1.0,
        "wavelength_nm": 193.0,
        "na": 1.35,
        "source": source,
        "medium_index": 1.436,
    }
    abbe = best_of(lambda: aerial_image(mask, method="abbe", **optics))
    clear_kernel_cache()
    start = time.perf_counter()
    kernels = hopkins_kernels(mask.shape, **optics)
    kernel_time = time.perf_counter() - start
    hopkins = best_of(lambda: hopkins_image(mask, kernels))
    a = aerial_image(mask, method="abbe", **optics)
    h = hopkins_image(mask, kernels)
    print(
        f"   source points {source.size}; kernels kept {kernels.count} (energy {kernels.energy_captured:.5f})"
    )
    print(
        f"   Abbe {abbe:.3f} s/image; Hopkins {hopkins:.3f} s/image (cached kernels): speedup {abbe / hopkins:.1f}x"
    )
    print(
        f"   kernel computation {kernel_time:.3f} s, saved by the cache on every later image at this focus"
    )
    print(
        f"   Hopkins vs Abbe relative L2 difference {np.linalg.norm(h - a) / np.linalg.norm(a):.1e}"
    )
    clips = [load_clip(name).astype(np.float64) for name in CLIPS]
    per_clip = [best_of(lambda c=clip: hopkins_image(c, kernels)) for clip in clips]
    print(
        f"   LTO Hopkins on the ten ICCAD clips (these optics, cached kernels): "
        f"{np.mean(per_clip):.3f} s per clip on average, {np.max(per_clip):.3f} s at most"
    )


def matrices() -> None:
    print("3. 21 x 21 focus-exposure matrix with CD extraction (Hopkins, kernels cached per focus)")
    optics = Optics(193.0, 1.35, sources.annular(0.6, 0.9), medium_index=1.436)
    resist = ResistModel.from_formulation(ARF_CAR, 90.0)
    focus, dose = np.linspace(-120, 120, 21), np.linspace(34, 50, 21)
    cases = [
        (
            "1-D lines 60/120 nm, 1 nm pixels",
            line_space(120.0, 60.0, pixel_nm=1.0),
            CutLine((0,), 60.0),
        ),
        (
            "2-D contacts, 512 x 512 clip",
            contact_array(512.0, 512.0, 120.0, 120.0, pixel_nm=1.0),
            CutLine((255, 256), 256.0, "space"),
        ),
    ]
    for name, clip, cut in cases:
        clear_kernel_cache()
        start = time.perf_counter()
        fem = focus_exposure_matrix(clip, optics, resist, cut, focus_nm=focus, dose_mj_cm2=dose)
        cold = time.perf_counter() - start
        single = best_of(
            lambda c=clip: image(c, optics, defocus_nm=17.0)
        )  # one cached-kernel image
        clear_kernel_cache()
        one_cold = best_of(
            lambda c=clip: (clear_kernel_cache(), image(c, optics, defocus_nm=17.0)), repeats=3
        )
        printed = int(np.isfinite(fem.cd_nm).sum())
        print(
            f"   {name}: {cold:.2f} s ({printed}/441 printed); one image {one_cold:.3f} s with its kernels, {single:.4f} s cached; FEM = {cold / one_cold:.1f} images"
        )


def main() -> None:
    print(
        f"matrix benchmarks on {platform.machine()} ({os.cpu_count()} cores), numpy {np.__version__}"
    )
    iccad()
    engines()
    matrices()


if __name__ == "__main__":
    main()
