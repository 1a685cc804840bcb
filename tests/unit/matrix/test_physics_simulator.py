from __future__ import annotations

import numpy as np
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


def test_a_line_end_on_a_grid_of_non_integer_pixels_gets_its_meef() -> None:
    """The MEEF masks (CD ± 1 nm) must keep the line-end clip's y period: a period that no
    longer fits the job's 24.73 nm pixel used to fail the whole job."""
    pitch, pixel = 395.679, 395.679 / 16
    job = JobParameters(
        na=0.75, wavelength_nm=193, dose_mj_cm2=50, sigma=0.6, sigma_inner=0.4,
        illumination="quadrupole", resist_thickness_nm=200, grid_size_nm=pixel,
        target_cd_nm=7 * pixel, pitch_nm=pitch, pattern="line_end", submitted_by="t",
    )  # fmt: skip
    result = PhysicsSimulator().run("line-end", job)
    assert result.meef is not None
    assert 0.5 < result.meef < 10


def test_the_evaluator_shape_is_shared(simulator: PhysicsSimulator) -> None:
    results = simulator.evaluate_batch([JobParameters(**ARF_I), JobParameters(**EUV)])
    assert [r.job_id for r in results] == ["evaluation-0", "evaluation-1"]


def test_jobs_the_physics_cannot_honour_fail_with_a_reason(simulator: PhysicsSimulator) -> None:
    with pytest.raises(SimulationError, match="no exposure technology at 157 nm"):
        simulator.run("x", JobParameters(**{**ARF_I, "wavelength_nm": 157, "na": 0.85}))


# --- the process window does not depend on where the job is centred ---------------------------

ARF_DENSE = {
    **ARF_I,
    "polarization": "scalar",  # the converged numbers are the scalar model's
    "illumination": "dipole",
    "target_cd_nm": 40,
    "pitch_nm": 80,
    "dose_mj_cm2": 44,
}


def window_of(result) -> tuple[float, float, float, float]:
    return (
        result.dose_to_size_mj_cm2,
        result.best_focus_nm,
        result.exposure_latitude_pct,
        result.depth_of_focus_nm,
    )


def test_one_process_typed_at_three_doses_and_three_focuses_has_one_window(
    simulator: PhysicsSimulator,
) -> None:
    """Doses 20% under to 25% over dose to size, focus −60 to +30 nm: the same process."""
    results = [
        simulator.run("c", JobParameters(**{**ARF_DENSE, "dose_mj_cm2": dose, "focus_nm": focus}))
        for dose in (38.0, 47.0, 59.0)
        for focus in (-60.0, -30.0, 30.0)
    ]
    assert all(r.window_status == "ok" for r in results)
    size, best, el, dof = np.array([window_of(r) for r in results]).T
    for values in (size, el, dof):
        assert np.ptp(values) <= 0.01 * np.mean(values)
    assert np.ptp(best) <= 0.01 * np.mean(dof)
    assert size[0] == pytest.approx(47.16, rel=0.01)  # the converged answer (issue 9)
    assert el[0] == pytest.approx(5.8, abs=0.1)
    assert dof[0] == pytest.approx(115, rel=0.03)
    # the job's own CD still follows its own dose: under-dosed lines print wider
    assert results[0].cd_nm is None or results[0].cd_nm > results[3].cd_nm


@pytest.mark.parametrize("focus", [-30.0, 30.0, -60.0])
def test_best_focus_of_a_system_symmetric_in_focus_is_zero(
    simulator: PhysicsSimulator, focus: float
) -> None:
    result = simulator.run("s", JobParameters(**{**EUV, "focus_nm": focus}))
    assert result.best_focus_nm == pytest.approx(0.0, abs=0.5)
    assert result.focus_range_nm[0] == -result.focus_range_nm[1]  # rows symmetric about 0


