"""The what-if page's logic: what a prediction says, why a job is out of the surrogate's
domain, where a job is in its lifecycle and how it ended; checked on the API's own answers."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from lto.acorn.figures import NO_DATA
from lto.acorn.forms import DEFAULTS, check_form, values_from_query
from lto.acorn.pages import whatif_logic as logic
from lto.acorn.pages.whatif import pictures
from lto.atlas import JobParameters
from lto.daedalus.columns import row_from_job
from lto.daedalus.domain import default_domain
from tests.unit.acorn import plot_data
from tests.unit.api.conftest import Api, make_api
from tests.unit.api.running import run_queued

DOMAIN = default_domain().to_json()  # what GET /models/current's "domain" holds (and more)


def prediction(**flags: Any) -> dict[str, Any]:
    """A ``POST /tradeoffs/predict`` answer."""
    scores = {
        "resolution_vs_dof": {"value": 0.7, "lower": 0.6, "upper": 0.8},
        "yield_risk": {"value": 0.2, "lower": 0.0, "upper": 0.9},
        "speed_vs_accuracy": {"value": 0.9, "lower": 0.8, "upper": 1.0},
        "cost_vs_fidelity": {"value": 0.5, "lower": 0.1, "upper": 0.9},
        "surrogate_reliability": {"value": 0.4, "lower": 0.4, "upper": 0.4},
        "overall_health": {"value": 0.6, "lower": 0.3, "upper": 0.8},
    }
    raw_flags = {
        "high_uncertainty": False,
        "out_of_distribution": False,
        "drift_detected": False,
        "ood_distance": 0.0,
    } | flags
    return {
        "id": "pred_1",
        "model_version": "m-20261201",
        "scores": scores,
        "flags": raw_flags,
        "confidence_level": 0.95,
        "recommend_physics": any(
            raw_flags[k] for k in ("high_uncertainty", "out_of_distribution", "drift_detected")
        ),
        "constraints": {"ok": True, "profile": "ArF-immersion", "violations": []},
        "attributions": {
            "yield_risk": [
                {"feature": "log_dose_over_dose_to_size", "contribution": -0.31},
                {"feature": "k1", "contribution": 0.12},
                {"feature": "focus_over_rayleigh", "contribution": 0.05},
                {"feature": "duty_cycle", "contribution": 0.01},
            ]
        },
        "inference_time_ms": 3.25,
        "parameters": {},
    }


# --- the prediction -----------------------------------------------------------------------------


def test_score_rows_follow_the_signal_order_with_their_direction() -> None:
    rows = logic.score_rows(prediction()["scores"])
    assert [r.name for r in rows][:2] == ["resolution_vs_dof", "yield_risk"]
    assert (rows[1].value, rows[1].lower, rows[1].upper) == (0.2, 0.0, 0.9)
    assert rows[1].direction == "higher is worse"
    assert rows[0].direction == "higher is better"


def test_flags_say_why_out_of_distribution() -> None:
    found = logic.flags(
        prediction(out_of_distribution=True, ood_distance=7.5),
        ["pitch_nm 80 is 1.06× the resolution limit; the domain covers 1.1–4×"],
    )
    names = [f.name for f in found]
    assert names == ["out_of_distribution", "recommend_physics"]
    assert "pitch_nm 80 is 1.06×" in found[0].text
    without_reasons = logic.flags(prediction(out_of_distribution=True, ood_distance=7.5))
    assert "distance 7.5" in without_reasons[0].text


def test_flags_for_uncertainty_drift_and_a_confident_model() -> None:
    found = logic.flags(prediction(high_uncertainty=True, drift_detected=True))
    assert [f.name for f in found] == ["high_uncertainty", "drift_detected", "recommend_physics"]
    assert [f.name for f in logic.flags(prediction())] == ["confident"]


def test_constraint_lines_model_line_and_confidence() -> None:
    answer = prediction()
    assert logic.constraint_lines(answer) == ["Meets the ArF immersion profile."]
    answer["constraints"] = {
        "ok": False,
        "profile": "ArF-immersion",
        "violations": [{"field": "na", "rule": "must lie in [0.85, 1.35]"}],
    }
    assert logic.constraint_lines(answer) == [
        "Breaks the ArF immersion profile:",
        "Numerical aperture NA: must lie in [0.85, 1.35]",  # the field by its label
    ]
    assert logic.model_line(answer) == "model m-20261201 in 3.2 ms"
    assert logic.confidence_text(answer) == "95% intervals"


def test_top_attributions_keep_the_strongest_per_score() -> None:
    found = logic.top_attributions(prediction(), top=3)
    assert list(found) == ["yield_risk"]
    assert found["yield_risk"] == [
        ("log_dose_over_dose_to_size", -0.31),
        ("k1", 0.12),
        ("focus_over_rayleigh", 0.05),
    ]
    stored = {"attributions": {"resolution_vs_dof": {"a": 0.1, "b": -0.4, "c": 0.2}}}
    assert logic.top_attributions(stored, top=2) == {"resolution_vs_dof": [("b", -0.4), ("c", 0.2)]}


# --- the surrogate's domain ---------------------------------------------------------------------


def body(**changes: Any) -> dict[str, Any]:
    found = check_form({**DEFAULTS, **changes})
    assert found.body is not None, found.errors
    return found.body


def daedalus_reasons(parameters: dict[str, Any]) -> list[str]:
    job = JobParameters.model_validate({**parameters, "submitted_by": "erin"})
    row = row_from_job(job)
    (reasons,) = default_domain().violations({k: [v] for k, v in row.items()})
    return reasons


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        (
            {"pitch_nm": 80.0, "target_cd_nm": 40.0},
            ["Pitch 80 nm is 1.06× the resolution limit; the domain covers 1.1–4×"],
        ),
        ({"sigma": 0.98, "sigma_inner": 0.6}, ["σ outer 0.98 is outside the domain's 0.3–0.95"]),
        (
            {"target_cd_nm": 60.0},
            ["Target CD 60 nm is 0.667 of the pitch; the domain covers 0.3–0.6"],
        ),
    ],
)
def test_outside_domain_names_the_field_and_the_range(
    changes: dict[str, Any], expected: list[str]
) -> None:
    parameters = body(**changes)
    assert logic.outside_domain(parameters, DOMAIN) == expected
    # the surrogate's own check agrees on whether the job is inside
    assert bool(daedalus_reasons(parameters)) == bool(expected)


def test_outside_domain_for_a_profile_the_surrogate_never_saw() -> None:
    iline = values_from_query(
        {
            "wavelength_nm": "365",
            "na": "0.6",
            "sigma": "0.5",
            "sigma_inner": "0.3",
            "pitch_nm": "600",
            "target_cd_nm": "300",
            "grid_size_nm": "10",
            "resist_thickness_nm": "500",
            "dose_mj_cm2": "100",
        }
    )
    checked = check_form(iline.values)
    assert checked.ok, checked.errors
    (reason,) = logic.outside_domain(checked.body, DOMAIN)
    assert reason.startswith("the i-line profile is not in the domain (EUV, ArF immersion")
    assert daedalus_reasons(checked.body)
    assert logic.outside_domain(checked.body, None) == []


# --- the job, from the API ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Any:
    made = make_api(Path(tmp_path_factory.mktemp("whatif")))
    with made.client:
        yield made


def submit(api: Api, parameters: dict[str, Any]) -> dict[str, Any]:
    response = api.client.post(
        "/api/v1/jobs",
        json=parameters,
        headers=api.headers("erin", **{"Idempotency-Key": uuid.uuid4().hex}),
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def get(api: Api, path: str) -> dict[str, Any]:
    response = api.client.get(f"/api/v1/{path}", headers=api.headers("erin"))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_completed_job_done_stage_by_stage_with_its_measured_scores(api: Api) -> None:
    queued = submit(api, body())
    assert [s.status for s in logic.stages(queued)][:4] == ["done", "done", "done", "current"]
    assert not logic.stops_polling(queued["state"])
    run_queued(api)
    job = get(api, f"jobs/{queued['id']}")
    assert job["state"] == "completed"
    assert logic.stops_polling(job["state"])
    found = logic.stages(job)
    assert [s.key for s in found] == list(logic.STAGES)
    assert all(s.status == "done" for s in found)
    assert found[-1].label == "completed"
    assert found[-1].at is not None
    rows = logic.measured_rows(job)
    assert len(rows) == 6
    assert all(r.predicted is None for r in rows)
    assert rows[0].actual == job["result"]["signals"]["resolution_vs_dof"]
    assert logic.measured_scores(job) == job["result"]["signals"]
    assert logic.outcome(job) == [job["note"]]
    assert logic.report_href(job["id"]) == f"/reports/{job['id']}"


def test_the_pictures_of_a_completed_job_come_from_its_plot_data(api: Api) -> None:
    queued = submit(api, body(dose_mj_cm2=37.0))
    run_queued(api)
    job = get(api, f"jobs/{queued['id']}")
    plot = get(api, f"jobs/{job['id']}/plot-data")
    assert plot["available"]
    figures = pictures(plot, job, None)
    assert len(figures) == 6
    aerial, cutline, contour, curves, window, measured = figures
    edges = next(t for t in cutline.data if t.name == "resist edges")
    assert list(edges.x) == plot["cutline"]["edges_nm"]
    assert [t.name for t in contour.data] == ["resist left", "resist edge", "target (mask)"]
    assert aerial.data[0].type == "heatmap"
    assert aerial.layout.yaxis.scaleanchor == "x"
    assert len([t for t in curves.data if t.name.endswith("mJ/cm²")]) == len(
        plot["fem"]["dose_mj_cm2"]
    )
    assert next(a.text for a in window.layout.annotations).startswith("DoF ")
    assert len(measured.data) == 1
    assert list(measured.data[0].y) == list(job["result"]["signals"].values())
    missing = pictures({"available": False, "note": "the artifacts are gone"}, job, None)
    assert all(
        f"{NO_DATA}: the artifacts are gone" in [a.text for a in f.layout.annotations]
        for f in missing[:5]
    )


def test_a_rejected_job_fails_at_validation_with_its_rules(api: Api) -> None:
    from lto.capricorn.service.commands import SubmitJob

    raw = {**body(), "na": 1.4, "submitted_by": "erin"}  # the form and the API refuse it;
    made = api.app.bus.handle(SubmitJob(raw))  # the CLI's `lto jobs submit` stores it rejected
    job = api.client.get(f"/api/v1/jobs/{made.job_id}", headers=api.headers("erin")).json()
    assert job["state"] == "rejected"
    refused = api.client.post(
        "/api/v1/jobs", json=raw, headers=api.headers("erin", **{"Idempotency-Key": "r"})
    )
    assert refused.status_code == 422
    assert any(e["field"] == "na" for e in refused.json()["errors"])
    assert logic.stops_polling("rejected")
    found = {s.key: s.status for s in logic.stages(job)}
    assert found["submitted"] == "done"
    assert found["validating"] == "failed"
    assert found["preflight"] == "skipped"
    assert found["final"] == "failed"
    lines = logic.outcome(job)
    assert lines[0] == "Rejected by validation:"
    assert "Numerical aperture NA: ArF-immersion optics reach at most NA 1.35" in lines


def test_a_blocked_jobs_alternative_loads_into_the_form() -> None:
    job = {
        "id": "job_2",
        "state": "blocked",
        "blocked_reason": "predicted yield risk 0.8 above 0.5",
        "parameters": {**body(), "submitted_by": "erin"},
        "alternative": {**body(dose_mj_cm2=38.5, na=1.3), "submitted_by": "erin"},
        "history": [
            {"state": s, "at": "2026-12-04T10:00:00Z", "reason": ""}
            for s in ("submitted", "validating", "preflight", "blocked")
        ],
    }
    assert logic.outcome(job) == ["Blocked by pre-flight: predicted yield risk 0.8 above 0.5"]
    stages = {s.key: s.status for s in logic.stages(job)}
    assert stages["preflight"] == "failed"
    assert stages["queued"] == "skipped"
    href = logic.alternative_href(job)
    assert href is not None
    assert href.startswith("/whatif?")
    from urllib.parse import parse_qsl, urlsplit

    loaded = values_from_query(dict(parse_qsl(urlsplit(href).query)))
    assert loaded.values["dose_mj_cm2"] == 38.5
    assert loaded.values["na"] == 1.3
    assert loaded.problems == []
    assert check_form(loaded.values, loaded.extras).ok
    assert logic.alternative_changes(job) == [
        "Numerical aperture NA: 1.35 → 1.3",
        "Dose: 36 → 38.5",
    ]


def test_measured_rows_compare_only_the_learned_scores() -> None:
    stored = {
        name: {"mean": 0.5, "lower": 0.2, "upper": 0.8}
        for name in (
            "resolution_vs_dof",
            "yield_risk",
            "speed_vs_accuracy",
            "cost_vs_fidelity",
            "surrogate_reliability",
            "overall_health",
        )
    }
    signals = {
        "resolution_vs_dof": 0.7,
        "yield_risk": 0.9,
        "speed_vs_accuracy": 0.5,
        "cost_vs_fidelity": 0.3,
        "surrogate_reliability": 1.0,
        "overall_health": 0.95,
    }
    rows = {
        r.name: r
        for r in logic.measured_rows(
            {"prediction": {"scores": stored}, "result": {"signals": signals}}
        )
    }
    assert rows["resolution_vs_dof"].within is True
    assert rows["yield_risk"].within is False  # 0.9 above 0.8
    assert rows["yield_risk"].predicted == (0.5, 0.2, 0.8)
    assert rows["surrogate_reliability"].within is None
    assert rows["overall_health"].within is None


def test_a_running_and_a_flagged_job() -> None:
    history = [
        {"state": s, "at": "2026-12-04T10:00:00Z", "reason": ""}
        for s in ("submitted", "validating", "preflight", "queued", "running")
    ]
    running = {"state": "running", "history": history}
    assert [s.status for s in logic.stages(running)] == [
        "done",
        "done",
        "done",
        "done",
        "current",
        "pending",
        "pending",
    ]
    flagged = {
        "state": "anomaly_flagged",
        "history": [
            *history,
            {"state": "evaluating", "at": "2026-12-04T10:00:01Z"},
            {"state": "anomaly_flagged", "at": "2026-12-04T10:00:02Z", "reason": "x"},
        ],
        "evaluation": {"details": ["yield risk: physics 0.900 outside the predicted 0.000–0.300"]},
    }
    found = logic.stages(flagged)
    assert found[-1].status == "attention"
    assert found[-1].label == "anomaly flagged"
    assert logic.stops_polling("anomaly_flagged")
    assert logic.outcome(flagged)[1].startswith("yield risk: physics 0.900")


def test_the_app_id_store_keeps_ids_only() -> None:
    ids = logic.with_last_job({"run": "opt_1"}, "job_1")
    assert ids == {"run": "opt_1", "last_job": "job_1"}
    ids = logic.with_compared(ids, "job_1")
    ids = logic.with_compared(ids, "job_2")
    assert logic.with_compared(ids, "job_1")["compare"] == ["job_2", "job_1"]
    many = {"compare": [f"job_{i}" for i in range(6)]}
    assert logic.with_compared(many, "job_9")["compare"] == [
        "job_1",
        "job_2",
        "job_3",
        "job_4",
        "job_5",
        "job_9",
    ]


# --- "Add to compare" --------------------------------------------------------------------------


def test_add_to_compare_waits_for_a_finished_run_of_the_settings_on_screen() -> None:
    ran_body = body()
    ran = {"job": "job_1", "body": ran_body}
    done = {"job": "job_1", "state": "completed"}
    gate = logic.compare_gate(body(), ran, done)
    assert gate.enabled
    assert "job_1" in gate.why
    # nothing run yet
    assert logic.compare_gate(body(), None, None) == logic.CompareGate(False, logic.RUN_FIRST)
    # still running: the job's state is polled, not guessed
    running = logic.compare_gate(body(), ran, {"job": "job_1", "state": "running"})
    assert not running.enabled
    assert "not finished" in running.why
    # a state polled for the previous job says nothing about this one
    assert not logic.compare_gate(body(), ran, {"job": "job_0", "state": "completed"}).enabled
    # finished without physics
    failed = logic.compare_gate(body(), ran, {"job": "job_1", "state": "failed"})
    assert not failed.enabled
    assert "failed" in failed.why


@pytest.mark.parametrize(
    "edit",
    [{"na": 1.2}, {"dose_mj_cm2": 36.5}, {"pattern": "line_end"}, {"illumination": "annular"}],
)
def test_any_edit_disables_add_to_compare_until_physics_runs_for_it(edit: dict[str, Any]) -> None:
    """The defect: the button stayed enabled after an edit and added the old job."""
    ran = {"job": "job_1", "body": body()}
    done = {"job": "job_1", "state": "completed"}
    edited = logic.compare_gate(body(**edit), ran, done)
    assert not edited.enabled
    assert edited.why == "Run physics for these settings first"
    # an invalid form has no settings to compare
    assert not logic.compare_gate(None, ran, done).enabled
    # editing back to what was run makes the same job right again
    assert logic.compare_gate(body(), ran, done).enabled
    # the new settings' own run, once finished, may be added
    again = {"job": "job_2", "body": body(**edit)}
    assert logic.compare_gate(body(**edit), again, {"job": "job_2", "state": "completed"}).enabled


def test_same_settings_compares_numbers_not_their_spelling() -> None:
    assert logic.same_settings({"na": 1.35, "pattern": "line_space"}, {"pattern": "line_space", "na": 1.35})  # fmt: skip
    assert logic.same_settings({"pitch_nm": 90}, {"pitch_nm": 90.0})
    assert not logic.same_settings({"na": 1.35}, {"na": 1.36})
    assert not logic.same_settings({"na": 1.35}, {"na": 1.35, "priority": 8})
    assert not logic.same_settings(None, {"na": 1.35})


def test_the_tests_plot_data_has_the_endpoints_shape(api: Api) -> None:
    queued = submit(api, body())
    run_queued(api)
    real = get(api, f"jobs/{queued['id']}/plot-data")
    made = plot_data.plot_data()
    assert set(made) == set(real)
    for part in ("aerial", "cutline", "resist", "target", "fem"):
        assert set(made[part]) == set(real[part]), part
    assert set(made["fem"]["window"]) == set(real["fem"]["window"])


def test_the_page_opens_with_add_to_compare_disabled_and_saying_why() -> None:
    from lto.acorn.pages.whatif import layout
    from tests.unit.acorn.test_forms import components

    tree = layout()
    found = {c.id: c for c in components(tree) if isinstance(getattr(c, "id", None), str)}
    assert found["whatif-add-compare"].disabled
    assert found["whatif-add-compare-wrap"].title == logic.RUN_FIRST
    assert found["whatif-ran"].data == {"job": None, "body": None}
