"""A job's report in the browser: ``GET /reports/<job_id>`` (the API's self-contained HTML
page) and ``GET /reports/<job_id>.json`` (its JSON), plain Flask routes beside the Dash app.

The report is fetched with the signed-in session's client, so the browser never holds the API
credential; the login gate (``lto.acorn.login``) sends a request without a session to
/login first. The HTML has inline styles and PNG data URIs and nothing else: it is served
with the API's Content-Security-Policy (no scripts, no fetches, images from data: only).
A path that is not a job id is answered 404 without asking the API.
"""

from __future__ import annotations

import html
import re

import flask

from lto.acorn.access import ApiAccess, NotSignedIn, explain
from lto.acorn.sessions import COOKIE
from lto.client import ApiError

JOB_ID = re.compile(r"^job-[A-Za-z0-9_-]{1,64}$")  # what lto.atlas.identity.new_id("job") makes
REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"
JSON_CSP = "default-src 'none'; frame-ancestors 'none'"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · LTO</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css"></head>
<body class="bg-light"><main class="container" style="max-width: 40rem; margin-top: 8vh">
<h1 class="h4" id="report-error-title">{title}</h1><p id="report-error">{message}</p>
<p><a href="/jobs">Jobs</a> · <a href="/">Overview</a></p></main></body></html>"""


def _page(status: int, title: str, message: str) -> flask.Response:
    body = PAGE.format(title=html.escape(title), message=html.escape(message))
    response = flask.Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _to_sign_in(job_id: str) -> flask.Response:
    return flask.Response(status=303, headers={"Location": f"/login?next=/reports/{job_id}"})


def _failure(job_id: str, error: ApiError | NotSignedIn) -> flask.Response:
    """The API's refusal as a page of its own status (a 5xx or no answer: 502)."""
    if isinstance(error, NotSignedIn):
        return _to_sign_in(job_id)
    if error.status == 404:
        return _page(404, "No such job", f"There is no job {job_id} that you may see.")
    if error.status == 401:
        return _to_sign_in(job_id)
    status = error.status if 400 <= error.status < 500 else 502
    return _page(status, "The report could not be fetched", explain(error))


def _fetch(access: ApiAccess, job_id: str, format: str) -> flask.Response:
    session = access.sessions.get(flask.request.cookies.get(COOKIE))
    try:
        if session is None:
            raise NotSignedIn
        client = access.for_session(session)
        answer = client.request(
            "GET", f"/api/v1/jobs/{job_id}/report", params={"format": format}, raw=True
        )
    except (ApiError, NotSignedIn) as error:
        return _failure(job_id, error)
    kind = "text/html" if format == "html" else "application/json"
    response = flask.Response(answer.content, status=200, content_type=f"{kind}; charset=utf-8")
    policy = answer.headers.get("content-security-policy")
    response.headers["Content-Security-Policy"] = policy or (
        REPORT_CSP if format == "html" else JSON_CSP
    )
    disposition = answer.headers.get("content-disposition")
    if disposition:
        response.headers["Content-Disposition"] = disposition
    response.headers["Cache-Control"] = "no-store"
    return response


def install_reports(server: flask.Flask, access: ApiAccess) -> None:
    @server.get("/reports/<name>")
    def report(name: str) -> flask.Response:
        job_id, json_asked = (name[:-5], True) if name.endswith(".json") else (name, False)
        if not JOB_ID.match(job_id):
            return _page(404, "No such report", f"{name!r} is not a job id (job-…).")
        return _fetch(access, job_id, "json" if json_asked else "html")


__all__ = ["JOB_ID", "install_reports"]
