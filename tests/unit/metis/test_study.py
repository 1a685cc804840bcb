"""The Optuna study engine on a journal file: optimum found, every trial recorded (infeasible
ones with their reasons), Pareto fronts, constraints, budgets shared across processes, resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from lto.metis import optimize_two_stage, suggest_alternative
from lto.metis.adapters.optuna_study import OptunaStudyEngine, StudyError
from lto.metis.problem import (
    FreeParameter,
    Objective,
    OptimizationProblem,
    OutcomeConstraint,
    ProblemError,
)
from lto.metis.results import dominates
from tests.unit.metis.fakes import BEST_DOSE, BEST_FOCUS, Bowl, Shifted, journal, run_shared_study
from tests.unit.metis.test_problem import lines

DOSE = FreeParameter("dose_mj_cm2", 20.0, 40.0)
FOCUS = FreeParameter("focus_nm", -150.0, 150.0)
SIGMA = FreeParameter("sigma", 0.3, 0.95)
RISK = Objective("yield_risk", "minimize")


def bowl_problem(**changes: object) -> OptimizationProblem:
    values: dict[str, object] = {"template": lines(), "free": (DOSE, FOCUS), "objectives": (RISK,)}
    values.update(changes)
    return OptimizationProblem(**values)  # type: ignore[arg-type]


@pytest.fixture
def engine(tmp_path: Path) -> OptunaStudyEngine:
    return OptunaStudyEngine(journal(tmp_path))


def test_one_objective_reaches_the_known_optimum(engine: OptunaStudyEngine) -> None:
    result = engine.optimize(bowl_problem(), Bowl(), study_name="bowl", trials=60, seed=0)
    assert len(result.trials) == 60
    (best,) = result.best
    assert best.values[0] < 0.01
    assert best.params["dose_mj_cm2"] == pytest.approx(BEST_DOSE, abs=0.7)
    assert best.params["focus_nm"] == pytest.approx(BEST_FOCUS, abs=15.0)
    assert set(result.importance["yield_risk"]) == {"dose_mj_cm2", "focus_nm"}


def test_trials_the_profile_refuses_are_recorded_infeasible_and_never_evaluated(
    engine: OptunaStudyEngine,
) -> None:
    bowl = Bowl()
    na = FreeParameter("na", 0.6, 1.2)  # a dry lens reaches NA 0.93
    result = engine.optimize(
        bowl_problem(free=(DOSE, FOCUS, na)), bowl, study_name="na", trials=30, seed=0
    )
    refused = [t for t in result.trials if t.params["na"] > 0.93]
    assert refused, "the sampler never tried a high NA"
    assert all(not t.feasible and any(r.startswith("na:") for r in t.reasons) for t in refused)
    assert bowl.calls == len(result.trials) - len(refused) - sum(
        1 for t in result.trials if not t.feasible and t.params["na"] <= 0.93
    )
    assert all(t.params["na"] <= 0.93 for t in result.best)


def test_the_best_trial_meets_the_outcome_constraints(engine: OptunaStudyEngine) -> None:
    problem = bowl_problem(
        free=(DOSE, FOCUS, SIGMA),
        objectives=(Objective("overall_health", "maximize"),),
        constraints=(OutcomeConstraint("yield_risk", "<=", 0.05),),
    )
    result = engine.optimize(problem, Bowl(), study_name="constrained", trials=60, seed=0)
    (best,) = result.best
    assert best.feasible
    assert best.outcome["yield_risk"] <= 0.05
    broken = [t for t in result.trials if not t.feasible]
    assert broken
    assert all("yield_risk<=0.05 does not hold" in t.reasons[0] for t in broken)


def test_failed_evaluations_are_infeasible_trials_with_the_reason(
    engine: OptunaStudyEngine,
) -> None:
    result = engine.optimize(
        bowl_problem(), Bowl(fail_above_dose=35.0), study_name="fails", trials=25, seed=0
    )
    failed = [t for t in result.trials if t.params["dose_mj_cm2"] > 35.0]
    assert failed
    assert all(not t.feasible for t in failed)
    assert all(
        "evaluation failed: the fake simulator refuses this dose" in t.reasons for t in failed
    )


def test_several_objectives_give_a_feasible_non_dominated_front(engine: OptunaStudyEngine) -> None:
    problem = bowl_problem(
        free=(DOSE, SIGMA),
        objectives=(
            RISK,
            Objective("resolution_vs_dof", "maximize"),
            Objective("overall_health", "maximize"),
        ),
    )
    result = engine.optimize(problem, Bowl(), study_name="front", trials=50, seed=0)
    front = result.best
    assert len(front) >= 3
    directions = problem.directions
    for point in front:
        assert point.feasible
        assert not any(dominates(t.values, point.values, directions) for t in result.feasible)
    off_front = [t for t in result.feasible if t not in front]
    assert all(
        any(dominates(p.values, t.values, directions) or p.values == t.values for p in front)
        for t in off_front
    )


def test_a_study_resumes_and_refuses_another_problem_under_its_name(
    engine: OptunaStudyEngine,
) -> None:
    first = engine.optimize(bowl_problem(), Bowl(), study_name="resume", trials=10, seed=0)
    again = engine.optimize(bowl_problem(), Bowl(), study_name="resume", trials=16, seed=0)
    assert len(again.trials) == 16
    assert [t.params for t in again.trials[:10]] == [t.params for t in first.trials]
    with pytest.raises(ProblemError, match="already holds another problem"):
        engine.optimize(bowl_problem(free=(DOSE,)), Bowl(), study_name="resume", trials=5)
    with pytest.raises(StudyError, match="no such study"):
        engine.result("never-made")


def test_a_trial_left_running_by_a_crash_is_failed_and_refilled(
    engine: OptunaStudyEngine,
) -> None:
    import optuna

    engine.optimize(bowl_problem(), Bowl(), study_name="crash", trials=5, seed=0)
    study = optuna.load_study(study_name="crash", storage=engine.storage)
    ghost = study.ask()  # a process died here, mid-trial
    engine.stale_after_s = -1.0  # the journal cannot be backdated: anything running is stale
    result = engine.optimize(bowl_problem(), Bowl(), study_name="crash", trials=8, seed=0)
    assert len(result.trials) == 8
    states = {t.number: t.state for t in study.get_trials(deepcopy=False)}
    assert states[ghost.number] == optuna.trial.TrialState.FAIL


def test_two_processes_share_one_budget_and_record_each_trial_once(tmp_path: Path) -> None:
    storage = journal(tmp_path)
    problem = bowl_problem()
    engine = OptunaStudyEngine(storage)
    engine.optimize(problem, Bowl(), study_name="shared", trials=1, seed=0)  # made once, first
    run_shared_study(storage, "shared", problem.to_json(), 30)
    result = engine.result("shared")
    numbers = [t.number for t in result.trials]
    assert len(result.trials) == 30
    assert len(set(numbers)) == 30
    import optuna

    study = optuna.load_study(study_name="shared", storage=engine.storage)
    by = {t.user_attrs.get("worker", "").split(":")[-1] for t in study.get_trials(deepcopy=False)}
    assert {"1", "2"} <= by


def test_two_stage_confirms_the_surrogates_best_with_the_physics(
    engine: OptunaStudyEngine,
) -> None:
    result = optimize_two_stage(
        engine, bowl_problem(), Bowl(), Shifted(), study_name="two", trials=60, confirm_top=3,
        seed=0,
    )  # fmt: skip
    assert result.evaluator == "two-stage"
    assert len(result.confirmations) == 3
    for c in result.confirmations:
        assert c.physics_feasible
        assert c.difference("yield_risk") == pytest.approx(
            abs(c.surrogate["yield_risk"] - c.physics["yield_risk"])
        )
    confirmed = result.best_confirmed
    assert confirmed is not None
    assert confirmed.physics["yield_risk"] == min(
        c.physics["yield_risk"] for c in result.confirmations
    )
    stored = engine.result("two")
    assert [c.params for c in stored.confirmations] == [c.params for c in result.confirmations]


def test_two_stage_refuses_objectives_only_the_physics_knows(engine: OptunaStudyEngine) -> None:
    problem = bowl_problem(objectives=(Objective("depth_of_focus_nm", "maximize"),))
    with pytest.raises(ProblemError, match="depth_of_focus_nm needs the physics"):
        optimize_two_stage(engine, problem, Bowl(), Bowl(), study_name="x", trials=5)


def test_a_blocked_job_gets_an_alternative_that_meets_its_constraints(
    engine: OptunaStudyEngine,
) -> None:
    blocked = lines(dose_mj_cm2=27.0, focus_nm=-80.0)
    constraint = OutcomeConstraint("yield_risk", "<=", 0.1)
    assert Bowl().evaluate(blocked)["yield_risk"] > 0.1
    better = suggest_alternative(engine, blocked, Bowl(), [constraint], trials=60)
    assert better is not None
    assert Bowl().evaluate(better)["yield_risk"] <= 0.1
    assert (better.pitch_nm, better.target_cd_nm, better.na) == (180.0, 60.0, 0.85)


def test_storage_locations_are_checked(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match="journal file"):
        OptunaStudyEngine(str(tmp_path / "studies.db")).storage  # noqa: B018
    with pytest.raises(StudyError, match="does not exist"):
        OptunaStudyEngine(f"journal:{tmp_path}/missing/studies.journal").storage  # noqa: B018
    assert not (tmp_path / "missing").exists()  # a typo in LTO_STUDY_STORAGE makes no folders
