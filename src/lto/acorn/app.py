"""``create_app``: the Dash app on its Flask backend (run as its own process, with threads;
Dash 4's FastAPI backend would block every user on one synchronous callback).

The page shell: a navigation bar with the signed-in user, ``dash.page_container`` for the page,
and one app-level ``dcc.Store`` (``app-ids``) that holds ids only (the last job, run and
scenario ids), never arrays or credentials. Stylesheets are served from the package's
``assets/`` (no CDN: LTO runs where nothing may be downloaded).
"""

from __future__ import annotations

import logging
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, dcc, html

from lto.acorn.access import ApiAccess, install
from lto.acorn.login import install_login
from lto.acorn.pages import pages
from lto.acorn.reports import install_reports
from lto.acorn.sessions import SessionStore

ASSETS = Path(__file__).with_name("assets")
log = logging.getLogger(__name__)


def create_app(
    api_url: str,
    *,
    session_ttl_s: float = 8 * 3600,
    secure_cookie: bool = False,
    api_timeout_s: float = 30.0,
) -> Dash:
    access = ApiAccess(api_url.rstrip("/"), SessionStore(session_ttl_s), api_timeout_s)
    install(access)
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        title="LTO",
        update_title=None,
        suppress_callback_exceptions=True,  # pages' components exist only on their page
        serve_locally=True,
    )
    install_login(app.server, access, secure_cookie=secure_cookie)
    install_reports(app.server, access)
    found = pages()
    for page in found:
        dash.register_page(
            page.__name__,
            path=page.PATH,
            name=page.NAME,
            title=f"{page.TITLE} · LTO",
            order=page.ORDER,
            layout=page.layout,
        )
        page.register(app)
    app.layout = _shell(found)
    _register_shell(app, access)
    return app


def _shell(found: list) -> html.Div:  # type: ignore[type-arg]
    links = [
        dbc.NavItem(
            dbc.NavLink(
                p.NAME, href=p.PATH, active="exact", id=f"nav-{p.__name__.rsplit('.', 1)[-1]}"
            )
        )
        for p in found
        if getattr(p, "IN_NAV", True)
    ]
    user = dbc.NavItem(
        html.Span(id="app-user", className="navbar-text text-light small me-3"),
    )
    signout = dbc.NavItem(
        html.A("Sign out", href="/logout", className="nav-link", id="app-signout")
    )
    navbar = dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("LTO", href="/", className="fw-bold"),
                dbc.Nav(links, className="me-auto", navbar=True),
                dbc.Nav([user, signout], navbar=True),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="mb-3",
    )
    return html.Div(
        [
            dcc.Location(id="app-location"),
            dcc.Store(id="app-ids", storage_type="session", data={}),
            navbar,
            dbc.Container(dash.page_container, fluid=True, className="pb-5"),
        ]
    )


def _register_shell(app: Dash, access: ApiAccess) -> None:
    @app.callback(Output("app-user", "children"), Input("app-location", "pathname"))
    def who(_path: str | None) -> str:
        try:
            session = access.current_session()
        except Exception:
            return ""
        return f"{session.user} ({session.role})"


__all__ = ["create_app"]
