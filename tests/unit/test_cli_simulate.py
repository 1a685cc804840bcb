from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from lto import __version__
from lto.cli import cli
from lto.cli.errors import ExitCode

FLAGS = ["--na", "1.35", "--wavelength", "193 nm", "--dose", "42 mJ/cm^2", "--sigma", "0.9", "--sigma-inner", "0.6",
         "--illumination", "annular", "--thickness", "90 nm", "--grid", "1", "--cd", "60 nm", "--pitch", "120",
         "--focus-points", "5", "--dose-points", "5"]  # fmt: skip
PICTURES = [
    "aerial_image",
    "bossung",
    "process_window",
    "resist_contour",
    "resist_profile",
    "source",
]
TABLES = ["bossung.csv", "focus_exposure_matrix.csv"]


def simulate(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, ["simulate", *args], env=env)


def test_simulate_prints_a_result_and_draws_the_pictures(tmp_path: Path) -> None:
    result = simulate(*FLAGS, "--plot", str(tmp_path / "plots"))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["cd_nm"] > 0
    assert set(payload["signals"]) >= {"yield_risk", "overall_health"}
    names = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert set(names) >= {f"{n}.png" for n in PICTURES} | set(TABLES)
    assert all((tmp_path / "plots" / f"{n}.png").stat().st_size > 5_000 for n in PICTURES)
    assert set(payload["artifacts"]) >= {f"{name}.png" for name in PICTURES}


def test_the_result_json_echoes_the_job_its_id_the_version_and_the_resist() -> None:
    result = simulate(*FLAGS)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["job_id"].startswith("job-")
    assert payload["lto_version"] == __version__
    assert payload["status"] == "ok"
    assert payload["job"]["pitch_nm"] == 120
    assert payload["job"]["dose_mj_cm2"] == 42
    assert payload["resist"]["thickness_nm"] == 90
    assert payload["resist"]["diffusion_length_nm"] > 0
    assert payload["constraint_profile"] == "ArF-immersion"
    assert "resist: 90 nm" in result.stderr  # the resist is visible on the terminal too
    assert "CD " in result.stderr
    assert "yield risk" in result.stderr


def test_parameters_come_from_a_file_and_flags_override_it(tmp_path: Path) -> None:
    params = tmp_path / "job.json"
    params.write_text(json.dumps({"na": 1.35, "wavelength_nm": 193, "dose_mj_cm2": 30, "sigma": 0.9, "sigma_inner": 0.6,
                                  "illumination": "annular", "resist_thickness_nm": 90, "grid_size_nm": 1,
                                  "target_cd_nm": 60, "pitch_nm": 120}))  # fmt: skip
    out = tmp_path / "result.json"
    result = simulate(
        "--params", str(params), "--dose", "42", "--out", str(out), "--focus-points", "3",
        "--dose-points", "3",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    assert written["cd_nm"] > 0
    assert written["job"]["dose_mj_cm2"] == 42


def test_bad_input_names_every_field_and_exits_2(tmp_path: Path) -> None:
    result = simulate(*FLAGS[:-4], "--na", "0", "--wavelength", "30 mJ/cm^2")
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "na:" in result.stderr
    assert "wavelength_nm:" in result.stderr
    assert "is a unit of dose (energy per area), not of length" in result.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = simulate("--params", str(broken))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "not valid JSON" in result.output


def test_a_unit_nobody_meant_says_what_it_was_read_as() -> None:
    result = simulate(*FLAGS, "--wavelength", "193 furlongs")
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "'193 furlongs' is 3.88255e+13 nm" in result.stderr
    assert "1000" in result.stderr


def test_policy_violations_are_warned_about_but_the_physics_runs() -> None:
    result = simulate(*FLAGS, "--thickness", "200 nm")  # taller than 3 × CD
    assert result.exit_code == 0, result.output
    assert "warning" in result.stderr
    assert "resist_thickness_nm" in result.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--profile", "nope"], "unknown constraint profile 'nope'; known: EUV"),
        (["--na", "1.4"], "NA 1.4 exceeds every 193 nm technology's limit: ArF-immersion reaches NA 1.35"),
        (["--na", "1.2", "--profile", "ArF-dry"], "cannot image into ArF-dry's medium (n = 1)"),
        (["--zernike", "9"], "write a Fringe Zernike index"),
        (["--mask-transmission", "0.06"], "--mask-transmission applies to --mask att-psm only"),
    ],
)  # fmt: skip
def test_input_the_physics_cannot_honour_is_refused_in_one_line(
    flags: list[str], message: str
) -> None:
    result = simulate(*FLAGS, *flags)
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def _physics_must_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the physics ran before the check")

    monkeypatch.setattr("lto.matrix.adapters.physics.PhysicsSimulator.simulate", refuse)


