"""The production surrogate's figures: live interval coverage and error over time (from
``GET /models/performance/series``), held-out coverage per score (``/models/current``'s
``validation``) and the last drift report's PSI per input and prediction (``/models/drift``).

Coverage is drawn against its target, the model's confidence level, with the band the
promotion gate accepts around it shaded (``lto.metis.registry``: 0.93–0.97 for 95%, ± 0.02);
PSI against the 0.2 line above which drift is significant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from lto.acorn.figures import base_figure, finite, no_data
from lto.acorn.figures.scores import score_label

COVERAGE_BAND = 0.02  # ± around the confidence level, as the promotion gate accepts
DRIFT_THRESHOLD = 0.2  # PSI beyond noise above which drift is "significant"
TIME_TITLE = "time (UTC, bucket start)"
COVERAGE_TITLE = "coverage (share inside, 0–1)"
ERROR_TITLE = "mean abs. error (score units, 0–1)"
PSI_TITLE = "PSI beyond sampling noise"
BAND_COLOUR = "rgba(40, 167, 69, 0.15)"
DRIFTED_COLOUR = "#dc3545"
CALM_COLOUR = "#0d6efd"


def _score_names(points: Sequence[Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for point in points:
        for name in point.get("scores") or {}:
            if name not in names:
                names.append(name)
    return sorted(names)


def _target_band(figure: go.Figure, target: float) -> None:
    low, high = max(target - COVERAGE_BAND, 0.0), min(target + COVERAGE_BAND, 1.0)
    figure.add_hrect(y0=low, y1=high, fillcolor=BAND_COLOUR, line_width=0, layer="below")
    figure.add_hline(
        y=target,
        line={"dash": "dash", "color": "#198754", "width": 1.5},
        annotation_text=f"target {target:.0%} (confidence level) ± {COVERAGE_BAND:g}",
        annotation_position="bottom right",
    )


def _series(
    series: Mapping[str, Any] | None, field: str, title: str, y_title: str
) -> tuple[go.Figure, bool]:
    points = list((series or {}).get("points") or [])
    names = _score_names(points)
    if not points or not names:
        return no_data(
            title, TIME_TITLE, y_title, "no job judged by the physics in this window"
        ), False
    figure = base_figure(title, TIME_TITLE, y_title)
    for name in names:
        xs, ys, counts = [], [], []
        for point in points:
            entry = (point.get("scores") or {}).get(name) or {}
            value = finite(entry.get(field))
            if value is None:
                continue
            xs.append(point.get("start"))
            ys.append(value)
            counts.append(int(entry.get("jobs") or 0))
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                name=score_label(name),
                showlegend=True,
                customdata=counts,
                hovertemplate=f"{score_label(name)}<br>%{{x}}<br>%{{y:.3f}} over %{{customdata}} jobs<extra></extra>",
            )
        )
    return figure, True


def coverage_over_time(series: Mapping[str, Any] | None) -> go.Figure:
    """Live interval coverage per score and bucket, with the target band shaded."""
    figure, drawn = _series(series, "coverage", "Live interval coverage", COVERAGE_TITLE)
    target = finite((series or {}).get("target_coverage"))
    if drawn:
        if target is not None:
            _target_band(figure, target)
        figure.update_yaxes(range=[0.0, 1.05])
    return figure


def error_over_time(series: Mapping[str, Any] | None) -> go.Figure:
    """Live mean absolute error of the predicted mean per score and bucket."""
    figure, drawn = _series(series, "mean_absolute_error", "Live error", ERROR_TITLE)
    if drawn:
        figure.update_yaxes(rangemode="tozero")
    return figure


def validation_coverage(validation: Mapping[str, Any] | None, target: float | None) -> go.Figure:
    """Held-out coverage per score (measured when the model was trained), against the target."""
    title = "Held-out interval coverage"
    coverage = {
        name: value
        for name, raw in sorted(((validation or {}).get("coverage") or {}).items())
        if (value := finite(raw)) is not None
    }
    if not coverage:
        return no_data(title, "score", COVERAGE_TITLE, "the model holds no held-out coverage")
    figure = base_figure(title, "score", COVERAGE_TITLE)
    figure.add_trace(
        go.Bar(
            x=[score_label(n) for n in coverage],
            y=list(coverage.values()),
            name="held-out coverage",
            marker_color=CALM_COLOUR,
            text=[f"{v:.3f}" for v in coverage.values()],
            textposition="outside",
        )
    )
    if target is not None:
        _target_band(figure, target)
    figure.update_yaxes(range=[0.0, 1.1])
    return figure


def drift_bars(drift: Mapping[str, Any] | None) -> go.Figure:
    """PSI beyond noise per input and prediction (worst first), the measured PSI as markers,
    and the threshold line."""
    title = "Drift: PSI per input and prediction"
    x_title = "quantity (input: a job parameter; prediction: a predicted score)"
    findings = list((drift or {}).get("findings") or [])
    if not (drift or {}).get("checked") or not findings:
        why = "no drift report on this model yet (run `lto drift --jobs FILE`)"
        return no_data(title, x_title, PSI_TITLE, why)
    threshold = finite((drift or {}).get("threshold"))
    threshold = DRIFT_THRESHOLD if threshold is None else threshold
    labels = [f"{f.get('kind', '?')}: {f.get('name', '?')}" for f in findings]
    psi = [finite(f.get("psi")) or 0.0 for f in findings]
    raw = [finite(f.get("raw_psi")) for f in findings]
    noise = [finite(f.get("noise")) for f in findings]
    figure = base_figure(title, x_title, PSI_TITLE)
    figure.add_trace(
        go.Bar(
            x=labels,
            y=psi,
            name="PSI beyond noise (judged)",
            marker_color=[DRIFTED_COLOUR if p > threshold else CALM_COLOUR for p in psi],
            customdata=[[f.get("band", ""), "—" if n is None else f"{n:.3f}"] for f, n in zip(findings, noise, strict=True)],
            hovertemplate="%{x}<br>PSI beyond noise %{y:.3f} (%{customdata[0]})<br>noise %{customdata[1]}<extra></extra>",
        )
    )  # fmt: skip
    if any(r is not None for r in raw):
        figure.add_trace(
            go.Scatter(
                x=labels,
                y=raw,
                mode="markers",
                name="PSI as measured",
                marker={"symbol": "diamond-open", "size": 9, "color": "#6c757d"},
            )
        )
    figure.add_hline(
        y=threshold,
        line={"dash": "dash", "color": DRIFTED_COLOUR, "width": 1.5},
        annotation_text=f"significant above {threshold:g}",
        annotation_position="top right",
    )
    top = max([threshold, *psi, *(r for r in raw if r is not None)])
    figure.update_yaxes(range=[0.0, top * 1.15])
    return figure


__all__ = [
    "COVERAGE_BAND",
    "DRIFT_THRESHOLD",
    "coverage_over_time",
    "drift_bars",
    "error_over_time",
    "validation_coverage",
]
