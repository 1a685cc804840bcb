from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from lto.cli import cli
from lto.cli.errors import CliError, ExitCode
from lto.cli.sweep import parse_vary

FLAGS = ["--na", "1.35", "--wavelength", "193", "--dose", "42", "--sigma", "0.9", "--sigma-inner", "0.6",
         "--illumination", "annular", "--thickness", "90", "--grid", "2", "--cd", "40",
         "--focus-points", "3", "--dose-points", "3"]  # fmt: skip


def test_vary_reads_name_start_stop_step() -> None:
    variation = parse_vary("pitch=60:200:20")
    assert variation.field == "pitch_nm"
    assert variation.values == (60, 80, 100, 120, 140, 160, 180, 200)
    assert parse_vary("sigma=0.5:0.9:0.2").values == (0.5, 0.7, 0.9)


@pytest.mark.parametrize(
    "text", ["pitch", "colour=1:2:1", "pitch=200:60:10", "pitch=1:2:0", "pitch=0:1e6:1"]
)
def test_a_bad_vary_is_bad_input(text: str) -> None:
    with pytest.raises(CliError) as info:
        parse_vary(text)
    assert info.value.exit_code == ExitCode.BAD_INPUT
    assert "--vary" in info.value.format_message()


def test_a_through_pitch_sweep_tabulates_plots_and_writes_csv(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["sweep", *FLAGS, "--vary", "pitch=60:140:40", "--plot", str(tmp_path)],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "dose to size" in result.stdout
    assert "yield risk" in result.stdout
    assert "below the resolution limit" in result.stdout  # pitch 60 cannot image: kept, with why
    with (tmp_path / "sweep_pitch.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["pitch_nm"]) for r in rows] == [60, 100, 140]
    assert rows[0]["cd_nm"] == ""
    assert "resolution limit" in rows[0]["note"]
    assert float(rows[1]["dose_to_size_mj_cm2"]) > 0
    assert (tmp_path / "sweep_pitch.png").stat().st_size > 5_000


def test_a_sweep_where_nothing_images_exits_4() -> None:
    result = CliRunner().invoke(cli, ["sweep", *FLAGS, "--vary", "pitch=40:70:30"])
    assert result.exit_code == ExitCode.CANNOT_IMAGE
    assert "no value of pitch images" in result.stderr


def test_a_row_without_cd_at_the_jobs_dose_says_so() -> None:
    """Overdosed lines vanish at the typed dose though the process has a dose to size."""
    flags = [f for f in FLAGS if f not in ("--dose", "42")] + ["--pitch", "80"]
    result = CliRunner().invoke(cli, ["sweep", "--vary", "dose=60:61:1", *flags])
    assert result.exit_code == 0, result.output
    assert "no CD at 60 mJ/cm²" in result.stdout
