"""Optimise: search a base job's free parameters over the production surrogate (through the
API, in the background), watch the run, read its result (the best settings or the Pareto
front, the parameters' importance, the infeasible trials and why), open a trial in What-if,
and confirm it with a physics job.

The run is created with ``POST /api/v1/optimisations`` (an Idempotency-Key with it) and polled
with ``GET /api/v1/optimisations/{id}`` by an interval that turns itself off once the run has
finished. ``/optimise?run=ID`` reopens a run (its problem fills the form).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, dcc, html

from lto.acorn.access import NotSignedIn, api, attempt, explain, session
from lto.acorn.components import error, figure_card, key_values, note, table
from lto.acorn.figures.optimisation import (
    PARAMETER_LABELS,
    no_data,
    parameter_importance,
    parameter_label,
    pareto_front,
    progress_trail,
    trial_history,
)
from lto.acorn.figures.scores import score_label
from lto.acorn.labels import options as choice_options
from lto.acorn.labels import state_label, value_label, words
from lto.acorn.messages import plain_text
from lto.acorn.pages import optimise_logic as logic
from lto.client import ApiError

PATH, NAME, TITLE, ORDER = "/optimise", "Optimise", "Optimise", 3

# how the API's problems name the request's fields: by the form's labels
LABELS = {
    **{f"job.{f.name}": f.label for f in logic.JOB_FORM},
    "trials": "Trials",
    "sampler": "Sampler",
    "seed": "Seed",
}
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
POLL_MS, JOB_POLL_MS = 1000, 2000
JOB_DONE = frozenset(
    {
        "rejected",
        "blocked",
        "cancelled",
        "failed",
        "completed",
        "anomaly_flagged",
        "engineer_review",
        "cleared",
        "escalated",
    }
)
HIDDEN, SHOWN = {"display": "none"}, {"display": "block"}


def _may(scope: str) -> bool:
    try:
        return session().may(scope)
    except NotSignedIn:
        return False


def _fetch_run(run_id: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """The run with every trial (the store's id checked first: it came from the browser)."""
    if not run_id or not RUN_ID.match(run_id):
        return None, f"{run_id!r} is not an optimisation id"
    return attempt(lambda: api().get(f"optimisations/{run_id}", include_trials=True))


def _gated(button: Any, allowed: bool, why: str) -> Any:
    """A button, disabled with the reason as its tooltip when the user may not use it (a
    disabled button gets no pointer events, so the tooltip sits on a wrapper)."""
    if allowed:
        return button
    button.disabled = True
    return html.Span(button, title=why, className="d-inline-block", tabIndex=0)


# --- the layout --------------------------------------------------------------------------------


def _initial_form(run: str | None, query: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The form: the reopened run's problem, else the query's job over the defaults."""
    notes: list[str] = []
    if run:
        if not RUN_ID.match(run):
            notes.append(f"run={run!r} is not an optimisation id")
        else:
            found, message = attempt(lambda: api().get(f"optimisations/{run}"))
            if found is not None:
                return logic.form_from_run(found), notes
            notes.append(f"optimisation {run}: {message}")
    job, query_notes = logic.job_from_query(query)
    form = {
        "job": job,
        "free": list(logic.DEFAULT_FREE),
        "lows": {},
        "highs": {},
        "objectives": ["resolution_vs_dof", "yield_risk"],  # a tradeoff: a Pareto front
        "constraints": "",
        "trials": logic.DEFAULT_TRIALS,
        "sampler": "auto",
        "seed": None,
    }
    return form, notes + [f"ignored {n}" for n in query_notes]


def _job_input(field: logic.FormField, value: Any) -> Any:
    id_ = {"type": "optimise-job", "name": field.name}
    if field.kind == "bool":
        return dbc.Switch(id=id_, value=bool(value), label=field.label, className="mb-1")
    if field.kind == "choice":
        blank = "—" if field.name in logic.OPTIONAL else None
        options = choice_options(field.options, blank=blank)
        return dbc.Select(id=id_, options=options, value=value or "", size="sm")
    # text, so that "abc" is said to be no number (type="number" hands Dash None for it)
    return dbc.Input(id=id_, type="text", inputmode="decimal", value=value, size="sm")


def _job_form(values: Mapping[str, Any]) -> html.Details:
    rows = []
    for field in logic.JOB_FORM:
        control = _job_input(field, values.get(field.name))
        if field.kind == "bool":
            rows.append(dbc.Col(control, md=12))
        else:
            rows.append(
                dbc.Col(
                    [dbc.Label(field.label, className="small mb-0"), control],
                    md=6,
                    className="mb-1",
                )
            )
    return html.Details(
        [
            html.Summary(
                "Base job (the fields of a job; the free ones are searched)",
                className="fw-semibold mb-2",
            ),
            dbc.Row(rows, className="g-2"),
        ],
        open=True,
        className="mb-3",
    )


def _free_row(name: str, form: Mapping[str, Any]) -> dbc.Row:
    low, high = form["lows"].get(name), form["highs"].get(name)
    return dbc.Row(
        [
            dbc.Col(
                dbc.Checkbox(
                    id={"type": "optimise-free-on", "name": name},
                    value=name in form["free"],
                    label=parameter_label(name),
                ),
                md=5,
            ),
            dbc.Col(
                dbc.Input(
                    id={"type": "optimise-free-low", "name": name},
                    type="text",
                    inputmode="decimal",
                    value=low,
                    size="sm",
                ),
                md=3,
            ),
            dbc.Col(
                dbc.Input(
                    id={"type": "optimise-free-high", "name": name},
                    type="text",
                    inputmode="decimal",
                    value=high,
                    size="sm",
                ),
                md=3,
            ),
            dbc.Col(
                html.Small(
                    id={"type": "optimise-free-range", "name": name}, className="text-muted"
                ),
                md=12,
            ),
        ],
        className="g-1 mb-1 align-items-center",
    )


def _problem_card(form: Mapping[str, Any]) -> dbc.Card:
    run_button = dbc.Button("Run", id="optimise-run", color="primary", className="me-2")
    objectives = [
        {"label": f"{score_label(n)} ({value_label(logic.DIRECTIONS[n])})", "value": n}
        for n in logic.OBJECTIVES
    ]
    return dbc.Card(
        [
            dbc.CardHeader("Problem"),
            dbc.CardBody(
                [
                    _job_form(form["job"]),
                    html.Div(
                        "Free parameters: leave low and high empty for the profile's range",
                        className="fw-semibold",
                    ),
                    html.Small(id="optimise-profile", className="text-muted d-block mb-1"),
                    *[_free_row(name, form) for name in logic.FREE_PARAMETERS],
                    dbc.Label(
                        "Objectives (tradeoff scores, natural direction)",
                        className="fw-semibold mt-2 mb-0",
                    ),
                    dcc.Dropdown(
                        id="optimise-objectives",
                        options=objectives,
                        multi=True,
                        value=form["objectives"],
                    ),
                    html.Small(
                        "The API searches the surrogate, which predicts the scores; "
                        "physics metrics (DoF, EL, NILS…) are searched with "
                        "`lto optimize --evaluator physics`.",
                        className="text-muted",
                    ),
                    dbc.Label(
                        "Constraints, one a line: NAME<=VALUE or NAME>=VALUE",
                        className="fw-semibold mt-2 mb-0",
                    ),
                    dbc.Textarea(
                        id="optimise-constraints",
                        value=form["constraints"],
                        rows=3,
                        placeholder="e.g. yield_risk<=0.1",
                    ),
                    dbc.Row(
                        [
                            dbc.Col(
                                [
                                    dbc.Label("Trials", className="small mb-0"),
                                    dbc.Input(
                                        id="optimise-trials",
                                        type="text",
                                        inputmode="numeric",
                                        value=form["trials"],
                                        size="sm",
                                    ),
                                ],
                                md=4,
                            ),
                            dbc.Col(
                                [
                                    dbc.Label("Sampler", className="small mb-0"),
                                    dbc.Select(
                                        id="optimise-sampler",
                                        size="sm",
                                        value=form["sampler"] or "auto",
                                        options=choice_options(logic.SAMPLERS),
                                    ),
                                ],
                                md=4,
                            ),
                            dbc.Col(
                                [
                                    dbc.Label("Seed (optional)", className="small mb-0"),
                                    dbc.Input(
                                        id="optimise-seed",
                                        type="text",
                                        inputmode="numeric",
                                        value=form["seed"],
                                        size="sm",
                                    ),
                                ],
                                md=4,
                            ),
                        ],
                        className="g-2 mt-1 mb-2",
                    ),
                    _gated(
                        run_button,
                        _may("optimisations:write"),
                        "needs the optimisations:write scope",
                    ),
                    dbc.Button(
                        "Cancel the run",
                        id="optimise-cancel",
                        color="secondary",
                        outline=True,
                        disabled=True,
                    ),
                    html.Div(id="optimise-run-message", className="mt-2"),
                    html.Div(id="optimise-run-status"),  # follows the run as polled
                    html.Div(id="optimise-cancel-message"),
                ]
            ),
        ],
        className="mb-3",
    )


def _selection_card() -> dbc.Card:
    confirm = dbc.Button(
        "Confirm with physics", id="optimise-confirm", color="success", disabled=True
    )
    return dbc.Card(
        [
            dbc.CardHeader("Best / selected settings (click a Pareto point to select it)"),
            dbc.CardBody(
                [
                    html.Div(id="optimise-selected"),
                    dbc.Button(
                        "Select the best",
                        id="optimise-select-best",
                        color="secondary",
                        outline=True,
                        size="sm",
                        className="me-2",
                    ),
                    dbc.Button(
                        "Open in What-if",
                        id="optimise-load-whatif",
                        href="/whatif",
                        disabled=True,
                        size="sm",
                        className="me-2",
                    ),
                    _gated(confirm, _may("jobs:write"), "needs the jobs:write scope"),
                    html.Div(id="optimise-confirm-message", className="mt-2"),
                    html.Div(id="optimise-confirm-status", className="mt-2"),
                ]
            ),
        ],
        className="mb-3",
    )


def layout(run: str | None = None, **query: Any) -> html.Div:
    form, notes = _initial_form(run, query)
    started = run if run and RUN_ID.match(run) else None
    return html.Div(
        [
            html.H2("Optimise", className="h4"),
            *[note(n, "warning") for n in notes],
            dcc.Store(id="optimise-run-id", data=started),
            dcc.Store(id="optimise-run-state", data=None),
            dcc.Store(id="optimise-trail", data={"run": started, "points": []}),
            dcc.Store(id="optimise-selection", data=None),
            dcc.Store(id="optimise-confirmation", data=None),
            dcc.Interval(id="optimise-poll", interval=POLL_MS, disabled=started is None),
            dcc.Interval(id="optimise-job-poll", interval=JOB_POLL_MS, disabled=True),
            dbc.Row(
                [
                    dbc.Col(_problem_card(form), lg=4),
                    dbc.Col(
                        [
                            dbc.Card(
                                [
                                    dbc.CardHeader("Run"),
                                    dbc.CardBody(
                                        [
                                            dbc.Progress(
                                                id="optimise-progress", value=0, className="mb-2"
                                            ),
                                            html.Div(id="optimise-status"),
                                        ]
                                    ),
                                ],
                                className="mb-3",
                            ),
                            figure_card("Trial history", "optimise-history-graph"),
                            html.Div(
                                figure_card("Pareto front", "optimise-pareto-graph", height=420),
                                id="optimise-pareto-wrap",
                                style=HIDDEN,
                            ),
                            _selection_card(),
                            figure_card(
                                "Parameter importance", "optimise-importance-graph", height=300
                            ),
                            dbc.Card(
                                [
                                    dbc.CardHeader("Infeasible trials"),
                                    dbc.CardBody(id="optimise-infeasible"),
                                ],
                                className="mb-3",
                            ),
                            dbc.Card(
                                [
                                    dbc.CardHeader("Your optimisations"),
                                    dbc.CardBody(id="optimise-runs"),
                                ],
                                className="mb-3",
                            ),
                        ],
                        lg=8,
                    ),
                ],
                className="g-3",
            ),
        ]
    )


# --- views of a run ----------------------------------------------------------------------------


def _by_name(ids: Sequence[Mapping[str, Any]], values: Sequence[Any]) -> dict[str, Any]:
    return {i["name"]: v for i, v in zip(ids, values, strict=True)}


def _ranges_text(free: Sequence[Mapping[str, Any]]) -> str:
    return ", ".join(f"{parameter_label(f['name'])} {f['low']:.4g}…{f['high']:.4g}" for f in free)


def _objectives_text(objectives: Sequence[Mapping[str, Any]]) -> str:
    return ", ".join(
        f"{score_label(o['name'])} ({value_label(o.get('direction'))})" for o in objectives
    )


def _status_view(run: Mapping[str, Any]) -> Any:
    problem = run.get("problem") or {}
    result = run.get("result") or {}
    rows = [
        ("run", run.get("id")),
        ("state", state_label(run.get("state"))),
        ("owner", run.get("owner")),
        ("created", run.get("created_at")),
        ("finished", run.get("finished_at")),
        ("profile", value_label(problem.get("profile"))),
        ("free", _ranges_text(problem.get("free") or [])),
        ("objectives", _objectives_text(problem.get("objectives") or [])),
        ("constraints", logic.constraints_text(problem.get("constraints") or []) or "—"),
        ("surrogate", result.get("model_version")),
        ("feasible trials", (run.get("progress") or {}).get("feasible_trials")),
    ]
    messages = [note(n, "info") for n in problem.get("notes") or []]
    messages += [note(w, "warning") for w in result.get("warnings") or []]
    messages.append(note(result.get("note"), "warning"))
    # a cancelled run's "error" says who cancelled it: news, not a failure
    shown = error if run.get("state") == "failed" else note
    messages.append(shown(run.get("error")))
    return [key_values(rows), *[m for m in messages if m]]


def _run_status_view(run: Mapping[str, Any]) -> Any:
    text, colour = logic.run_status(run)
    return dbc.Alert(text, color=colour, className="py-2 mb-2", id="optimise-run-state-line")


def _history_figure(run: Mapping[str, Any], trail: Mapping[str, Any]) -> Any:
    objectives = logic.objectives_of(run)
    if not objectives:
        return no_data("Trial history", "trial", "objective")
    first = objectives[0]
    trials = logic.trials_of(run)
    if run.get("state") == "completed" and (run.get("result") or {}).get("history"):
        return trial_history(trials, first["name"], first["direction"])
    return progress_trail(trail.get("points") or [], first["name"], first["direction"])


def _infeasible_view(run: Mapping[str, Any]) -> Any:
    if run.get("state") != "completed":
        return html.Span("Shown when the run completes.", className="text-muted")
    history = (run.get("result") or {}).get("history") or []
    rows = logic.infeasible(history)
    if not rows:
        return html.Span("Every trial was feasible.", className="text-muted")
    broken = [(plain_text(rule, PARAMETER_LABELS), n) for rule, n in logic.reason_counts(history)]
    counts = table(["rule broken", "trials"], broken)
    listed = table(
        ["trial", "evaluated", "why"],
        [
            (
                r["number"],
                "yes" if r["evaluated"] else "no (the profile refused it)",
                "; ".join(plain_text(reason, PARAMETER_LABELS) for reason in r["reasons"]),
            )
            for r in rows[:100]
        ],
        id="optimise-infeasible-table",
    )
    return [html.P(f"{len(rows)} of {len(history)} trials were infeasible."), counts, listed]


def _trial_view(trial: Mapping[str, Any], objectives: Sequence[Mapping[str, str]]) -> Any:
    rows: list[tuple[str, Any]] = [("trial", trial.get("number"))]
    rows += [(parameter_label(k), v) for k, v in (trial.get("params") or {}).items()]
    rows += [
        (
            f"{score_label(o['name'])} ({value_label(o['direction'])})",
            (trial.get("objectives") or {}).get(o["name"]),
        )
        for o in objectives
    ]
    flags = trial.get("flags") or {}
    warn = [k for k in ("high_uncertainty", "out_of_distribution") if flags.get(k)]
    return [
        key_values(rows, id="optimise-selected-table"),
        note(f"the surrogate flagged this trial: {', '.join(map(words, warn))}", "warning")
        if warn
        else None,
        note(
            "infeasible: "
            + "; ".join(plain_text(r, PARAMETER_LABELS) for r in trial.get("reasons") or []),
            "warning",
        )
        if not trial.get("feasible")
        else None,
    ]


def _runs_view(items: Sequence[Mapping[str, Any]]) -> Any:
    if not items:
        return html.Span("No optimisations yet.", className="text-muted")
    rows = []
    for item in items:
        done = (item.get("progress") or {}).get("trials_done", 0)
        rows.append(
            (
                dcc.Link(item["id"], href=f"/optimise?run={item['id']}"),
                state_label(item.get("state")),
                item.get("created_at"),
                ", ".join(parameter_label(n) for n in item.get("free") or []),
                ", ".join(score_label(n) for n in item.get("objectives") or []),
                f"{done}/{item.get('trials')}",
            )
        )
    return table(
        ["run", "state", "created", "free", "objectives", "trials"], rows, id="optimise-runs-table"
    )


def _comparison_view(job: Mapping[str, Any], surrogate: Mapping[str, Any]) -> Any:
    state = job.get("state")
    link = html.A(
        f"report {job['id']}",
        href=f"/reports/{job['id']}",
        target="_blank",
        rel="noopener",
        id="optimise-confirm-report",
    )
    head = html.P([f"Physics job {job['id']}: {state_label(state)}. ", link])
    if not job.get("result"):
        why = job.get("note") or job.get("error") or job.get("blocked_reason") or ""
        return [head, note(why, "warning") if state in JOB_DONE and why else None]
    rows = logic.score_comparison(surrogate, job)
    return [
        head,
        table(
            ["score", "surrogate", "physics", "physics − surrogate"],
            rows,
            id="optimise-confirm-table",
        ),
    ]


# --- callbacks ---------------------------------------------------------------------------------


def register(app: Dash) -> None:
    _register_form(app)
    _register_run(app)
    _register_selection(app)
    _register_confirmation(app)


def _register_form(app: Dash) -> None:
    @app.callback(
        Output({"type": "optimise-free-range", "name": ALL}, "children"),
        Output({"type": "optimise-free-low", "name": ALL}, "placeholder"),
        Output({"type": "optimise-free-high", "name": ALL}, "placeholder"),
        Output("optimise-profile", "children"),
        Input({"type": "optimise-job", "name": ALL}, "value"),
        State({"type": "optimise-job", "name": ALL}, "id"),
        State({"type": "optimise-free-range", "name": ALL}, "id"),
    )
    def ranges(values: list[Any], ids: list[dict[str, str]], rows: list[dict[str, str]]) -> Any:
        job = logic.job_from_form(_by_name(ids, values))  # typed text read as numbers
        found = logic.default_ranges(job)
        profile = logic.profile_of(job)
        texts, lows, highs = [], [], []
        for row in rows:
            span = found.get(row["name"])
            texts.append(f"profile's range {span[0]:.4g} … {span[1]:.4g}" if span else "")
            lows.append(f"{span[0]:.4g}" if span else "low")
            highs.append(f"{span[1]:.4g}" if span else "high")
        where = (
            f"profile {profile.name}"
            if profile
            else "no constraint profile for this λ and NA: the API will say so"
        )
        return texts, lows, highs, where


def _register_run(app: Dash) -> None:
    @app.callback(
        Output("optimise-run-id", "data"),
        Output("optimise-run-message", "children"),
        Input("optimise-run", "n_clicks"),
        State({"type": "optimise-job", "name": ALL}, "value"),
        State({"type": "optimise-job", "name": ALL}, "id"),
        State({"type": "optimise-free-on", "name": ALL}, "value"),
        State({"type": "optimise-free-low", "name": ALL}, "value"),
        State({"type": "optimise-free-high", "name": ALL}, "value"),
        State({"type": "optimise-free-on", "name": ALL}, "id"),
        State("optimise-objectives", "value"),
        State("optimise-constraints", "value"),
        State("optimise-trials", "value"),
        State("optimise-sampler", "value"),
        State("optimise-seed", "value"),
        prevent_initial_call=True,
    )
    def start(
        _clicks: int | None,
        values: list[Any],
        ids: list[dict[str, str]],
        on: list[bool],
        lows: list[Any],
        highs: list[Any],
        free_ids: list[dict[str, str]],
        objectives: list[str] | None,
        constraints: str | None,
        trials: str | None,
        sampler: str | None,
        seed: str | None,
    ) -> tuple[Any, Any]:
        typed = _by_name(ids, values)
        job = logic.job_from_form(typed)
        chosen = [i["name"] for i, checked in zip(free_ids, on, strict=True) if checked]
        free, problems = logic.free_rows(
            chosen, _by_name(free_ids, lows), _by_name(free_ids, highs)
        )
        bounds, more = logic.parse_constraints(constraints)
        count, bad_count = logic.whole_number("Trials", trials, low=1, high=logic.MAX_TRIALS)
        chosen_seed, bad_seed = logic.whole_number("Seed", seed, low=0)
        problems = logic.job_problems(typed) + problems + more + bad_count + bad_seed
        if problems:
            return dash.no_update, error("; ".join(problems))
        body = logic.build_request(job, free, objectives, bounds, count, sampler, chosen_seed)
        run, message = attempt(
            lambda: api().post("optimisations", body, creates=True), labels=LABELS
        )
        if run is None:
            return dash.no_update, error(message, id="optimise-run-error")
        return run["id"], None  # the status line below follows the run from here

    @app.callback(
        Output("optimise-status", "children"),
        Output("optimise-progress", "value"),
        Output("optimise-progress", "label"),
        Output("optimise-history-graph", "figure"),
        Output("optimise-importance-graph", "figure"),
        Output("optimise-infeasible", "children"),
        Output("optimise-poll", "disabled"),
        Output("optimise-trail", "data"),
        Output("optimise-run-state", "data"),
        Output("optimise-cancel", "disabled"),
        Output("optimise-run-status", "children"),
        Input("optimise-poll", "n_intervals"),
        Input("optimise-run-id", "data"),
        State("optimise-trail", "data"),
        State("optimise-run-state", "data"),
    )
    def poll(
        _n: int | None,
        run_id: str | None,
        trail: dict[str, Any] | None,
        known: dict[str, Any] | None,
    ) -> tuple[Any, ...]:
        empty = no_data("Trial history", "trial", "objective")
        if not run_id:
            waiting = html.Span(
                "No run yet: pose the problem and press Run.", className="text-muted"
            )
            blank = no_data("Parameter importance", "share", "free parameter")
            return waiting, 0, "", empty, blank, None, True, dash.no_update, None, True, None
        run, message = _fetch_run(run_id)
        if run is None:
            return (
                error(message),
                0,
                "",
                empty,
                dash.no_update,
                None,
                True,
                dash.no_update,
                dash.no_update,
                True,
                dash.no_update,
            )
        kept = (trail or {}).get("points") if (trail or {}).get("run") == run_id else None
        trail = {"run": run_id, "points": logic.extend_trail(kept, run)}
        done, total = logic.progress_of(run)
        active = logic.is_active(run)
        state = {"run": run_id, "state": run.get("state")}
        importance = (
            parameter_importance((run.get("result") or {}).get("importance") or {})
            if run.get("state") == "completed"
            else no_data(
                "Parameter importance", "share", "free parameter", "shown when the run completes"
            )
        )
        return (
            _status_view(run),
            round(100 * done / total) if total else 0,
            f"{done} / {total} trials",
            _history_figure(run, trail),
            importance,
            _infeasible_view(run),
            not active,
            trail,
            state if state != known else dash.no_update,
            not (active and _may("optimisations:write")),
            _run_status_view(run),
        )

    @app.callback(
        Output("optimise-cancel-message", "children"),
        Input("optimise-cancel", "n_clicks"),
        State("optimise-run-id", "data"),
        prevent_initial_call=True,
    )
    def cancel(_clicks: int | None, run_id: str | None) -> Any:
        if not run_id or not RUN_ID.match(run_id):
            return None
        try:
            run = api().post(f"optimisations/{run_id}/cancel")
        except ApiError as exc:
            return note(logic.cancel_message(exc) or explain(exc), "warning")
        except NotSignedIn as exc:
            return error(explain(exc))
        said = f"Optimisation {run_id} is {(run or {}).get('state', 'cancelled')}"
        why = (run or {}).get("error")
        return note(f"{said}: {why}." if why else f"{said}.", "info")

    @app.callback(
        Output("optimise-runs", "children"),
        Input("optimise-run-state", "data"),
    )
    def runs(_state: Any) -> Any:
        page, message = attempt(lambda: api().get("optimisations", limit=20))
        return error(message) or _runs_view((page or {}).get("items") or [])


def _register_selection(app: Dash) -> None:
    @app.callback(
        Output("optimise-selection", "data"),
        Input("optimise-pareto-graph", "clickData"),
        Input("optimise-history-graph", "clickData"),
        Input("optimise-select-best", "n_clicks"),
        Input("optimise-run-id", "data"),
        prevent_initial_call=True,
    )
    def select(
        front: dict[str, Any] | None,
        history: dict[str, Any] | None,
        _best: int | None,
        _run: str | None,
    ) -> Any:
        clicked = {"optimise-pareto-graph": front, "optimise-history-graph": history}
        if dash.ctx.triggered_id in clicked:
            number = logic.clicked_trial(clicked[dash.ctx.triggered_id])
            return dash.no_update if number is None else number  # the best-so-far line
        return None  # the best, or a new run

    @app.callback(
        Output("optimise-selected", "children"),
        Output("optimise-load-whatif", "href"),
        Output("optimise-load-whatif", "disabled"),
        Output("optimise-confirm", "disabled"),
        Output("optimise-pareto-graph", "figure"),
        Output("optimise-pareto-wrap", "style"),
        Input("optimise-selection", "data"),
        Input("optimise-run-state", "data"),
        State("optimise-run-id", "data"),
    )
    def show(
        selection: int | None, state: dict[str, Any] | None, run_id: str | None
    ) -> tuple[Any, ...]:
        blank = no_data("Pareto front", "objective 1", "objective 2")
        nothing = html.Span("The settings appear when the run completes.", className="text-muted")
        if not run_id or (state or {}).get("state") != "completed":
            return nothing, "/whatif", True, True, blank, HIDDEN
        run, message = _fetch_run(run_id)
        if run is None:
            return error(message), "/whatif", True, True, blank, HIDDEN
        objectives = logic.objectives_of(run)
        number = selection if selection is not None else logic.default_selection(run)
        trial = logic.find_trial(run, number)
        figure = pareto_front(logic.trials_of(run), objectives, number)
        style = SHOWN if len(objectives) > 1 else HIDDEN
        if trial is None:
            why = (run.get("result") or {}).get("note") or "no feasible trial to show"
            return note(why, "warning"), "/whatif", True, True, figure, style
        template = (run.get("problem") or {}).get("template") or {}
        url = logic.whatif_url(template, trial.get("params") or {})
        confirmable = bool(trial.get("feasible")) and _may("jobs:write")
        return _trial_view(trial, objectives), url, False, not confirmable, figure, style


def _register_confirmation(app: Dash) -> None:
    @app.callback(
        Output("optimise-confirmation", "data"),
        Output("optimise-confirm-message", "children"),
        Output("optimise-job-poll", "disabled"),
        Input("optimise-confirm", "n_clicks"),
        State("optimise-run-id", "data"),
        State("optimise-selection", "data"),
        prevent_initial_call=True,
    )
    def confirm(_clicks: int | None, run_id: str | None, selection: int | None) -> Any:
        if not run_id:
            return dash.no_update, None, True
        run, message = _fetch_run(run_id)
        if run is None:
            return dash.no_update, error(message), True
        number = selection if selection is not None else logic.default_selection(run)
        trial = logic.find_trial(run, number)
        if trial is None or not trial.get("feasible"):
            return dash.no_update, error("choose a feasible trial to confirm"), True
        template = (run.get("problem") or {}).get("template") or {}
        body = logic.confirmation_job(template, trial.get("params") or {}, run_id, trial["number"])
        job, message = attempt(lambda: api().post("jobs", body, creates=True))
        if job is None:
            return dash.no_update, error(message, id="optimise-confirm-error"), True
        data = {
            "job": job["id"],
            "run": run_id,
            "trial": trial["number"],
            "surrogate": {
                k: v for k, v in (trial.get("outcome") or {}).items() if isinstance(v, int | float)
            },
        }
        return (
            data,
            note(f"Trial {trial['number']} submitted as job {job['id']}.", "success"),
            False,
        )

    @app.callback(
        Output("optimise-confirm-status", "children"),
        Output("optimise-job-poll", "disabled", allow_duplicate=True),
        Input("optimise-job-poll", "n_intervals"),
        Input("optimise-confirmation", "data"),
        prevent_initial_call=True,
    )
    def follow(_n: int | None, confirmation: dict[str, Any] | None) -> tuple[Any, bool]:
        if not confirmation:
            return None, True
        job, message = attempt(lambda: api().job(confirmation["job"]))
        if job is None:
            return error(message), True
        return _comparison_view(job, confirmation.get("surrogate") or {}), job["state"] in JOB_DONE