EUV_18 = {
    "na": 0.33, "wavelength_nm": 13.5, "dose_mj_cm2": 40, "sigma": 0.9, "sigma_inner": 0.5, "illumination": "annular",
    "resist_thickness_nm": 35, "grid_size_nm": 1, "target_cd_nm": 18, "pitch_nm": 36, "submitted_by": "ana",
}  # fmt: skip
KRF_150 = {
    "na": 0.8, "wavelength_nm": 248, "dose_mj_cm2": 30, "sigma": 0.7, "resist_thickness_nm": 300,
    "grid_size_nm": 5, "target_cd_nm": 150, "pitch_nm": 300, "submitted_by": "ana",
}  # fmt: skip
CONTACTS = {**ARF_I, "pattern": "contact_array", "dose_mj_cm2": 30, "grid_size_nm": 2}


@pytest.mark.parametrize("job", [EUV_18, KRF_150, CONTACTS], ids=["EUV", "KrF", "contacts"])
def test_a_job_typed_far_from_dose_to_size_still_gets_its_window(
    simulator: PhysicsSimulator, job: dict
) -> None:
    result = simulator.run("far", JobParameters(**job))
    assert result.window_status == "ok"
    assert result.window_reason is None
    assert result.dose_to_size_mj_cm2 is not None
    assert abs(result.dose_to_size_mj_cm2 / job["dose_mj_cm2"] - 1) > 0.15  # far indeed
    assert result.exposure_latitude_pct > 5
    assert result.depth_of_focus_nm > 0
    assert not result.depth_of_focus_is_bound
    assert not result.exposure_latitude_is_bound
    low, high = result.dose_range_mj_cm2
    assert low < result.dose_to_size_mj_cm2 < high
    assert result.nils is not None
    assert result.meef is not None  # measured where it prints
    assert result.signals is not None
    assert result.signals.yield_risk > 0.99  # the job's own dose


def test_a_pitch_below_the_resolution_limit_prints_nothing_and_says_so(
    simulator: PhysicsSimulator,
) -> None:
    """193/(1.35 · (1 + 0.9)) = 75 nm: at pitch 70 only the zeroth order passes."""
    result = simulator.run("x", JobParameters(**{**ARF_I, "pitch_nm": 70, "target_cd_nm": 35}))
    assert result.window_status == "nothing_prints"
    assert result.window_reason is not None
    assert "does not print" in result.window_reason
    assert result.cd_nm is None
    assert result.dose_to_size_mj_cm2 is None
    assert result.exposure_latitude_pct == 0.0
    assert result.depth_of_focus_nm == 0.0


def test_user_ranges_that_cut_the_window_report_bounds() -> None:
    narrow = PhysicsSimulator(
        PhysicsSettings(focus_points=5, focus_range=(-20.0, 20.0), dose_range=(46.0, 48.0))
    )
    result = narrow.run("r", JobParameters(**ARF_DENSE))
    assert result.focus_range_nm == (-20.0, 20.0)
    assert result.dose_range_mj_cm2 == (46.0, 48.0)
    assert result.exposure_latitude_is_bound
    assert result.depth_of_focus_is_bound
    assert result.exposure_latitude_pct == pytest.approx(100 * 2 * 2 / 94, rel=1e-6)


def test_immersion_jobs_image_with_vector_optics_unless_told_scalar(
    simulator: PhysicsSimulator,
) -> None:
    """ArF immersion defaults to azimuthal (TE-like) vector imaging; unpolarised light loses the
    TM part of the contrast of 80 nm lines, as high-NA physics says it must."""
    job = {**ARF_DENSE, "dose_mj_cm2": 45.0}
    contrast = {
        name: simulator.run("p", JobParameters(**{**job, "polarization": name})).image_contrast
        for name in ("scalar", None, "azimuthal", "TM", "unpolarized")
    }
    assert contrast[None] == contrast["azimuthal"]
    assert contrast["TM"] < contrast["unpolarized"] < contrast["scalar"] < contrast["azimuthal"]
    setup = simulator.setup(JobParameters(**{**job, "polarization": None}))
    assert setup.optics.polarization == "azimuthal"
    euv = simulator.setup(JobParameters(**{**EUV, "polarization": None}))
    assert euv.optics.polarization == "unpolarized"
