"""Pre-flight's "try this instead": a short search for settings that satisfy the constraints
a blocked job breaks.

The job pipeline blocks a job whose predicted scores violate its constraint profile with
confidence; the answer carries an alternative parameter set found here, by a short study on
the same evaluator (the surrogate: milliseconds a trial), over the settings an engineer can
change on the tool (dose, focus, σ; NA where the lens allows a range), nearest the job's own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from lto.atlas.contracts import JobParameters
from lto.metis.ports import Evaluator, StudyEngine
from lto.metis.problem import (
    FreeParameter,
    Objective,
    OptimizationProblem,
    OutcomeConstraint,
    default_range,
)

TOOL_SETTINGS: tuple[str, ...] = ("dose_mj_cm2", "focus_nm", "sigma")


def suggest_alternative(
    engine: StudyEngine,
    job: JobParameters,
    evaluator: Evaluator,
    constraints: Sequence[OutcomeConstraint],
    *,
    objective: Objective | None = None,
    free: Sequence[str] = TOOL_SETTINGS,
    trials: int = 60,
    seed: int = 0,
) -> JobParameters | None:
    """The best job (by ``objective``, overall health by default) that meets ``constraints``
    and the profile's rules, changing only ``free``; None when the short search finds none."""
    probe = OptimizationProblem(
        template=job,
        free=(FreeParameter("dose_mj_cm2", job.dose_mj_cm2 * 0.99, job.dose_mj_cm2 * 1.01),),
        objectives=(Objective("overall_health", "maximize"),),
    )
    profile = probe.profile
    parameters = tuple(FreeParameter(name, *default_range(name, job, profile)) for name in free)
    problem = OptimizationProblem(
        template=job,
        free=parameters,
        objectives=(objective or Objective("overall_health", "maximize"),),
        constraints=tuple(constraints),
        profile_name=probe.profile_name,
    )
    result = engine.optimize(
        problem, evaluator, study_name=f"alternative-{uuid.uuid4().hex[:12]}", trials=trials,
        evaluator_name="surrogate", seed=seed,
    )  # fmt: skip
    best = result.best
    if not best:
        return None
    found, _ = problem.job_for(best[0].params)
    return found


__all__ = ["TOOL_SETTINGS", "suggest_alternative"]
