"""A job's report over HTTP: JSON and one self-contained HTML page, for jobs the built-in
physics ran in-process (so the pipeline's artifacts exist) and for jobs without a result."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from lto.atlas.contracts import (
    SIGNAL_NAMES,
    ComputeStats,
    JobParameters,
    ScoreInterval,
    SimulationResult,
    TradeoffPrediction,
    TradeoffSignals,
)
from lto.atlas.lifecycle import Job
from lto.capricorn.api.report import ReportData, report_html, report_json
from lto.capricorn.service.accounts import issue_key
from lto.capricorn.service.simulation import SimulationHandler
from lto.daedalus.dataset import result_row
from tests.unit.api.conftest import Api
from tests.unit.api.running import rejected_job, run_queued, submit
from tests.unit.capricorn.jobs import a_job

PRINTS = {"dose_mj_cm2": 44.0}  # dose to size of the default ArF line/space job is ~43.9
SCRIPT = "<script>alert(1)</script>"
PNG = re.compile(r'<img src="data:image/png;base64,[A-Za-z0-9+/]+=*"')


def report(api: Api, job_id: str, user: str = "erin", **params: str) -> Any:
    return api.client.get(f"/api/v1/jobs/{job_id}/report", params=params, headers=api.headers(user))


@pytest.fixture
def completed(api: Api) -> dict[str, Any]:
    job = submit(api, **PRINTS, metadata={"note": SCRIPT, "lot": "A17"})
    run_queued(api)
    return job


class Resources(HTMLParser):
    """Every tag and every attribute that could fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.fetches: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "data", "poster"):
                self.fetches.append(value or "")


