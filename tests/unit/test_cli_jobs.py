"""`lto jobs`, `lto alerts`, `lto scheduler` on embedded defaults (SQLite in the test's data
directory, the in-memory broker, the built-in physics on a coarse line/space job)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lto.cli import cli

JOB = ["--na", "0.85", "--wavelength", "193", "--sigma", "0.7", "--thickness", "100",
       "--grid", "4", "--cd", "90", "--pitch", "180"]  # fmt: skip


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_submit_wait_runs_the_whole_pipeline_and_keeps_the_artifacts() -> None:
    code, out, err = run("jobs", "submit", *JOB, "--dose", "44", "--wait", "--json")
    assert code == 0, err
    job = json.loads(out)
    assert job["state"] == "completed"
    states = [change["state"] for change in job["history"]]
    assert states == ["submitted", "validating", "preflight", "queued", "running",
                      "evaluating", "completed"]  # fmt: skip
    assert "no surrogate" in job["note"]
    assert abs(job["result"]["cd_nm"] - 90) < 9
    assert set(job["artifacts"]) == {"aerial.npy", "fem.npz"}
    code, out, _ = run("jobs", "list", "--json")
    assert [row["id"] for row in json.loads(out)] == [job["id"]]
    code, out, _ = run("jobs", "show", job["id"])
    assert code == 0
    assert f"job {job['id']}: completed" in out


def test_a_job_that_nothing_prints_is_flagged_with_an_alert_and_reviewed() -> None:
    code, out, _ = run("jobs", "submit", *JOB, "--dose", "30", "--wait", "--json")
    assert code == 1
    job = json.loads(out)
    assert job["state"] == "anomaly_flagged"
    code, out, _ = run("alerts", "list")
    assert job["id"] in out
    alert_id = out.split()[0]
    assert run("alerts", "ack", alert_id, "--by", "carol")[0] == 0
    code, _, err = run("alerts", "ack", alert_id, "--by", "carol")
    assert code == 2
    assert "already acknowledged" in err
    code, out, _ = run("jobs", "review", job["id"], "clear", "--by", "carol", "--note", "dose test")
    assert code == 0
    assert out.strip().endswith("cleared")


def test_queued_jobs_can_be_cancelled_once() -> None:
    code, out, _ = run("jobs", "submit", *JOB, "--dose", "44", "--json")
    job_id = json.loads(out)["id"]
    assert json.loads(out)["state"] == "queued"
    code, out, _ = run("jobs", "cancel", job_id, "--by", "alice")
    assert code == 0
    assert "cancelled" in out
    code, _, err = run("jobs", "cancel", job_id)
    assert code == 2
    assert "is cancelled already" in err


def test_bad_input_names_the_field_and_stores_nothing() -> None:
    code, _, err = run("jobs", "submit", *JOB, "--dose", "-3")
    assert code == 2
    assert "dose_mj_cm2" in err
    assert "Traceback" not in err
    code, _, err = run("jobs", "show", "job-nope")
    assert code == 2
    assert "no job 'job-nope'" in err
    code, out, _ = run("jobs", "list")
    assert out.strip() == "no jobs"


def test_a_policy_violation_is_stored_as_rejected_with_every_reason() -> None:
    code, out, _ = run("jobs", "submit", *JOB[:-4], "--grid", "60", "--cd", "50", "--pitch", "100",
                       "--dose", "44", "--json")  # fmt: skip
    assert code == 2  # stored, with its reasons, but the job as asked is bad input
    job = json.loads(out)
    assert job["state"] == "rejected"
    assert any("pitch_nm" in r for r in job["rejection"])
    assert any("grid_size_nm" in r for r in job["rejection"])


def test_who_reviews_or_acknowledges_must_have_a_name() -> None:
    for args in (
        ("jobs", "review", "job-x", "escalate", "--by", " "),
        ("alerts", "ack", "alert-x", "--by", ""),
        ("jobs", "cancel", "job-x", "--by", ""),
    ):
        code, _, err = run(*args)
        assert code == 2, args
        assert "--by" in err
        assert "must name someone" in err


def test_a_worker_taking_over_a_running_job_is_in_its_history() -> None:
    from lto.atlas.lifecycle import Job, JobState
    from tests.unit.capricorn.jobs import a_job

    job = Job(a_job())
    job.start_validation()
    job.pass_validation()
    job.record_preflight(None, "")
    job.queue()
    job.start("w1")
    job.start("w2")
    assert job.state is JobState.RUNNING
    assert job.attempts == 2
    assert "taken over by worker w2 from w1 (attempt 2)" in job.history[-1].reason


def test_an_unreachable_database_is_one_line() -> None:
    result = CliRunner().invoke(
        cli, ["jobs", "list"], env={"LTO_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}
    )
    assert result.exit_code == 3
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_scheduler_once_reports_health_and_counts() -> None:
    run("jobs", "submit", *JOB, "--dose", "44")
    code, out, _ = run("scheduler", "--once")
    report = json.loads(out)
    assert code == 0
    assert report["healthy"] is True
    assert report["jobs_by_state"] == {"queued": 1}
    assert report["outbox_backlog"] >= 1


def test_export_buffer_writes_a_dataset_train_can_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lto.daedalus.dataset import load_dataset

    code, _, err = run("jobs", "export-buffer", "--out", str(tmp_path / "buffer.parquet"))
    assert code == 2
    assert "empty" in err
    run("jobs", "submit", *JOB, "--dose", "44", "--wait")
    code, out, _ = run("jobs", "export-buffer", "--out", str(tmp_path / "buffer.parquet"))
    assert code == 0
    assert "1 jobs" in out
    data = load_dataset(tmp_path / "buffer.parquet")
    assert len(data.frame) == 1
    assert data.frame["status"].tolist() == ["ok"]


def test_preflight_answers_with_the_current_surrogate(current_model) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("jobs", "submit", *JOB, "--dose", "44", "--json")
    assert code == 0, err
    job = json.loads(out)
    assert job["state"] in ("queued", "blocked")
    assert current_model.name in job["note"]


def test_the_alternative_search_runs_on_the_current_surrogate(current_model) -> None:  # type: ignore[no-untyped-def]
    """A blocked job's suggestion: metis's short search over the surrogate, nothing stored."""
    from lto.bootstrap import bootstrap
    from tests.unit.capricorn.jobs import a_job

    app = bootstrap()
    job = a_job(dose_mj_cm2=30.0)
    found = app._alternative(job, [("yield_risk", "<=", 0.5), ("overall_health", ">=", 0.3)])
    if found is not None:  # whatever it suggests must be predicted to meet the bounds
        predicted = app.preflight.evaluate(found).scores
        assert predicted["yield_risk"].mean <= 0.5
        assert predicted["overall_health"].mean >= 0.3
        assert (found.na, found.pitch_nm) == (job.na, job.pitch_nm)
    assert not (app.settings.data_dir / "studies.journal").exists()


def test_export_buffer_refuses_a_wrong_suffix_and_a_missing_folder(tmp_path: Path) -> None:
    code, _, err = run("jobs", "export-buffer", "--out", str(tmp_path / "b.csv"))
    assert code == 2
    assert "*.parquet" in err
    code, _, err = run("jobs", "export-buffer", "--out", str(tmp_path / "nowhere" / "b.parquet"))
    assert code == 3
    assert "is not an existing folder" in err
    assert not (tmp_path / "nowhere").exists()


def test_clearing_or_escalating_without_a_note_says_why_one_is_needed() -> None:
    for decision in ("clear", "escalate"):
        code, _, err = run("jobs", "review", "job-x", decision, "--by", "carol")
        assert code == 2, decision
        assert "note: required to clear or escalate a job: say why" in err
