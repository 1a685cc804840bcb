"""Figures of an optimisation run, from the API's JSON (``GET /api/v1/optimisations/{id}``):
the trial history (the objective per trial and the best so far), the Pareto front of two
objectives, and each free parameter's importance.

A trial is the API's ``TrialOut`` dict: ``number``, ``params``, ``objectives``, ``feasible``,
``reasons``, ``outcome``, ``flags``. A trial whose ``outcome`` is empty broke the profile's
rules and was never evaluated: its objective values are placeholders (the worst value), so it
is never plotted as if it had been measured.

Every point carries its trial number in ``customdata``, so a click can be mapped back to the
trial (and its settings). Scores are unitless, in [0, 1]; the parameters have their units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from lto.acorn.labels import words

Trial = Mapping[str, Any]

PARAMETER_LABELS: Mapping[str, str] = {
    "na": "NA",
    "sigma": "σ (outer)",
    "sigma_inner": "σ inner",
    "dose_mj_cm2": "dose (mJ/cm²)",
    "focus_nm": "focus (nm, + into the resist)",
    "resist_thickness_nm": "resist thickness (nm)",
}
LOWER_IS_BETTER = frozenset({"yield_risk"})

FEASIBLE, INFEASIBLE, FRONT, BEST, SELECTED = "#1f77b4", "#9e9e9e", "#d62728", "#2ca02c", "#ff7f0e"


def score_title(name: str, direction: str | None = None) -> str:
    """An axis title for a tradeoff score: the name, its range and which way is better."""
    lower = direction == "minimize" if direction else name in LOWER_IS_BETTER
    return f"{words(name)} (score 0–1, {'lower' if lower else 'higher'} is better)"


def parameter_label(name: str) -> str:
    return PARAMETER_LABELS.get(name, name)


def evaluated(trial: Trial) -> bool:
    """The evaluator answered this trial (the profile's rules did not refuse it first)."""
    return bool(trial.get("outcome"))


def _value(trial: Trial, objective: str) -> float | None:
    value = (trial.get("objectives") or {}).get(objective)
    return float(value) if isinstance(value, int | float) else None


def _better(a: float, b: float, direction: str) -> bool:
    return a > b if direction == "maximize" else a < b


def best_so_far(trials: Sequence[Trial], objective: str, direction: str) -> list[float | None]:
    """For each trial in order, the best value of ``objective`` among the feasible trials up
    to it (None before the first feasible one)."""
    best: float | None = None
    found: list[float | None] = []
    for trial in trials:
        value = _value(trial, objective)
        if (
            trial.get("feasible")
            and value is not None
            and (best is None or _better(value, best, direction))
        ):
            best = value
        found.append(best)
    return found


def dominates(a: Sequence[float], b: Sequence[float], directions: Sequence[str]) -> bool:
    """``a`` is at least as good as ``b`` in every objective and better in one."""
    strictly = False
    for x, y, direction in zip(a, b, directions, strict=True):
        gain = x - y if direction == "maximize" else y - x
        if gain < 0:
            return False
        strictly = strictly or gain > 0
    return strictly


def non_dominated(
    trials: Sequence[Trial], objectives: Sequence[str], directions: Sequence[str]
) -> list[Trial]:
    """The feasible, evaluated trials that no other such trial dominates, in trial order."""
    candidates = []
    for trial in trials:
        values = [_value(trial, name) for name in objectives]
        if trial.get("feasible") and evaluated(trial) and None not in values:
            candidates.append((trial, [float(v) for v in values if v is not None]))
    return [
        trial
        for trial, values in candidates
        if not any(dominates(other, values, directions) for _, other in candidates)
    ]


def _settings_text(trial: Trial) -> str:
    params = trial.get("params") or {}
    return "<br>".join(f"{parameter_label(k)} = {float(v):.4g}" for k, v in params.items())


def _hover(trial: Trial, objectives: Sequence[str]) -> str:
    scores = "<br>".join(
        f"{name} = {value:.4f}" for name in objectives if (value := _value(trial, name)) is not None
    )
    reasons = trial.get("reasons") or []
    why = ("<br><i>" + "<br>".join(str(r) for r in reasons[:3]) + "</i>") if reasons else ""
    return f"trial {trial.get('number')}<br>{scores}<br>{_settings_text(trial)}{why}"


def no_data(title: str, x_title: str, y_title: str, why: str = "no data") -> go.Figure:
    figure = go.Figure()
    figure.update_layout(
        title=title,
        xaxis={"title": x_title, "showticklabels": False, "zeroline": False},
        yaxis={"title": y_title, "showticklabels": False, "zeroline": False},
        annotations=[
            {
                "text": why,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 14, "color": "#6c757d"},
            }
        ],
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        template="plotly_white",
    )
    return figure


