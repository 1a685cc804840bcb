"""The score charts: the intervals are the error bars, the measured scores sit beside them,
and yield risk is marked as the one where lower is better."""

from __future__ import annotations

import pytest

from lto.acorn.figures import NO_DATA
from lto.acorn.figures.scores import interval_scores, score_bars, score_comparison, score_label
from lto.atlas import SIGNAL_NAMES

PREDICTED = {
    "resolution_vs_dof": {"value": 0.70, "lower": 0.55, "upper": 0.80},
    "yield_risk": {"value": 0.10, "lower": 0.00, "upper": 0.60},
    "speed_vs_accuracy": {"value": 0.90, "lower": 0.85, "upper": 0.97},
    "cost_vs_fidelity": {"value": 0.50, "lower": 0.10, "upper": 0.95},
    "surrogate_reliability": {"value": 0.40, "lower": 0.40, "upper": 0.40},
    "overall_health": {"value": 0.62, "lower": 0.35, "upper": 0.78},
}


def test_score_bars_error_bars_equal_the_intervals() -> None:
    figure = score_bars(PREDICTED)
    (bars,) = figure.data
    assert bars.type == "bar"
    assert len(bars.x) == 6
    assert list(bars.y) == [PREDICTED[n]["value"] for n in SIGNAL_NAMES]
    assert bars.error_y.symmetric is False
    for i, name in enumerate(SIGNAL_NAMES):
        s = PREDICTED[name]
        assert bars.y[i] + bars.error_y.array[i] == pytest.approx(s["upper"])
        assert bars.y[i] - bars.error_y.arrayminus[i] == pytest.approx(s["lower"])
    assert figure.layout.yaxis.title.text == "score (0–1)"
    assert figure.layout.xaxis.title.text == "tradeoff score"
    assert "95% intervals" in figure.layout.title.text
    assert "yield risk ↓" in bars.x  # the one where lower is better


def test_score_bars_read_a_stored_prediction_with_means() -> None:
    stored = {
        n: {"mean": s["value"], "lower": s["lower"], "upper": s["upper"]}
        for n, s in PREDICTED.items()
    }
    assert interval_scores(stored) == interval_scores(PREDICTED)
    figure = score_bars(stored, confidence_level=0.9)
    assert list(figure.data[0].y) == [PREDICTED[n]["value"] for n in SIGNAL_NAMES]
    assert "90% intervals" in figure.layout.title.text


def test_score_bars_show_the_measured_scores_beside() -> None:
    measured = {"resolution_vs_dof": 0.74, "yield_risk": 0.0, "overall_health": 0.9}
    figure = score_bars(PREDICTED, measured=measured)
    _bars, physics = figure.data
    assert physics.type == "scatter"
    assert physics.mode == "markers"
    assert list(physics.y) == [0.74, 0.0, 0.9]
    assert list(physics.x) == [score_label(n) for n in measured]


def test_score_bars_without_scores_say_no_data() -> None:
    figure = score_bars(None)
    assert not figure.data
    assert [a.text for a in figure.layout.annotations] == [NO_DATA]
    assert figure.layout.yaxis.title.text == "score (0–1)"


def test_score_comparison_groups_one_colour_per_scenario() -> None:
    a = dict.fromkeys(SIGNAL_NAMES, 0.5)
    b = dict.fromkeys(SIGNAL_NAMES, 0.6) | {"yield_risk": None}
    figure = score_comparison([("A · job_1", a), ("B · job_2", b)])
    assert figure.layout.barmode == "group"
    first, second = figure.data
    assert (first.name, second.name) == ("A · job_1", "B · job_2")
    assert len(first.x) == 6
    assert len(second.x) == 5
    assert first.marker.color != second.marker.color
    assert "no data" in [a.text for a in score_comparison([("A", None)]).layout.annotations]
