"""The physics engine against an earlier engine, side by side in one run (issue 9's 1.5× rule).

Each round runs the same cases in a fresh process on this checkout and on the baseline (another
checkout's ``src``, e.g. a ``git worktree`` of the commit before issue 9, 7218d3e), alternately,
and the best time of every case over all rounds is compared, so that the machine's noise hits
both alike:

- 21 × 21 focus-exposure matrices (Hopkins, kernels per focus) of 60/120 nm lines and of the
  512 nm contact cell (193 nm, NA 1.35 water, annular 0.6/0.9);
- one cold image (kernels and source quadratures forgotten) of each, and Abbe images of the lines
  with conventional, quadrupole and dipole sources in and out of focus.

Usage: ``git worktree add /tmp/before 7218d3e`` then
``python benchmarks/bench_matrix_baseline.py /tmp/before/src [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

CASES = r"""
import json, time
import numpy as np
from lto.atlas.materials import ARF_CAR
from lto.matrix import sources
from lto.matrix.fem import CutLine, Optics, focus_exposure_matrix, image
from lto.matrix.imaging import aerial_image, clear_kernel_cache
from lto.matrix.masks import contact_array, line_space
from lto.matrix.resist import ResistModel

def array(clip):  # older engines return the array itself, newer ones a Clip
    return getattr(clip, "transmission", clip)

optics = Optics(193.0, 1.35, sources.annular(0.6, 0.9), medium_index=1.436)
resist = ResistModel.from_formulation(ARF_CAR, 90.0)
focus, dose = np.linspace(-120, 120, 21), np.linspace(34, 50, 21)
lines = line_space(120.0, 60.0, pixel_nm=1.0)
contacts = contact_array(512.0, 512.0, 120.0, 120.0, pixel_nm=1.0)

def best(work, repeats):
    times = []
    for _ in range(repeats):
        clear_kernel_cache()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)

found = {
    "FEM 21x21, lines 60/120": best(lambda: focus_exposure_matrix(
        lines, optics, resist, CutLine((0,), 60.0), focus_nm=focus, dose_mj_cm2=dose), 5),
    "FEM 21x21, contacts 512": best(lambda: focus_exposure_matrix(
        contacts, optics, resist, CutLine((255, 256), 256.0, "space"), focus_nm=focus,
        dose_mj_cm2=dose), 5),
    "cold Hopkins image, contacts": best(lambda: image(contacts, optics, defocus_nm=17.0), 5),
    "cold Hopkins image, lines": best(lambda: image(lines, optics, defocus_nm=17.0), 20),
}
for name, source in [("conventional 0.5", sources.conventional(0.5)),
                     ("quadrupole 0.7/0.2", sources.quadrupole(0.7, 0.2)),
                     ("dipole 0.8/0.2", sources.dipole(0.8, 0.2))]:
    optics_kw = dict(pixel_nm=1.0, wavelength_nm=193.0, na=1.35, source=source, medium_index=1.436)
    for z in (0.0, 50.0):
        found[f"cold Abbe image, lines, {name}, z {z:g}"] = best(
            lambda: aerial_image(array(lines), defocus_nm=z, **optics_kw), 20)
print(json.dumps(found))
"""


def run_cases(source_root: Path | None) -> dict[str, float]:
    env = dict(os.environ)
    if source_root is not None:
        env["PYTHONPATH"] = str(source_root)
    out = subprocess.run(
        [sys.executable, "-c", CASES], env=env, capture_output=True, text=True, check=True,
        cwd=source_root.parent if source_root else None,
    )  # fmt: skip
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", type=Path, help="the earlier checkout's src folder")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (args.baseline / "lto" / "matrix").is_dir():
        parser.error(f"baseline: {args.baseline} holds no lto/matrix package")
    if args.rounds < 1:
        parser.error("--rounds: must be at least 1")
    started = time.perf_counter()
    before: list[dict[str, float]] = []
    now: list[dict[str, float]] = []
    for _ in range(args.rounds):
        before.append(run_cases(args.baseline.resolve()))
        now.append(run_cases(None))
    print(f"matrix against {args.baseline}, best of {args.rounds} alternating rounds")
    print(f"{'case':48} {'before ms':>10} {'now ms':>9} {'ratio':>7}")
    for case in before[0]:
        old = min(r[case] for r in before) * 1e3
        new = min(r[case] for r in now) * 1e3
        print(f"{case:48} {old:10.2f} {new:9.2f} {new / old:6.2f}x")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
