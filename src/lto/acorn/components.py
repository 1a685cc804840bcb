"""Small pieces every page uses: messages, key–value tables, a figure in a card."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html


def error(message: str | None, *, id: str | None = None) -> Any:
    """A red message (the API's words, field by field), or nothing."""
    if not message:
        return None
    options = {"id": id} if id else {}
    return dbc.Alert(message, color="danger", className="py-2 mb-2", **options)


def note(message: str | None, color: str = "secondary") -> Any:
    if not message:
        return None
    return dbc.Alert(message, color=color, className="py-2 mb-2")


def key_values(rows: Iterable[tuple[str, Any]], *, id: str | None = None) -> dbc.Table:
    body = [
        html.Tr([html.Th(k, className="fw-normal text-muted"), html.Td(_text(v))]) for k, v in rows
    ]
    options = {"id": id} if id else {}
    return dbc.Table(html.Tbody(body), size="sm", className="lto-score-table mb-2", **options)


def table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, id: str | None = None
) -> dbc.Table:
    options = {"id": id} if id else {}
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in header])),
         html.Tbody([html.Tr([html.Td(_text(c)) for c in row]) for row in rows])],
        size="sm", striped=True, hover=True, responsive=True, className="mb-2", **options,
    )  # fmt: skip


def card(title: str, *children: Any, body_class: str = "") -> dbc.Card:
    """A titled section of a page: the header, then ``children`` in the body."""
    return dbc.Card(
        [
            dbc.CardHeader(title, className="py-1"),
            dbc.CardBody(list(children), className=body_class),
        ],
        className="mb-3",
    )


def figure_card(title: str, graph_id: Any, figure: Any = None, *, height: int = 360) -> dbc.Card:
    graph = dcc.Graph(
        id=graph_id,
        figure=figure or {},
        config={"displaylogo": False},
        style={"height": f"{height}px"},
    )
    return card(title, graph, body_class="p-1")


def _text(value: Any) -> Any:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return value


__all__ = ["card", "error", "figure_card", "key_values", "note", "table"]
