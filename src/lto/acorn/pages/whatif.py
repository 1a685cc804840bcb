"""What-if: change a parameter and the surrogate answers at once (six scores with intervals,
its flags, the constraint check, why it thinks so); run the physics when it is unsure, watch
the job go through the pipeline, and see its pictures.

The form pre-fills from the query string (``/whatif?na=1.2&sigma=0.8``: JobParameters field
names; the Optimise page links a Pareto point so); ``?job=<id>`` shows that job's run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from lto.acorn.access import NotSignedIn, api, attempt, explain
from lto.acorn.components import error, figure_card, note, table
from lto.acorn.figures import CD_TITLE, FOCUS_TITLE, no_data
from lto.acorn.figures.imaging import (
    aerial_heatmap,
    bossung,
    cutline_profile,
    process_window,
    resist_contour,
)
from lto.acorn.figures.scores import score_bars, score_label
from lto.acorn.forms import (
    Prefill,
    check_form,
    form_values,
    parameter_form,
    register_form,
    values_from_parameters,
    values_from_query,
)
from lto.acorn.labels import feature_label, state_label
from lto.acorn.pages import whatif_logic as logic
from lto.client import ApiError

PATH, NAME, TITLE, ORDER = "/whatif", "What-if", "What-if", 1
# Dash fires a page's callbacks when the page is inserted, prevent_initial_call or not: the
# buttons' callbacks check that there was a click.
PAGE_KEYS = ("job",)  # query keys of the page, not job parameters
POLL_MS = 1000
T = TypeVar("T")

_DOMAINS: dict[str, dict[str, Any]] = {}  # surrogate version → its training domain
_DOMAINS_LOCK = threading.Lock()


def _prefill(job_id: str | None, query: dict[str, Any]) -> tuple[Prefill, dict[str, Any] | None]:
    """The form, and the physics run it shows (``ran``: the job and the body it was run
    with): ``?job=ID`` fills the form with that job's parameters, so that "Add to compare"
    adds what is on screen; otherwise the query's values over the defaults."""
    if job_id:
        job, _ = attempt(lambda: api().job(job_id))
        if isinstance(job, dict) and job.get("parameters"):
            prefill = values_from_parameters(job["parameters"])
            return prefill, {"job": job_id, "body": check_form(prefill.values, prefill.extras).body}
    return values_from_query(query, ignore=PAGE_KEYS), {"job": job_id, "body": None}


