from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lto.cli import cli

FLAGS = ["--na", "1.35", "--wavelength", "193 nm", "--dose", "42 mJ/cm^2", "--sigma", "0.9", "--sigma-inner", "0.6",
         "--illumination", "annular", "--thickness", "90 nm", "--grid", "1", "--cd", "60 nm", "--pitch", "120",
         "--focus-points", "5", "--dose-points", "5"]  # fmt: skip


def test_simulate_prints_a_result_and_draws_the_pictures(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["simulate", *FLAGS, "--plot", str(tmp_path / "plots")])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["cd_nm"] > 0
    assert set(payload["signals"]) >= {"yield_risk", "overall_health"}
    names = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert names == [
        "aerial_image.png",
        "bossung.png",
        "process_window.png",
        "resist_contour.png",
        "source.png",
    ]
    assert all((tmp_path / "plots" / n).stat().st_size > 5_000 for n in names)
    assert set(payload["artifacts"]) == {
        "aerial_image",
        "bossung",
        "process_window",
        "resist_contour",
        "source",
    }


def test_parameters_come_from_a_file_and_flags_override_it(tmp_path: Path) -> None:
    params = tmp_path / "job.json"
    params.write_text(json.dumps({"na": 1.35, "wavelength_nm": 193, "dose_mj_cm2": 30, "sigma": 0.9, "sigma_inner": 0.6,
                                  "illumination": "annular", "resist_thickness_nm": 90, "grid_size_nm": 1,
                                  "target_cd_nm": 60, "pitch_nm": 120}))  # fmt: skip
    out = tmp_path / "result.json"
    result = CliRunner().invoke(
        cli,
        [
            "simulate",
            "--params",
            str(params),
            "--dose",
            "42",
            "--out",
            str(out),
            "--focus-points",
            "3",
            "--dose-points",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["cd_nm"] > 0


def test_bad_input_names_every_field_and_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["simulate", *FLAGS[:-4], "--na", "0", "--wavelength", "30 mJ/cm^2"]
    )
    assert result.exit_code == 2
    assert "na:" in result.stderr
    assert "wavelength_nm:" in result.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = CliRunner().invoke(cli, ["simulate", "--params", str(broken)])
    assert result.exit_code == 2
    assert "not valid JSON" in result.output


def test_policy_violations_are_warned_about_but_the_physics_runs() -> None:
    result = CliRunner().invoke(cli, ["simulate", *FLAGS, "--thickness", "400 nm"])
    assert result.exit_code == 0, result.output
    assert "warning" in result.stderr
    assert "resist_thickness_nm" in result.stderr
