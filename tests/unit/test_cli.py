from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from lto.cli import cli


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "demo" in result.output
    assert "config" in result.output


def test_demo_shows_both_reference_cells_and_a_rejected_job() -> None:
    result = CliRunner().invoke(cli, ["demo"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "ArF immersion scanner" in out
    assert "EUV scanner" in out
    assert "immersion fluid" in out
    assert out.count(" queued:") == 2
    assert "REJECTED (6 violations)" in out
    assert "must exceed the resolution limit" in out
    assert "illegal job transition" in out
    assert "Not built yet" in out
    assert "EUV 16/32" in out
    assert "community reference 0.4355" in out


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
    assert run.returncode == 2
    assert "LTO_ARRAY_BACKEND" in run.stderr
    assert "Traceback" not in run.stderr
