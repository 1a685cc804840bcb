"""Search on the surrogate, confirm with physics: the fast way to a setting worth running.

The surrogate answers a trial in milliseconds, so the study can afford hundreds; its best
candidates (the best few feasible trials, or the Pareto front) then go through the physics, and
the result says, per objective, how far surrogate and physics disagree, and which candidate the
physics confirms as best. A candidate the surrogate called feasible but the physics does not is
reported as such, with the reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lto.metis._text import first_line
from lto.metis.ports import Evaluator, StudyEngine, TrialProgress
from lto.metis.problem import OptimizationProblem, ProblemError, Sampler, outcome_values
from lto.metis.results import Confirmation, OptimizationResult, TrialRecord

ConfirmProgress = Callable[[int, int], None]  # (candidates confirmed, candidates)


def candidates(result: OptimizationResult, count: int) -> list[TrialRecord]:
    """Up to ``count`` distinct feasible trials worth confirming: the Pareto front (several
    objectives, spread along it) or the best by the objective (one)."""
    front = result.best
    if len(result.problem.objectives) > 1:
        if len(front) <= count:
            return front
        step = (len(front) - 1) / max(count - 1, 1)
        return [front[round(i * step)] for i in range(count)]
    objective = result.problem.objectives[0]
    sign = -1.0 if objective.direction == "maximize" else 1.0
    chosen: list[TrialRecord] = []
    for trial in sorted(result.feasible, key=lambda t: (sign * t.values[0], t.number)):
        if all(trial.params != c.params for c in chosen):
            chosen.append(trial)
        if len(chosen) == count:
            break
    return chosen


def confirm(
    problem: OptimizationProblem,
    trials: Sequence[TrialRecord],
    physics: Evaluator,
    progress: ConfirmProgress | None = None,
) -> list[Confirmation]:
    """Each candidate through the physics, scored against the same constraints."""
    report = progress or (lambda done, total: None)
    found = []
    for i, trial in enumerate(trials):
        report(i, len(trials))
        job, reasons = problem.job_for(trial.params)
        if job is None or reasons:  # cannot happen for a feasible trial; kept honest anyway
            found.append(Confirmation(trial.params, trial.outcome, {}, False, reasons))
            continue
        try:
            measured = outcome_values(physics.evaluate(job))
        except (RuntimeError, ValueError) as exc:
            found.append(Confirmation(trial.params, trial.outcome, {}, False, [first_line(exc)]))
            continue
        broken = [
            f"{c.key} does not hold under physics"
            for c in problem.constraints
            if c.violation(measured.get(c.name)) > 0
        ]
        found.append(Confirmation(trial.params, trial.outcome, measured, not broken, broken))
    report(len(trials), len(trials))
    return found


def optimize_two_stage(
    engine: StudyEngine,
    problem: OptimizationProblem,
    surrogate: Evaluator,
    physics: Evaluator,
    *,
    study_name: str,
    trials: int,
    confirm_top: int = 5,
    sampler: Sampler = "auto",
    seed: int | None = None,
    progress: TrialProgress | None = None,
    confirm_progress: ConfirmProgress | None = None,
) -> OptimizationResult:
    """The study on the surrogate, then its best ``confirm_top`` candidates on the physics;
    the confirmations are stored with the study."""
    if problem.physics_only:
        raise ProblemError(
            f"two-stage search runs on the surrogate, which predicts the six scores only: "
            f"{', '.join(problem.physics_only)} {'needs' if len(problem.physics_only) == 1 else 'need'} "
            "the physics (use --evaluator physics)"
        )
    if confirm_top < 1:
        raise ProblemError(f"confirm: need at least 1 candidate (got {confirm_top})")
    searched = engine.optimize(
        problem, surrogate, study_name=study_name, trials=trials, evaluator_name="surrogate",
        sampler=sampler, seed=seed, progress=progress,
    )  # fmt: skip
    chosen = candidates(searched, confirm_top)
    confirmations = confirm(problem, chosen, physics, confirm_progress)
    record = getattr(engine, "record_confirmations", None)
    if record is not None:
        record(study_name, confirmations)
    return OptimizationResult(
        study_name=searched.study_name,
        problem=searched.problem,
        evaluator="two-stage",
        trials=searched.trials,
        importance=searched.importance,
        confirmations=confirmations,
        running=searched.running,
    )


__all__ = ["candidates", "confirm", "optimize_two_stage"]
