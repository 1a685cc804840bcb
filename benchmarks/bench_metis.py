"""Metis: Optuna against an exhaustive grid and against random search, on the physics.

Two problems whose optimum an exhaustive grid over the built-in physics finds (ArF dry, 90/180
nm lines, 3 nm pixels, so that a physics trial takes tens of milliseconds):

1. the σ and NA that maximise depth of focus (at the required exposure latitude), conventional
   illumination: a 20 × 20 grid over NA 0.6–0.93, σ 0.3–0.95;
2. the dose and focus that minimise yield risk at σ 0.7, NA 0.85 (the optimum is the dose to
   size, 43.9 mJ/cm², at best focus, 0 nm): a 20 × 20 grid over 35–53 mJ/cm², ±150 nm.

For each, Optuna's TPE (LTO's default sampler) and random search each get 10% of the grid's
evaluations (40 trials), over several seeds; the table gives how many reached within 2% of the
grid's optimum (for yield risk: within 0.02 of it, a risk being a probability), and the
median number of trials they took to get there. Target (issue 11): within 2% in ≤ 10% of the
grid's evaluations.
"""

from __future__ import annotations

import itertools
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lto.atlas.contracts import JobParameters
from lto.matrix.adapters.physics import PhysicsSimulator
from lto.metis.adapters.optuna_study import OptunaStudyEngine
from lto.metis.problem import FreeParameter, Objective, OptimizationProblem, outcome_values

GRID = 20
BUDGET = 40  # 10% of the grid's 400 evaluations
SEEDS = (0, 1, 2, 3, 4)
TEMPLATE = JobParameters(
    na=0.85, wavelength_nm=193.0, dose_mj_cm2=44.0, sigma=0.7, resist_thickness_nm=100.0,
    grid_size_nm=3.0, target_cd_nm=90.0, pitch_nm=180.0, submitted_by="benchmark",
)  # fmt: skip


def grid_optimum(
    problem: OptimizationProblem, simulator: PhysicsSimulator
) -> tuple[float, dict[str, float], float]:
    """The best objective value over the GRID × GRID grid of the two free parameters."""
    (a, b), objective = problem.free, problem.objectives[0]
    sign = 1.0 if objective.direction == "maximize" else -1.0
    best, where = -np.inf, {}
    started = time.perf_counter()
    for x, y in itertools.product(
        np.linspace(a.low, a.high, GRID), np.linspace(b.low, b.high, GRID)
    ):
        job, reasons = problem.job_for({a.name: float(x), b.name: float(y)})
        if job is None or reasons:
            continue
        value = outcome_values(simulator.evaluate(job))[objective.name]
        if value is not None and sign * value > best:
            best, where = sign * value, {a.name: float(x), b.name: float(y)}
    return sign * best, where, time.perf_counter() - started


def trials_to_target(values: list[float], reached: Callable[[float], bool]) -> int | None:
    for i, value in enumerate(values, start=1):
        if reached(value):
            return i
    return None


def run_problem(
    title: str,
    problem: OptimizationProblem,
    reached_for: Callable[[float], Callable[[float], bool]],
) -> None:
    simulator = PhysicsSimulator()
    optimum, where, seconds = grid_optimum(problem, simulator)
    objective = problem.objectives[0]
    print(f"{title}")
    shown = ", ".join(f"{k} {v:.3g}" for k, v in where.items())
    print(f"   grid {GRID}×{GRID}: {objective.name} {optimum:.4g} at {shown} ({seconds:.0f} s)")
    reached = reached_for(optimum)
    print(f"   {'sampler':<8} {'reached':>8} {'median trials':>14} {'best (median)':>14}")
    with tempfile.TemporaryDirectory() as folder:
        engine = OptunaStudyEngine(f"journal:{Path(folder) / 'bench.journal'}")
        for sampler in ("tpe", "random"):
            hits, bests = [], []
            for seed in SEEDS:
                result = engine.optimize(
                    problem, simulator, study_name=f"{title[:2]}-{sampler}-{seed}", trials=BUDGET,
                    sampler=sampler, seed=seed,  # type: ignore[arg-type]
                )  # fmt: skip
                values = [t.values[0] if t.feasible else objective.worst for t in result.trials]
                hits.append(trials_to_target(values, reached))
                bests.append(result.best[0].values[0] if result.best else objective.worst)
            found = [h for h in hits if h is not None]
            median = f"{statistics.median(found):.0f}" if found else "—"
            print(
                f"   {sampler:<8} {len(found):>4}/{len(SEEDS):<3} {median:>14} "
                f"{statistics.median(bests):>14.4g}"
            )


def main() -> None:
    print(
        f"metis benchmarks on {platform.machine()}, {BUDGET} trials (10% of the {GRID * GRID}-point grid), seeds {SEEDS}"
    )
    dof = OptimizationProblem(
        TEMPLATE,
        (FreeParameter("na", 0.6, 0.93), FreeParameter("sigma", 0.3, 0.95)),
        (Objective("depth_of_focus_nm", "maximize"),),
    )
    run_problem("1. max depth of focus over NA and σ", dof, lambda best: lambda v: v >= 0.98 * best)
    risk = OptimizationProblem(
        TEMPLATE,
        (FreeParameter("dose_mj_cm2", 35.0, 53.0), FreeParameter("focus_nm", -150.0, 150.0)),
        (Objective("yield_risk", "minimize"),),
    )
    run_problem(
        "2. min yield risk over dose and focus", risk, lambda best: lambda v: v <= best + 0.02
    )


if __name__ == "__main__":
    main()
