"""What pre-flight and the surrogate saved, as ``GET /api/v1/economics`` prices it: the compute
spent and saved beside the expected yield loss avoided. The two are orders of magnitude apart
(cents of compute per run, a wafer's value at risk), so each has its own panel and axis.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lto.acorn.figures import TEMPLATE, finite, no_data
from lto.acorn.formats import amount

SPENT_COLOUR = "#6c757d"
SAVED_COLOUR = "#198754"
YIELD_COLOUR = "#0d6efd"
TITLE = "Compute spent and saved, and yield loss avoided"


def compute_bars(economics: Mapping[str, Any]) -> list[tuple[str, float | None, str]]:
    """(label, amount, colour) of the compute panel; an amount is None where it is unknown
    (no physics run in the window to price one)."""
    preflight = economics.get("preflight") or {}
    answers = economics.get("surrogate_answers") or {}
    priced = (economics.get("per_run") or {}).get("physics_cost") is not None
    return [
        ("physics runs (spent)", finite(economics.get("physics_spent")), SPENT_COLOUR),
        ("surrogate calls (spent)", finite(economics.get("surrogate_spent")), SPENT_COLOUR),
        ("pre-flight blocking (saved)", finite(preflight.get("saving")) if priced else None, SAVED_COLOUR),
        ("surrogate answers (saved)", finite(answers.get("saving")) if priced else None, SAVED_COLOUR),
    ]  # fmt: skip


def bar_texts(bars: list[tuple[str, float | None, str]]) -> list[str]:
    """Each bar's label: the amount in fixed decimals (never e-notation), a negative saving
    marked as the cost it is, "unknown" where nothing could be priced."""
    texts = []
    for label, value, _ in bars:
        if value is None:
            texts.append("unknown")
        else:
            cost = value < 0 and "(saved)" in label and amount(value) != amount(0)
            texts.append(f"{amount(value)} (cost)" if cost else amount(value))
    return texts


def _headroom(values: list[float]) -> list[float]:
    """From zero (or the lowest, where a saving is negative) to a quarter above the highest:
    room for the bars' labels."""
    low, high = min([0.0, *values]), max([0.0, *values])
    if high == low:
        high = low + 1.0
    return [low * 1.25, high * 1.25]


def savings_breakdown(economics: Mapping[str, Any] | None) -> go.Figure:
    """Two panels: compute spent and saved (``currency``), expected yield loss avoided."""
    found = economics or {}
    counts = found.get("counts") or {}
    currency = str((found.get("prices") or {}).get("currency") or "USD")
    if not counts.get("jobs") and not counts.get("surrogate_answers"):
        why = "no job or what-if answer in this window"
        return no_data(TITLE, "where the compute went", f"compute cost ({currency})", why)
    figure = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.7, 0.3],
        subplot_titles=("compute", "yield"),
        horizontal_spacing=0.12,
    )
    bars = compute_bars(found)
    figure.add_trace(
        go.Bar(
            x=[label for label, _, _ in bars],
            y=[value or 0.0 for _, value, _ in bars],
            marker_color=[colour for _, _, colour in bars],
            text=bar_texts(bars),
            textposition="outside",
            hovertemplate="%{x}: %{text} " + currency + "<extra></extra>",
            name=f"compute ({currency})",
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    loss = finite(found.get("expected_yield_loss_avoided")) or 0.0
    figure.add_trace(
        go.Bar(
            x=["expected yield loss avoided"],
            y=[loss],
            marker_color=YIELD_COLOUR,
            text=[amount(loss)],
            textposition="outside",
            hovertemplate="%{x}: %{text} " + currency + "<extra></extra>",
            name=f"yield ({currency})",
            showlegend=False,
        ),
        row=1,
        col=2,
    )
    figure.update_layout(
        title={"text": TITLE, "x": 0.0, "xanchor": "left", "font": {"size": 14}},
        template=TEMPLATE,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
    )
    figure.update_xaxes(title_text="where the compute went", row=1, col=1)
    figure.update_xaxes(title_text="blocked jobs", row=1, col=2)
    spent = [value or 0.0 for _, value, _ in bars]
    figure.update_yaxes(title_text=f"compute cost ({currency})", range=_headroom(spent), row=1, col=1)  # fmt: skip
    figure.update_yaxes(title_text=f"expected loss ({currency})", range=_headroom([loss]), row=1, col=2)  # fmt: skip
    # plotly's default ticks read "10µ" or "1e-5" for cents of compute: plain decimals instead
    figure.update_yaxes(exponentformat="none", separatethousands=True)
    return figure


__all__ = ["bar_texts", "compute_bars", "savings_breakdown"]
