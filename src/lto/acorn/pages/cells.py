"""The litho cell page: the cells (``GET /cells``), one of them as a graph (``/cells?cell=ID``:
tools as nodes coloured by kind, material streams as labelled edges, along the process flow),
the properties of the tool or stream clicked, and the fab as one compound graph (every cell a
box of its tools: the API relates cells only as the fab's cells). Without cells, users with
``cells:write`` create the reference cells from the API's templates.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
from dash import Dash, Input, Output, State, dcc, html

from lto.acorn.access import NotSignedIn, api, attempt, session
from lto.acorn.components import error, key_values, note
from lto.acorn.figures.graphs import LAYOUT, cell_elements, fab_elements, legend, stylesheet
from lto.acorn.pages import cells_logic as logic

PATH, NAME, TITLE, ORDER = "/cells", "Litho cell", "Litho cell", 7
VIEWS = [{"label": "this cell", "value": "cell"}, {"label": "the fab: every cell", "value": "fab"}]


# --- the layout ---------------------------------------------------------------------------------


def layout(cell: str | None = None, view: str | None = None, **_query: Any) -> html.Div:
    return html.Div(
        [
            html.H2("Litho cell", className="h4"),
            dcc.Store(id="cells-selected", data=logic.valid_cell_id(cell)),
            dcc.Store(id="cells-refresh", data=0),
            html.Div(id="cells-message"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.H3("Cells", className="h6 text-muted"),
                            html.Div(id="cells-list"),
                            html.Div(id="cells-technology"),
                            html.Div(id="cells-create-area"),
                            html.Div(id="cells-create-result"),
                        ],
                        lg=3,
                    ),
                    dbc.Col(
                        [
                            dbc.RadioItems(
                                id="cells-view",
                                options=VIEWS,
                                value=view if view in ("cell", "fab") else "cell",
                                inline=True,
                                className="mb-1",
                            ),
                            html.Div(id="cells-title", className="fw-semibold mb-1"),
                            cyto.Cytoscape(
                                id="cells-graph",
                                elements=[],
                                layout=LAYOUT,
                                stylesheet=stylesheet(),
                                style={
                                    "width": "100%",
                                    "height": "680px",
                                    "border": "1px solid #dee2e6",
                                },
                                minZoom=0.2,
                                maxZoom=3.0,
                                boxSelectionEnabled=False,
                                autoungrabify=False,
                            ),
                            html.Div(id="cells-legend", className="small mt-1"),
                        ],
                        lg=6,
                    ),
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(id="cells-node-heading", className="py-1"),
                                dbc.CardBody(id="cells-node-props"),
                            ]
                        ),
                        lg=3,
                    ),
                ],
                className="g-3",
            ),
        ]
    )


# --- views --------------------------------------------------------------------------------------


def _cell_list(cells: list[dict[str, Any]], chosen: str | None) -> Any:
    if not cells:
        return note("No litho cell is defined yet.")
    return dbc.ListGroup(
        [
            dbc.ListGroupItem(
                logic.cell_caption(c),
                href=logic.cell_href(str(c["id"])),
                active=c["id"] == chosen,
                id={"type": "cells-item", "id": str(c["id"])},
                className="small",
            )
            for c in cells
        ],
        className="mb-2",
    )


def _legend(elements: list[dict[str, Any]]) -> list[Any]:
    kinds = [e["data"]["kind"] for e in elements if "equipment_id" in e["data"]]
    return [
        html.Span(
            [
                html.Span(
                    className="d-inline-block me-1",
                    style={"width": "0.8em", "height": "0.8em", "background": colour},
                ),
                kind,
            ],
            className="me-3",
        )
        for kind, colour in legend(kinds)
    ]


def _create_area(may: bool, why: str | None, missing: int) -> Any:
    if not missing:
        return None
    button = dbc.Button(
        "Create the reference cells",
        id="cells-create",
        color="primary",
        size="sm",
        disabled=not may,
    )
    return html.Div(
        [
            html.P(
                "The API has templates for an ArF-immersion and an EUV reference cell "
                "(lto.atlas.examples).",
                className="small text-muted mb-1",
            ),
            html.Span(button, title=why or "", className="d-inline-block", tabIndex=0),
            html.Div(why, className="small text-muted mt-1") if why else None,
        ]
    )


def _scopes() -> frozenset[str] | None:
    try:
        return session().scopes
    except NotSignedIn:
        return None


def _cell(cell_id: str) -> tuple[dict[str, Any] | None, str | None]:
    return attempt(lambda: api().get(f"cells/{cell_id}"))


def _create_cell(body: dict[str, str]) -> tuple[dict[str, Any] | None, str | None]:
    return attempt(lambda: api().post("cells", body, creates=True))


def _fab(cells: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
    found, problems = [], []
    for summary in cells[: logic.MAX_FAB_CELLS]:
        cell, message = _cell(str(summary["id"]))
        if cell is None:
            problems.append(f"{summary['id']}: {message}")
        else:
            found.append(cell)
    more = len(cells) - logic.MAX_FAB_CELLS
    if more > 0:
        problems.append(f"{more} more cells are not drawn (the first {logic.MAX_FAB_CELLS} are)")
    return found, "; ".join(problems) or None


# --- the callbacks ------------------------------------------------------------------------------


def register(app: Dash) -> None:
    @app.callback(
        Output("cells-list", "children"),
        Output("cells-create-area", "children"),
        Output("cells-graph", "elements"),
        Output("cells-title", "children"),
        Output("cells-technology", "children"),
        Output("cells-legend", "children"),
        Output("cells-message", "children"),
        Input("cells-selected", "data"),
        Input("cells-view", "value"),
        Input("cells-refresh", "data"),
    )
    def show(asked: str | None, view: str | None, _refresh: Any) -> tuple[Any, ...]:
        listing, message = attempt(lambda: api().get("cells", limit=200))
        if listing is None:
            return None, None, [], None, None, None, error(message)
        cells = list(listing.get("items") or [])
        may, why = logic.may_write(_scopes())
        missing = len(logic.reference_bodies(cells)) if not cells else 0
        create = _create_area(may, why, missing)
        chosen = logic.choose_cell(cells, asked)
        more = note("More cells exist than listed: the first 200 are shown.") if listing.get("truncated") else None  # fmt: skip
        if view == "fab":
            found, problem = _fab(cells)
            elements = fab_elements(found)
            caption = f"The fab: {len(found)} cells" if found else None
            shown = error(problem) or more
            return (
                _cell_list(cells, chosen),
                create,
                elements,
                caption,
                None,
                _legend(elements),
                shown,
            )
        if chosen is None:
            return _cell_list(cells, None), create, [], None, None, None, more
        cell, message = _cell(chosen)
        if cell is None:
            return _cell_list(cells, chosen), create, [], None, None, None, error(message)
        elements = cell_elements(cell)
        technology = key_values(logic.technology_rows(cell), id="cells-technology-table")
        listed = _cell_list(cells, chosen)
        caption = logic.cell_caption(cell)
        return listed, create, elements, caption, technology, _legend(elements), more

    @app.callback(
        Output("cells-node-heading", "children"),
        Output("cells-node-props", "children"),
        Input("cells-graph", "tapNodeData"),
        Input("cells-graph", "tapEdgeData"),
    )
    def properties(node: dict[str, Any] | None, edge: dict[str, Any] | None) -> tuple[Any, Any]:
        trigger = dash.callback_context.triggered[0]["prop_id"] if dash.callback_context.triggered else ""  # fmt: skip
        data = edge if trigger.endswith("tapEdgeData") else node
        rows = logic.element_rows(data)
        return logic.element_heading(data), key_values(rows, id="cells-node-table") if rows else None  # fmt: skip

    @app.callback(
        Output("cells-create-result", "children"),
        Output("cells-refresh", "data"),
        Input("cells-create", "n_clicks"),
        State("cells-refresh", "data"),
        prevent_initial_call=True,
    )
    def create(clicks: int | None, refresh: int | None) -> tuple[Any, Any]:
        if not clicks:
            return dash.no_update, dash.no_update
        listing, message = attempt(lambda: api().get("cells", limit=200))
        if listing is None:
            return error(message), dash.no_update
        made, problems = [], []
        for body in logic.reference_bodies(listing.get("items") or []):
            cell, message = _create_cell(body)
            if cell is None:
                problems.append(f"{body['name']}: {message}")
            else:
                made.append(cell["name"])
        shown = [note(f"Created {', '.join(made)}.", "success") if made else None, error("; ".join(problems) or None)]  # fmt: skip
        return shown, (refresh or 0) + 1


__all__ = ["NAME", "ORDER", "PATH", "TITLE", "layout", "register"]
