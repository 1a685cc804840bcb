"""``/reports/<job_id>``: the API's report, fetched with the signed-in session's client (the
browser never holds the credential), served with the API's Content-Security-Policy; a path
that is no job id is 404 without asking the API; the API's refusals become pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import flask
import httpx
import pytest

from lto.acorn import access as access_module
from lto.acorn import create_app
from lto.acorn.sessions import COOKIE
from lto.client import LtoClient
from tests.unit.api.conftest import Api, make_api
from tests.unit.api.running import run_queued, submit

API_URL = "http://api.test"
SECRET = "lto_the-session-credential"
HTML = "<!doctype html><html><head><style>h1{color:red}</style></head><body><h1>Report</h1></body></html>"
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"
JOB = "job-7bd907747021"

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Web:
    client: flask.testing.FlaskClient
    calls: list[httpx.Request] = field(default_factory=list)
    answer: Handler | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        assert self.answer is not None
        return self.answer(request)


def problem(status: int, detail: str) -> httpx.Response:
    body = {"title": "refused", "status": status, "detail": detail}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


@pytest.fixture
def web() -> Web:
    app = create_app(API_URL)
    access = access_module.access()
    session = access.sessions.open(
        user="erin",
        role="engineer",
        scopes=frozenset({"jobs:read"}),
        credential_kind="api_key",
        credential=SECRET,
    )
    made = Web(app.server.test_client())
    access._clients[session.id] = LtoClient(
        API_URL, api_key=SECRET, retries=0, transport=httpx.MockTransport(made.handle)
    )
    made.client.set_cookie(COOKIE, session.id)
    return made


def test_the_html_report_comes_from_the_api_with_its_policy(web: Web) -> None:
    web.answer = lambda request: httpx.Response(
        200,
        text=HTML,
        headers={
            "content-type": "text/html; charset=utf-8",
            "content-security-policy": CSP,
            "content-disposition": f'inline; filename="lto-report-{JOB}.html"',
        },
    )
    answer = web.client.get(f"/reports/{JOB}")
    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    assert answer.get_data(as_text=True) == HTML
    assert answer.headers["Content-Security-Policy"] == CSP
    assert answer.headers["Content-Disposition"] == f'inline; filename="lto-report-{JOB}.html"'
    assert answer.headers["Cache-Control"] == "no-store"
    (call,) = web.calls
    assert call.url.path == f"/api/v1/jobs/{JOB}/report"
    assert call.url.params["format"] == "html"
    assert call.headers["X-API-Key"] == SECRET  # the server's client holds it …
    assert SECRET not in answer.get_data(as_text=True)  # … the browser never sees it
    assert SECRET not in str(answer.headers)


def test_the_policy_allows_only_inline_styles_and_data_images_even_if_the_api_sent_none(
    web: Web,
) -> None:
    web.answer = lambda request: httpx.Response(200, text=HTML)
    answer = web.client.get(f"/reports/{JOB}")
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "img-src data:" in policy
    assert "style-src 'unsafe-inline'" in policy
    assert "script" not in policy


def test_the_json_report(web: Web) -> None:
    web.answer = lambda request: httpx.Response(200, json={"job_id": JOB, "state": "completed"})
    answer = web.client.get(f"/reports/{JOB}.json")
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert answer.get_json() == {"job_id": JOB, "state": "completed"}
    assert web.calls[0].url.params["format"] == "json"


@pytest.mark.parametrize(
    "name", ["nonsense", "job-", "job-<script>", "job-a.b", "..", "job-x.html"]
)
def test_a_path_that_is_no_job_id_is_404_without_asking_the_api(web: Web, name: str) -> None:
    answer = web.client.get(f"/reports/{name}")
    assert answer.status_code == 404
    assert "<script>" not in answer.get_data(as_text=True)
    assert web.calls == []


def test_a_job_the_api_does_not_know_is_a_404_page_saying_so(web: Web) -> None:
    web.answer = lambda request: problem(404, f"no job {JOB!r}")
    answer = web.client.get(f"/reports/{JOB}")
    assert answer.status_code == 404
    text = answer.get_data(as_text=True)
    assert "No such job" in text
    assert JOB in text


@pytest.mark.parametrize(
    ("status", "shown", "says"),
    [
        (403, 403, "Not allowed: needs jobs:read"),
        (500, 502, "The API failed (500)"),
        (429, 429, "Too many requests"),
    ],
)
def test_other_refusals_are_pages_with_the_apis_reason(
    web: Web, status: int, shown: int, says: str
) -> None:
    web.answer = lambda request: problem(status, "needs jobs:read")
    answer = web.client.get(f"/reports/{JOB}")
    assert answer.status_code == shown
    assert says in answer.get_data(as_text=True)


def test_an_unreachable_api_is_a_502_page(web: Web) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    web.answer = down
    answer = web.client.get(f"/reports/{JOB}")
    assert answer.status_code == 502
    assert "is not answering" in answer.get_data(as_text=True)


def test_a_revoked_credential_goes_to_sign_in(web: Web) -> None:
    web.answer = lambda request: problem(401, "invalid credential")
    answer = web.client.get(f"/reports/{JOB}")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/login?next=/reports/{JOB}"


def test_without_a_session_the_gate_sends_to_sign_in_first() -> None:
    app = create_app(API_URL)
    answer = app.server.test_client().get(f"/reports/{JOB}")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/login?next=/reports/{JOB}"
    assert app.server.test_client().get(f"/reports/{JOB}.json").status_code == 303


# --- through the real API -----------------------------------------------------------------------


def forward_to(api: Api) -> Handler:
    """An httpx transport handler that answers from the API's own test client."""

    def handle(request: httpx.Request) -> httpx.Response:
        answer = api.client.request(
            request.method,
            request.url.raw_path.decode(),
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
            content=request.content,
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    return handle


@pytest.fixture
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    made = make_api(tmp_path_factory.mktemp("reports-api"))
    with made.client:
        yield made


def test_a_real_report_through_the_web_app(api: Api) -> None:
    job = submit(api)
    run_queued(api)
    app = create_app(API_URL)
    access = access_module.access()
    session = access.sessions.open(
        user="erin",
        role="engineer",
        scopes=frozenset({"jobs:read"}),
        credential_kind="api_key",
        credential=api.keys["erin"],
    )
    access._clients[session.id] = LtoClient(
        API_URL, api_key=api.keys["erin"], retries=0, transport=httpx.MockTransport(forward_to(api))
    )
    browser = app.server.test_client()
    browser.set_cookie(COOKIE, session.id)
    page = browser.get(f"/reports/{job['id']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert job["id"] in text
    assert "<script" not in text.lower()
    assert page.headers["Content-Security-Policy"] == CSP
    data = browser.get(f"/reports/{job['id']}.json").get_json()
    assert data["job_id"] == job["id"]
    assert data["links"]["report_html"].endswith("format=html")
    missing = browser.get("/reports/job-000000000000")
    assert missing.status_code == 404
    # another engineer's job is not theirs to see: the same 404
    other = submit(api, user="eve")
    assert browser.get(f"/reports/{other['id']}").status_code == 404