def test_an_unwritable_out_is_found_before_the_physics_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _physics_must_not_run(monkeypatch)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = simulate(*FLAGS, "--out", str(blocker / "result.json"))
    assert result.exit_code == ExitCode.ENVIRONMENT
    assert "--out" in result.stderr
    assert "not an existing folder" in result.stderr
    result = simulate(*FLAGS, "--plot", str(blocker / "pictures"))
    assert result.exit_code == ExitCode.ENVIRONMENT
    assert "--plot" in result.stderr


def test_a_grid_too_large_for_memory_is_refused_with_the_estimate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _physics_must_not_run(monkeypatch)
    result = simulate(*FLAGS, "--pattern", "contact_array", "--pitch", "2000", "--grid", "0.01")
    assert result.exit_code == ExitCode.TOO_LARGE
    assert "200000×200000-pixel clip" in result.stderr
    assert "GiB" in result.stderr
    assert "Use --grid" in result.stderr


@pytest.mark.parametrize(
    ("flags", "reason"),
    [
        (["--pitch", "70"], "below the resolution limit λ/(NA(1+σ)) = 75.2 nm"),
        (["--grid", "40"], "coarser than λ/(4·NA) = 35.74 nm"),
    ],
)
def test_a_job_that_cannot_image_exits_4_and_says_why(flags: list[str], reason: str) -> None:
    result = simulate(*FLAGS, *flags)
    assert result.exit_code == ExitCode.CANNOT_IMAGE
    assert reason in result.stderr