def trial_history(trials: Sequence[Trial], objective: str, direction: str) -> go.Figure:
    """``objective`` per trial (feasible trials filled, trials that broke an outcome
    constraint hollow) and the best feasible value so far as a step line. Trials the profile's
    rules refused were never evaluated: they are counted in a note, not plotted."""
    title = f"Trial history: {words(objective)}"
    x_title, y_title = "trial", score_title(objective, direction)
    shown = [t for t in trials if evaluated(t) and _value(t, objective) is not None]
    if not shown:
        why = "no data" if not trials else "no data: no trial was evaluated (see infeasible)"
        return no_data(title, x_title, y_title, why)
    figure = go.Figure()
    for feasible, name, symbol in (
        (True, "feasible", "circle"),
        (False, "breaks a constraint", "circle-open"),
    ):
        group = [t for t in shown if bool(t.get("feasible")) is feasible]
        if not group:
            continue
        figure.add_trace(
            go.Scatter(
                x=[t["number"] for t in group],
                y=[_value(t, objective) for t in group],
                mode="markers",
                name=name,
                marker={"color": FEASIBLE if feasible else INFEASIBLE, "symbol": symbol, "size": 8},
                customdata=[t["number"] for t in group],
                hovertext=[_hover(t, [objective]) for t in group],
                hoverinfo="text",
            )
        )
    best = best_so_far(trials, objective, direction)
    numbers = [t.get("number") for t in trials]
    known = [(n, b) for n, b in zip(numbers, best, strict=True) if b is not None]
    if known:
        figure.add_trace(
            go.Scatter(
                x=[n for n, _ in known],
                y=[b for _, b in known],
                mode="lines",
                line={"shape": "hv", "color": BEST, "width": 2},
                name="best so far",
                hoverinfo="x+y",
            )
        )
    skipped = len(trials) - len(shown)
    if skipped:
        figure.add_annotation(
            text=f"{skipped} trial(s) broke the profile's rules and were not evaluated",
            xref="paper", yref="paper", x=0, y=1.08, showarrow=False, xanchor="left",
            font={"size": 11, "color": "#6c757d"},
        )  # fmt: skip
    figure.update_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
    )
    return figure


def progress_trail(
    points: Sequence[Mapping[str, Any]], objective: str, direction: str
) -> go.Figure:
    """While a run searches, the API reports the best feasible value so far (no trials yet):
    ``points`` are ``{"done": trials done, "best": {objective: value}}`` as polled."""
    title = f"Best so far: {words(objective)} (the trials arrive when the run completes)"
    x_title, y_title = "trials done", score_title(objective, direction)
    known = [
        (int(p["done"]), float(p["best"][objective]))
        for p in points
        if isinstance((p.get("best") or {}).get(objective), int | float)
    ]
    if not known:
        return no_data(title, x_title, y_title, "no data yet: no feasible trial so far")
    figure = go.Figure(
        go.Scatter(
            x=[d for d, _ in known],
            y=[b for _, b in known],
            mode="lines+markers",
            line={"shape": "hv", "color": BEST, "width": 2},
            name="best so far",
        )
    )
    figure.update_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
    )
    return figure


