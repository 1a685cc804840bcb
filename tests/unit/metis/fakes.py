"""Evaluators with known answers, for the optimiser's tests (importable by child processes)."""

from __future__ import annotations

import math
from pathlib import Path

from lto.atlas.contracts import JobParameters

BEST_DOSE, BEST_FOCUS = 33.0, 12.0


class Bowl:
    """yield_risk a smooth bowl with its minimum 0 at (BEST_DOSE, BEST_FOCUS); depth of focus
    falls with σ away from 0.6; resolution_vs_dof rises with σ: two objectives in tension."""

    def __init__(self, fail_above_dose: float = math.inf) -> None:
        self.fail_above_dose = fail_above_dose
        self.calls = 0

    def evaluate(self, job: JobParameters) -> dict[str, float]:
        self.calls += 1
        if job.dose_mj_cm2 > self.fail_above_dose:
            raise RuntimeError("the fake simulator refuses this dose")
        risk = ((job.dose_mj_cm2 - BEST_DOSE) / 6.0) ** 2 + (
            (job.focus_nm - BEST_FOCUS) / 120.0
        ) ** 2
        return {
            "yield_risk": min(risk, 1.0),
            "resolution_vs_dof": job.sigma,
            "overall_health": 1.0 - abs(job.sigma - 0.6),
            "depth_of_focus_nm": 200.0 * (1.0 - abs(job.sigma - 0.6)),
        }


class Shifted(Bowl):
    """The 'physics' beside Bowl as 'surrogate': the same bowl, its minimum 1 mJ/cm² higher."""

    def evaluate(self, job: JobParameters) -> dict[str, float]:
        moved = job.model_copy(update={"dose_mj_cm2": job.dose_mj_cm2 - 1.0})
        return super().evaluate(moved)


def optimise_in_child(
    storage: str, study: str, problem_json: dict, trials: int, worker: int
) -> None:
    """One process of a shared study (run under multiprocessing's spawn)."""
    from lto.metis.adapters.optuna_study import OptunaStudyEngine
    from lto.metis.problem import OptimizationProblem

    OptunaStudyEngine(storage).optimize(
        OptimizationProblem.from_json(problem_json), Bowl(), study_name=study, trials=trials,
        seed=1, worker=worker,
    )  # fmt: skip


def journal(tmp: Path) -> str:
    return f"journal:{tmp / 'studies.journal'}"
