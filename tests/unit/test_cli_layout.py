"""``lto simulate --layout``: a GDSII window imaged like a drawn pattern, and every bad input
refused in one line with exit code 2 before any physics runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lto.atlas import JobParameters
from lto.cli import cli
from lto.cli.layout import LayoutClips, layout_clips, parse_layer
from lto.matrix.adapters.physics import clip_for
from lto.matrix.fem import cd_at

JOB = ["--na", "1.35", "--wavelength", "193 nm", "--dose", "42", "--sigma", "0.9", "--sigma-inner", "0.6",
       "--illumination", "annular", "--thickness", "90", "--grid", "2", "--cd", "60", "--pitch", "120",
       "--focus-points", "3", "--dose-points", "3"]  # fmt: skip


@pytest.fixture
def lines_gds(tmp_path: Path) -> Path:
    """Five 60 nm lines at 120 nm pitch, 600 nm long, on layer 1/0 (nm database units), and a
    stray square on layer 2/3."""
    import gdstk

    library = gdstk.Library(unit=1e-9)
    cell = library.new_cell("LINES")
    for i in range(5):
        cell.add(gdstk.rectangle((i * 120 + 30, 0), (i * 120 + 90, 600), layer=1))
    cell.add(gdstk.rectangle((0, 0), (10, 10), layer=2, datatype=3))
    path = tmp_path / "lines.gds"
    library.write_gds(str(path))
    return path


def _job(**changes: object) -> JobParameters:
    values: dict[str, object] = {
        "na": 1.35, "wavelength_nm": 193, "dose_mj_cm2": 42, "sigma": 0.9, "sigma_inner": 0.6,
        "illumination": "annular", "resist_thickness_nm": 90, "grid_size_nm": 2,
        "target_cd_nm": 60, "pitch_nm": 120, "submitted_by": "test",
    }  # fmt: skip
    values.update(changes)
    return JobParameters(**values)


def test_a_layout_window_of_lines_is_the_drawn_line_space_clip(lines_gds: Path) -> None:
    """Two periods of the layout's lines, cut away from their ends, image like the drawn
    pattern: the same transmission in every row and the same cut line, also when biased."""
    clips = layout_clips(
        lines_gds, layer="1/0", cell=None, window="0,100,240,340", measure="60,220", tone="dark"
    )
    job = _job()
    for mask_cd in (None, 59.0, 61.0):
        layout, cut = clips(job, mask_cd, kind="binary", transmission=0.06)
        drawn, drawn_cut = clip_for(job, mask_cd)
        assert layout.shape == (120, 120)
        assert cut.feature == drawn_cut.feature == "resist"
        assert cut.center_nm == drawn_cut.center_nm
        assert cut.rows == (59, 60)  # y = 220 nm lies on the boundary of rows 59 and 60
        for row in layout.transmission:
            assert row[:60] == pytest.approx(drawn.transmission[0], abs=1e-12)
            assert row[60:] == pytest.approx(drawn.transmission[0], abs=1e-12)


def test_the_measured_feature_follows_the_mask_at_the_point(lines_gds: Path) -> None:
    common = {"layer": "1", "cell": "LINES", "window": "0,100,240,340"}
    on_line = layout_clips(lines_gds, measure="60,150", tone="dark", **common)
    between = layout_clips(lines_gds, measure="120,150", tone="dark", **common)
    opening = layout_clips(lines_gds, measure="60,150", tone="clear", **common)
    job = _job()
    assert on_line(job, kind="binary", transmission=0.06)[1].feature == "resist"
    assert between(job, kind="binary", transmission=0.06)[1].feature == "space"
    assert opening(job, kind="binary", transmission=0.06)[1].feature == "space"
    # measuring the gap: a larger mask CD means a wider gap, so the lines shrink
    wide, _ = between(job, 62.0, kind="binary", transmission=0.06)
    narrow, _ = between(job, 58.0, kind="binary", transmission=0.06)
    assert wide.transmission.mean() > narrow.transmission.mean()


def test_layout_and_drawn_pattern_give_the_same_cd(lines_gds: Path) -> None:
    from lto.matrix.adapters.physics import PhysicsSettings, PhysicsSimulator

    clips = layout_clips(
        lines_gds, layer="1/0", cell=None, window="0,100,240,340", measure="60,220", tone="dark"
    )
    job = _job()
    drawn = PhysicsSimulator().setup(job)
    layout = PhysicsSimulator(PhysicsSettings(clips=clips)).setup(job)
    assert layout.clip.shape == (120, 120)
    from lto.matrix.fem import image

    cds = [
        cd_at(s.clip, image(s.clip, s.optics), s.resist, job.dose_mj_cm2, s.cut)
        for s in (drawn, layout)
    ]
    # 1-D and 2-D clips integrate the source over different strips (the 2-D band adds orders of
    # zero amplitude): both to ~1e-5 of the intensity, i.e. ~1e-3 nm of CD
    assert cds[0] == pytest.approx(cds[1], abs=5e-3)
    assert 0 < cds[0] < 120


def test_simulate_runs_a_layout_from_the_command_line(lines_gds: Path) -> None:
    flags = ["--layout", str(lines_gds), "--layer", "1/0", "--window", "0,100,240,340"]
    result = CliRunner().invoke(cli, ["simulate", *JOB, *flags, "--measure", "60,220"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["compute"]["grid_shape"] == [120, 120]
    assert payload["cd_nm"] > 0


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--layout", "{dir}/missing.gds"], "--layout: {dir}/missing.gds does not exist"),
        (["--layout", "{dir}/notes.txt"], "notes.txt is not a GDSII or OASIS file"),
        (["--layout", "{gds}"], "--layer: lines.gds has polygons on 2 layers (1/0, 2/3); name one"),
        (["--layout", "{gds}", "--layer", "9"], "--layer: no polygons on layer 9/0 of cell 'LINES'"),
        (["--layout", "{gds}", "--layer", "one"], "--layer: must be LAYER or LAYER/DATATYPE"),
        (["--layout", "{gds}", "--layer", "1", "--cell", "X"], "--cell: 'X' is not in lines.gds; it has LINES"),
        (["--layout", "{gds}", "--layer", "1", "--window", "0,0,10"], "--window: must be 4 comma-separated numbers"),
        (["--layout", "{gds}", "--layer", "1", "--window", "9,0,1,9"], "--window: need x0 < x1 and y0 < y1"),
        (["--layout", "{gds}", "--layer", "1", "--window", "5000,0,6000,100"], "--window: no polygons of layer 1/0"),
        (["--layout", "{gds}", "--layer", "1", "--measure", "9999,1"], "--measure: (9999, 1) must lie inside the window"),
        (["--cell", "A", "--window", "0,0,1,1"], "--cell, --window need --layout"),
        (["--layout", "{gds}", "--layer", "1", "--window", "0,0,100,141.5"], "window: no pixel between 1 and 2 nm fits"),
    ],
)  # fmt: skip
def test_bad_layout_input_is_one_line_and_exit_code_2(
    lines_gds: Path, flags: list[str], message: str
) -> None:
    (lines_gds.parent / "notes.txt").write_text("not a layout")
    where = {"dir": str(lines_gds.parent), "gds": str(lines_gds)}
    filled = [flag.format(**where) for flag in flags]
    result = CliRunner().invoke(cli, ["simulate", *JOB, *filled])
    assert result.exit_code == 2, result.output
    assert message.format(**where) in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_external_simulator_refuses_a_layout(lines_gds: Path, monkeypatch) -> None:
    monkeypatch.setenv("LTO_SIMULATOR", "external")
    monkeypatch.setenv("LTO_EXTERNAL_SIMULATOR_COMMAND", "true {input} {output}")
    result = CliRunner().invoke(cli, ["simulate", *JOB, "--layout", str(lines_gds), "--layer", "1"])
    assert result.exit_code == 2, result.output
    assert "--layout need the built-in physics" in result.stderr
    assert "Traceback" not in result.output


def test_a_window_too_large_for_memory_is_refused(lines_gds: Path, monkeypatch) -> None:
    monkeypatch.setattr("lto.cli.preflight.available_bytes", lambda: 2**30)
    clips = LayoutClips(lines_gds, 1, 0, None, (0.0, 0.0, 60_000.0, 60_000.0), (60.0, 60.0))
    from lto.cli.errors import CliError, ExitCode

    with pytest.raises(CliError, match=r"--window: 30000×30000 pixels at 2 nm") as caught:
        clips(_job(), kind="binary", transmission=0.06)
    assert caught.value.exit_code == ExitCode.TOO_LARGE


def test_layers_parse_with_and_without_datatype() -> None:
    assert parse_layer("7") == (7, 0)
    assert parse_layer(" 7/12 ") == (7, 12)
    from lto.cli.errors import CliError

    for bad in ("", "7/", "1/2/3", "-1", "70000"):
        with pytest.raises(CliError, match="--layer: must be LAYER or LAYER/DATATYPE"):
            parse_layer(bad)


def test_a_measure_point_on_a_features_edge_is_refused(lines_gds: Path) -> None:
    """The line's left edge is at x = 30 nm: its CD there is neither the line's nor the space's."""
    flags = ["--layout", str(lines_gds), "--layer", "1/0", "--window", "0,100,240,340"]
    result = CliRunner().invoke(cli, ["simulate", *JOB, *flags, "--measure", "30,220"])
    assert result.exit_code == 2, result.output
    assert "lies on a feature's edge" in result.stderr
