"""Signing in and out: plain Flask routes beside the Dash app, so the credential is posted once
to the server and answered with an HttpOnly, SameSite=Strict session cookie (no script can read
it, no other site can send it). Every page and callback behind them needs a live session.

Signing in checks the credential with the API itself (``/auth/me``): the web app keeps no user
list and grants nothing the API would not.
"""

from __future__ import annotations

import html
from urllib.parse import urlparse

import flask

from lto.acorn.access import ApiAccess
from lto.acorn.messages import plain_text, problems_text
from lto.acorn.sessions import COOKIE
from lto.client import ApiError, LtoClient

OPEN_PREFIXES = ("/login", "/logout", "/assets/", "/_dash-component-suites/", "/_favicon.ico",
                 "/healthz")  # fmt: skip
CALLBACK_PREFIXES = ("/_dash-update-component", "/_dash-layout", "/_dash-dependencies",
                     "/_reload-hash")  # fmt: skip

LABELS = {"username": "User name", "password": "Password", "api_key": "API key"}  # as the form
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · LTO</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/bootstrap.min.css"><link rel="stylesheet" href="/assets/lto.css">
</head><body class="bg-light">
<main class="container" style="max-width: 30rem; margin-top: 8vh">
<h1 class="h3 mb-1">LTO</h1><p class="text-muted">Lithography Tradeoff Optimizer: sign in</p>
{message}
<form method="post" action="/login" class="card card-body mb-3" id="login-key">
<input type="hidden" name="next" value="{next}"><input type="hidden" name="method" value="api_key">
<label class="form-label" for="api_key">API key</label>
<input class="form-control mb-2" id="api_key" name="api_key" type="password" autocomplete="off"
 placeholder="lto_…" required>
<div class="form-text mb-2">From <code>lto keys create USER</code> (or printed by <code>lto demo</code>).</div>
<button class="btn btn-primary" type="submit" id="login-key-submit">Sign in with the key</button>
</form>
<form method="post" action="/login" class="card card-body" id="login-password">
<input type="hidden" name="next" value="{next}"><input type="hidden" name="method" value="password">
<label class="form-label" for="username">User name</label>
<input class="form-control mb-2" id="username" name="username" autocomplete="username" required>
<label class="form-label" for="password">Password</label>
<input class="form-control mb-2" id="password" name="password" type="password"
 autocomplete="current-password" required>
<button class="btn btn-outline-primary" type="submit" id="login-password-submit">Sign in with a password</button>
</form>
<p class="text-muted small mt-3">API: {api}</p>
</main></body></html>"""


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would hand a signed-in user to anyone."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _page(
    access: ApiAccess, message: str = "", target: str = "/", status: int = 200
) -> flask.Response:
    alert = f'<div class="alert alert-danger" role="alert" id="login-error">{html.escape(message)}</div>'
    body = PAGE.format(
        message=alert if message else "",
        next=html.escape(_safe_next(target), quote=True),
        api=html.escape(access.base_url),
    )
    response = flask.Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _sign_in(access: ApiAccess, form: dict[str, str]) -> tuple[str, float | None, str]:
    """(credential kind, lifetime, credential) for the form, or ApiError from the API."""
    if form.get("method") == "password":
        user, password = form.get("username", "").strip(), form.get("password", "")
        if not user or not password:
            raise ValueError("user name and password: both are needed")
        with access.anonymous() as client:
            answer = client.request(
                "POST", "/api/v1/auth/token", json={"username": user, "password": password}
            )
        return "token", float(answer.get("expires_in") or 3600), str(answer["access_token"])
    key = form.get("api_key", "").strip()
    if not key:
        raise ValueError("API key: paste the key `lto keys create` printed (it starts lto_)")
    return "api_key", None, key


def install_login(server: flask.Flask, access: ApiAccess, *, secure_cookie: bool = False) -> None:
    @server.get("/login")
    def login_form() -> flask.Response:
        return _page(access, target=flask.request.args.get("next", "/"))

    @server.post("/login")
    def login() -> flask.Response:
        form = dict(flask.request.form.items())
        target = _safe_next(form.get("next"))
        try:
            kind, lifetime, credential = _sign_in(access, form)
            options = {"token": credential} if kind == "token" else {"api_key": credential}
            with LtoClient(access.base_url, retries=0, timeout=access.timeout_s, **options) as c:
                me = c.me()
        except ValueError as error:
            return _page(access, str(error), target, 400)
        except ApiError as error:
            said = problems_text(error.errors, LABELS) or plain_text(error.detail, LABELS)
            reason = {401: "that credential is not valid (wrong, revoked or expired)"}.get(
                error.status, said or error.title
            )
            if error.status == 0:
                reason = f"the LTO API at {access.base_url} is not answering"
            return _page(access, f"Not signed in: {reason}.", target, 401 if error.status else 503)
        session = access.sessions.open(
            user=str(me.get("name") or me.get("user_id") or "?"),
            role=str(me.get("role", "")),
            scopes=frozenset(me.get("scopes") or []),
            credential_kind=kind,
            credential=credential,
            lifetime_s=lifetime,
        )
        response = flask.redirect(target, code=303)
        response.set_cookie(COOKIE, session.id, httponly=True, samesite="Strict",
                            secure=secure_cookie, path="/")  # fmt: skip
        return response

    @server.route("/logout", methods=["GET", "POST"])
    def logout() -> flask.Response:
        access.forget(flask.request.cookies.get(COOKIE))
        response = flask.redirect("/login", code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @server.get("/healthz")
    def healthz() -> flask.Response:
        return flask.jsonify({"status": "ok"})

    @server.before_request
    def gate() -> flask.Response | None:
        path = flask.request.path
        if path.startswith(OPEN_PREFIXES):
            return None
        if access.sessions.get(flask.request.cookies.get(COOKIE)) is not None:
            return None
        if path.startswith(CALLBACK_PREFIXES):
            return flask.Response('{"error": "not signed in"}', 401, mimetype="application/json")
        return flask.redirect(f"/login?next={flask.request.full_path.rstrip('?')}", code=303)

    @server.after_request
    def headers(response: flask.Response) -> flask.Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if secure_cookie:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


__all__ = ["install_login"]
