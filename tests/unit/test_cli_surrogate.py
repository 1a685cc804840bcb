"""`lto train` and `lto predict` as an engineer uses them: the held-out figures, six scores with
intervals beside the physics, and one-line refusals of what cannot work."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lto.cli import cli
from lto.cli.errors import ExitCode

EUV = ["--na", "0.33", "--wavelength", "13.5 nm", "--dose", "67.8", "--sigma", "0.8",
       "--sigma-inner", "0.5", "--illumination", "dipole", "--thickness", "35", "--grid", "0.5",
       "--cd", "16", "--pitch", "32"]  # fmt: skip
README_JOB = ["--na", "1.35", "--wavelength", "193 nm", "--dose", "44 mJ/cm^2", "--sigma", "0.9",
              "--sigma-inner", "0.6", "--illumination", "dipole", "--thickness", "90 nm",
              "--grid", "1", "--cd", "40 nm", "--pitch", "80"]  # fmt: skip


def invoke(*args: str, **env: str):
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200", **env})


def test_train_prints_the_held_out_accuracy_coverage_and_ood_rates(trained_model) -> None:
    out = trained_model["output"]
    assert "dataset: 120 jobs built, 0 failed" in out
    assert "held-out test split" in out
    for name in ("resolution_vs_dof", "yield_risk", "speed_vs_accuracy", "cost_vs_fidelity"):
        assert name in out
    assert "all four scores within 0.05" in out
    assert "outside the domain flagged" in out
    assert "now the current model" in out
    assert "warning: below the accuracy targets" in out
    folder = trained_model["folder"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format"] == "lto-surrogate"
    assert set(manifest["members"]) == {"xgboost", "mlp", "gp"}


def test_train_reuses_its_dataset(trained_model) -> None:
    datasets = list((trained_model["data"] / "datasets").glob("*.parquet"))
    assert [p.name for p in datasets] == ["physics-n120-s3.parquet"]


def test_predict_shows_six_scores_with_intervals_and_trust(current_model) -> None:
    result = invoke("predict", *EUV)
    assert result.exit_code == 0, result.output
    for name in ("resolution_vs_dof", "yield_risk", "surrogate_reliability", "overall_health"):
        assert name in result.output
    assert "95% interval" in result.output
    assert "recommendation:" in result.output
    assert "held-out accuracy" in result.output
    assert "why " in result.output  # attributions


def test_predict_flags_the_readme_job_outside_the_domain_and_says_why(current_model) -> None:
    result = invoke("predict", *README_JOB)
    assert result.exit_code == 0, result.output
    assert "out of distribution" in result.output
    assert "1.06× the resolution limit" in result.output
    assert "run the physics" in result.output


def test_predict_compare_runs_the_physics_beside(current_model) -> None:
    result = invoke("predict", *EUV, "--compare", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == {"prediction", "physics"}
    scores = document["prediction"]["scores"]
    assert len(scores) == 6
    for interval in scores.values():
        assert interval["lower"] <= interval["mean"] <= interval["upper"]
    assert document["physics"]["signals"] is not None


def test_predict_without_a_model_says_to_train() -> None:
    result = invoke("predict", *EUV)
    assert result.exit_code == ExitCode.ENVIRONMENT
    assert "lto train" in result.stderr
    assert "Traceback" not in result.output


def test_predict_refuses_a_damaged_model_with_the_reason(current_model, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(current_model, copy)
    (copy / "members" / "gp" / "gp_state.pt").write_bytes(b"nonsense")
    result = invoke("predict", *EUV, "--model", str(copy))
    assert result.exit_code == ExitCode.BAD_INPUT  # a --model given by hand is input
    assert "damaged" in result.stderr
    assert "gp_state.pt" in result.stderr


def test_predict_refuses_an_na_no_lens_reaches_like_simulate(current_model) -> None:
    args = [*README_JOB[:1], "1.5", *README_JOB[2:]]
    result = invoke("predict", *args)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "NA 1.5" in result.stderr


def test_a_binary_params_file_is_bad_input_not_an_internal_error(
    current_model, tmp_path: Path
) -> None:
    binary = tmp_path / "job.json"
    binary.write_bytes(b"PAR1\x00\xff\xfe")
    result = invoke("predict", "--params", str(binary))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "not a text file" in result.stderr


def test_a_model_below_its_targets_flags_its_predictions_uncertain(current_model) -> None:
    from lto.daedalus import load_surrogate

    surrogate = load_surrogate(current_model)
    assert surrogate.metrics["accuracy"]["overall"] < 0.975  # 120 jobs: far below the target
    assert surrogate.metrics["high_uncertainty_share"] > 0.5
    result = invoke("predict", *EUV)
    assert "can be trusted" not in result.output


def test_predict_refuses_bad_input_naming_the_field(current_model) -> None:
    result = invoke("predict", *EUV[:-2], "--pitch", "nan")
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "pitch_nm" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--samples", "5"], "--samples"),
        (["--workers", "0"], "--workers"),
        (["--seed", "x"], "--seed"),
    ],
)
def test_train_refuses_bad_flags(args: list[str], message: str) -> None:
    result = invoke("train", *args)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert message in result.stderr


def test_train_refuses_an_output_folder_in_use(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("")
    result = invoke("train", "--samples", "100", "--out", str(tmp_path / "taken"))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "already exists" in result.stderr


def test_train_refuses_a_dataset_that_is_not_one(tmp_path: Path) -> None:
    bogus = tmp_path / "data.parquet"
    bogus.write_text("not parquet")
    result = invoke("train", "--dataset", str(bogus))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert str(bogus) in result.stderr
    assert "Traceback" not in result.output


def test_train_registers_its_model_as_a_candidate_through_the_gate(trained_model) -> None:
    out = trained_model["output"]
    assert "registered as version 1; the offline gate refused it (held-out accuracy" in out
    assert "it stays a candidate (`lto models list`)" in out


def test_models_commands_list_promote_rollback_and_discard(trained_model, tmp_path: Path) -> None:
    from lto.bootstrap import bootstrap
    from lto.daedalus import load_surrogate

    folder = trained_model["folder"]
    surrogate = load_surrogate(folder)
    app = bootstrap()
    app.lifecycle.submit(folder, surrogate.metrics, surrogate_version=surrogate.version)
    listed = invoke("models", "list")
    assert listed.exit_code == 0, listed.output
    assert "refused" in listed.output
    refused = invoke("models", "promote")
    assert refused.exit_code == ExitCode.BAD_INPUT
    assert "no challenger to promote" in refused.output
    gated = invoke("models", "promote", "1")
    assert gated.exit_code == ExitCode.BAD_INPUT
    assert "did not pass the offline gate" in gated.output
    promoted = invoke("models", "promote", "1", "--override", "demo model, accepted for trials")
    assert promoted.exit_code == 0, promoted.output
    assert "version 1 is the champion" in promoted.output
    current = (tmp_path / "lto-data" / "models" / "surrogate" / "CURRENT").read_text().strip()
    assert load_surrogate(Path(current)).version == surrogate.version  # predict follows it
    nothing = invoke("models", "rollback")
    assert nothing.exit_code == ExitCode.BAD_INPUT
    assert "nothing to roll back to" in nothing.output
    unknown = invoke("models", "discard", "7", "--reason", "bad data")
    assert unknown.exit_code == ExitCode.BAD_INPUT
    assert "no version 7" in unknown.output


def write_jobs(path: Path, jobs: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(job) for job in jobs) + "\n")
    return path


def test_drift_against_the_training_data_and_its_effect_on_reliability(
    current_model, trained_model, tmp_path: Path
) -> None:
    from lto.bootstrap import bootstrap

    dataset = next((trained_model["data"] / "datasets").glob("*.parquet"))
    own = invoke("drift", "--jobs", str(dataset))  # a Parquet dataset is read as jobs
    assert own.exit_code == 0, own.output
    assert "drift of 120 recent jobs" in own.output
    euv = {"na": 0.33, "wavelength_nm": 13.5, "dose_mj_cm2": 60.0, "sigma": 0.8,
           "sigma_inner": 0.5, "illumination": "dipole", "resist_thickness_nm": 35.0,
           "grid_size_nm": 1.0, "target_cd_nm": 16.0, "pitch_nm": 32.0}  # fmt: skip
    moved = write_jobs(tmp_path / "moved.jsonl", [euv] * 120)
    result = invoke("drift", "--jobs", str(moved))
    assert result.exit_code == 0, result.output
    assert "significant drift" in result.output
    assert "DriftDetected(input:na" in result.output
    assert bootstrap().surrogate.drift_psi > 0.2  # reliability now discounts it
    report = json.loads(invoke("drift", "--jobs", str(moved), "--json").stdout)
    assert report["needs_retraining"] is True


def test_drift_refuses_jobs_it_cannot_judge(current_model, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"na": 0.33}\n{not json\n')
    result = invoke("drift", "--jobs", str(broken))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "line 2: not JSON" in result.output
    wrong = write_jobs(tmp_path / "wrong.jsonl", [{"na": 5}])
    result = invoke("drift", "--jobs", str(wrong))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "line 1: na:" in result.output
    euv = {"na": 0.33, "wavelength_nm": 13.5, "dose_mj_cm2": 60.0, "sigma": 0.8,
           "resist_thickness_nm": 35.0, "grid_size_nm": 1.0, "target_cd_nm": 16.0,
           "pitch_nm": 32.0}  # fmt: skip
    few = write_jobs(tmp_path / "few.jsonl", [euv] * 5)
    result = invoke("drift", "--jobs", str(few))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "at least 100 recent jobs" in result.output


def test_retrain_only_with_a_reason_and_never_makes_the_candidate_current(
    current_model, trained_model, tmp_path: Path
) -> None:
    idle = invoke("retrain")
    assert idle.exit_code == 0, idle.output
    assert "no retraining needed" in idle.output
    blank = invoke("retrain", "--force", " ")
    assert blank.exit_code == ExitCode.BAD_INPUT
    dataset = next((trained_model["data"] / "datasets").glob("*.parquet"))
    result = invoke("retrain", "--force", "new resist lot", "--dataset", str(dataset))
    assert result.exit_code == 0, result.output
    assert "retraining because by hand: new resist lot" in result.output
    assert "(not made current)" in result.output
    assert "registered as version 1" in result.output
    pointer = tmp_path / "lto-data" / "models" / "surrogate" / "CURRENT"
    assert Path(pointer.read_text().strip()) == current_model


def test_tune_keeps_the_best_settings_for_train_tuned(trained_model, tmp_path: Path) -> None:
    untuned = invoke("train", "--tuned")
    assert untuned.exit_code == ExitCode.BAD_INPUT
    assert "run `lto tune` first" in untuned.output
    dataset = next((trained_model["data"] / "datasets").glob("*.parquet"))
    result = invoke(
        "tune", "--member", "xgboost", "--trials", "4", "--dataset", str(dataset), "--seed", "3"
    )
    assert result.exit_code == 0, result.output
    assert "xgboost" in result.output
    assert "tracked as MLflow run" in result.output
    kept = json.loads((tmp_path / "lto-data" / "tuning" / "best.json").read_text())
    best = kept["members"]["xgboost"]["best_params"]
    assert {"max_depth", "learning_rate", "n_estimators"} <= set(best)
    trained = invoke(
        "train",
        "--tuned",
        "--dataset",
        str(dataset),
        "--seed",
        "3",
        "--out",
        str(tmp_path / "tuned-model"),
    )
    assert trained.exit_code == 0, trained.output
    assert "with tuned settings: xgboost max_depth=" in trained.output


def test_predict_shadows_the_registrys_challenger_without_using_it(
    trained_model, tmp_path: Path
) -> None:
    from lto.bootstrap import bootstrap
    from lto.daedalus import load_surrogate

    folder = trained_model["folder"]
    surrogate = load_surrogate(folder)
    app = bootstrap()
    app.lifecycle.submit(folder, surrogate.metrics, surrogate_version=surrogate.version)
    assert invoke("models", "promote", "1", "--override", "test champion").exit_code == 0
    app.lifecycle.submit(folder, surrogate.metrics, surrogate_version=surrogate.version)
    app.registry.set_alias("challenger", "2")  # as if it had passed the gate
    alone = json.loads(invoke("predict", *EUV, "--json").stdout)
    log = tmp_path / "lto-data" / "shadow" / "shadow.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["champion"], r["challenger"]) for r in records] == [("1", "2")]
    answered = {k: v["mean"] for k, v in alone["prediction"]["scores"].items()}
    assert records[0]["champion_scores"] == pytest.approx(answered)
