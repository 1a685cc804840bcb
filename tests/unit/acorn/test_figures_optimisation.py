"""The optimisation figures: what each trace holds, the axis titles, the Pareto front being
exactly the non-dominated feasible trials, and "no data" on empty input."""

from __future__ import annotations

import itertools
import random
from typing import Any

import plotly.graph_objects as go
import pytest

from lto.acorn.figures.optimisation import (
    best_so_far,
    dominates,
    non_dominated,
    parameter_importance,
    pareto_front,
    progress_trail,
    trial_history,
)

HEALTH_RISK = [
    {"name": "overall_health", "direction": "maximize"},
    {"name": "yield_risk", "direction": "minimize"},
]


def trial(
    number: int, feasible: bool = True, evaluated: bool = True, **objectives: float
) -> dict[str, Any]:
    return {
        "number": number,
        "params": {"dose_mj_cm2": 30.0 + number, "sigma": 0.5},
        "objectives": objectives,
        "feasible": feasible,
        "reasons": [] if feasible else ["yield_risk<=0.2 does not hold (yield_risk = 0.5)"],
        "outcome": dict(objectives) if evaluated else {},
        "flags": {},
    }


def says_no_data(figure: go.Figure) -> bool:
    return any("no data" in (a.text or "") for a in figure.layout.annotations)


def by_name(figure: go.Figure) -> dict[str, Any]:
    return {t.name: t for t in figure.data}


# --- trial history ------------------------------------------------------------------------------


def test_the_history_plots_each_evaluated_trial_and_the_best_so_far() -> None:
    trials = [
        trial(0, overall_health=0.4),
        trial(1, overall_health=0.6),
        trial(2, feasible=False, overall_health=0.9),  # broke a constraint: not the best
        trial(3, feasible=False, evaluated=False, overall_health=0.0),  # never evaluated
        trial(4, overall_health=0.5),
        trial(5, overall_health=0.7),
    ]
    figure = trial_history(trials, "overall_health", "maximize")
    traces = by_name(figure)
    assert list(traces["feasible"].x) == [0, 1, 4, 5]
    assert list(traces["feasible"].y) == [0.4, 0.6, 0.5, 0.7]
    assert list(traces["feasible"].customdata) == [0, 1, 4, 5]
    assert list(traces["breaks a constraint"].x) == [2]
    assert traces["breaks a constraint"].marker.symbol == "circle-open"
    assert list(traces["best so far"].x) == [0, 1, 2, 3, 4, 5]
    assert list(traces["best so far"].y) == [0.4, 0.6, 0.6, 0.6, 0.6, 0.7]
    assert traces["best so far"].line.shape == "hv"
    assert figure.layout.xaxis.title.text == "trial"
    assert figure.layout.yaxis.title.text == "overall health (score 0–1, higher is better)"
    assert "1 trial(s) broke the profile's rules" in figure.layout.annotations[0].text
    assert "dose (mJ/cm²) = 31" in traces["feasible"].hovertext[1]


def test_best_so_far_follows_the_direction() -> None:
    trials = [trial(0, yield_risk=0.3), trial(1, yield_risk=0.5), trial(2, yield_risk=0.1)]
    assert best_so_far(trials, "yield_risk", "minimize") == [0.3, 0.3, 0.1]
    assert best_so_far(trials, "yield_risk", "maximize") == [0.3, 0.5, 0.5]
    late = [trial(0, feasible=False, yield_risk=0.0), trial(1, yield_risk=0.4)]
    assert best_so_far(late, "yield_risk", "minimize") == [None, 0.4]
    figure = trial_history(trials, "yield_risk", "minimize")
    assert figure.layout.yaxis.title.text == "yield risk (score 0–1, lower is better)"


def test_the_history_says_no_data_when_there_is_none() -> None:
    assert says_no_data(trial_history([], "overall_health", "maximize"))
    refused = [trial(0, feasible=False, evaluated=False, overall_health=0.0)]
    figure = trial_history(refused, "overall_health", "maximize")
    assert says_no_data(figure)
    assert figure.data == ()
    assert figure.layout.xaxis.title.text == "trial"


def test_the_progress_trail_plots_the_polled_best() -> None:
    points = [
        {"done": 0, "best": {}},
        {"done": 4, "best": {"overall_health": 0.5}},
        {"done": 9, "best": {"overall_health": 0.62}},
    ]
    figure = progress_trail(points, "overall_health", "maximize")
    assert list(figure.data[0].x) == [4, 9]
    assert list(figure.data[0].y) == [0.5, 0.62]
    assert figure.layout.xaxis.title.text == "trials done"
    assert says_no_data(progress_trail(points[:1], "overall_health", "maximize"))


# --- the Pareto front ---------------------------------------------------------------------------


