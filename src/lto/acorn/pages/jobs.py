"""Jobs: the jobs the user may see (``GET /api/v1/jobs``), newest first, a page at a time with
the API's cursors, filtered by state, submitter and time; each row links to the job's report.

``/jobs?status=anomaly_flagged&submitted_by=erin`` opens with those filters set.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, dcc, html

from lto.acorn.access import api, attempt
from lto.acorn.components import error, note, table
from lto.acorn.labels import state_label
from lto.acorn.pages import jobs_logic as logic

PATH, NAME, TITLE, ORDER = "/jobs", "Jobs", "Jobs", 4

HEADER = ("job", "state", "submitted by", "submitted", "key parameters", "key scores", "note")
STATE_COLOURS = {
    "completed": "success",
    "cleared": "success",
    "anomaly_flagged": "danger",
    "escalated": "danger",
    "failed": "danger",
    "rejected": "warning",
    "blocked": "warning",
    "engineer_review": "info",
    "running": "primary",
    "queued": "secondary",
    "cancelled": "light",
}


def _text_filter(id_: str, label: str, value: str | None, placeholder: str) -> dbc.Col:
    return dbc.Col(
        [
            dbc.Label(label, className="small mb-0", html_for=id_),
            dbc.Input(id=id_, value=value or "", placeholder=placeholder, debounce=True, size="sm"),
        ],
        md=2,
    )


def layout(
    status: str | None = None,
    submitted_by: str | None = None,
    since: str | None = None,
    until: str | None = None,
    **_query: Any,
) -> html.Div:
    states = [{"label": state_label(s), "value": s} for s in logic.STATES]
    return html.Div(
        [
            html.H2("Jobs", className="h4"),
            dcc.Store(id="jobs-cursors", data=logic.first_page()),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("State", className="small mb-0"),
                            dcc.Dropdown(
                                id="jobs-filter-status",
                                options=states,
                                value=status if status in logic.STATES else None,
                                placeholder="any state",
                                clearable=True,
                            ),
                        ],
                        md=2,
                    ),
                    _text_filter("jobs-filter-submitter", "Submitted by", submitted_by, "any user"),
                    _text_filter(
                        "jobs-filter-since", "Submitted at or after", since, "2026-12-01T00:00Z"
                    ),
                    _text_filter(
                        "jobs-filter-until", "Submitted before", until, "2026-12-31T00:00Z"
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Refresh", id="jobs-refresh", size="sm", outline=True, color="secondary"
                        ),
                        md="auto",
                        className="d-flex align-items-end",
                    ),
                ],
                className="g-2 mb-2",
            ),
            html.Small(
                "Times in ISO 8601 with a zone (Z for UTC). Engineers see their own "
                "jobs; operators and admins every job.",
                className="text-muted",
            ),
            html.Div(id="jobs-message", className="mt-2"),
            html.Div(id="jobs-table-wrap", className="mt-2"),
            html.Div(
                [
                    dbc.Button(
                        "Previous", id="jobs-prev", size="sm", disabled=True, className="me-2"
                    ),
                    html.Span(id="jobs-page", className="small text-muted me-2"),
                    dbc.Button("Next", id="jobs-next", size="sm", disabled=True),
                ],
                className="d-flex align-items-center",
            ),
        ]
    )


def _row_cells(row: dict[str, Any]) -> list[Any]:
    link = html.A(
        row["id"],
        href=row["report"],
        target="_blank",
        rel="noopener",
        title="open the job's report",
    )
    badge = dbc.Badge(state_label(row["state"]), color=STATE_COLOURS.get(row["state"], "secondary"))
    return [
        link,
        badge,
        row["submitted_by"],
        row["submitted_at"],
        row["parameters"],
        row["scores"],
        row["note"],
    ]


def _rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    """Each job's row; its parameters and scores come from the job itself (the list has only
    summaries): one request a row, a page of ``PAGE_SIZE`` at most."""
    client = api()
    rows = []
    for summary in items:
        detail, _message = attempt(partial(client.job, summary["id"]))
        rows.append(_row_cells(logic.row(summary, detail)))
    return rows


def register(app: Dash) -> None:
    @app.callback(
        Output("jobs-table-wrap", "children"),
        Output("jobs-message", "children"),
        Output("jobs-cursors", "data"),
        Output("jobs-prev", "disabled"),
        Output("jobs-next", "disabled"),
        Output("jobs-page", "children"),
        Input("jobs-filter-status", "value"),
        Input("jobs-filter-submitter", "value"),
        Input("jobs-filter-since", "value"),
        Input("jobs-filter-until", "value"),
        Input("jobs-next", "n_clicks"),
        Input("jobs-prev", "n_clicks"),
        Input("jobs-refresh", "n_clicks"),
        State("jobs-cursors", "data"),
    )
    def show(
        status: str | None,
        submitter: str | None,
        since: str | None,
        until: str | None,
        _next: int | None,
        _prev: int | None,
        _refresh: int | None,
        cursors: logic.Cursors | None,
    ) -> tuple[Any, ...]:
        trigger = dash.ctx.triggered_id
        asked = logic.after(trigger if isinstance(trigger, str) else None, cursors)
        try:
            params = logic.query_params(status, submitter, since, until)
        except ValueError as exc:
            return (None, error(str(exc), id="jobs-error"), asked, True, True, "")
        page, message = attempt(
            lambda: api().get("jobs", cursor=logic.current(asked), **params), labels=logic.LABELS
        )
        if page is None:
            return (
                None,
                error(message, id="jobs-error"),
                asked,
                not logic.has_previous(asked),
                True,
                "",
            )
        shown = logic.answered(asked, page.get("next_cursor"))
        items = page.get("items") or []
        body = [
            table(HEADER, _rows(items), id="jobs-table"),
            None if items else note("No jobs match these filters.", "secondary"),
        ]
        label = (
            f"page {logic.page_number(shown)} · {len(items)} job{'' if len(items) == 1 else 's'}"
        )
        return (body, None, shown, not logic.has_previous(shown), not logic.has_next(shown), label)
