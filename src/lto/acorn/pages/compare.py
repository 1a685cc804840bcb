"""Compare: two or more finished jobs side by side (their parameters with the differences
marked, their scores and process metrics with which is better, their Bossung curves overlaid),
and a what-if scenario: A's parameters in the job form, changed, run as a new job that joins
the comparison.

The scenarios come from ``/compare?jobs=ID1,ID2``, else from the app's id store (the what-if
page's "Add to compare"), and can be picked from the user's recent jobs.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from lto.acorn.access import api
from lto.acorn.components import error, figure_card, note
from lto.acorn.figures.imaging import bossung_overlay
from lto.acorn.figures.scores import score_comparison
from lto.acorn.forms import (
    Prefill,
    parameter_form,
    register_form,
    values_from_parameters,
)
from lto.acorn.labels import state_label
from lto.acorn.pages import compare_logic as logic
from lto.acorn.pages.whatif import api_call
from lto.acorn.pages.whatif_logic import stops_polling

PATH, NAME, TITLE, ORDER = "/compare", "Compare", "Compare", 2
POLL_MS = 2000
RECENT = 50


def layout(jobs: str | None = None, **_query: Any) -> html.Div:
    chosen = logic.parse_job_ids(jobs)
    scenarios = dbc.Card(
        [
            dbc.CardHeader("Scenarios (finished jobs; A is the baseline)", className="py-1"),
            dbc.CardBody(
                [
                    dcc.Dropdown(
                        id="compare-pick",
                        multi=True,
                        value=chosen,
                        options=[{"label": i, "value": i} for i in chosen],
                        placeholder="Pick two or more of your recent jobs",
                    ),
                    html.Div(id="compare-link", className="small mt-1"),
                    html.Div(id="compare-message", className="mt-2"),
                ]
            ),
        ],
        className="mb-3",
    )
    whatif = dbc.Card(
        [
            dbc.CardHeader("What-if scenario: change A and run it beside", className="py-1"),
            dbc.CardBody(
                [
                    dbc.Button(
                        "Load A's parameters",
                        id="compare-load",
                        color="secondary",
                        outline=True,
                        size="sm",
                        className="mb-2",
                    ),
                    parameter_form("compare", Prefill(values_from_parameters({}).values)),
                    dbc.Button("Run as a new scenario", id="compare-run", color="primary"),
                    html.Div(id="compare-run-message", className="mt-2"),
                ]
            ),
        ],
        className="mb-3",
    )
    return html.Div(
        [
            html.H2("Compare", className="h4"),
            dcc.Store(id="compare-query", data=chosen),
            dcc.Store(id="compare-body"),
            dcc.Interval(id="compare-poll", interval=POLL_MS, disabled=True),
            scenarios,
            dbc.Card(
                [
                    dbc.CardHeader("Parameters (differences highlighted)", className="py-1"),
                    dbc.CardBody(html.Div(id="compare-parameters")),
                ],
                className="mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader("Scores (Δ against A)", className="py-1"),
                                dbc.CardBody(html.Div(id="compare-scores")),
                            ],
                            className="mb-3",
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        figure_card(
                            "Scores side by side",
                            "compare-scores-graph",
                            score_comparison([]),
                            height=380,
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        figure_card(
                            "Bossung curves overlaid",
                            "compare-bossung-graph",
                            bossung_overlay([]),
                            height=480,
                        ),
                        lg=7,
                    ),
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader("Process metrics (the physics)", className="py-1"),
                                dbc.CardBody(html.Div(id="compare-metrics")),
                            ],
                            className="mb-3",
                        ),
                        lg=5,
                    ),
                ]
            ),
            whatif,
        ]
    )


# --- views --------------------------------------------------------------------------------------


def _highlighted_table(header: list[str], rows: list[tuple[list[Any], bool]], id: str) -> Any:
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in header])),
            html.Tbody(
                [
                    html.Tr(
                        [html.Td(c) for c in cells], className="table-warning" if marked else None
                    )
                    for cells, marked in rows
                ]
            ),
        ],
        size="sm",
        hover=True,
        responsive=True,
        className="mb-2",
        id=id,
    )


def parameters_view(jobs: list[dict[str, Any]]) -> Any:
    letters = [logic.scenario_name(i, j) for i, j in enumerate(jobs)]
    rows = [([r.label, *r.values], r.differs) for r in logic.parameter_rows(jobs)]
    return _highlighted_table(["parameter", *letters], rows, "compare-parameters-table")


def scores_view(jobs: list[dict[str, Any]]) -> Any:
    letters = [logic.label(i) for i in range(len(jobs))]
    rows = [
        ([c.label, *[c.cell(i) for i in range(len(jobs))], c.best, c.direction], False)
        for c in logic.score_comparisons(jobs)
    ]
    return _highlighted_table(["score", *letters, "better", ""], rows, "compare-scores-table")


def metrics_view(jobs: list[dict[str, Any]]) -> Any:
    letters = [logic.label(i) for i in range(len(jobs))]
    rows = [([m.label, *m.cells, m.best], False) for m in logic.metric_rows(jobs)]
    if not rows:
        return note("No physics results to compare yet.")
    return _highlighted_table(["metric", *letters, "better"], rows, "compare-metrics-table")


def fetch_job(job_id: str) -> Any:
    return api().job(job_id)


def fetch_plot_data(job_id: str) -> Any:
    return api().get(f"jobs/{job_id}/plot-data")


# --- callbacks ----------------------------------------------------------------------------------


def register(app: Dash) -> None:
    register_form(app, "compare", body_store="compare-body", submit="compare-run")

    @app.callback(
        Output("compare-pick", "options"),
        Output("compare-pick", "value"),
        Input("compare-query", "data"),
        State("app-ids", "data"),
    )
    def recent(chosen: list[str] | None, ids: dict[str, Any] | None) -> tuple[Any, Any]:
        value = list(chosen or []) or logic.parse_job_ids((ids or {}).get("compare") or [])
        page, _, _ = api_call(lambda: api().get("jobs", limit=RECENT))
        options = [logic.job_option(j) for j in (page or {}).get("items", [])]
        known = {o["value"] for o in options}
        options += [{"label": i, "value": i} for i in value if i not in known]
        return options, value

    @app.callback(
        Output("app-ids", "data", allow_duplicate=True),
        Input("compare-pick", "value"),
        State("app-ids", "data"),
        prevent_initial_call=True,
    )
    def remember(value: list[str] | None, ids: dict[str, Any] | None) -> dict[str, Any]:
        if not value:  # also fired when the page is inserted, before the list is loaded
            raise PreventUpdate
        return {**(ids or {}), "compare": logic.parse_job_ids(value or [])}

    @app.callback(
        Output("compare-parameters", "children"),
        Output("compare-scores", "children"),
        Output("compare-scores-graph", "figure"),
        Output("compare-bossung-graph", "figure"),
        Output("compare-metrics", "children"),
        Output("compare-message", "children"),
        Output("compare-link", "children"),
        Output("compare-poll", "disabled"),
        Input("compare-pick", "value"),
        Input("compare-poll", "n_intervals"),
    )
    def show(value: list[str] | None, _n: int | None) -> tuple[Any, ...]:
        ids = logic.parse_job_ids(value or [])
        jobs: list[dict[str, Any]] = []
        problems: list[str] = []
        for job_id in ids:
            job, _, message = api_call(partial(fetch_job, job_id))
            if isinstance(job, dict):
                jobs.append(job)
            else:
                problems.append(f"{job_id}: {message}")
        waiting = [j for j in jobs if not stops_polling(str(j.get("state")))]
        finished = [j for j in jobs if logic.comparable(j)]
        lacking = [j for j in jobs if j not in finished and j not in waiting]
        plots = []
        for job in finished:
            plot, _, message = api_call(partial(fetch_plot_data, str(job["id"])))
            if plot is None:
                problems.append(f"{job['id']}: no curves ({message})")
            plots.append(plot)
        messages = [error("; ".join(problems))] if problems else []
        if waiting:
            messages.append(
                note(
                    "Waiting for the physics of "
                    + ", ".join(f"{j['id']} ({state_label(j['state'])})" for j in waiting),
                    "info",
                )
            )
        if lacking:
            messages.append(
                note(
                    "Without a physics result (left out): "
                    + ", ".join(f"{j['id']} ({state_label(j['state'])})" for j in lacking),
                    "warning",
                )
            )
        if len(finished) < 2:
            messages.append(note("Pick at least two finished jobs to compare.", "secondary"))
        link = (
            dcc.Link(
                "Link to this comparison",
                href=f"/compare?jobs={','.join(ids)}",
                id="compare-permalink",
            )
            if ids
            else None
        )
        names = [logic.scenario_name(i, j) for i, j in enumerate(finished)]
        return (
            parameters_view(finished) if finished else None,
            scores_view(finished) if finished else None,
            score_comparison(list(zip(names, (logic.scores_of(j) for j in finished), strict=True))),
            bossung_overlay(logic.overlay_scenarios(finished, plots)),
            metrics_view(finished) if finished else None,
            messages,
            link,
            not waiting,
        )

    @app.callback(
        Output({"type": "compare-field", "name": ALL}, "value"),
        Output("compare-extras", "data"),
        Output("compare-run-message", "children"),
        Input("compare-load", "n_clicks"),
        State("compare-pick", "value"),
        State({"type": "compare-field", "name": ALL}, "id"),
        prevent_initial_call=True,
    )
    def load(
        clicks: int | None, value: list[str] | None, ids: list[dict[str, str]]
    ) -> tuple[Any, ...]:
        if not clicks:
            raise PreventUpdate
        chosen = logic.parse_job_ids(value or [])
        if not chosen:
            return no_update, no_update, note("Pick a job first: A is the first one.", "warning")
        job, _, message = api_call(lambda: api().job(chosen[0]))
        if not isinstance(job, dict):
            return no_update, no_update, error(message)
        prefill = values_from_parameters(job.get("parameters") or {})
        values = [prefill.values.get(i["name"]) for i in ids]
        loaded = html.Small(f"Loaded {chosen[0]}'s parameters.", className="text-muted")
        return values, prefill.extras, loaded

    @app.callback(
        Output("compare-pick", "value", allow_duplicate=True),
        Output("compare-pick", "options", allow_duplicate=True),
        Output("compare-run-message", "children", allow_duplicate=True),
        Input("compare-run", "n_clicks"),
        State("compare-body", "data"),
        State("compare-pick", "value"),
        State("compare-pick", "options"),
        prevent_initial_call=True,
    )
    def run(
        clicks: int | None,
        body: dict[str, Any] | None,
        value: list[str] | None,
        options: list[dict[str, str]] | None,
    ) -> tuple[Any, ...]:
        if not clicks:  # the page was inserted, nobody pressed anything
            raise PreventUpdate
        if not body:
            return no_update, no_update, note("Fix the fields marked in red first.", "warning")
        job, _, message = api_call(lambda: api().submit_job(body))
        if not isinstance(job, dict):
            return no_update, no_update, error(message)
        job_id = str(job["id"])
        chosen = logic.parse_job_ids([*(value or []), job_id], most=logic.MAX_SCENARIOS + 1)
        return (
            chosen[-logic.MAX_SCENARIOS :],
            [*(options or []), logic.job_option(job)],
            html.Small(
                f"Submitted {job_id}; it joins the comparison when the physics is done.",
                className="text-muted",
            ),
        )


__all__ = ["NAME", "ORDER", "PATH", "TITLE", "layout", "register"]
