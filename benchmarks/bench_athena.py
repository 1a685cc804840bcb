"""Athena over 1,000,000 jobs: PSI and the six tradeoff scores, each timed against one numpy pass.

The baseline for each function is a single numpy pass over the same input arrays, one
elementwise operation per input, measured in the same run, in two flavours: returning new arrays
as any numpy expression does ("alloc", which pays the page faults of fresh memory, as the
functions do), and writing into arrays allocated beforehand ("prealloc", pure arithmetic and
memory traffic, the stricter floor). The ratios say how many such passes a function costs.
Target: within 5x.
yield_risk integrates a 5x5 CD(focus, dose) surface per job (25 M values) at refine=1, with a
focus and dose distribution of its own for every job. PSI is timed cold (quantiles of a 1 M
reference, then 1 M current values) and warm (reference prepared once, as monitoring does).
"""

from __future__ import annotations

import platform
from collections.abc import Callable

import numpy as np
from timing import best_of

from lto.athena.drift import PsiReference, psi
from lto.athena.tradeoffs import (
    cost_vs_fidelity,
    overall_health,
    resolution_vs_dof,
    speed_vs_accuracy,
    surrogate_reliability,
    yield_risk,
)

N = 1_000_000
REPEATS = 5


def best_time(work: Callable[[], object]) -> float:
    return best_of(work, REPEATS, warm_up=True)


def one_pass(*arrays: np.ndarray) -> Callable[[], object]:
    def work() -> list[np.ndarray]:
        return [np.multiply(a, 1.0) for a in arrays]

    return work


def one_pass_preallocated(*arrays: np.ndarray) -> Callable[[], object]:
    outputs = [np.empty_like(a) for a in arrays]

    def work() -> None:
        for a, out in zip(arrays, outputs, strict=True):
            np.multiply(a, 1.0, out=out)

    return work


def main() -> None:
    rng = np.random.default_rng(0)
    pitch = rng.uniform(60, 200, N)
    na = rng.uniform(0.85, 1.35, N)
    sigma = rng.uniform(0.3, 0.95, N)
    dof = rng.uniform(0, 200, N)
    error, seconds = rng.uniform(0, 0.05, N), rng.uniform(0, 120, N)
    epe, cost = rng.uniform(0, 4, N), rng.uniform(0, 1, N)
    width, distance, drift = rng.uniform(0, 0.5, N), rng.uniform(0, 6, N), rng.uniform(0, 0.4, N)
    scores = [rng.uniform(0, 1, N) for _ in range(5)]
    focus, dose = np.linspace(-100, 100, 5), np.linspace(27, 33, 5)
    target = rng.uniform(38, 42, N)
    surfaces = (
        target[:, None, None] + 0.002 * focus[None, :, None] ** 2 - (dose[None, None, :] - 30)
    ).astype(np.float64)
    focus_sigma = rng.uniform(10, 40, N)
    reference, current = rng.normal(size=N), rng.normal(0.1, 1.0, N)
    prepared = PsiReference.fit(reference)

    cases: list[tuple[str, Callable[[], object], tuple[np.ndarray, ...]]] = [
        (
            "psi, cold (1 M reference + 1 M current)",
            lambda: psi(reference, current),
            (reference, current),
        ),
        ("psi, warm (prepared reference, 1 M)", lambda: prepared.psi(current), (current,)),
        (
            "resolution_vs_dof",
            lambda: resolution_vs_dof(pitch, 193.0, na, sigma, dof_nm=dof, required_dof_nm=80.0),
            (pitch, na, sigma, dof),
        ),
        (
            "yield_risk (5x5 surface per job)",
            lambda: yield_risk(
                surfaces,
                focus,
                dose,
                target_cd_nm=target,
                focus_mean_nm=0.0,
                focus_sigma_nm=focus_sigma,
                dose_mean=30.0,
                dose_sigma_fraction=0.02,
                refine=1,
            ),
            (surfaces, target, focus_sigma),
        ),
        ("speed_vs_accuracy", lambda: speed_vs_accuracy(error, seconds), (error, seconds)),
        (
            "cost_vs_fidelity",
            lambda: cost_vs_fidelity(epe, cost, epe_limit=2.0, cost_budget=0.5),
            (epe, cost),
        ),
        (
            "surrogate_reliability",
            lambda: surrogate_reliability(width, distance, drift),
            (width, distance, drift),
        ),
        ("overall_health", lambda: overall_health(*scores), tuple(scores)),
    ]
    print(
        f"athena over {N:,} jobs on {platform.processor() or platform.machine()}, numpy {np.__version__}"
    )
    print(
        f"{'function':<40} {'time ms':>8} {'pass alloc':>11} {'ratio':>6} {'pass prealloc':>14} {'ratio':>6}"
    )
    for name, work, inputs in cases:
        took, alloc, prealloc = (
            best_time(work),
            best_time(one_pass(*inputs)),
            best_time(one_pass_preallocated(*inputs)),
        )
        print(
            f"{name:<40} {took * 1e3:>8.1f} {alloc * 1e3:>11.1f} {took / alloc:>5.1f}x"
            f" {prealloc * 1e3:>14.1f} {took / prealloc:>5.1f}x"
        )


if __name__ == "__main__":
    main()
