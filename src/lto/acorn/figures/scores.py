"""The six tradeoff scores as bar charts: a prediction with its intervals as error bars (and
the physics' measured scores beside it), or several scenarios side by side.

Scores arrive as ``{name: {"value": v, "lower": l, "upper": u}}`` (the predict endpoint's
``scores``; ``interval_scores`` also reads a job's stored pre-flight prediction, whose
intervals say ``mean``) or, measured, as ``{name: v}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from lto.acorn.figures import base_figure, finite, no_data
from lto.acorn.figures.imaging import SCENARIO_COLOURS
from lto.atlas.contracts import SIGNAL_NAMES

HIGHER_IS_WORSE = frozenset({"yield_risk"})
SCORE_TITLE = "score (0–1)"
X_TITLE = "tradeoff score"
Interval = Mapping[str, float]


def score_label(name: str) -> str:
    """``resolution vs dof`` / ``yield risk ↓`` (the arrow: lower is better)."""
    text = name.replace("_", " ").replace("dof", "DoF")
    return f"{text} ↓" if name in HIGHER_IS_WORSE else text


def interval_scores(raw: Mapping[str, Any] | None) -> dict[str, dict[str, float]]:
    """``{name: {value, lower, upper}}`` from either shape the API uses, in signal order;
    scores without a finite value are left out."""
    found: dict[str, dict[str, float]] = {}
    for name in SIGNAL_NAMES:
        entry = (raw or {}).get(name)
        if not isinstance(entry, Mapping):
            continue
        value = finite(entry.get("value", entry.get("mean")))
        if value is None:
            continue
        lower, upper = finite(entry.get("lower")), finite(entry.get("upper"))
        found[name] = {
            "value": value,
            "lower": value if lower is None else lower,
            "upper": value if upper is None else upper,
        }
    return found


def score_bars(
    scores: Mapping[str, Any] | None,
    *,
    measured: Mapping[str, Any] | None = None,
    confidence_level: float = 0.95,
    title: str | None = None,
) -> go.Figure:
    """The predicted scores as bars with their intervals as (asymmetric) error bars, and the
    measured scores, where given, as markers beside them."""
    title = title or f"predicted scores with {confidence_level:.0%} intervals"
    predicted = interval_scores(scores)
    physics = {n: v for n in SIGNAL_NAMES if (v := finite((measured or {}).get(n))) is not None}
    if not predicted and not physics:
        return no_data(title, X_TITLE, SCORE_TITLE)
    figure = base_figure(title, X_TITLE, SCORE_TITLE)
    if predicted:
        names = list(predicted)
        values = [predicted[n]["value"] for n in names]
        figure.add_trace(
            go.Bar(
                x=[score_label(n) for n in names],
                y=values,
                name="predicted",
                marker_color="#6c8ebf",
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [predicted[n]["upper"] - predicted[n]["value"] for n in names],
                    "arrayminus": [predicted[n]["value"] - predicted[n]["lower"] for n in names],
                    "color": "#333333",
                },
                customdata=[[predicted[n]["lower"], predicted[n]["upper"]] for n in names],
                hovertemplate="%{x}: %{y:.3f} [%{customdata[0]:.3f}, %{customdata[1]:.3f}]"
                "<extra>predicted</extra>",
            )
        )
    if physics:
        figure.add_trace(
            go.Scatter(
                x=[score_label(n) for n in physics],
                y=list(physics.values()),
                mode="markers",
                name="physics (measured)",
                marker={"symbol": "diamond", "size": 12, "color": "#d62728"},
                hovertemplate="%{x}: %{y:.3f}<extra>physics</extra>",
            )
        )
    figure.update_yaxes(range=[0.0, 1.05])
    return figure


def score_comparison(scenarios: Sequence[tuple[str, Mapping[str, Any] | None]]) -> go.Figure:
    """The measured scores of several scenarios as grouped bars, one colour per scenario."""
    title = "scores side by side (↓: lower is better)"
    drawn = [
        (label, {n: v for n in SIGNAL_NAMES if (v := finite((scores or {}).get(n))) is not None})
        for label, scores in scenarios
    ]
    if not any(values for _, values in drawn):
        return no_data(title, X_TITLE, SCORE_TITLE)
    figure = base_figure(title, X_TITLE, SCORE_TITLE)
    for index, (label, values) in enumerate(drawn):
        if not values:
            continue
        figure.add_trace(
            go.Bar(
                x=[score_label(n) for n in values],
                y=list(values.values()),
                name=label,
                marker_color=SCENARIO_COLOURS[index % len(SCENARIO_COLOURS)],
                hovertemplate="%{x}: %{y:.3f}<extra>" + label + "</extra>",
            )
        )
    figure.update_layout(barmode="group")
    figure.update_yaxes(range=[0.0, 1.05])
    return figure


__all__ = ["HIGHER_IS_WORSE", "interval_scores", "score_bars", "score_comparison", "score_label"]
