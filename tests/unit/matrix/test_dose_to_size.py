"""``PhysicsSimulator.dose_to_size``: one image, the window search's root-find over dose."""

from __future__ import annotations

import pytest

from lto.atlas import JobParameters
from lto.matrix.adapters.physics import PhysicsSimulator

# dense lines, conventional illumination, at focus 0: symmetric about focus 0, so best focus
# is 0 and the run's dose to size is solved on the same row
LINES = {
    "na": 1.2, "wavelength_nm": 193, "dose_mj_cm2": 30, "sigma": 0.6, "resist_thickness_nm": 90,
    "grid_size_nm": 4, "target_cd_nm": 60, "pitch_nm": 160, "focus_nm": 0.0, "submitted_by": "ana",
}  # fmt: skip


@pytest.fixture(scope="module")
def simulator() -> PhysicsSimulator:
    return PhysicsSimulator()


def test_it_agrees_with_a_full_run_at_best_focus(simulator: PhysicsSimulator) -> None:
    job = JobParameters(**LINES)
    size = simulator.dose_to_size(job)
    result = simulator.run("lines", job)
    assert result.best_focus_nm == pytest.approx(0.0, abs=1e-6)
    assert result.dose_to_size_mj_cm2 is not None
    assert size == pytest.approx(result.dose_to_size_mj_cm2, rel=0.01)


def test_the_jobs_own_dose_plays_no_part(simulator: PhysicsSimulator) -> None:
    low = simulator.dose_to_size(JobParameters(**{**LINES, "dose_mj_cm2": 5}))
    high = simulator.dose_to_size(JobParameters(**{**LINES, "dose_mj_cm2": 90}))
    assert low == high


def test_it_prints_the_target_at_the_jobs_focus(simulator: PhysicsSimulator) -> None:
    job = JobParameters(**{**LINES, "focus_nm": 60.0})
    size = simulator.dose_to_size(job)
    assert size is not None
    sized = simulator.run(
        "sized", JobParameters(**{**LINES, "focus_nm": 60.0, "dose_mj_cm2": size})
    )
    assert sized.cd_nm == pytest.approx(60.0, abs=0.5)


def test_out_of_focus_it_falls_back_to_focus_0(simulator: PhysicsSimulator) -> None:
    # at 200 nm defocus no dose prints these lines (the window search's rows say so)
    far = simulator.dose_to_size(JobParameters(**{**LINES, "focus_nm": 200.0}))
    assert far == simulator.dose_to_size(JobParameters(**LINES))


def test_below_the_resolution_limit_nothing_prints(simulator: PhysicsSimulator) -> None:
    # λ/(NA(1+σ)) = 100.5 nm: a 90 nm pitch passes only the zeroth order, the image is flat
    job = JobParameters(**{**LINES, "pitch_nm": 90, "target_cd_nm": 40, "grid_size_nm": 3})
    assert simulator.dose_to_size(job) is None
