"""The models page: the production surrogate (champion, challenger, previous champion), how well
it does (held-out validation; live interval coverage and error over time, from the physics'
verdicts on the jobs it pre-flighted), the last drift report, and its lifecycle: retrain (a
run polled until its gate result), promote and roll back (each confirmed first), for users
with ``models:admin``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, dcc, html

from lto.acorn.access import NotSignedIn, api, attempt, explain, session
from lto.acorn.components import card, error, figure_card, key_values, note, table
from lto.acorn.figures.models import (
    coverage_over_time,
    drift_bars,
    error_over_time,
    validation_coverage,
)
from lto.acorn.pages import models_logic as logic
from lto.client import ApiError

PATH, NAME, TITLE, ORDER = "/models", "Models", "Models", 6
POLL_MS = 2000
RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


# --- the layout ---------------------------------------------------------------------------------


def _card(title: str, body_id: str, *children: Any) -> dbc.Card:
    return card(title, *children, html.Div(id=body_id))


def _window_selector() -> Any:
    return dbc.RadioItems(
        id="models-window",
        options=[{"label": w.label, "value": k} for k, w in logic.WINDOWS.items()],
        value=logic.DEFAULT_WINDOW,
        inline=True,
        className="mb-2",
    )


def _lifecycle() -> dbc.Card:
    buttons = html.Div(
        [
            dbc.Button(
                "Retrain", id="models-retrain", color="primary", className="me-2", disabled=True
            ),
            dbc.Button(
                "Promote challenger",
                id="models-promote",
                color="success",
                className="me-2",
                disabled=True,
            ),
            dbc.Button(
                "Roll back", id="models-rollback", color="danger", outline=True, disabled=True
            ),
        ],
        className="mb-2",
    )
    form = dbc.Row(
        [
            dbc.Col(
                dbc.Input(
                    id="models-retrain-reason",
                    placeholder="why retrain (kept on the version)",
                    maxLength=500,
                ),
                md=7,
            ),
            dbc.Col(
                dbc.InputGroup(
                    [
                        dbc.Input(
                            id="models-retrain-samples",
                            type="number",
                            min=100,
                            max=100_000,
                            step=100,
                            value=logic.DEFAULT_SAMPLES,
                        ),
                        dbc.InputGroupText("jobs"),
                    ]
                ),
                md=5,
            ),
        ],
        className="g-2 mb-2",
    )
    return dbc.Card(
        [
            dbc.CardHeader("Lifecycle", className="py-1"),
            dbc.CardBody(
                [
                    form,
                    buttons,
                    html.Div(id="models-admin-note", className="small text-muted mb-2"),
                    html.Div(id="models-retrain-message"),
                    html.Div(id="models-run-status"),
                    html.Div(id="models-action-result"),
                ]
            ),
        ],
        className="mb-3",
    )


def _confirm() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Confirm", id="models-confirm-title")),
            dbc.ModalBody(
                [
                    html.P(id="models-confirm-body"),
                    html.Div(
                        dbc.Textarea(
                            id="models-promote-override",
                            rows=3,
                            placeholder="override: promote despite the gate or too few shadow "
                            "jobs, for this reason (recorded); leave empty to respect the gate",
                            maxLength=2000,
                        ),
                        id="models-override-box",
                    ),
                ]
            ),
            dbc.ModalFooter(
                [
                    dbc.Button(
                        "Cancel", id="models-confirm-no", color="secondary", className="me-2"
                    ),
                    dbc.Button("Confirm", id="models-confirm-yes", color="primary"),
                ]
            ),
        ],
        id="models-confirm",
        is_open=False,
    )


def layout(**_query: Any) -> html.Div:
    return html.Div(
        [
            html.H2("Models", className="h4"),
            dcc.Store(id="models-run", storage_type="session"),  # the retrain run's id only
            dcc.Store(id="models-refresh", data=0),
            dcc.Store(id="models-confirm-action"),
            dcc.Interval(id="models-run-poll", interval=POLL_MS, disabled=True),
            html.Div(id="models-message"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            _card("Production surrogate", "models-production"),
                            _card("Registry", "models-registry"),
                            _lifecycle(),
                        ],
                        lg=5,
                    ),
                    dbc.Col(
                        [
                            _card("Held-out validation", "models-validation"),
                            figure_card(
                                "Held-out interval coverage", "models-validation-graph", height=320
                            ),
                        ],
                        lg=7,
                    ),
                ],
                className="g-3",
            ),
            html.H3("Live performance", className="h5 mt-2"),
            _window_selector(),
            html.Div(id="models-live-totals", className="small text-muted mb-2"),
            dbc.Row(
                [
                    dbc.Col(
                        figure_card("Interval coverage over time", "models-coverage-graph"), lg=6
                    ),
                    dbc.Col(figure_card("Error over time", "models-error-graph"), lg=6),
                ],
                className="g-3",
            ),
            html.H3("Drift", className="h5 mt-2"),
            html.Div(id="models-drift-summary"),
            figure_card("PSI per input and prediction", "models-drift-graph", height=380),
            _card("Training domain", "models-domain"),
            _confirm(),
        ]
    )


# --- the callbacks ------------------------------------------------------------------------------


def _scopes() -> tuple[frozenset[str] | None, str | None]:
    try:
        found = session()
    except NotSignedIn:
        return None, None
    return found.scopes, found.role


def _current() -> tuple[dict[str, Any] | None, str | None]:
    return attempt(lambda: api().get("models/current"))


def _production_view(current: dict[str, Any]) -> list[Any]:
    return [key_values(logic.production_rows(current), id="models-production-table")]


def _registry_view(current: dict[str, Any]) -> list[Any]:
    registry = current.get("registry") or {}
    rows = logic.registry_rows(registry)
    view: list[Any] = [note(logic.registry_note(registry))]
    if rows:
        header = ("role", "registry version", "surrogate", "gate", "registered")
        view.append(table(header, rows, id="models-registry-table"))
    return view


def _domain_view(current: dict[str, Any]) -> list[Any]:
    domain = current.get("domain")
    if not domain:
        return [note("The model does not say the domain it was trained on.")]
    header = ("profile", "λ (nm)", "NA", "resist thickness (nm)", "dose (mJ/cm²)")
    return [
        table(header, logic.domain_rows(domain), id="models-domain-table"),
        key_values(logic.domain_extras(domain)),
    ]


def register(app: Dash) -> None:
    @app.callback(
        Output("models-production", "children"),
        Output("models-registry", "children"),
        Output("models-validation", "children"),
        Output("models-validation-graph", "figure"),
        Output("models-domain", "children"),
        Output("models-drift-summary", "children"),
        Output("models-drift-graph", "figure"),
        Output("models-message", "children"),
        Input("models-refresh", "data"),
    )
    def model(_refresh: Any) -> tuple[Any, ...]:
        current, message = _current()
        drift, drift_message = attempt(lambda: api().get("models/drift"))
        if current is None:
            empty = validation_coverage(None, None)
            return (None, None, None, empty, None, None, drift_bars(None), error(message))
        text, colour = logic.drift_summary(drift)
        validation = current.get("validation") or {}
        return (
            _production_view(current),
            _registry_view(current),
            key_values(logic.validation_rows(validation), id="models-validation-table"),
            validation_coverage(validation, current.get("confidence_level")),
            _domain_view(current),
            error(drift_message) or note(text, colour),
            drift_bars(drift),
            None,
        )

    @app.callback(
        Output("models-coverage-graph", "figure"),
        Output("models-error-graph", "figure"),
        Output("models-live-totals", "children"),
        Input("models-window", "value"),
        Input("models-refresh", "data"),
    )
    def live(choice: str | None, _refresh: Any) -> tuple[Any, Any, Any]:
        query = logic.series_query(choice, datetime.now(UTC))
        series, message = attempt(lambda: api().get("models/performance/series", **query))
        if series is None:
            return coverage_over_time(None), error_over_time(None), error(message)
        return coverage_over_time(series), error_over_time(series), logic.live_totals(series)

    @app.callback(
        Output("models-retrain", "disabled"),
        Output("models-promote", "disabled"),
        Output("models-rollback", "disabled"),
        Output("models-admin-note", "children"),
        Input("models-run-poll", "disabled"),
        Input("models-refresh", "data"),
    )
    def gate(poll_disabled: bool | None, _refresh: Any) -> tuple[bool, bool, bool, Any]:
        scopes, role = _scopes()
        running = poll_disabled is False
        found = logic.admin_gate(scopes, role, running=running)
        current = _current()[0] if not found.disabled else None
        promote, rollback = logic.registry_gate(found, current)
        said = [r for r in (found.reason, promote.reason, rollback.reason) if r]
        return (
            found.disabled or running, promote.disabled, rollback.disabled,
            " ".join(dict.fromkeys(said)) or None,
        )  # fmt: skip

    @app.callback(
        Output("models-run", "data"),
        Output("models-retrain-message", "children"),
        Input("models-retrain", "n_clicks"),
        State("models-retrain-reason", "value"),
        State("models-retrain-samples", "value"),
        prevent_initial_call=True,
    )
    def retrain(_clicks: int | None, reason: str | None, samples: Any) -> tuple[Any, Any]:
        body, problem = logic.retrain_body(reason, samples)
        if body is None:
            return dash.no_update, error(problem)
        run, message = attempt(lambda: api().post("models/retrain", body, creates=True))
        if run is None:
            return dash.no_update, error(message, id="models-retrain-error")
        return run.get("id"), None

    @app.callback(
        Output("models-run-status", "children"),
        Output("models-run-poll", "disabled"),
        Output("models-refresh", "data"),
        Input("models-run", "data"),
        Input("models-run-poll", "n_intervals"),
        State("models-refresh", "data"),
    )
    def poll(run_id: str | None, _n: int | None, refresh: int | None) -> tuple[Any, bool, Any]:
        if not run_id:
            return None, True, dash.no_update
        if not RUN_ID.match(str(run_id)):
            return error(f"{run_id!r} is not a retrain run id"), True, dash.no_update
        run, message = attempt(lambda: api().get(f"models/retrain/{run_id}"))
        if run is None:
            return note(message, "secondary"), True, dash.no_update
        if logic.run_running(run):
            percent, doing = logic.run_progress(run)
            bar = dbc.Progress(value=percent, label=f"{percent}%", striped=True, animated=True, id="models-run-progress")  # fmt: skip
            return [html.Div(f"Retrain {run['id']}: {doing}", className="small mb-1"), bar], False, dash.no_update  # fmt: skip
        text, colour = logic.run_outcome(run)
        finished = dash.callback_context.triggered_id == "models-run-poll"
        return note(text, colour), True, (refresh or 0) + 1 if finished else dash.no_update

    @app.callback(
        Output("models-confirm", "is_open"),
        Output("models-confirm-title", "children"),
        Output("models-confirm-body", "children"),
        Output("models-override-box", "style"),
        Output("models-confirm-action", "data"),
        Input("models-promote", "n_clicks"),
        Input("models-rollback", "n_clicks"),
        Input("models-confirm-no", "n_clicks"),
        Input("models-confirm-yes", "n_clicks"),
        prevent_initial_call=True,
    )
    def confirm(*_clicks: Any) -> tuple[Any, ...]:
        action = {"models-promote": "promote", "models-rollback": "rollback"}.get(
            str(dash.callback_context.triggered_id)
        )
        if action is None:  # cancel, or confirmed (the action callback acts)
            return False, dash.no_update, dash.no_update, dash.no_update, dash.no_update
        current, message = _current()
        text = logic.confirm_text(action, current) if current else message
        shown = {"display": "block"} if action == "promote" else {"display": "none"}
        title = "Promote the challenger" if action == "promote" else "Roll back"
        return True, title, text, shown, action

    @app.callback(
        Output("models-action-result", "children"),
        Output("models-refresh", "data", allow_duplicate=True),
        Input("models-confirm-yes", "n_clicks"),
        State("models-confirm-action", "data"),
        State("models-promote-override", "value"),
        State("models-refresh", "data"),
        prevent_initial_call=True,
    )
    def act(_clicks: int | None, action: str | None, override: str | None, refresh: int | None) -> tuple[Any, Any]:  # fmt: skip
        if action not in ("promote", "rollback"):
            return dash.no_update, dash.no_update
        body = logic.promote_body(override) if action == "promote" else None
        try:
            answer = api().post(f"models/{action}", body)
        except (ApiError, NotSignedIn) as exc:
            refused = isinstance(exc, ApiError) and exc.status == 409
            shown = note(f"Refused: {explain(exc)}", "warning") if refused else error(explain(exc))
            return shown, dash.no_update
        return note(logic.action_message(action, answer), "success"), (refresh or 0) + 1


__all__ = ["NAME", "ORDER", "PATH", "TITLE", "layout", "register"]
