"""Alerts: the active alerts (``GET /api/v1/alerts``) and every alert
(``GET /api/v1/alerts/history``), polled every few seconds; acknowledge an alert, and clear or
escalate the anomaly-flagged job an alert concerns (``POST /api/v1/jobs/{id}/review``).

Buttons carry pattern-matching ids with the alert's id (``{"type": "alerts-ack", "id": …}``,
``alerts-clear``, ``alerts-escalate``); the job each shown alert concerns is kept in a page
store (ids only), so a decision goes to the right job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, dcc, html

from lto.acorn.access import NotSignedIn, api, attempt, session
from lto.acorn.components import error, note, table
from lto.acorn.pages import alerts_logic as logic

PATH, NAME, TITLE, ORDER = "/alerts", "Alerts", "Alerts", 5

TICK_MS = 5000
LIMIT = 50
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
ACTIVE_HEADER = ("severity", "kind", "job", "fired", "message", "actions")
HISTORY_HEADER = ("severity", "kind", "job", "fired", "message", "acknowledged")
COLOURS = {"ack": "primary", "clear": "success", "escalate": "danger"}


def layout(**_query: Any) -> html.Div:
    severities = [{"label": s, "value": s} for s in logic.SEVERITY_COLOURS]
    return html.Div(
        [
            html.H2("Alerts", className="h4"),
            dcc.Interval(id="alerts-tick", interval=TICK_MS),
            dcc.Store(id="alerts-jobs", data={}),
            dcc.Store(id="alerts-changed", data=0),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Severity", className="small mb-0"),
                            dcc.Dropdown(
                                id="alerts-filter-severity",
                                options=severities,
                                placeholder="any severity",
                                clearable=True,
                            ),
                        ],
                        md=2,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Note for a clear or an escalation", className="small mb-0"),
                            dbc.Textarea(
                                id="alerts-note",
                                rows=1,
                                maxLength=logic.MAX_NOTE,
                                placeholder="what you found",
                            ),
                        ],
                        md=6,
                    ),
                ],
                className="g-2 mb-2",
            ),
            html.Div(id="alerts-message"),
            html.H3("Active", className="h5 mt-3"),
            html.Div(id="alerts-active"),
            html.H3("History", className="h5 mt-3"),
            html.Div(id="alerts-history"),
        ]
    )


def _button(action: logic.Action, alert_id: str) -> Any:
    button = dbc.Button(
        action.label,
        id={"type": f"alerts-{action.kind}", "id": alert_id},
        size="sm",
        color=COLOURS[action.kind],
        outline=action.kind != "ack",
        disabled=not action.enabled,
        className="me-1",
    )
    # a disabled button takes no pointer events: the reason sits on its wrapper
    return html.Span(button, title=action.why, className="d-inline-block", tabIndex=0)


def _cells(alert: Mapping[str, Any], extra: Any) -> list[Any]:
    shown = logic.row(alert)
    job = (
        html.A(shown["job_id"], href=shown["report"], target="_blank", rel="noopener")
        if shown["report"]
        else ""
    )
    badge = dbc.Badge(shown["severity"], color=shown["colour"])
    return [badge, shown["kind"], job, shown["fired_at"], shown["message"], extra]


def _job_states(alerts: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    """The state of each job the alerts concern (None: not one the user may see)."""
    client = api()
    states: dict[str, str | None] = {}
    for job_id in logic.job_ids(alerts):
        job, _message = attempt(partial(client.job, job_id))
        states[job_id] = (job or {}).get("state")
    return states


def _scopes() -> frozenset[str]:
    try:
        return session().scopes
    except NotSignedIn:
        return frozenset()


def _active_view(alerts: Sequence[Mapping[str, Any]]) -> tuple[Any, dict[str, str]]:
    if not alerts:
        return note("No active alerts.", "success"), {}
    states, scopes = _job_states(alerts), _scopes()
    rows = []
    for alert in alerts:
        found = logic.actions(alert, states.get(alert.get("job_id") or ""), scopes)
        rows.append(_cells(alert, [_button(a, alert["id"]) for a in found]))
    jobs = {a["id"]: a["job_id"] for a in alerts if a.get("job_id")}
    return table(ACTIVE_HEADER, rows, id="alerts-active-table"), jobs


def _history_view(alerts: Sequence[Mapping[str, Any]]) -> Any:
    if not alerts:
        return note("No alerts yet.", "secondary")
    rows = [_cells(a, logic.row(a)["acknowledged"] or "not yet") for a in alerts]
    return table(HISTORY_HEADER, rows, id="alerts-history-table")


def register(app: Dash) -> None:
    @app.callback(
        Output("alerts-active", "children"),
        Output("alerts-history", "children"),
        Output("alerts-jobs", "data"),
        Input("alerts-tick", "n_intervals"),
        Input("alerts-filter-severity", "value"),
        Input("alerts-changed", "data"),
    )
    def refresh(_n: int | None, severity: str | None, _changed: int) -> tuple[Any, Any, Any]:
        active, message = attempt(lambda: api().get("alerts", limit=LIMIT, severity=severity))
        if active is None:
            return error(message, id="alerts-error"), None, {}
        history, message = attempt(
            lambda: api().get("alerts/history", limit=LIMIT, severity=severity)
        )
        view, jobs = _active_view(active.get("items") or [])
        past = error(message) if history is None else _history_view(history.get("items") or [])
        return view, past, jobs

    @app.callback(
        Output("alerts-message", "children"),
        Output("alerts-changed", "data"),
        Input({"type": "alerts-ack", "id": ALL}, "n_clicks"),
        Input({"type": "alerts-clear", "id": ALL}, "n_clicks"),
        Input({"type": "alerts-escalate", "id": ALL}, "n_clicks"),
        State("alerts-note", "value"),
        State("alerts-jobs", "data"),
        State("alerts-changed", "data"),
        prevent_initial_call=True,
    )
    def act(
        _acks: list[int | None],
        _clears: list[int | None],
        _escalations: list[int | None],
        text: str | None,
        jobs: dict[str, str] | None,
        changed: int | None,
    ) -> tuple[Any, Any]:
        clicked = dash.ctx.triggered_id
        if not isinstance(clicked, dict) or not dash.ctx.triggered[0].get("value"):
            raise dash.exceptions.PreventUpdate  # buttons drawn anew, not pressed
        kind = str(clicked["type"]).removeprefix("alerts-")
        alert_id = str(clicked["id"])
        said = _perform(kind, alert_id, text, jobs or {})
        return said, (changed or 0) + 1


def _perform(kind: str, alert_id: str, text: str | None, jobs: Mapping[str, str]) -> Any:
    """Acknowledge the alert, or decide on its job; what to tell the user."""
    if not SAFE_ID.match(alert_id):
        return error(f"{alert_id!r} is not an alert id")
    if kind == "ack":
        _done, message = attempt(lambda: api().post(f"alerts/{alert_id}/acknowledge", creates=True))
        return error(message) or note(f"Alert {alert_id} acknowledged.", "success")
    job_id = jobs.get(alert_id, "")
    if kind not in ("clear", "escalate") or not SAFE_ID.match(job_id):
        return error(f"alert {alert_id} concerns no job to review")
    try:
        body = logic.review_body(kind, text)  # type: ignore[arg-type]
    except ValueError as exc:
        return error(str(exc))
    job, message = attempt(lambda: api().post(f"jobs/{job_id}/review", body))
    if job is None:
        return error(message)
    return note(f"Job {job_id} is now {job.get('state')}; its alerts are acknowledged.", "success")
