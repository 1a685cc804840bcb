"""The economics page: what pre-flight blocking and the surrogate's answers saved in a time
window (``GET /api/v1/economics``, priced with athena's functions): the totals, a breakdown
chart, the counts behind them and the prices assumed, which the user may change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, dcc, html

from lto.acorn.access import api, attempt
from lto.acorn.components import error, figure_card, key_values, note
from lto.acorn.figures.economics import savings_breakdown
from lto.acorn.formats import plain
from lto.acorn.pages import economics_logic as logic

PATH, NAME, TITLE, ORDER = "/economics", "Economics", "Economics", 8
PRICE_IDS = {name: f"economics-{name.replace('_', '-')}" for name in logic.PRICE_FIELDS}


def _price_inputs() -> dbc.Row:
    columns = []
    for name, (label, low, high) in logic.PRICE_FIELDS.items():
        columns.append(
            dbc.Col(
                [
                    dbc.Label(label, html_for=PRICE_IDS[name], className="small mb-0"),
                    dbc.Input(
                        id=PRICE_IDS[name],
                        type="text",  # parsed here: "abc" is said to be no number
                        inputmode="numeric" if name == "physics_cores" else "decimal",
                        debounce=True,
                        placeholder=f"API default ({plain(low)}–{plain(high)})",
                        size="sm",
                    ),
                ],
                md=2,
            )
        )
    return dbc.Row(columns, className="g-2 mb-2")


def layout(**_query: Any) -> html.Div:
    return html.Div(
        [
            html.H2("Economics", className="h4"),
            html.P(
                "What pre-flight blocking and the surrogate's answers saved: counted from the job "
                "records, priced with the assumptions below (prices are configuration, not facts).",
                className="text-muted small",
            ),
            dbc.RadioItems(
                id="economics-window",
                options=[{"label": label, "value": k} for k, (label, _) in logic.WINDOWS.items()],
                value=logic.DEFAULT_WINDOW,
                inline=True,
                className="mb-2",
            ),
            dcc.Markdown("**Assumptions** (empty: the API's defaults)", className="small mb-0"),
            _price_inputs(),
            html.Div(id="economics-message"),
            html.Div(id="economics-scope", className="small text-muted mb-2"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Card(
                                [
                                    dbc.CardHeader("Totals", className="py-1"),
                                    dbc.CardBody(id="economics-totals"),
                                ],
                                className="mb-3",
                            ),
                            dbc.Card(
                                [
                                    dbc.CardHeader("Prices assumed", className="py-1"),
                                    dbc.CardBody(id="economics-prices"),
                                ],
                                className="mb-3",
                            ),
                        ],
                        lg=4,
                    ),
                    dbc.Col(
                        [
                            figure_card("Breakdown", "economics-graph", height=400),
                            dbc.Card(
                                [
                                    dbc.CardHeader("What was counted", className="py-1"),
                                    dbc.CardBody(id="economics-counts"),
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


def register(app: Dash) -> None:
    @app.callback(
        Output("economics-totals", "children"),
        Output("economics-prices", "children"),
        Output("economics-counts", "children"),
        Output("economics-graph", "figure"),
        Output("economics-scope", "children"),
        Output("economics-message", "children"),
        Input("economics-window", "value"),
        *(Input(PRICE_IDS[name], "value") for name in logic.PRICE_FIELDS),
    )
    def refresh(choice: str | None, *values: Any) -> tuple[Any, ...]:
        asked, problems = logic.price_query(dict(zip(logic.PRICE_FIELDS, values, strict=True)))
        query = {**logic.window_query(choice, datetime.now(UTC)), **asked}
        found, message = attempt(lambda: api().get("economics", **query), labels=logic.LABELS)
        if found is None:
            return None, None, None, savings_breakdown(None), None, error(message)
        notes = [note(text, "warning") for text in found.get("notes") or []]
        notes += [note(text, "info") for text in logic.saving_notes(found)]
        if found.get("truncated"):
            notes.append(note("More records than one answer counts: only the newest were counted.", "warning"))  # fmt: skip
        if problems:
            notes.append(error("; ".join(problems) + " (the API's default is used instead)"))
        return (
            key_values(logic.totals(found), id="economics-totals-table"),
            key_values(logic.prices(found), id="economics-prices-table"),
            key_values(logic.counts(found), id="economics-counts-table"),
            savings_breakdown(found),
            logic.scope_text(found),
            notes or None,
        )


__all__ = ["NAME", "ORDER", "PATH", "TITLE", "layout", "register"]
