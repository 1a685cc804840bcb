"""The economics breakdown, drawn from what ``GET /api/v1/economics`` answers on known job
records: compute spent and saved in one panel, the yield loss avoided in the other, axes in
the answer's currency, "unknown" where no run could be priced, "no data" on an empty window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest

from lto.acorn.figures import NO_DATA
from lto.acorn.figures.economics import compute_bars, savings_breakdown
from tests.unit.api.conftest import make_api
from tests.unit.api.test_economics_api import blocked_job, physics_job, what_if

ECONOMICS = "/api/v1/economics"


@pytest.fixture
def answers(tmp_path: Path) -> dict[str, dict[str, Any]]:
    """The API's answers: with history, with blocked jobs only, and on an empty window."""
    api = make_api(tmp_path)
    with api.client:
        empty = api.client.get(ECONOMICS, headers=api.headers("erin")).json()
        blocked_job(api, "erin", 0.5, 4.0)
        unpriced = api.client.get(ECONOMICS, headers=api.headers("erin")).json()
        physics_job(api, "erin", 120.0)
        what_if(api, "erin", 3.0)
        full = api.client.get(ECONOMICS, headers=api.headers("erin")).json()
    return {"empty": empty, "unpriced": unpriced, "full": full}


def says_no_data(figure: go.Figure) -> bool:
    return any(NO_DATA in (a.text or "") for a in figure.layout.annotations)


def test_the_breakdown_draws_the_apis_figures(answers: dict[str, dict[str, Any]]) -> None:
    found = answers["full"]
    figure = savings_breakdown(found)
    compute, yield_panel = figure.data
    assert list(compute.x) == [
        "physics runs (spent)",
        "surrogate calls (spent)",
        "pre-flight blocking (saved)",
        "surrogate answers (saved)",
    ]
    assert list(compute.y) == pytest.approx(
        [
            found["physics_spent"],
            found["surrogate_spent"],
            found["preflight"]["saving"],
            found["surrogate_answers"]["saving"],
        ]
    )
    assert found["preflight"]["saving"] > 0
    assert list(yield_panel.y) == pytest.approx([found["expected_yield_loss_avoided"]])
    assert found["expected_yield_loss_avoided"] == pytest.approx(5_000.0)
    assert figure.layout.yaxis.title.text == "compute cost (USD)"
    assert figure.layout.yaxis2.title.text == "expected loss (USD)"
    assert figure.layout.xaxis.title.text
    assert figure.layout.yaxis.range[1] > max(compute.y)  # room for the labels
    assert figure.layout.yaxis2.range[1] > yield_panel.y[0]
    assert not says_no_data(figure)


def test_savings_without_a_priced_run_are_unknown_not_zero(
    answers: dict[str, dict[str, Any]],
) -> None:
    found = answers["unpriced"]
    assert found["preflight"] is None
    bars = compute_bars(found)
    assert [amount for _, amount, _ in bars][2:] == [None, None]
    figure = savings_breakdown(found)
    assert list(figure.data[0].text)[2:] == ["unknown", "unknown"]
    assert list(figure.data[1].y) == pytest.approx([5_000.0])


def test_an_empty_window_says_no_data(answers: dict[str, dict[str, Any]]) -> None:
    for found in (answers["empty"], None):
        figure = savings_breakdown(found)
        assert says_no_data(figure)
        assert not figure.data
        assert "USD" in figure.layout.yaxis.title.text


def test_bar_labels_are_fixed_decimals_and_a_negative_saving_is_a_cost(
    answers: dict[str, dict[str, Any]],
) -> None:
    found = {
        **answers["full"],
        "physics_spent": 0.00666,
        "surrogate_spent": 1.2e-05,
        "preflight": {"saving": -1.2e-05},
        "surrogate_answers": {"saving": 12_345.6},
    }
    figure = savings_breakdown(found)
    texts = list(figure.data[0].text)
    assert texts == ["0.00666", "0.0000120", "−0.0000120 (cost)", "12,346"]
    assert not any("e-" in t or "e+" in t for t in [*texts, *figure.data[1].text])
    # the axes' ticks too: no "10µ" or "1e-5" for cents of compute
    assert figure.layout.yaxis.exponentformat == "none"
    assert figure.layout.yaxis.separatethousands
    assert "USD" in figure.data[0].hovertemplate
