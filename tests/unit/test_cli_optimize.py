"""`lto optimize` as an engineer uses it: real physics on a fast 1-D job, the best settings and
the front in tables or JSON, resumable studies, and one-line refusals of what cannot work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lto.cli import cli
from lto.cli.errors import ExitCode

# ArF dry 90/180 nm lines on 3 nm pixels: a physics trial takes tens of milliseconds
LINES = ["--na", "0.85", "--wavelength", "193", "--dose", "30", "--sigma", "0.7",
         "--thickness", "100", "--grid", "3", "--cd", "90", "--pitch", "180"]  # fmt: skip


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})


def test_physics_optimisation_prints_the_best_settings_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = invoke(
        "optimize", *LINES, "--free", "dose", "--free", "focus", "--objective", "yield_risk",
        "--trials", "8", "--seed", "0", "--study", "cli-physics", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "8 trials, " in result.output
    assert "best settings" in result.output
    assert "importance for yield_risk" in result.output
    document = json.loads(out.read_text())
    assert document["study"] == "cli-physics"
    assert document["evaluator"] == "physics"
    assert len(document["history"]) == 8
    (best,) = document["best"]
    assert set(best["params"]) == {"dose_mj_cm2", "focus_nm"}
    assert 0.0 <= best["values"][0] <= 1.0
    assert best["outcome"]["depth_of_focus_nm"] is not None  # physics outputs kept per trial
    again = invoke(
        "optimize", *LINES, "--free", "dose", "--free", "focus", "--objective", "yield_risk",
        "--trials", "10", "--seed", "0", "--study", "cli-physics", "--json",
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert len(json.loads(again.stdout)["history"]) == 10  # resumed: 8 kept, 2 more


def test_two_objectives_give_a_pareto_front(tmp_path: Path) -> None:
    result = invoke(
        "optimize", *LINES, "--free", "sigma", "--free", "dose", "--objective", "dof",
        "--objective", "yield_risk", "--trials", "8", "--seed", "1", "--json",
    )  # fmt: skip
    assert result.exit_code in (0, ExitCode.CANNOT_IMAGE), result.output
    document = json.loads(result.stdout)
    names = [o["name"] for o in document["problem"]["objectives"]]
    assert names == ["depth_of_focus_nm", "yield_risk"]
    assert all(point["feasible"] for point in document["best"])


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--free", "pitch", "--objective", "yield_risk"], "not a searchable parameter"),
        (["--free", "dose=50:40", "--objective", "yield_risk"], "finite LOW < HIGH"),
        (["--free", "dose", "--objective", "throughput"], "not an outcome"),
        (
            ["--free", "dose", "--objective", "yield_risk", "--constraint", "yield_risk<0.1"],
            "NAME<=VALUE",
        ),
        (["--free", "sigma_inner", "--objective", "yield_risk"], "no inner sigma"),
        (
            ["--free", "dose", "--objective", "dof", "--evaluator", "surrogate"],
            "needs --evaluator physics",
        ),
        (["--free", "dose", "--objective", "yield_risk", "--trials", "0"], "--trials"),
    ],
)
def test_bad_input_is_one_line_naming_the_flag(flags: list[str], message: str) -> None:
    result = invoke("optimize", *LINES, *flags)
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_ranges_are_cut_to_what_the_profile_allows_or_refused_when_nothing_is_left() -> None:
    cut = invoke(
        "optimize", *LINES, "--free", "na=0.5:1.5", "--objective", "yield_risk", "--trials", "3",
        "--json",
    )  # fmt: skip
    assert cut.exit_code == 0, cut.output
    assert "note: free parameter na: searching 0.5–0.93" in cut.output
    (na,) = json.loads(cut.stdout)["problem"]["free"]
    assert na["high"] == 0.93
    outside = invoke("optimize", *LINES, "--free", "na=1.0:1.5", "--objective", "yield_risk")
    assert outside.exit_code == ExitCode.BAD_INPUT
    assert "lies outside what ArF-dry allows" in outside.output
    twice = invoke(
        "optimize", *LINES, "--free", "dose", "--objective", "yield_risk",
        "--constraint", "yield_risk<=0.05", "--constraint", "yield_risk<=0.05",
    )  # fmt: skip
    assert twice.exit_code == ExitCode.BAD_INPUT
    assert "constraint: one is listed twice" in twice.output


def test_an_objective_the_free_parameters_cannot_move_is_said_so() -> None:
    # depth of focus is the process's, whatever nominal dose is chosen
    result = invoke(
        "optimize", *LINES, "--dose", "44", "--free", "dose=40:48", "--objective", "dof",
        "--trials", "4", "--seed", "0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "note: depth_of_focus_nm is" in result.output
    assert "importance for depth_of_focus_nm" not in result.output


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(options: dict) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("lto.cli.optimize.run", interrupted)
    result = invoke("optimize", *LINES, "--free", "dose", "--objective", "yield_risk")
    assert result.exit_code == 130
    assert result.output.startswith("error: interrupted")
    assert "Traceback" not in result.output


def test_another_problem_under_an_existing_study_name_is_refused() -> None:
    first = invoke(
        "optimize", *LINES, "--free", "dose", "--objective", "yield_risk", "--trials", "3",
        "--study", "taken",
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    second = invoke(
        "optimize", *LINES, "--free", "focus", "--objective", "yield_risk", "--trials", "3",
        "--study", "taken",
    )  # fmt: skip
    assert second.exit_code == ExitCode.BAD_INPUT
    assert "already holds another problem" in second.output


def test_no_feasible_setting_exits_non_zero_and_says_why() -> None:
    # NA 0.5 puts the 180 nm pitch below the resolution limit for every σ searched
    result = invoke(
        "optimize", *LINES, "--na", "0.5", "--free", "sigma=0.2:0.5", "--objective", "yield_risk",
        "--trials", "4",
    )  # fmt: skip
    assert result.exit_code == ExitCode.CANNOT_IMAGE, result.output
    assert "no feasible setting in 4 trials" in result.output
    assert "resolution limit λ/(NA(1+σ))" in result.output
    assert "(4×)" in result.output  # one rule, counted once per trial, not once per value


def test_the_surrogate_evaluator_without_a_model_says_to_train_one() -> None:
    result = invoke(
        "optimize", *LINES, "--free", "dose", "--objective", "yield_risk", "--evaluator",
        "surrogate", "--trials", "3",
    )  # fmt: skip
    assert result.exit_code == ExitCode.ENVIRONMENT
    assert "lto train" in result.output


def test_two_stage_on_the_trained_surrogate_confirms_with_physics(current_model: Path) -> None:
    euv = ["--na", "0.33", "--wavelength", "13.5", "--dose", "60", "--sigma", "0.8",
           "--sigma-inner", "0.5", "--illumination", "dipole", "--thickness", "35",
           "--grid", "1", "--cd", "20", "--pitch", "48"]  # fmt: skip
    result = invoke(
        "optimize", *euv, "--free", "dose", "--free", "focus", "--objective", "yield_risk",
        "--evaluator", "two-stage", "--trials", "30", "--confirm", "2", "--seed", "0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "confirmed by physics (surrogate → physics)" in result.output
    assert "surrogate vs physics, yield_risk: mean |difference|" in result.output
