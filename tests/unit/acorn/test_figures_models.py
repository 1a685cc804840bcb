"""The models page's figures: live coverage and error over time (one trace per score, target
band at the confidence level), held-out coverage, and drift PSI against the 0.2 line; each
says "no data" when it has nothing to draw."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import pytest

from lto.acorn.figures import NO_DATA
from lto.acorn.figures.models import (
    COVERAGE_BAND,
    coverage_over_time,
    drift_bars,
    error_over_time,
    validation_coverage,
)

SERIES: dict[str, Any] = {
    "model_version": "surrogate-20261203T100000Z-s3",
    "bucket": "hour",
    "since": "2026-12-03T00:00:00Z",
    "until": "2026-12-04T00:00:00Z",
    "target_coverage": 0.95,
    "jobs": 5,
    "truncated": False,
    "points": [
        {
            "start": "2026-12-03T09:00:00Z",
            "jobs": 2,
            "anomalies": 0,
            "scores": {
                "yield_risk": {"jobs": 2, "coverage": 1.0, "mean_absolute_error": 0.02},
                "resolution_vs_dof": {"jobs": 2, "coverage": 0.5, "mean_absolute_error": 0.04},
            },
        },
        {
            "start": "2026-12-03T11:00:00Z",
            "jobs": 3,
            "anomalies": 1,
            "scores": {"yield_risk": {"jobs": 3, "coverage": 2 / 3, "mean_absolute_error": 0.1}},
        },
    ],
}
DRIFT: dict[str, Any] = {
    "model_version": "surrogate-x",
    "checked": True,
    "checked_at": "2026-12-03T10:00:00Z",
    "jobs": 200,
    "threshold": 0.2,
    "worst_psi": 0.35,
    "drift_detected": True,
    "findings": [
        {
            "kind": "input",
            "name": "na",
            "psi": 0.35,
            "raw_psi": 0.4,
            "noise": 0.05,
            "band": "significant",
            "drifted": True,
        },
        {
            "kind": "prediction",
            "name": "yield_risk",
            "psi": 0.0,
            "raw_psi": 0.03,
            "noise": None,
            "band": "none",
            "drifted": False,
        },
    ],
}


def says_no_data(figure: go.Figure) -> bool:
    return any(NO_DATA in (a.text or "") for a in figure.layout.annotations)


def shapes(figure: go.Figure) -> list[Any]:
    return list(figure.layout.shapes)


def test_coverage_over_time_has_a_trace_per_score_and_the_target_band() -> None:
    figure = coverage_over_time(SERIES)
    names = [t.name for t in figure.data]
    assert names == ["resolution vs DoF", "yield risk ↓"]
    risk = figure.data[1]
    assert list(risk.x) == ["2026-12-03T09:00:00Z", "2026-12-03T11:00:00Z"]
    assert list(risk.y) == pytest.approx([1.0, 2 / 3])
    assert list(risk.customdata) == [2, 3]
    assert list(figure.data[0].x) == [
        "2026-12-03T09:00:00Z"
    ]  # a bucket without the score: no point
    band = next(s for s in shapes(figure) if s.type == "rect")
    assert (band.y0, band.y1) == pytest.approx((0.95 - COVERAGE_BAND, 0.95 + COVERAGE_BAND))
    line = next(s for s in shapes(figure) if s.type == "line")
    assert line.y0 == pytest.approx(0.95)
    assert "UTC" in figure.layout.xaxis.title.text
    assert "coverage" in figure.layout.yaxis.title.text
    assert "0–1" in figure.layout.yaxis.title.text
    assert not says_no_data(figure)


def test_error_over_time_draws_the_mean_absolute_error() -> None:
    figure = error_over_time(SERIES)
    risk = next(t for t in figure.data if t.name == "yield risk ↓")
    assert list(risk.y) == pytest.approx([0.02, 0.1])
    assert "mean abs. error" in figure.layout.yaxis.title.text
    assert "score units" in figure.layout.yaxis.title.text
    assert not shapes(figure)  # error has no target band


@pytest.mark.parametrize("series", [None, {}, SERIES | {"points": [], "jobs": 0}])
def test_live_figures_without_points_say_no_data(series: Any) -> None:
    for draw in (coverage_over_time, error_over_time):
        figure = draw(series)
        assert says_no_data(figure)
        assert not figure.data
        assert figure.layout.xaxis.title.text
        assert figure.layout.yaxis.title.text


def test_validation_coverage_bars_against_the_confidence_level() -> None:
    validation = {"coverage": {"yield_risk": 0.94, "cost_vs_fidelity": 0.97}}
    figure = validation_coverage(validation, 0.9)
    bars = figure.data[0]
    assert list(bars.x) == ["cost vs fidelity", "yield risk ↓"]
    assert list(bars.y) == pytest.approx([0.97, 0.94])
    band = next(s for s in shapes(figure) if s.type == "rect")
    assert (band.y0, band.y1) == pytest.approx((0.88, 0.92))
    assert says_no_data(validation_coverage({"coverage": {}}, 0.95))


def test_drift_bars_with_the_threshold_line_at_0_2() -> None:
    figure = drift_bars(DRIFT)
    bars, measured = figure.data
    assert list(bars.x) == ["input: na", "prediction: yield_risk"]
    assert list(bars.y) == pytest.approx([0.35, 0.0])
    assert list(bars.marker.color) == ["#dc3545", "#0d6efd"]  # drifted in red
    assert list(measured.y) == pytest.approx([0.4, 0.03])
    line = next(s for s in shapes(figure) if s.type == "line")
    assert (line.y0, line.y1) == pytest.approx((0.2, 0.2))
    assert "PSI" in figure.layout.yaxis.title.text
    assert figure.layout.yaxis.range[1] > 0.4


def test_drift_without_a_report_says_no_data_and_how_to_make_one() -> None:
    for drift in (None, {"checked": False, "findings": [], "threshold": 0.2}):
        figure = drift_bars(drift)
        assert says_no_data(figure)
        assert "lto drift" in figure.layout.annotations[0].text
