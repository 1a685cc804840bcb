from __future__ import annotations

import pytest

from lto.atlas import SIGNAL_NAMES, JobParameters
from lto.matrix.adapters.physics import PhysicsSettings, PhysicsSimulator
from lto.matrix.ports import SimulationError, SimulatorPort

ARF_I = {
    "na": 1.35, "wavelength_nm": 193, "dose_mj_cm2": 40, "sigma": 0.9, "sigma_inner": 0.6, "illumination": "annular",
    "resist_thickness_nm": 90, "grid_size_nm": 1, "target_cd_nm": 60, "pitch_nm": 120, "submitted_by": "ana",
}  # fmt: skip
EUV = {
    "na": 0.33, "wavelength_nm": 13.5, "dose_mj_cm2": 45, "sigma": 0.8, "sigma_inner": 0.5, "illumination": "dipole",
    "resist_thickness_nm": 35, "grid_size_nm": 0.5, "target_cd_nm": 16, "pitch_nm": 40, "submitted_by": "ana",
}  # fmt: skip


@pytest.fixture(scope="module")
def simulator() -> PhysicsSimulator:
    return PhysicsSimulator(PhysicsSettings(focus_points=7, dose_points=7))


def test_it_is_a_simulator_port_and_healthy(simulator: PhysicsSimulator) -> None:
    assert isinstance(simulator, SimulatorPort)
    assert simulator.health()["status"] == "ok"


@pytest.mark.parametrize("job", [ARF_I, EUV], ids=["ArF-immersion", "EUV"])
def test_a_job_becomes_a_complete_result(simulator: PhysicsSimulator, job: dict) -> None:
    steps: list[float] = []
    result = simulator.run(
        "job-1", JobParameters(**job), progress=lambda fraction, _: steps.append(fraction)
    )
    assert result.job_id == "job-1"
    assert result.cd_nm is not None
    assert 0 < result.cd_nm < job["pitch_nm"]
    assert result.depth_of_focus_nm is not None
    assert result.depth_of_focus_nm >= 0
    assert result.nils is not None
    assert result.nils > 0
    assert result.signals is not None
    assert set(result.signals.as_dict()) == set(SIGNAL_NAMES)
    assert result.compute.grid_shape is not None
    assert result.compute.kernels
    assert result.compute.energy_captured is not None
    assert result.compute.energy_captured > 0.999
    assert steps == sorted(steps)
    assert steps[-1] == 1.0


def test_a_job_at_its_dose_to_size_prints_near_target(simulator: PhysicsSimulator) -> None:
    first = simulator.run("a", JobParameters(**ARF_I))
    assert first.dose_to_size_mj_cm2 is not None
    sized = simulator.run("b", JobParameters(**{**ARF_I, "dose_mj_cm2": first.dose_to_size_mj_cm2}))
    assert sized.cd_nm == pytest.approx(60.0, abs=0.5)
    assert sized.edge_placement_error_nm < first.edge_placement_error_nm


def test_other_patterns_run(simulator: PhysicsSimulator) -> None:
    for pattern, extra in (
        ("contact_array", {"dose_mj_cm2": 90, "grid_size_nm": 2}),
        ("line_end", {"grid_size_nm": 2, "target_cd_nm": 50}),
    ):
        result = simulator.run("p", JobParameters(**{**ARF_I, "pattern": pattern, **extra}))
        assert result.compute.grid_shape is not None
        assert result.signals is not None


def test_the_evaluator_shape_is_shared(simulator: PhysicsSimulator) -> None:
    results = simulator.evaluate_batch([JobParameters(**ARF_I), JobParameters(**EUV)])
    assert [r.job_id for r in results] == ["evaluation-0", "evaluation-1"]


def test_jobs_the_physics_cannot_honour_fail_with_a_reason(simulator: PhysicsSimulator) -> None:
    with pytest.raises(SimulationError, match="no exposure technology at 157 nm"):
        simulator.run("x", JobParameters(**{**ARF_I, "wavelength_nm": 157, "na": 0.85}))
