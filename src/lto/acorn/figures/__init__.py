"""The web app's figures: pure functions from the API's JSON (plain dicts and lists) to
``plotly.graph_objects.Figure``.

Plot conventions (DESIGN.md section 7): focus in nm on x, positive into the resist; dose in
mJ/cm²; CD in nm with the target ± tolerance band shaded; images at equal aspect with nm axes
and at most 512 × 512 pixels on the page; every axis titled with its unit, and a figure with
nothing to show says "no data" in an annotation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go

FOCUS_TITLE = "focus (nm, + into the resist)"
DOSE_TITLE = "dose (mJ/cm²)"
CD_TITLE = "CD (nm)"
INTENSITY_TITLE = "intensity (clear field = 1)"
NO_DATA = "no data"
MAX_IMAGE_PX = 512
TEMPLATE = "plotly_white"


def base_figure(title: str, x_title: str, y_title: str) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 14}},
        template=TEMPLATE,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"font": {"size": 11}},
        xaxis_title=x_title,
        yaxis_title=y_title,
    )
    return figure


def no_data(title: str, x_title: str, y_title: str, why: str | None = None) -> go.Figure:
    """An empty figure with its axes titled and "no data" (and why, when known) in the middle."""
    figure = base_figure(title, x_title, y_title)
    text = NO_DATA if not why else f"{NO_DATA}: {why}"
    figure.add_annotation(
        text=text,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font={"size": 14, "color": "#6c757d"},
    )
    figure.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    figure.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    return figure


def equal_aspect(figure: go.Figure) -> go.Figure:
    """One nm on y as long as one nm on x."""
    figure.update_yaxes(scaleanchor="x", scaleratio=1, constrain="domain")
    figure.update_xaxes(constrain="domain")
    return figure


def finite(value: Any) -> float | None:
    """``value`` as a float, or None where it is missing or not a finite number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def has_numbers(values: Iterable[Any]) -> bool:
    return any(finite(v) is not None for v in values)


def signed(value: float, digits: int = 0) -> str:
    """``+12`` / ``-4`` / ``0``: never ``-0``, which reads as another focus."""
    text = f"{value:+.{digits}f}"
    return f"{0.0:.{digits}f}" if float(text) == 0 else text


__all__ = [
    "CD_TITLE",
    "DOSE_TITLE",
    "FOCUS_TITLE",
    "INTENSITY_TITLE",
    "MAX_IMAGE_PX",
    "NO_DATA",
    "base_figure",
    "equal_aspect",
    "finite",
    "has_numbers",
    "no_data",
    "signed",
]
