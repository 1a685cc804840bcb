from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from lto.cli import cli
from lto.cli.errors import ExitCode


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "demo" in result.output
    assert "config" in result.output


def test_demo_shows_both_reference_cells_and_the_pipeline(current_model) -> None:
    result = CliRunner().invoke(cli, ["demo", "--no-serve"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "ArF immersion scanner" in out
    assert "EUV scanner" in out
    assert "immersion fluid" in out
    assert "kept in the database: the web app's Litho cell page draws them" in out
    # the pipeline: both real jobs reach a worker and an evaluation, the tired engineer's is
    # rejected with every reason
    assert out.count("preflight → queued → running → evaluating →") == 2
    assert "tired engineer" in out
    assert "validating → rejected" in out
    assert "must exceed the resolution limit" in out
    assert "aerial.npy" in out
    assert "EUV 16/32" in out
    assert "community reference 0.4355" in out
    assert f"using the current model {current_model.name}" in out
    assert out.count("95% interval") == 2
    assert "run the physics" in out  # the ArF job's pitch is 1.06x the limit: outside the domain


def test_config_shows_settings_and_adapters() -> None:
    result = CliRunner().invoke(cli, ["config"])
    assert result.exit_code == 0
    assert "LTO_BROKER_URL" in result.output
    assert "memory://" in result.output
    assert "array backend" in result.output


def test_a_bad_setting_is_reported_by_variable_name(monkeypatch) -> None:
    monkeypatch.setenv("LTO_ARRAY_BACKEND", "gpu")
    run = subprocess.run(
        [sys.executable, "-m", "lto", "config"], capture_output=True, text=True, check=False
    )
    assert run.returncode == ExitCode.ENVIRONMENT
    assert "error: LTO_ARRAY_BACKEND:" in run.stderr
    assert "Traceback" not in run.stderr


def test_an_unwritable_data_dir_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = CliRunner().invoke(
        cli, ["demo", "--no-serve"], env={"LTO_DATA_DIR": str(blocker / "lto")}
    )
    assert result.exit_code == ExitCode.ENVIRONMENT
    assert "LTO_DATA_DIR=" in result.stderr
    assert "set LTO_DATA_DIR" in result.stderr
    assert "Traceback" not in result.output


def test_the_demo_runs_the_simulator_the_settings_choose(monkeypatch) -> None:
    from lto.matrix.adapters.external import ExternalProcessSimulator

    def fake_run(self, job_id, parameters, progress=None):
        raise SimulationError("the external simulator was asked")

    from lto.matrix.ports import SimulationError

    monkeypatch.setattr(ExternalProcessSimulator, "run", fake_run)
    env = {
        "LTO_SIMULATOR": "external",
        "LTO_EXTERNAL_SIMULATOR_COMMAND": "prolith {input} {output}",
    }
    result = CliRunner().invoke(cli, ["demo", "--no-serve"], env=env)
    assert result.exit_code == ExitCode.FAILED
    assert "the external simulator was asked" in result.stderr
