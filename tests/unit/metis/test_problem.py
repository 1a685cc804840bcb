"""Posing an optimisation: what an engineer types is checked, and applied to jobs by the rules."""

from __future__ import annotations

import pytest

from lto.atlas.contracts import JobParameters
from lto.atlas.policies import constraint_profile
from lto.metis.problem import (
    FreeParameter,
    Objective,
    OptimizationProblem,
    OutcomeConstraint,
    ProblemError,
    objective_values,
    outcome_values,
    parse_constraint,
    parse_free,
    parse_objective,
)

ARF_DRY = constraint_profile("ArF-dry")


def lines(**changes: object) -> JobParameters:
    values: dict[str, object] = {
        "na": 0.85, "wavelength_nm": 193.0, "dose_mj_cm2": 30.0, "sigma": 0.7,
        "resist_thickness_nm": 100.0, "grid_size_nm": 2.0, "target_cd_nm": 60.0,
        "pitch_nm": 180.0, "submitted_by": "test",
    }  # fmt: skip
    values.update(changes)
    return JobParameters.model_validate(values)


def test_a_free_parameter_without_a_range_takes_the_profiles() -> None:
    job = lines()
    assert parse_free("na", job, ARF_DRY) == FreeParameter("na", ARF_DRY.na.low, 0.93)
    dose = parse_free("dose", job, ARF_DRY)
    assert (dose.name, dose.low, dose.high) == (
        "dose_mj_cm2",
        pytest.approx(21.0),
        pytest.approx(39.0),
    )
    focus = parse_free("focus", job, ARF_DRY)
    assert (focus.low, focus.high) == (-ARF_DRY.required_dof_nm, ARF_DRY.required_dof_nm)
    thickness = parse_free("thickness", job, ARF_DRY)
    assert thickness.high <= ARF_DRY.max_aspect_ratio * job.target_cd_nm
    assert parse_free("sigma=0.4:0.9", job, ARF_DRY) == FreeParameter("sigma", 0.4, 0.9)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pitch", "not a searchable parameter"),
        ("dose=50:40", "finite LOW < HIGH"),
        ("dose=4o:50", "two numbers"),
        ("sigma=0.5:1.2", r"leaves the field's range \[0, 1\]"),
        ("na=nan:0.9", "finite LOW < HIGH"),
    ],
)
def test_bad_free_parameters_are_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(ProblemError, match=message):
        parse_free(text, lines(), ARF_DRY)


def test_objectives_take_their_natural_direction_or_the_one_given() -> None:
    assert parse_objective("yield_risk") == Objective("yield_risk", "minimize")
    assert parse_objective("dof") == Objective("depth_of_focus_nm", "maximize")
    assert parse_objective("NILS:min") == Objective("nils", "minimize")
    with pytest.raises(ProblemError, match="not an outcome"):
        parse_objective("throughput")
    with pytest.raises(ProblemError, match="max or min"):
        parse_objective("yield_risk:lowest")


def test_constraints_parse_and_are_met_at_or_below_zero() -> None:
    risk = parse_constraint("yield_risk <= 0.05")
    assert risk == OutcomeConstraint("yield_risk", "<=", 0.05)
    assert risk.violation(0.04) < 0 < risk.violation(0.06)
    dof = parse_constraint("dof>=120")
    assert dof.violation(150.0) < 0 < dof.violation(100.0)
    assert dof.violation(None) > 0  # the physics gave no DoF: broken, not silently met
    for bad in ("yield_risk < 0.05", "yield_risk<=abc", "speed<=1", "yield_risk<=inf"):
        with pytest.raises(ProblemError):
            parse_constraint(bad)


def test_a_problem_needs_something_to_search_and_to_optimise() -> None:
    job = lines()
    dose = FreeParameter("dose_mj_cm2", 20.0, 40.0)
    risk = Objective("yield_risk", "minimize")
    with pytest.raises(ProblemError, match="free"):
        OptimizationProblem(job, (), (risk,))
    with pytest.raises(ProblemError, match="objective"):
        OptimizationProblem(job, (dose,), ())
    with pytest.raises(ProblemError, match="twice"):
        OptimizationProblem(job, (dose, dose), (risk,))
    with pytest.raises(ProblemError, match="no inner sigma"):
        OptimizationProblem(job, (FreeParameter("sigma_inner", 0.3, 0.6),), (risk,))


def test_jobs_for_trials_carry_every_rule_they_break() -> None:
    problem = OptimizationProblem(
        lines(),
        (FreeParameter("na", 0.5, 1.2), FreeParameter("sigma", 0.3, 0.9)),
        (Objective("depth_of_focus_nm", "maximize"),),
    )
    assert problem.profile_name == "ArF-dry"
    job, reasons = problem.job_for({"na": 0.8, "sigma": 0.6})
    assert job is not None
    assert reasons == []
    assert (job.na, job.sigma, job.pitch_nm) == (0.8, 0.6, 180.0)
    _, reasons = problem.job_for({"na": 1.1, "sigma": 0.6})  # no dry lens reaches NA 1.1
    assert any(r.startswith("na:") for r in reasons)
    _, reasons = problem.job_for({"na": 0.6, "sigma": 0.3})  # 180 nm pitch below λ/(NA(1+σ))
    assert any(r.startswith("pitch_nm: must exceed the resolution limit") for r in reasons)


def test_a_job_the_contract_refuses_is_reported_not_raised() -> None:
    problem = OptimizationProblem(
        lines(illumination="annular", sigma_inner=0.5),
        (FreeParameter("sigma", 0.3, 0.9),),
        (Objective("yield_risk", "minimize"),),
    )
    job, reasons = problem.job_for({"sigma": 0.4})  # inner 0.5 ≥ outer 0.4
    assert job is None
    assert reasons
    assert "sigma_inner" in reasons[0]


def test_problems_round_trip_through_json() -> None:
    problem = OptimizationProblem(
        lines(),
        (FreeParameter("dose_mj_cm2", 20.0, 40.0), FreeParameter("focus_nm", -100.0, 100.0)),
        (Objective("yield_risk", "minimize"), Objective("depth_of_focus_nm", "maximize")),
        (OutcomeConstraint("exposure_latitude_pct", ">=", 5.0),),
    )
    again = OptimizationProblem.from_json(problem.to_json())
    assert again == problem
    assert problem.physics_only == ["depth_of_focus_nm", "exposure_latitude_pct"]


def test_outcomes_missing_an_objective_report_its_worst_value() -> None:
    objectives = (Objective("nils", "maximize"), Objective("yield_risk", "minimize"))
    values, missing = objective_values(
        objectives, outcome_values({"nils": None, "yield_risk": 0.2})
    )
    assert values == [0.0, 0.2]
    assert missing == ["nils"]
    with pytest.raises(TypeError, match="not a result"):
        outcome_values(42)
