"""The external-simulator adapter against a real program that implements the contract."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from lto.atlas import JobParameters
from lto.matrix.adapters.external import ExternalProcessSimulator
from lto.matrix.ports import SimulationError

FAKE = Path(__file__).resolve().parents[1] / "fixtures" / "fake_simulator.py"


def job(mode: str) -> JobParameters:
    return JobParameters(
        na=1.35, wavelength_nm=193, dose_mj_cm2=30, sigma=0.9, resist_thickness_nm=90, grid_size_nm=1,
        target_cd_nm=40, pitch_nm=80, submitted_by="ana", metadata={"mode": mode},
    )  # fmt: skip


def simulator(timeout_s: float = 30.0) -> ExternalProcessSimulator:
    return ExternalProcessSimulator(
        [sys.executable, str(FAKE), "{input}", "{output}"], timeout_s=timeout_s, name="fake-prolith"
    )


def test_a_result_comes_back_with_progress() -> None:
    seen: list[tuple[float, str]] = []
    result = simulator().run("job-7", job("ok"), progress=lambda f, m: seen.append((f, m)))
    assert result.job_id == "job-7"
    assert result.cd_nm == pytest.approx(40.8)
    assert result.compute.simulator == "fake-prolith 2026.1"
    assert [f for f, _ in seen] == [0.25, 0.5, 0.75, 1.0]
    assert seen[0][1] == "step 1 of 4"


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("exit3", "exited with status 3: licence server unreachable"),
        ("garbage", "invalid result.json"),
        ("no_result", "wrote no result.json"),
        ("wrong_job", "answered for job 'someone-else'"),
        ("invalid", "cd_nm: must be at least 0"),
    ],
)
def test_failures_become_clear_simulation_errors(mode: str, message: str) -> None:
    with pytest.raises(SimulationError, match=message):
        simulator().run("job-7", job(mode))


def test_a_hanging_program_is_stopped_at_the_time_limit() -> None:
    started = time.monotonic()
    with pytest.raises(SimulationError, match=r"timed out after 1\.5 s"):
        simulator(timeout_s=1.5).run("job-7", job("hang"))
    assert time.monotonic() - started < 10


def test_a_missing_program_is_reported_not_crashed() -> None:
    missing = ExternalProcessSimulator("/nonexistent/prolith {input} {output}")
    assert missing.health()["status"] == "unavailable"
    with pytest.raises(SimulationError, match="could not start"):
        missing.run("job-7", job("ok"))
    assert simulator().health()["status"] == "ok"


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="command"):
        ExternalProcessSimulator("")
    with pytest.raises(ValueError, match="timeout_s"):
        ExternalProcessSimulator("x", timeout_s=0)