def test_a_completed_jobs_report_in_json(api: Api, completed: dict[str, Any]) -> None:
    response = report(api, completed["id"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["job_id"] == completed["id"]
    assert body["state"] == "completed"
    assert body["verdict"]["outcome"] == "passed"
    parameters = {p["name"]: p for p in body["parameters"]}
    assert parameters["dose_mj_cm2"]["value"] == 44.0
    assert parameters["dose_mj_cm2"]["unit"] == "mJ/cm²"
    assert parameters["wavelength_nm"]["unit"] == "nm"
    assert body["metadata"] == {"note": SCRIPT, "lot": "A17"}  # JSON carries it as it is
    assert [c["state"] for c in body["history"]][-3:] == ["running", "evaluating", "completed"]
    metrics = {m["name"]: m for m in body["result"]["metrics"]}
    assert set(metrics) >= {
        "cd_nm", "dose_to_size_mj_cm2", "depth_of_focus_nm", "exposure_latitude_pct", "nils",
        "edge_placement_error_nm", "best_focus_nm", "meef",
    }  # fmt: skip
    assert metrics["cd_nm"]["value"] == pytest.approx(90.0, abs=9.0)
    assert metrics["cd_nm"]["unit"] == "nm"
    assert metrics["depth_of_focus_nm"]["value"] > 0
    assert metrics["dose_to_size_mj_cm2"]["unit"] == "mJ/cm²"
    assert body["result"]["simulator"].startswith("lto-physics")
    assert [s["name"] for s in body["scores"]] == list(SIGNAL_NAMES)
    assert all(s["actual"] is not None for s in body["scores"])
    assert all(s["predicted_mean"] is None for s in body["scores"])  # no surrogate: no prediction
    figures = {f["name"]: f for f in body["figures"]}
    assert set(figures) == {"aerial_image", "resist_contour", "bossung", "process_window"}
    assert all(f["available"] and f["data_uri"] is None for f in figures.values())
    with_figures = report(api, completed["id"], figures="true").json()
    assert all(f["data_uri"].startswith("data:image/png;base64,") for f in with_figures["figures"])


def test_the_html_report_is_one_self_contained_page_with_its_figures(
    api: Api, completed: dict[str, Any]
) -> None:
    response = report(api, completed["id"], format="html")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "img-src data:" in response.headers["content-security-policy"]
    assert completed["id"] in response.headers["content-disposition"]
    page = response.text
    assert page.startswith("<!DOCTYPE html>")
    assert len(PNG.findall(page)) == 4
    for text in ("Aerial image", "Resist contour", "Bossung curves", "Process window"):
        assert text in page
    for text in ("wavelength", "193 nm", "44 mJ/cm²", "numerical aperture", "0.85", "A17"):
        assert text in page
    assert "depth of focus" in page
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    found = Resources()
    found.feed(page)
    assert not {"script", "link", "iframe", "object", "embed", "base"} & set(found.tags)
    assert found.fetches
    assert all(f.startswith("data:image/png;base64,") for f in found.fetches)
    assert "http" not in "".join(found.fetches)
    assert "@import" not in page
    assert "url(" not in page
    by_accept = api.client.get(
        f"/api/v1/jobs/{completed['id']}/report", headers=api.headers(Accept="text/html")
    )
    assert by_accept.headers["content-type"].startswith("text/html")
    assert by_accept.text.count("data:image/png;base64,") == 4
    json_wins = api.client.get(
        f"/api/v1/jobs/{completed['id']}/report",
        headers=api.headers(Accept="application/json, text/html;q=0.5"),
    )
    assert json_wins.headers["content-type"].startswith("application/json")


def _prediction(**intervals: tuple[float, float, float]) -> dict[str, Any]:
    scores = {name: ScoreInterval(mean=0.5, lower=0.0, upper=1.0) for name in SIGNAL_NAMES}
    scores |= {n: ScoreInterval(mean=m, lower=lo, upper=hi) for n, (m, lo, hi) in intervals.items()}
    return TradeoffPrediction(
        scores=scores, model_version="test-v1", inference_time_ms=2.5
    ).model_dump(mode="json")


def test_the_report_compares_the_prediction_with_the_physics(api: Api) -> None:
    job = submit(api, **PRINTS)
    with api.app.uow() as uow:  # as pre-flight would have recorded it
        stored = uow.jobs.get(job["id"])
        assert stored is not None
        stored.prediction = _prediction(yield_risk=(0.9, 0.85, 0.95))
        uow.commit()
    run_queued(api)
    body = report(api, job["id"]).json()
    assert body["state"] == "anomaly_flagged"
    assert body["verdict"]["outcome"] == "anomaly"
    assert "yield_risk" in body["verdict"]["anomalous"]
    assert any("yield risk: physics" in d for d in body["verdict"]["details"])
    scores = {s["name"]: s for s in body["scores"]}
    assert scores["yield_risk"]["predicted_mean"] == 0.9
    assert (scores["yield_risk"]["lower"], scores["yield_risk"]["upper"]) == (0.85, 0.95)
    assert scores["yield_risk"]["within"] is False
    assert scores["yield_risk"]["judged"] is True
    assert scores["resolution_vs_dof"]["within"] is True
    assert body["preflight"]["model_version"] == "test-v1"
    page = report(api, job["id"], format="html").text
    assert "outside" in page
    assert "test-v1" in page
    assert "Verdict: anomaly" in page


def test_a_job_without_a_result_still_has_a_report(api: Api) -> None:
    rejected = rejected_job(api)
    queued = submit(api)
    body = report(api, rejected).json()
    assert body["state"] == "rejected"
    assert body["verdict"]["outcome"] == "rejected"
    assert any("pitch_nm" in d for d in body["verdict"]["details"])
    assert body["result"] is None
    assert not any(f["available"] for f in body["figures"])
    assert any("no simulation result" in n for n in body["notes"])
    page = report(api, rejected, format="html").text
    assert "Verdict: rejected" in page
    assert "pitch_nm" in page
    assert "<img" not in page
    waiting = report(api, queued["id"]).json()
    assert waiting["verdict"]["outcome"] == "pending"
    assert "waiting for a worker" in waiting["state_summary"]


def test_a_blocked_jobs_report_shows_the_reason_and_the_alternative() -> None:
    job = Job(a_job())
    job.start_validation()
    job.pass_validation()
    job.block("yield_risk 0.9 > 0.5 with confidence", {"dose_mj_cm2": 33.0, "na": 0.85})
    data = ReportData(job, None, [], datetime.now(UTC))
    body = report_json(data)
    assert body["verdict"]["outcome"] == "blocked"
    assert body["verdict"]["alternative"] == {"dose_mj_cm2": 33.0, "na": 0.85}
    page = report_html(data)
    assert "yield_risk 0.9 &gt; 0.5" in page
    assert "alternative" in page
    assert "33" in page


class SurrogateOnly:
    """Answers like ``LTO_SIMULATOR=surrogate``: scores, no images."""

    name = "surrogate"

    def run(self, job_id: str, parameters: JobParameters, progress: Any = None) -> SimulationResult:
        return SimulationResult(
            job_id=job_id,
            signals=TradeoffSignals(**dict.fromkeys(SIGNAL_NAMES, 0.2)),
            compute=ComputeStats(simulator="surrogate test-v1", method="surrogate", wall_time_s=0),
        )


def test_a_job_run_on_the_surrogate_only_simulator_has_no_pictures_and_says_so(api: Api) -> None:
    job = submit(api)
    handler = SimulationHandler(
        api.app.uow, SurrogateOnly(), worker_id="w", training_row=result_row
    )
    run_queued(api, handler)
    body = report(api, job["id"]).json()
    assert body["result"]["simulator"] == "surrogate test-v1"
    assert not any(f["available"] for f in body["figures"])
    assert any("LTO_SIMULATOR=surrogate" in n for n in body["notes"])
    page = report(api, job["id"], format="html").text
    assert "LTO_SIMULATOR=surrogate" in page
    assert "<img" not in page


def test_a_missing_artifact_costs_only_its_pictures(api: Api, completed: dict[str, Any]) -> None:
    with api.app.uow() as uow:
        record = uow.records.result(completed["id"])
    assert record is not None
    api.app.artifacts.delete(record.artifacts["fem.npz"])
    body = report(api, completed["id"], figures="true").json()
    figures = {f["name"]: f for f in body["figures"]}
    assert figures["aerial_image"]["available"]
    assert figures["resist_contour"]["available"]
    assert not figures["bossung"]["available"]
    assert "missing from the artifact store" in figures["process_window"]["note"]
    listed = report(api, completed["id"]).json()  # without drawing: the same answer
    assert [f["available"] for f in listed["figures"]] == [True, True, False, False]


def test_who_may_read_a_report(api: Api, completed: dict[str, Any]) -> None:
    path = f"/api/v1/jobs/{completed['id']}/report"
    assert api.client.get(path).status_code == 401
    assert api.client.get(path, params={"format": "html"}).status_code == 401
    assert api.client.get(path, headers={"X-API-Key": "lto_nope"}).status_code == 401
    assert report(api, completed["id"], "eve").status_code == 404  # another engineer's job
    assert report(api, completed["id"], "omar").status_code == 200  # an operator sees all
    assert report(api, completed["id"], "reader").status_code == 200  # jobs:read is enough
    assert report(api, "job-000000000000").status_code == 404
    alerts_only = issue_key(api.app.uow, "erin", ["alerts:read"]).secret
    refused = api.client.get(path, headers={"X-API-Key": alerts_only})
    assert refused.status_code == 403
    assert "jobs:read" in refused.json()["detail"]


def test_an_unknown_format_is_refused_naming_the_parameter(
    api: Api, completed: dict[str, Any]
) -> None:
    response = report(api, completed["id"], format="pdf")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.format"


def test_an_unreadable_artifact_is_named_not_a_server_error(
    api: Api, completed: dict[str, Any]
) -> None:
    with api.app.uow() as uow:
        record = uow.records.result(completed["id"])
    assert record is not None
    api.app.artifacts.put(record.artifacts["fem.npz"], b"not an npz")
    response = report(api, completed["id"], format="html")
    assert response.status_code == 200
    assert "the artifact fem.npz cannot be read" in response.text
    assert response.text.count("data:image/png;base64,") == 2  # the aerial image and the resist
