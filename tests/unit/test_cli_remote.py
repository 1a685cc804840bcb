"""`lto remote`: the CLI through lto.client against the real app (served in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lto.cli import cli
from lto.client import LtoClient
from tests.unit.api.conftest import make_api

JOB = ["--na", "0.85", "--wavelength", "193", "--dose", "30", "--sigma", "0.7", "--thickness",
       "100", "--grid", "4", "--cd", "90", "--pitch", "180"]  # fmt: skip


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    api = make_api(tmp_path / "service")
    client = LtoClient(
        "http://testserver", api_key=api.keys["erin"], transport=api.client._transport
    )
    monkeypatch.setattr("lto.cli.remote._client", lambda: client)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_submit_then_read_the_job_and_its_report(served: None, tmp_path: Path) -> None:
    code, out, err = run("remote", "submit", *JOB)
    assert code == 0, err
    job = json.loads(out)
    assert (job["state"], job["submitted_by"]) == ("queued", "erin")
    code, out, _ = run("remote", "job", job["id"])
    assert json.loads(out)["id"] == job["id"]
    page = tmp_path / "report.html"
    code, _, err = run("remote", "report", job["id"], "--html", str(page))
    assert code == 0, err
    assert page.read_text().lstrip().lower().startswith("<!doctype html")


def test_the_services_refusal_names_the_field_and_exits_2(served: None) -> None:
    code, _, err = run("remote", "submit", *JOB[:-2], "--pitch", "50")
    assert code == 2
    assert "target_cd_nm" in err or "pitch" in err
    assert "Traceback" not in err


def test_without_a_key_or_a_service_it_says_which_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run("remote", "health")
    assert code == 3
    assert "LTO_API_KEY" in err
    monkeypatch.setenv("LTO_API_KEY", "lto_" + "x" * 43)
    monkeypatch.setenv("LTO_API_URL", "http://127.0.0.1:9")
    code, _, err = run("remote", "health")
    assert code == 3
    assert "LTO_API_URL" in err
