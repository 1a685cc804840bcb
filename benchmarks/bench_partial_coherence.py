"""Exact source integration against the old 0.1 σ source grid, side by side in one run.

For each case: seconds per aerial image (Hopkins with its kernels, cold caches, best of three)
with the old rule (the shape's 0.1 σ area-weighted grid, each point passing orders all or
nothing) and with today's default (exact regions in focus, Gauss rules out of focus), the time
ratio, and each one's largest error against a converged reference (a 0.004 σ grid for 1-D
clips; 0.0125 σ for the 2-D ones), in units of the clear-field intensity. Target (issue 9): every
default image within 1e-3 of converged, in at most 1.5x the old time.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable

import numpy as np
from timing import best_of

from lto.matrix import sources
from lto.matrix.imaging import aerial_image, clear_kernel_cache
from lto.matrix.masks import contact_array, line_space
from lto.matrix.sources import Source

ARFI = {"wavelength_nm": 193.0, "na": 1.35, "medium_index": 1.436, "method": "hopkins"}
ARF = {"wavelength_nm": 193.0, "na": 0.85, "medium_index": 1.0, "method": "hopkins"}


def as_grid(source: Source) -> Source:
    """The shape's own sample points, integrated point by point (the old rule)."""
    return Source(source.sx, source.sy, source.weights, "grid")


def cold(function: Callable[[], np.ndarray]) -> Callable[[], np.ndarray]:
    def run() -> np.ndarray:
        clear_kernel_cache()  # and the source quadratures
        return function()

    return run


CASES: list[tuple[str, np.ndarray, float, Callable[[float], Source], dict[str, float], float]] = [
    ("lines 40/80, dipole 0.9/0.6, in focus", line_space(80, 40, pixel_nm=1.0).transmission, 1.0,
     lambda s: sources.dipole(0.75, 0.15, step=s), {**ARFI, "defocus_nm": 0.0}, 0.004),
    ("lines 40/80, dipole 0.9/0.6, 100 nm defocus", line_space(80, 40, pixel_nm=1.0).transmission, 1.0,
     lambda s: sources.dipole(0.75, 0.15, step=s), {**ARFI, "defocus_nm": 100.0}, 0.004),
    ("lines 60/120, annular 0.6/0.9, 100 nm defocus", line_space(120, 60, pixel_nm=1.0).transmission, 1.0,
     lambda s: sources.annular(0.6, 0.9, step=s), {**ARFI, "defocus_nm": 100.0}, 0.004),
    ("lines 94/188 (σ 0.3, λ/1.1NA), NA 0.85", line_space(206.4, 103.2, pixel_nm=1.6).transmission, 1.6,
     lambda s: sources.conventional(0.3, step=s), {**ARF, "defocus_nm": 0.0}, 0.004),
    ("lines, unpolarised vector, 100 nm defocus", line_space(120, 60, pixel_nm=1.0).transmission, 1.0,
     lambda s: sources.annular(0.6, 0.9, step=s), {**ARFI, "defocus_nm": 100.0, "polarization": "unpolarized"}, 0.004),
    ("contacts 70/160, annular, 60 nm defocus", contact_array(160, 160, 70, 70, pixel_nm=2.0).transmission, 2.0,
     lambda s: sources.annular(0.6, 0.9, step=s), {**ARFI, "defocus_nm": 60.0}, 0.0125),
    ("contacts 120/512 (grid fallback), in focus", contact_array(512, 512, 120, 120, pixel_nm=1.0).transmission, 1.0,
     lambda s: sources.annular(0.6, 0.9, step=s), {**ARFI, "defocus_nm": 0.0}, 0.0125),
]  # fmt: skip


def main() -> None:
    print(
        f"partial coherence benchmarks on {platform.machine()} ({os.cpu_count()} cores), "
        f"numpy {np.__version__}"
    )
    print(
        f"   {'case':<46} {'old (s)':>8} {'new (s)':>8} {'ratio':>6} {'old err':>8} {'new err':>8}"
    )
    for name, mask, pixel, shape, optics, fine in CASES:
        settings = {"pixel_nm": pixel, **optics}
        reference = aerial_image(mask, source=as_grid(shape(fine)), **settings)  # type: ignore[arg-type]
        old_source, new_source = as_grid(shape(0.1)), shape(0.1)
        old = cold(lambda m=mask, o=old_source, s=settings: aerial_image(m, source=o, **s))  # type: ignore[misc]
        new = cold(lambda m=mask, n=new_source, s=settings: aerial_image(m, source=n, **s))  # type: ignore[misc]
        old_time, new_time = best_of(old), best_of(new)
        old_error = float(np.max(np.abs(old() - reference)))
        new_error = float(np.max(np.abs(new() - reference)))
        print(
            f"   {name:<46} {old_time:>8.4f} {new_time:>8.4f} {new_time / old_time:>5.1f}x "
            f"{old_error:>8.1e} {new_error:>8.1e}"
        )


if __name__ == "__main__":
    main()
