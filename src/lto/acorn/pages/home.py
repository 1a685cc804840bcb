"""The start page: is everything up, what is running, what needs attention."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, dcc, html

from lto.acorn.access import access, api, attempt
from lto.acorn.components import error, key_values

PATH, NAME, TITLE, ORDER = "/", "Overview", "Overview", 0


def layout(**_query: Any) -> html.Div:
    return html.Div(
        [
            html.H2("Overview", className="h4"),
            dcc.Interval(id="home-tick", interval=10_000),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            [dbc.CardHeader("Service health"), dbc.CardBody(id="home-health")]
                        ),
                        md=4,
                    ),
                    dbc.Col(
                        dbc.Card(
                            [dbc.CardHeader("Production surrogate"), dbc.CardBody(id="home-model")]
                        ),
                        md=4,
                    ),
                    dbc.Col(
                        dbc.Card(
                            [dbc.CardHeader("Needs attention"), dbc.CardBody(id="home-attention")]
                        ),
                        md=4,
                    ),
                ],
                className="g-3",
            ),
            html.P(
                [
                    "Start with ",
                    dcc.Link("What-if", href="/whatif"),
                    ": change a parameter and the surrogate answers at once; run the physics "
                    "when it is unsure.",
                ],
                className="mt-3 text-muted",
            ),
        ]
    )


def register(app: Dash) -> None:
    @app.callback(
        Output("home-health", "children"),
        Output("home-model", "children"),
        Output("home-attention", "children"),
        Input("home-tick", "n_intervals"),
    )
    def refresh(_n: int | None) -> tuple[Any, Any, Any]:
        with access().anonymous() as client:
            components, message = attempt(client.components)
        health = error(message) or key_values(
            (name, part.get("status", "?"))
            for name, part in (components or {}).get("components", {}).items()
        )
        model, message = attempt(lambda: api().get("models/current"))
        model_view = error(message) or key_values(
            [("version", (model or {}).get("version")),
             ("trained at", (model or {}).get("trained_at")),
             ("champion", ((model or {}).get("registry") or {}).get("champion", {}) and
              model["registry"]["champion"]["version"]),
             ("drift PSI", (model or {}).get("drift_psi"))]
        )  # fmt: skip
        alerts, message = attempt(lambda: api().get("alerts", limit=100))
        jobs, message_jobs = attempt(lambda: api().get("jobs", limit=100, status="anomaly_flagged"))
        attention = error(message or message_jobs) or key_values(
            [("active alerts", len((alerts or {}).get("items", []))),
             ("jobs awaiting review", len((jobs or {}).get("items", [])))]
        )  # fmt: skip
        return health, model_view, attention
