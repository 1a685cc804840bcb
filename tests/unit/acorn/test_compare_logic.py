"""The compare page's logic: the differing parameters marked, the scores and metrics side by
side with which is better (yield risk: lower), the Bossung curves overlaid; on real jobs."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from lto.acorn.figures.imaging import bossung_overlay
from lto.acorn.forms import DEFAULTS, check_form
from lto.acorn.pages import compare_logic as logic
from tests.unit.acorn import plot_data
from tests.unit.api.conftest import Api, make_api
from tests.unit.api.running import run_queued


def job(job_id: str, signals: dict[str, float] | None = None, **result: Any) -> dict[str, Any]:
    """A ``GET /jobs/{id}`` answer, cut to what the compare page reads."""
    return {
        "id": job_id,
        "state": "completed",
        "profile": "ArF-immersion",
        "parameters": {
            **check_form(DEFAULTS).body,
            "submitted_by": "erin",
            "metadata": {},
            **result.pop("parameters", {}),
        },
        "result": {"signals": signals or {}, **result},
    }


SIGNALS_A = {
    "resolution_vs_dof": 0.70,
    "yield_risk": 0.10,
    "speed_vs_accuracy": 0.9,
    "cost_vs_fidelity": 0.5,
    "surrogate_reliability": 1.0,
    "overall_health": 0.8,
}
SIGNALS_B = {**SIGNALS_A, "resolution_vs_dof": 0.75, "yield_risk": 0.30}


def test_parse_job_ids_from_the_query_string() -> None:
    assert logic.parse_job_ids("job_1,job_2, job_1 job_3") == ["job_1", "job_2", "job_3"]
    assert logic.parse_job_ids(None) == []
    assert logic.parse_job_ids(["a", "b", "c"], most=2) == ["a", "b"]
    assert len(logic.parse_job_ids(",".join(f"j{i}" for i in range(10)))) == logic.MAX_SCENARIOS


def test_parameter_rows_mark_only_the_differences() -> None:
    a = job("job_a", SIGNALS_A)
    b = job("job_b", SIGNALS_B, parameters={"dose_mj_cm2": 38.0, "polarization": "TE"})
    rows = {r.name: r for r in logic.parameter_rows([a, b])}
    assert rows["dose_mj_cm2"].differs
    assert rows["dose_mj_cm2"].values == ["36", "38"]
    assert rows["polarization"].differs
    assert rows["polarization"].values == ["—", "TE"]
    assert not rows["na"].differs
    assert not rows["constraint_profile"].differs
    assert [name for name, r in rows.items() if r.differs] == ["dose_mj_cm2", "polarization"]
    assert "submitted_by" not in rows
    assert "metadata" not in rows
    assert next(iter(rows)) == "constraint_profile"  # the form's order first


def test_parameters_and_their_choices_show_by_their_labels() -> None:
    a = job("job_a", SIGNALS_A)
    b = job("job_b", SIGNALS_B, parameters={"pattern": "contact_array", "illumination": "annular"})
    rows = {r.name: r for r in logic.parameter_rows([a, b])}
    assert rows["pattern"].label == "Pattern"
    assert rows["pattern"].values == ["Lines and spaces", "Contact array"]  # not line_space
    assert rows["illumination"].values == ["Dipole", "Annular"]
    assert rows["constraint_profile"].values == ["ArF immersion", "ArF immersion"]
    assert rows["na"].label == "Numerical aperture NA"
    assert not any("_" in value for row in rows.values() for value in row.values)


def test_score_comparisons_mind_that_yield_risk_is_higher_is_worse() -> None:
    rows = {c.name: c for c in logic.score_comparisons([job("a", SIGNALS_A), job("b", SIGNALS_B)])}
    resolution, risk = rows["resolution_vs_dof"], rows["yield_risk"]
    assert resolution.best == "B"
    assert resolution.direction == "higher is better"
    assert risk.best == "A"  # 0.10 beats 0.30
    assert risk.direction == "lower is better"
    assert risk.deltas[1] == pytest.approx(0.20)
    assert risk.deltas[0] is None
    assert risk.cell(1) == "0.300 (+0.200)"
    assert risk.cell(0) == "0.100"
    assert rows["speed_vs_accuracy"].best == "equal"


def test_score_comparisons_name_ties_and_missing_values() -> None:
    c = job("c", {**SIGNALS_B, "resolution_vs_dof": 0.75})
    rows = {
        r.name: r for r in logic.score_comparisons([job("a", SIGNALS_A), job("b", SIGNALS_B), c])
    }
    assert rows["resolution_vs_dof"].best == "B, C"
    empty = {r.name: r for r in logic.score_comparisons([job("a", SIGNALS_A), job("x", {})])}
    assert empty["yield_risk"].best == "—"
    assert empty["yield_risk"].cell(1) == "—"


def test_metric_rows_side_by_side_with_bounds_and_the_better_one() -> None:
    a = job(
        "a",
        SIGNALS_A,
        cd_nm=45.5,
        depth_of_focus_nm=200.0,
        exposure_latitude_pct=9.0,
        nils=2.1,
        edge_placement_error_nm=0.5,
        depth_of_focus_is_bound=True,
        window_status="ok",
    )
    b = job(
        "b",
        SIGNALS_B,
        cd_nm=43.0,
        depth_of_focus_nm=150.0,
        exposure_latitude_pct=12.5,
        nils=2.4,
        edge_placement_error_nm=1.5,
        window_status="ok",
    )
    rows = {r.key: r for r in logic.metric_rows([a, b])}
    assert rows["cd_nm"].cells == ["45.50 nm", "43.00 nm"]
    assert rows["cd_nm"].best == "A"  # closer to the 45 nm target
    assert rows["depth_of_focus_nm"].cells == ["≥ 200 nm", "150 nm"]
    assert rows["depth_of_focus_nm"].best == "A"
    assert rows["exposure_latitude_pct"].best == "B"
    assert rows["nils"].best == "B"
    assert rows["edge_placement_error_nm"].best == "A"  # lower is better
    assert rows["window_status"].cells == ["ok", "ok"]
    assert "meef" not in rows  # neither job has one


def test_metrics_and_scores_that_read_alike_are_equal() -> None:
    a = job("a", {**SIGNALS_A, "speed_vs_accuracy": 0.99218}, best_focus_nm=1.0e-13, nils=2.8701)
    b = job("b", {**SIGNALS_A, "speed_vs_accuracy": 0.99221}, best_focus_nm=-0.01, nils=2.8703)
    scores = {c.name: c for c in logic.score_comparisons([a, b])}
    assert scores["speed_vs_accuracy"].best == "equal"  # both show 0.992
    assert scores["speed_vs_accuracy"].cell(1) == "0.992 (+0.000)"
    metrics = {m.key: m for m in logic.metric_rows([a, b])}
    assert metrics["best_focus_nm"].cells == ["0.0 nm", "0.0 nm"]  # never "-0.0" nor 1e-13
    assert metrics["nils"].best == "equal"


def test_overlay_scenarios_feed_the_overlay_figure() -> None:
    jobs = [job("a", SIGNALS_A), job("b", SIGNALS_B)]
    plots = [plot_data.plot_data("a"), plot_data.plot_data("b", fem=plot_data.fem(best_focus=30))]
    scenarios = logic.overlay_scenarios(jobs, plots)
    assert [s["label"] for s in scenarios] == ["A", "B"]
    assert scenarios[1]["fem"]["best_focus_nm"] == 30
    assert scenarios[0]["target_cd_nm"] == 45.0
    figure = bossung_overlay(scenarios)
    assert {t.legendgroup for t in figure.data} == {"A", "B"}
    assert logic.overlay_scenarios([jobs[0]], [None])[0]["fem"] is None


def test_job_option_and_names() -> None:
    summary = {
        "id": "job-1",
        "state": "anomaly_flagged",
        "profile": "EUV",
        "submitted_at": "2026-12-04T15:01:48.842722Z",
    }
    assert logic.job_option(summary) == {
        "label": "job-1 · anomaly flagged · EUV · 2026-12-04 15:01",
        "value": "job-1",
    }
    assert logic.scenario_name(1, summary) == "B · job-1"
    assert logic.comparable(job("a", SIGNALS_A))
    assert not logic.comparable({"state": "rejected", "result": None})


# --- on the API's own jobs ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Any:
    made = make_api(Path(tmp_path_factory.mktemp("compare")))
    with made.client:
        yield made


def run(api: Api, **changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    body = check_form({**DEFAULTS, **changes}).body
    response = api.client.post(
        "/api/v1/jobs",
        json=body,
        headers=api.headers("erin", **{"Idempotency-Key": uuid.uuid4().hex}),
    )
    assert response.status_code == 201, response.text
    run_queued(api)
    job_id = response.json()["id"]
    found = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.headers("erin")).json()
    plot = api.client.get(f"/api/v1/jobs/{job_id}/plot-data", headers=api.headers("erin")).json()
    return found, plot


def test_two_real_jobs_compared(api: Api) -> None:
    (a, plot_a), (b, plot_b) = run(api), run(api, dose_mj_cm2=38.0)
    assert logic.comparable(a)
    assert logic.comparable(b)
    differs = [r.name for r in logic.parameter_rows([a, b]) if r.differs]
    assert differs == ["dose_mj_cm2"]
    scores = {c.name: c for c in logic.score_comparisons([a, b])}
    assert scores["yield_risk"].values == [
        a["result"]["signals"]["yield_risk"],
        b["result"]["signals"]["yield_risk"],
    ]
    metrics = {m.key: m for m in logic.metric_rows([a, b])}
    # more dose, thinner lines: A (at its dose to size) is closer to the target CD
    assert b["result"]["cd_nm"] < a["result"]["cd_nm"]
    assert metrics["cd_nm"].best == "A"
    figure = bossung_overlay(logic.overlay_scenarios([a, b], [plot_a, plot_b]))
    curves = [t for t in figure.data if "mJ/cm²" in t.name]
    assert len(curves) == 6  # three doses each
    assert {t.legendgroup for t in curves} == {"A", "B"}