def layout(**query: Any) -> html.Div:
    job_id = query.get("job") or None
    prefill, ran = _prefill(job_id, query)
    add = dbc.Button(
        "Add to compare",
        id="whatif-add-compare",
        color="secondary",
        outline=True,
        disabled=True,  # until a physics run of the settings on screen has finished
    )
    form = dbc.Card(
        [
            dbc.CardHeader("Job parameters", className="py-1"),
            dbc.CardBody(
                [
                    parameter_form("whatif", prefill),
                    dbc.Button("Run physics", id="whatif-run", color="primary", className="me-2"),
                    # a disabled button gets no pointer events: the tooltip sits on a wrapper
                    html.Span(
                        add,
                        id="whatif-add-compare-wrap",
                        title=logic.RUN_FIRST,
                        className="d-inline-block",
                        tabIndex=0,
                    ),
                    html.Div(id="whatif-run-message", className="mt-2"),
                    html.Div(id="whatif-compare-link", className="mt-1 small"),
                ]
            ),
        ],
        className="mb-3",
    )
    prediction = dbc.Card(
        [
            dbc.CardHeader("Pre-flight prediction (the surrogate, no physics)", className="py-1"),
            dbc.CardBody(
                dcc.Loading(
                    [
                        html.Div(id="whatif-prediction"),
                        html.Div(id="whatif-flags"),
                        dcc.Graph(
                            id="whatif-scores-graph",
                            figure=score_bars(None),
                            config={"displaylogo": False},
                            style={"height": "340px"},
                        ),
                        html.Div(id="whatif-attributions"),
                    ],
                    delay_show=300,
                )
            ),
        ],
        className="mb-3",
    )
    physics = dbc.Card(
        [
            dbc.CardHeader("Physics run", className="py-1"),
            dbc.CardBody(
                [
                    html.Div(id="whatif-job-state"),
                    html.Div(id="whatif-outcome"),
                    html.Div(id="whatif-results"),
                ]
            ),
        ],
        className="mb-3",
    )
    return html.Div(
        [
            html.H2("What-if", className="h4"),
            dcc.Store(id="whatif-body"),
            dcc.Store(id="whatif-job", data=job_id),
            dcc.Store(id="whatif-ran", data=ran),  # the last physics run and its settings
            dcc.Store(id="whatif-job-status", data=None),  # its state as last polled
            dcc.Interval(id="whatif-poll", interval=POLL_MS, disabled=job_id is None),
            # the form: half the row on a laptop (lg), 5/12 from 1200 px (xl), so that its
            # half-width fields keep room for the input beside the unit
            dbc.Row([dbc.Col(form, lg=6, xl=5), dbc.Col(prediction, lg=6, xl=7)]),
            physics,
            dbc.Row(
                [
                    dbc.Col(
                        figure_card(
                            "Aerial image", "whatif-aerial-graph", aerial_heatmap(None), height=460
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        figure_card(
                            "Cut line", "whatif-cutline-graph", cutline_profile(None), height=460
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        figure_card(
                            "Resist contour over the target",
                            "whatif-contour-graph",
                            resist_contour(None, None),
                            height=460,
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        figure_card(
                            "Bossung curves",
                            "whatif-bossung-graph",
                            bossung(None, None, None),
                            height=460,
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        figure_card(
                            "Process window",
                            "whatif-window-graph",
                            process_window(None, None, None),
                            height=460,
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        figure_card(
                            "Measured against predicted",
                            "whatif-measured-graph",
                            score_bars(None),
                            height=460,
                        ),
                        lg=6,
                    ),
                ]
            ),
        ]
    )


# --- views --------------------------------------------------------------------------------------


def api_call(call: Callable[[], T]) -> tuple[T | None, ApiError | None, str | None]:
    """``call()``'s value, or the API's error and its message for the page."""
    try:
        return call(), None, None
    except ApiError as failure:
        return None, failure, explain(failure)
    except NotSignedIn as failure:
        return None, None, explain(failure)


def prediction_view(prediction: dict[str, Any]) -> Any:
    rows = logic.score_rows(prediction.get("scores"))
    scores = table(
        ["score", "predicted", f"{logic.confidence_text(prediction)}", ""],
        [(r.label, f"{r.value:.3f}", f"{r.lower:.3f} – {r.upper:.3f}", r.direction) for r in rows],
        id="whatif-scores-table",
    )
    constraints = logic.constraint_lines(prediction)
    ok = (prediction.get("constraints") or {}).get("ok", True)
    return html.Div(
        [
            scores,
            html.Div(
                [html.Span(line, className="d-block") for line in constraints],
                className=f"small mb-1 {'text-success' if ok else 'text-danger'}",
                id="whatif-constraints",
            ),
            html.Small(logic.model_line(prediction), className="text-muted d-block mb-2"),
        ]
    )


def flags_view(found: list[logic.Flag]) -> Any:
    return html.Div(
        [
            dbc.Badge(
                f.text,
                color=f.color,
                className="me-1 mb-1 text-wrap text-start",
                id={"type": "whatif-flag", "name": f.name},
            )
            for f in found
        ]
    )


def attributions_view(found: dict[str, list[tuple[str, float]]]) -> Any:
    if not found:
        return html.Small("No feature attributions in this prediction.", className="text-muted")
    rows = [
        (
            score_label(name),
            ", ".join(f"{feature_label(feature)} {value:+.3f}" for feature, value in pairs),
        )
        for name, pairs in found.items()
    ]
    return html.Div(
        [
            html.H6("Why: the strongest feature attributions", className="small fw-bold mt-2"),
            table(["score", "features (signed contribution)"], rows),
        ]
    )


STATUS_COLOURS = {
    "done": "success",
    "current": "info",
    "failed": "danger",
    "attention": "warning",
    "skipped": "light",
    "pending": "light",
}


def _time(at: str | None) -> str:
    if not at:
        return ""
    try:
        return datetime.fromisoformat(at).strftime("%H:%M:%S")
    except ValueError:
        return at


def stages_view(job: dict[str, Any]) -> Any:
    bars = []
    for stage in logic.stages(job):
        filled = stage.status not in ("pending",)
        bars.append(
            dbc.Col(
                [
                    html.Div(stage.label, className="small fw-bold"),
                    dbc.Progress(
                        value=100 if filled else 0,
                        color=STATUS_COLOURS[stage.status],
                        striped=stage.status == "current",
                        animated=stage.status == "current",
                        style={"height": "8px"},
                        id={"type": "whatif-stage", "name": stage.key},
                    ),
                    html.Small(_time(stage.at), className="text-muted", title=stage.reason),
                ],
                className="px-1",
            )
        )
    header = html.Div(
        [
            html.Span(f"Job {job.get('id')}: ", className="fw-bold"),
            html.Span(state_label(job.get("state"))),
        ],
        className="mb-1",
    )
    return html.Div([header, dbc.Row(bars, className="g-0 mb-2")])


def outcome_view(job: dict[str, Any]) -> Any:
    lines = logic.outcome(job)
    if not lines:
        return None
    state = str(job.get("state"))
    colour = {
        "completed": "success",
        "cleared": "success",
        "blocked": "warning",
        "anomaly_flagged": "warning",
        "engineer_review": "warning",
    }.get(state, "danger")
    body: list[Any] = [html.Div(line) for line in lines]
    href = logic.alternative_href(job)
    if href:
        changes = logic.alternative_changes(job)
        body.append(
            html.Div(
                [
                    "Pre-flight suggests: " + ("; ".join(changes) or "the same parameters"),
                    " ",
                    dcc.Link(
                        "Load the alternative into the form",
                        href=href,
                        id="whatif-alternative-link",
                    ),
                ],
                className="mt-1",
            )
        )
    return dbc.Alert(body, color=colour, className="py-2 mb-2")


def _within_text(row: logic.Measured) -> str:
    if row.within is not None:
        return "yes" if row.within else "no"
    if row.name not in logic.LEARNED and row.predicted is not None:
        return "not compared (the physics rates itself 1)"
    return "—"


def results_view(job: dict[str, Any]) -> Any:
    rows = logic.measured_rows(job)
    job_id = str(job.get("id"))
    table_rows = [
        (
            r.label,
            "—"
            if r.predicted is None
            else f"{r.predicted[0]:.3f} [{r.predicted[1]:.3f}, {r.predicted[2]:.3f}]",
            "—" if r.actual is None else f"{r.actual:.3f}",
            _within_text(r),
        )
        for r in rows
    ]
    return html.Div(
        [
            table(
                ["score", "pre-flight prediction", "physics", "inside the interval"],
                table_rows,
                id="whatif-measured-table",
            )
            if rows
            else None,
            html.A(
                "Open the report",
                href=logic.report_href(job_id),
                target="_blank",
                id="whatif-report-link",
                className="small",
            ),
        ]
    )


# --- the domain of the current surrogate (for the reasons behind "out of distribution") -------


def current_domain(version: str | None) -> dict[str, Any] | None:
    """The current surrogate's training domain, asked once per model version."""
    with _DOMAINS_LOCK:
        if version and version in _DOMAINS:
            return _DOMAINS[version]
    model, _, _ = api_call(lambda: api().get("models/current"))
    if not isinstance(model, dict) or not model.get("domain"):
        return None
    with _DOMAINS_LOCK:
        _DOMAINS[str(model.get("version"))] = model["domain"]
    return model["domain"]  # type: ignore[no-any-return]


# --- callbacks ----------------------------------------------------------------------------------

FIGURE_OUTPUTS = (
    "whatif-aerial-graph",
    "whatif-cutline-graph",
    "whatif-contour-graph",
    "whatif-bossung-graph",
    "whatif-window-graph",
    "whatif-measured-graph",
)


def pictures(plot: dict[str, Any] | None, job: dict[str, Any], why: str | None) -> list[Any]:
    """The six figures of a finished job, from its plot data (or "no data", and why)."""
    plot = plot or {}
    measured = score_bars(
        (job.get("prediction") or {}).get("scores"),
        measured=logic.measured_scores(job),
        title="pre-flight prediction (bars) and the physics (diamonds)",
    )
    if not plot.get("available"):
        reason = plot.get("note") or why or "no images for this job"
        return [
            no_data("aerial image", "x (nm)", "y (nm)", reason),
            no_data(
                "cross-section at the cut line", "x (nm)", "intensity (clear field = 1)", reason
            ),
            no_data("resist contour", "x (nm)", "y (nm)", reason),
            no_data("Bossung curves", FOCUS_TITLE, CD_TITLE, reason),
            no_data("focus-exposure process window", FOCUS_TITLE, "dose (mJ/cm²)", reason),
            measured,
        ]
    target, tolerance = plot.get("target_cd_nm"), plot.get("cd_tolerance_fraction")
    fem = plot.get("fem")
    return [
        aerial_heatmap(plot.get("aerial")),
        cutline_profile(plot.get("cutline")),
        resist_contour(plot.get("resist"), plot.get("target")),
        bossung(fem, target, tolerance),
        process_window(fem, target, tolerance, plot.get("required_exposure_latitude")),
        measured,
    ]


def blank_pictures() -> list[Any]:
    return [
        aerial_heatmap(None),
        cutline_profile(None),
        resist_contour(None, None),
        bossung(None, None, None),
        process_window(None, None, None),
        score_bars(None),
    ]


def register(app: Dash) -> None:
    register_form(app, "whatif", body_store="whatif-body", submit="whatif-run")

    @app.callback(
        Output("whatif-prediction", "children"),
        Output("whatif-scores-graph", "figure"),
        Output("whatif-flags", "children"),
        Output("whatif-attributions", "children"),
        Input("whatif-body", "data"),
    )
    def predict(body: dict[str, Any] | None) -> tuple[Any, Any, Any, Any]:
        if not body:
            return (
                note(
                    "Fix the fields marked in red: no prediction is asked for an invalid form.",
                    "warning",
                ),
                score_bars(None),
                None,
                None,
            )
        prediction, failure, message = api_call(lambda: api().post("tradeoffs/predict", body))
        if prediction is None:
            if failure is not None and failure.status == 503:
                message = (
                    "No surrogate is trained yet, so there is no instant prediction "
                    "(the API answers 503). Train one with `lto train`; you can still run "
                    "the physics."
                )
                return note(message, "warning"), score_bars(None), None, None
            return error(message), score_bars(None), None, None
        reasons: list[str] = []
        if (prediction.get("flags") or {}).get("out_of_distribution"):
            reasons = logic.outside_domain(body, current_domain(prediction.get("model_version")))
        return (
            prediction_view(prediction),
            score_bars(
                prediction.get("scores"),
                confidence_level=prediction.get("confidence_level") or 0.95,
            ),
            flags_view(logic.flags(prediction, reasons)),
            attributions_view(logic.top_attributions(prediction)),
        )

    @app.callback(
        Output("whatif-job", "data"),
        Output("whatif-poll", "disabled"),
        Output("whatif-run-message", "children"),
        Output("app-ids", "data", allow_duplicate=True),
        Output("whatif-ran", "data"),
        Input("whatif-run", "n_clicks"),
        State("whatif-body", "data"),
        State("app-ids", "data"),
        prevent_initial_call=True,
    )
    def run(
        clicks: int | None, body: dict[str, Any] | None, ids: dict[str, Any] | None
    ) -> tuple[Any, ...]:
        if not clicks:  # the page was inserted, nobody pressed anything
            raise PreventUpdate
        if not body:
            message = note("Fix the fields marked in red first.", "warning")
            return no_update, no_update, message, no_update, no_update
        job, _, message = api_call(lambda: api().submit_job(body))
        if not isinstance(job, dict):
            return no_update, no_update, error(message), no_update, no_update
        job_id = str(job["id"])
        submitted = html.Small(f"Submitted job {job_id}.", className="text-muted")
        ran = {"job": job_id, "body": body}
        return job_id, False, submitted, logic.with_last_job(ids, job_id), ran

    @app.callback(
        Output("whatif-job-state", "children"),
        Output("whatif-outcome", "children"),
        Output("whatif-results", "children"),
        Output("whatif-poll", "disabled", allow_duplicate=True),
        Output("whatif-job-status", "data"),
        *[Output(name, "figure") for name in FIGURE_OUTPUTS],
        Input("whatif-poll", "n_intervals"),
        Input("whatif-job", "data"),
        prevent_initial_call="initial_duplicate",
    )
    def follow(_n: int | None, job_id: str | None) -> tuple[Any, ...]:
        unchanged: list[Any] = [no_update] * len(FIGURE_OUTPUTS)
        if ctx.triggered_id == "whatif-job":  # another job: the last one's pictures go
            unchanged = blank_pictures()
        if not job_id:
            idle = html.Small("No physics run yet: press Run physics.", className="text-muted")
            return (idle, None, None, True, None, *unchanged)
        job, failure, message = api_call(lambda: api().job(job_id))
        if not isinstance(job, dict):
            gone = failure is None or failure.status in (401, 403, 404)
            return (error(message), None, None, gone, None, *unchanged)
        state = str(job.get("state"))
        status = {"job": job_id, "state": state}
        if not logic.stops_polling(state):
            return (stages_view(job), None, None, False, status, *unchanged)
        plot: Any = None
        why: str | None = f"the job is {state.replace('_', ' ')}: no physics result"
        if state in logic.WITH_RESULT:
            plot, _, why = api_call(lambda: api().get(f"jobs/{job_id}/plot-data"))
        return (
            stages_view(job),
            outcome_view(job),
            results_view(job) if state in logic.WITH_RESULT else None,
            True,
            status,
            *pictures(plot, job, why),
        )

    @app.callback(
        Output("whatif-add-compare", "disabled"),
        Output("whatif-add-compare-wrap", "title"),
        Input("whatif-body", "data"),
        Input("whatif-ran", "data"),
        Input("whatif-job-status", "data"),
    )
    def compare_allowed(
        body: dict[str, Any] | None, ran: dict[str, Any] | None, status: dict[str, Any] | None
    ) -> tuple[bool, str]:
        gate = logic.compare_gate(body, ran, status)
        return not gate.enabled, gate.why

    @app.callback(
        Output("app-ids", "data", allow_duplicate=True),
        Output("whatif-compare-link", "children"),
        Input("whatif-add-compare", "n_clicks"),
        State({"type": "whatif-field", "name": ALL}, "value"),
        State({"type": "whatif-field", "name": ALL}, "id"),
        State("whatif-extras", "data"),
        State("whatif-ran", "data"),
        State("whatif-job-status", "data"),
        State("app-ids", "data"),
        prevent_initial_call=True,
    )
    def add_to_compare(
        clicks: int | None,
        values: list[Any],
        fields: list[dict[str, str]],
        extras: dict[str, Any] | None,
        ran: dict[str, Any] | None,
        status: dict[str, Any] | None,
        ids: dict[str, Any] | None,
    ) -> tuple[Any, Any]:
        if not clicks:
            raise PreventUpdate
        # the form as it is now, not the store a pending check may not have updated yet
        current = check_form(form_values(fields, values), extras).body
        gate = logic.compare_gate(current, ran, status)
        if not gate.enabled:
            return no_update, html.Span(f"{gate.why}.", className="text-muted")
        job_id = str((ran or {})["job"])
        updated = logic.with_compared(ids, job_id)
        listed = updated["compare"]
        link = dcc.Link(
            f"Compare {len(listed)} job{'s' if len(listed) != 1 else ''}",
            href=f"/compare?jobs={','.join(listed)}",
            id="whatif-compare-open",
        )
        return updated, link


__all__ = ["NAME", "ORDER", "PATH", "TITLE", "layout", "pictures", "register"]