def test_nothing_printing_anywhere_exits_4_and_the_json_says_why(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = simulate(*FLAGS, "--resist-diffusion", "300 nm", "--out", str(out))
    assert result.exit_code == ExitCode.CANNOT_IMAGE
    assert "the latent image is flat" in result.stderr
    payload = json.loads(out.read_text())
    assert payload["status"] == "cannot image"
    assert payload["reason"].startswith("the latent image is flat")
    assert payload["cd_nm"] is None


def test_nothing_printing_at_the_typed_dose_points_to_the_dose_to_size() -> None:
    result = simulate(*FLAGS, "--dose", "2")
    assert result.exit_code == 0, result.output
    assert "does not print at 2 mJ/cm² and focus 0 nm; the process prints it at" in result.stderr
    assert json.loads(result.stdout)["dose_to_size_mj_cm2"] > 30


def test_help_documents_the_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["simulate", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for code in ("1 the simulation failed", "2 bad input", "3 environment", "4 the job cannot image", "5 the grid"):  # fmt: skip
        assert code in " ".join(result.output.split())


def test_csv_tables_of_the_matrix_and_the_bossung_curves(tmp_path: Path) -> None:
    result = simulate(*FLAGS, "--csv", str(tmp_path / "tables"))
    assert result.exit_code == 0, result.output
    with (tmp_path / "tables" / "focus_exposure_matrix.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    focus, doses = {r["focus_nm"] for r in rows}, {r["dose_mj_cm2"] for r in rows}
    assert len(rows) == len(focus) * len(doses)  # the matrix may widen
    assert len(doses) == 5
    assert {"focus_nm", "dose_mj_cm2", "cd_nm"} == set(rows[0])
    assert any(r["cd_nm"] for r in rows)
    with (tmp_path / "tables" / "bossung.csv").open() as handle:
        table = list(csv.reader(handle))
    assert table[0][0] == "focus_nm"
    assert len(table[0]) == 1 + len(doses)
    assert len(table) == 1 + len(focus)


def _cd(*flags: str) -> dict[str, object]:
    result = simulate(*FLAGS, "--focus-points", "3", "--dose-points", "3", *flags)
    assert result.exit_code == 0, result.output
    payload: dict[str, object] = json.loads(result.stdout)
    return payload


def test_zernikes_att_psm_and_resist_parameters_reach_the_physics() -> None:
    plain = _cd()
    aberrated = _cd("--zernike", "9=0.05", "--zernike", "7=0.02")
    assert aberrated["physics"]["aberrations_waves"] == {"9": 0.05, "7": 0.02}  # type: ignore[index]
    assert aberrated["cd_nm"] != plain["cd_nm"]
    attenuated = _cd("--mask", "att-psm", "--mask-transmission", "0.06")
    assert attenuated["physics"]["mask"] == "attenuated"  # type: ignore[index]
    assert attenuated["cd_nm"] != plain["cd_nm"]
    blurred = _cd("--resist-diffusion", "25 nm", "--dose-to-clear", "11")
    assert blurred["resist"]["diffusion_length_nm"] == 25  # type: ignore[index]
    assert blurred["resist"]["dose_to_clear_mj_cm2"] == 11  # type: ignore[index]
    assert blurred["cd_nm"] != plain["cd_nm"]


def test_a_pixelated_source_map_from_a_file(tmp_path: Path) -> None:
    n = 21
    centres = (np.arange(n) + 0.5) / n * 2 - 1
    sx, sy = np.meshgrid(centres, centres)
    ring = ((np.hypot(sx, sy) > 0.6) & (np.hypot(sx, sy) < 0.9)).astype(float)
    np.save(tmp_path / "ring.npy", ring)
    payload = _cd("--source-map", str(tmp_path / "ring.npy"))
    assert "pixelated" in payload["physics"]["source"]  # type: ignore[index]
    np.save(tmp_path / "bad.npy", np.ones((n, n)))  # light outside the unit circle
    result = simulate(*FLAGS, "--source-map", str(tmp_path / "bad.npy"))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "--source-map" in result.stderr


EXTERNAL = """
import json, sys
job = json.load(open(sys.argv[1]))
json.dump({"job_id": job["job_id"], "cd_nm": 12.34, "dose_to_size_mj_cm2": 40.0,
           "compute": {"simulator": "fake-prolith", "wall_time_s": 0.1}}, open(sys.argv[2], "w"))
"""


def test_the_external_simulator_is_honoured(tmp_path: Path) -> None:
    script = tmp_path / "fake.py"
    script.write_text(EXTERNAL)
    env = {
        "LTO_SIMULATOR": "external",
        "LTO_EXTERNAL_SIMULATOR_COMMAND": f"{sys.executable} {script} {{input}} {{output}}",
    }
    result = simulate(*FLAGS, env=env)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["cd_nm"] == 12.34
    assert payload["compute"]["simulator"] == "fake-prolith"
    assert payload["job"]["pitch_nm"] == 120
    refused = simulate(*FLAGS, "--plot", str(tmp_path / "p"), "--zernike", "9=0.1", env=env)
    assert refused.exit_code == ExitCode.BAD_INPUT
    assert "--zernike, --plot need the built-in physics" in refused.stderr


def test_cupy_without_a_gpu_is_an_environment_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    monkeypatch.setattr("lto.bootstrap.cuda_device_count", lambda: 0)
    with socket.socket() as one, socket.socket() as two:  # ports nothing else holds
        one.bind(("127.0.0.1", 0))
        two.bind(("127.0.0.1", 0))
        ports = [str(one.getsockname()[1]), str(two.getsockname()[1])]
    demo = ["demo", "--api-port", ports[0], "--web-port", ports[1]]
    for command in (["simulate", *FLAGS], demo):
        result = CliRunner().invoke(cli, command, env={"LTO_ARRAY_BACKEND": "cupy"})
        assert result.exit_code == ExitCode.ENVIRONMENT, command
        assert "LTO_ARRAY_BACKEND=cupy" in result.stderr
        assert "Traceback" not in result.output


def test_the_user_sets_the_matrix_ranges(tmp_path: Path) -> None:
    result = simulate(
        *FLAGS, "--focus-range", "-100:100", "--dose-range", "35:50", "--csv", str(tmp_path)
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["physics"]["focus_range_nm"] == [-100, 100]
    with (tmp_path / "focus_exposure_matrix.csv").open() as handle:
        focus = {float(r["focus_nm"]) for r in csv.DictReader(handle)}
    assert min(focus) == -100
    assert max(focus) == 100


def test_the_readme_example_prints_the_numbers_the_readme_shows() -> None:
    """The README's `lto simulate` line, run as written, prints the summary the README quotes."""
    import re
    import shlex

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    command = re.search(r"^lto simulate (.+?\\\n.+?)$", readme, re.MULTILINE)
    assert command is not None
    flags = shlex.split(command.group(1).replace("\\\n", " "))
    flags = flags[: flags.index("--plot")]  # pictures are not what is compared
    quoted = re.search(r"^(CD [\d.]+ nm · dose to size .+)$", readme, re.MULTILINE)
    assert quoted is not None
    result = CliRunner().invoke(cli, ["simulate", *flags])
    assert result.exit_code == 0, result.output
    assert quoted.group(1) in result.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--dose-range", "0:50"], "'--dose-range': '0:50': doses must be > 0"),
        (["--zernike", "99=0.1"], "Fringe Zernike index 1…16"),
        (["--polarization", "circular"], "'--polarization'"),
    ],
)
def test_bad_physics_flags_are_one_line_with_exit_code_2(extra: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["simulate", *FLAGS, *extra])
    assert result.exit_code == ExitCode.BAD_INPUT
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert message in lines[0]


def test_an_out_file_that_cannot_be_created_is_refused_before_the_physics(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["simulate", *FLAGS, "--out", "/proc/lto-result.json"])
    assert result.exit_code == ExitCode.ENVIRONMENT
    assert "--out /proc/lto-result.json: cannot be written" in result.stderr


def test_the_result_says_which_imaging_model_was_used() -> None:
    result = CliRunner().invoke(cli, ["simulate", *FLAGS])
    assert result.exit_code == 0, result.output
    imaging = json.loads(result.stdout)["imaging"]
    assert imaging["polarization"] == "azimuthal"  # the ArF-immersion default
    scalar = CliRunner().invoke(cli, ["simulate", *FLAGS, "--polarization", "scalar"])
    assert json.loads(scalar.stdout)["imaging"]["polarization"] == "scalar"


def test_a_source_map_with_an_inner_sigma_but_no_illumination_says_why(tmp_path: Path) -> None:
    ring = np.zeros((21, 21))
    ring[10, 3] = ring[10, 17] = 1.0
    np.save(tmp_path / "poles.npy", ring)
    flags = [f for f in FLAGS if f not in ("--illumination", "annular")]
    result = simulate(*flags, "--source-map", str(tmp_path / "poles.npy"))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "--sigma-inner: --source-map gives the source's whole shape" in result.stderr


README_DIPOLE = ["--na", "1.35", "--wavelength", "193 nm", "--dose", "44 mJ/cm^2", "--sigma", "0.9",
                 "--sigma-inner", "0.6", "--illumination", "dipole", "--thickness", "90 nm", "--grid", "1",
                 "--cd", "40 nm", "--pitch", "80", "--focus-points", "5", "--dose-points", "5"]  # fmt: skip


def test_a_reversed_tm_image_is_explained_before_the_window_it_leads_to() -> None:
    # sin θ = 193 / (2 · 80 · 1.436): the beams meet at 114° and interfere with cos 2θ = −0.41
    tm = simulate(*README_DIPOLE, "--polarization", "TM")
    assert "is reversed" in tm.stderr
    assert "cos 2θ = -0.41" in tm.stderr
    said = tm.stderr
    assert said.index("is reversed") < said.index("the process prints it at")  # why, first
    te = simulate(*README_DIPOLE, "--polarization", "TE")
    assert te.exit_code == 0, te.output
    assert "reversed" not in te.stderr