def pareto_front(
    trials: Sequence[Trial],
    objectives: Sequence[Mapping[str, str]],
    selected: int | None = None,
) -> go.Figure:
    """The first two objectives against each other: feasible trials, evaluated trials that
    broke a constraint, and the Pareto front (the non-dominated feasible trials over *every*
    objective) highlighted and joined. Hover shows each trial's settings; ``customdata`` is
    the trial number. ``selected`` (a trial number) is ringed."""
    names = [o["name"] for o in objectives]
    directions = [o.get("direction", "maximize") for o in objectives]
    if len(names) < 2:
        return no_data(
            "Pareto front", "objective 1", "objective 2", "no data: one objective has no front"
        )
    x_name, y_name = names[0], names[1]
    title = f"Pareto front: {words(x_name)} vs {words(y_name)}"
    if len(names) > 2:
        title += f" (front over all {len(names)} objectives)"
    x_title, y_title = score_title(x_name, directions[0]), score_title(y_name, directions[1])
    shown = [
        t for t in trials if evaluated(t) and None not in (_value(t, x_name), _value(t, y_name))
    ]
    if not shown:
        return no_data(title, x_title, y_title)
    front = non_dominated(shown, names, directions)
    on_front = {id(t) for t in front}
    figure = go.Figure()
    groups = (
        ("breaks a constraint", [t for t in shown if not t.get("feasible")], INFEASIBLE, "x"),
        ("feasible", [t for t in shown if t.get("feasible") and id(t) not in on_front], FEASIBLE,
         "circle"),
    )  # fmt: skip
    for name, group, colour, symbol in groups:
        if group:
            figure.add_trace(_points(group, names, name, colour, symbol, 8))
    ordered = sorted(front, key=lambda t: _value(t, x_name) or 0.0)
    front_trace = _points(ordered, names, "Pareto front", FRONT, "diamond", 11)
    front_trace.mode = "lines+markers"
    front_trace.line = {"color": FRONT, "width": 1, "dash": "dot"}
    figure.add_trace(front_trace)
    chosen = [t for t in shown if selected is not None and t.get("number") == selected]
    if chosen:
        ring = _points(chosen, names, f"selected: trial {selected}", SELECTED, "circle-open", 18)
        ring.marker.line = {"width": 3, "color": SELECTED}
        figure.add_trace(ring)
    figure.update_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="plotly_white",
        clickmode="event",
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
    )
    return figure


def _points(
    trials: Sequence[Trial], names: Sequence[str], label: str, colour: str, symbol: str, size: int
) -> go.Scatter:
    return go.Scatter(
        x=[_value(t, names[0]) for t in trials],
        y=[_value(t, names[1]) for t in trials],
        mode="markers",
        name=label,
        marker={"color": colour, "symbol": symbol, "size": size},
        customdata=[t["number"] for t in trials],
        hovertext=[_hover(t, names) for t in trials],
        hoverinfo="text",
    )


def parameter_importance(importance: Mapping[str, Mapping[str, float]]) -> go.Figure:
    """Each free parameter's share of each objective's variation (fANOVA over the feasible
    trials, as the API reports it): one bar group per parameter, one colour per objective."""
    title = "Parameter importance"
    x_title, y_title = "share of the objective's variation (0–1)", "free parameter"
    rows = {name: shares for name, shares in importance.items() if shares}
    if not rows:
        why = "no data (too few feasible trials vary to tell)"
        return no_data(title, x_title, y_title, why)
    parameters = sorted({p for shares in rows.values() for p in shares})
    figure = go.Figure()
    for objective, shares in rows.items():
        figure.add_trace(
            go.Bar(
                x=[float(shares.get(p, 0.0)) for p in parameters],
                y=[parameter_label(p) for p in parameters],
                orientation="h",
                name=words(objective),
                hovertemplate="%{y}: %{x:.2f}<extra>" + words(objective) + "</extra>",
            )
        )
    figure.update_layout(
        title=title,
        xaxis={"title": x_title, "range": [0, 1]},
        yaxis_title=y_title,
        barmode="group",
        template="plotly_white",
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 160, "r": 20, "t": 50, "b": 60},
    )
    return figure


__all__ = [
    "PARAMETER_LABELS",
    "best_so_far",
    "dominates",
    "evaluated",
    "no_data",
    "non_dominated",
    "parameter_importance",
    "parameter_label",
    "pareto_front",
    "progress_trail",
    "score_title",
    "trial_history",
]
