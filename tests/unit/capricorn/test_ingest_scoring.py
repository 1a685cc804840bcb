"""Scoring a result sent without its scores: as the physics scores its own, where the result
carries what the physics used; close to it where the physics used more (its CD surface)."""

from __future__ import annotations

import pytest

from lto.atlas.contracts import SIGNAL_NAMES, JobParameters
from lto.capricorn.service.ingest import (
    COST_BUDGET,
    TIME_BUDGET_S,
    reported_signals,
    result_problems,
)
from lto.matrix.adapters.physics import PhysicsSettings, PhysicsSimulator


def test_the_budgets_are_the_physics_own() -> None:
    settings = PhysicsSettings()
    assert (settings.time_budget_s, settings.cost_budget) == (TIME_BUDGET_S, COST_BUDGET)


@pytest.mark.parametrize(
    ("dose", "focus", "risk_within"),
    [(44.0, 0.0, 0.01), (42.5, 0.0, 0.06), (45.5, 100.0, 0.06), (44.0, 140.0, 0.06), (30.0, 0.0, 0.0)],
)  # fmt: skip
def test_scores_of_a_physics_result_without_its_signals(
    dose: float, focus: float, risk_within: float
) -> None:
    parameters = JobParameters(
        na=0.85, wavelength_nm=193.0, dose_mj_cm2=dose, focus_nm=focus, sigma=0.7,
        resist_thickness_nm=100.0, grid_size_nm=4.0, target_cd_nm=90.0, pitch_nm=180.0,
        submitted_by="test",
    )  # fmt: skip
    result = PhysicsSimulator().run("job-1", parameters)
    assert result.signals is not None
    bare = result.model_copy(update={"signals": None})
    assert result_problems(parameters, bare) == []
    ours, physics = reported_signals(parameters, bare).as_dict(), result.signals.as_dict()
    assert set(ours) == set(SIGNAL_NAMES)
    # what the result carries, scored by the same athena functions: the same number
    assert ours["resolution_vs_dof"] == pytest.approx(physics["resolution_vs_dof"], abs=1e-12)
    assert ours["surrogate_reliability"] == physics["surrogate_reliability"] == 1.0
    assert ours["cost_vs_fidelity"] == pytest.approx(physics["cost_vs_fidelity"], abs=0.01)
    # the window rebuilt from DoF, EL, best focus and dose to size, not the measured surface
    assert ours["yield_risk"] == pytest.approx(physics["yield_risk"], abs=risk_within)
    # image error taken as 0 (converged): speed_vs_accuracy can only be the better
    assert ours["speed_vs_accuracy"] >= physics["speed_vs_accuracy"] - 1e-9
    assert ours["overall_health"] == pytest.approx(physics["overall_health"], abs=0.03)