def test_the_front_is_exactly_the_non_dominated_feasible_trials() -> None:
    trials = [
        trial(0, overall_health=0.8, yield_risk=0.4),  # front
        trial(1, overall_health=0.6, yield_risk=0.1),  # front
        trial(2, overall_health=0.5, yield_risk=0.3),  # dominated by 1
        trial(3, overall_health=0.7, yield_risk=0.2),  # front
        trial(
            4, feasible=False, overall_health=0.95, yield_risk=0.05
        ),  # would dominate: infeasible
        trial(5, feasible=False, evaluated=False, overall_health=0.0, yield_risk=1.0),
        trial(6, overall_health=0.7, yield_risk=0.25),  # dominated by 3
    ]
    figure = pareto_front(trials, HEALTH_RISK)
    traces = by_name(figure)
    assert sorted(traces["Pareto front"].customdata) == [0, 1, 3]
    assert list(traces["Pareto front"].x) == [0.6, 0.7, 0.8]  # joined left to right
    assert sorted(traces["feasible"].customdata) == [2, 6]
    assert list(traces["breaks a constraint"].customdata) == [4]  # 5 was never evaluated
    assert figure.layout.xaxis.title.text == "overall health (score 0–1, higher is better)"
    assert figure.layout.yaxis.title.text == "yield risk (score 0–1, lower is better)"
    hover = traces["Pareto front"].hovertext[0]
    assert "trial 1" in hover
    assert "dose (mJ/cm²) = 31" in hover
    assert "σ (outer) = 0.5" in hover


def test_non_dominated_matches_a_brute_force_check() -> None:
    rng = random.Random(5)
    directions = ["maximize", "minimize", "maximize"]
    names = ["overall_health", "yield_risk", "resolution_vs_dof"]
    for _ in range(20):
        trials = [
            trial(i, feasible=rng.random() > 0.2, **{n: round(rng.random(), 1) for n in names})
            for i in range(15)
        ]
        front = {t["number"] for t in non_dominated(trials, names, directions)}
        feasible = [t for t in trials if t["feasible"]]
        for a in feasible:
            beaten = any(
                dominates(
                    [b["objectives"][n] for n in names],
                    [a["objectives"][n] for n in names],
                    directions,
                )
                for b in feasible
            )
            assert (a["number"] in front) is not beaten
        assert front <= {t["number"] for t in feasible}


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [((1, 0), (0, 1), True), ((1, 1), (1, 1), False), ((1, 2), (0, 1), False)],
)
def test_dominates_needs_one_strict_gain_and_no_loss(a: Any, b: Any, expected: bool) -> None:
    assert dominates(a, b, ["maximize", "minimize"]) is expected


def test_three_objectives_plot_the_first_two_with_the_whole_front() -> None:
    three = [*HEALTH_RISK, {"name": "resolution_vs_dof", "direction": "maximize"}]
    trials = [
        trial(0, overall_health=0.8, yield_risk=0.2, resolution_vs_dof=0.1),
        trial(1, overall_health=0.7, yield_risk=0.3, resolution_vs_dof=0.9),  # front via 3rd
    ]
    figure = pareto_front(trials, three, selected=1)
    traces = by_name(figure)
    assert sorted(traces["Pareto front"].customdata) == [0, 1]
    assert "all 3 objectives" in figure.layout.title.text
    assert list(traces["selected: trial 1"].customdata) == [1]
    assert "resolution_vs_dof = 0.9000" in traces["Pareto front"].hovertext[0]


def test_the_front_says_no_data_when_there_is_none() -> None:
    assert says_no_data(pareto_front([], HEALTH_RISK))
    assert says_no_data(pareto_front([trial(0, overall_health=0.5)], HEALTH_RISK[:1]))
    unevaluated = [trial(0, feasible=False, evaluated=False, overall_health=0.0, yield_risk=1.0)]
    figure = pareto_front(unevaluated, HEALTH_RISK)
    assert says_no_data(figure)
    assert figure.layout.yaxis.title.text == "yield risk (score 0–1, lower is better)"


# --- parameter importance ------------------------------------------------------------------------


def test_importance_has_a_bar_group_per_objective() -> None:
    importance = {
        "overall_health": {"dose_mj_cm2": 0.7, "focus_nm": 0.3},
        "yield_risk": {"dose_mj_cm2": 0.2, "focus_nm": 0.5, "sigma": 0.3},
    }
    figure = parameter_importance(importance)
    traces = by_name(figure)
    assert set(traces) == {"overall health", "yield risk"}  # the legend in words
    labels = ["dose (mJ/cm²)", "focus (nm, + into the resist)", "σ (outer)"]
    assert list(traces["overall health"].y) == labels
    assert list(traces["overall health"].x) == [0.7, 0.3, 0.0]
    assert list(traces["yield risk"].x) == [0.2, 0.5, 0.3]
    assert all(t.orientation == "h" for t in figure.data)
    assert figure.layout.barmode == "group"
    assert figure.layout.xaxis.title.text == "share of the objective's variation (0–1)"
    assert figure.layout.yaxis.title.text == "free parameter"


def test_importance_says_no_data_when_there_is_none() -> None:
    for empty in ({}, {"overall_health": {}}):
        figure = parameter_importance(empty)
        assert says_no_data(figure)
        assert figure.layout.xaxis.title.text


def test_every_figure_serialises() -> None:
    trials = [trial(i, overall_health=0.1 * i, yield_risk=0.05 * i) for i in range(5)]
    for figure in itertools.chain(
        [trial_history(trials, "overall_health", "maximize")],
        [pareto_front(trials, HEALTH_RISK, selected=2)],
        [parameter_importance({"overall_health": {"dose_mj_cm2": 1.0}})],
    ):
        assert figure.to_json()
