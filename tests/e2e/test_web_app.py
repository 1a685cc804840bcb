"""An engineer's day in the web app, in a real browser against the running API, worker and web
app (``lto demo --no-tour``). Each page's screenshot lands in docs/img/web/ (linked from
docs/web.md) for a person to look at."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Stack, screenshot, sign_in

pytestmark = pytest.mark.timeout(900)


def _plotted_points(page: Any, graph_id: str) -> int:
    """How many data points the Plotly figure in ``graph_id`` holds (0: nothing drawn)."""
    return int(page.evaluate(
        """(id) => {
            const root = document.getElementById(id);
            const plot = root && (root.classList.contains('js-plotly-plot') ? root
                                  : root.querySelector('.js-plotly-plot'));
            if (!plot || !plot.data) return 0;
            return plot.data.reduce((n, t) => n + ((t.z && t.z.length) || (t.x && t.x.length)
                                                   || (t.y && t.y.length) || 0), 0);
        }""",
        graph_id,
    ))  # fmt: skip


def _api(stack: Stack, method: str, path: str, body: Any = None) -> Any:
    headers = {"X-API-Key": stack.api_key, "Content-Type": "application/json"}
    if method == "POST":
        headers["Idempotency-Key"] = uuid.uuid4().hex
    request = urllib.request.Request(
        stack.api_url + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers=headers,
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read() or b"null")


def _ensure_an_alert(stack: Stack) -> None:
    """Physics jobs until one is flagged: the session's small surrogate (120 jobs) mispredicts
    most, and each flagged job fires an alert."""
    import time

    for dose in (24.0, 30.0, 36.0, 42.0):
        if _api(stack, "GET", "/api/v1/alerts?limit=5")["items"]:
            return
        job = _api(stack, "POST", "/api/v1/jobs", {
            "na": 0.85, "wavelength_nm": 193, "dose_mj_cm2": dose, "sigma": 0.7,
            "resist_thickness_nm": 100, "grid_size_nm": 4, "target_cd_nm": 90, "pitch_nm": 180,
        })  # fmt: skip
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            state = _api(stack, "GET", f"/api/v1/jobs/{job['id']}")["state"]
            if state not in ("submitted", "validating", "preflight", "queued", "running",
                             "evaluating"):  # fmt: skip
                break
            time.sleep(1)
    if not _api(stack, "GET", "/api/v1/alerts?limit=5")["items"]:
        pytest.fail("no alert to acknowledge: four physics jobs raised none")


def test_signing_in_with_a_wrong_key_says_so_and_keeps_the_pages_closed(browser, stack) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(stack.web_url + "/whatif")
    assert "/login" in page.url
    sign_in(page, stack, key="lto_not-a-real-key")
    assert "not valid" in page.inner_text("#login-error")
    screenshot(page, "login")
    cookies = {c["name"]: c for c in context.cookies()}
    assert "lto_session" not in cookies
    context.close()


def test_the_session_cookie_is_http_only_and_holds_no_credential(page, stack) -> None:
    cookie = next(c for c in page.context.cookies() if c["name"] == "lto_session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    assert stack.api_key not in page.content()
    assert stack.api_key not in json.dumps(page.evaluate("() => ({...sessionStorage})"))


def test_an_engineer_changes_na_and_sees_the_prediction_change(page, stack) -> None:
    page.goto(stack.web_url + "/whatif")
    page.wait_for_selector("#whatif-prediction table", timeout=60_000)
    before = page.inner_text("#whatif-prediction")
    na = page.locator('[id=\'{"name":"na","type":"whatif-field"}\']')
    na.fill("1.2")
    na.press("Enter")
    page.wait_for_function(
        "(old) => document.querySelector('#whatif-prediction').innerText !== old",
        arg=before,
        timeout=30_000,
    )
    assert page.inner_text("#whatif-prediction") != before
    assert _plotted_points(page, "whatif-scores-graph") >= 6
    screenshot(page, "whatif")


def test_an_invalid_value_is_refused_in_place_with_the_reason(page, stack) -> None:
    page.goto(stack.web_url + "/whatif")
    page.wait_for_selector("#whatif-prediction table", timeout=60_000)
    sigma = page.locator('[id=\'{"name":"sigma","type":"whatif-field"}\']')
    sigma.fill("1.7")
    sigma.press("Enter")
    page.wait_for_selector(".invalid-feedback:visible", timeout=30_000)
    # the field by its label and the rule in plain words (not pydantic's "Input should be …")
    assert "σ outer: must be at most 1" in page.inner_text(".invalid-feedback:visible")
    assert "is-invalid" in (sigma.get_attribute("class") or "")  # marked on the field itself


def test_an_engineer_runs_physics_and_sees_the_aerial_image_and_bossung(page, stack) -> None:
    page.goto(stack.web_url + "/whatif")
    page.wait_for_selector("#whatif-prediction table", timeout=60_000)
    page.click("#whatif-run")
    page.wait_for_function(
        "() => /completed|anomaly|flagged/i.test(document.querySelector('#whatif-job-state')"
        "?.innerText || '')",
        timeout=300_000,
    )
    page.wait_for_function(
        "() => { const p = document.querySelector('#whatif-aerial-graph .js-plotly-plot');"
        " return p && p.data && p.data.length > 0; }",
        timeout=60_000,
    )
    assert _plotted_points(page, "whatif-aerial-graph") > 0
    assert _plotted_points(page, "whatif-bossung-graph") > 0
    assert _plotted_points(page, "whatif-window-graph") > 0
    page.locator("#whatif-aerial-graph").scroll_into_view_if_needed()
    screenshot(page, "whatif-physics")


def test_an_engineer_runs_an_optimisation_and_loads_a_pareto_point(page, stack) -> None:
    page.goto(stack.web_url + "/optimise")
    page.wait_for_selector("#optimise-run")
    page.click("#optimise-run")
    page.wait_for_function(
        "() => { const p = document.querySelector('#optimise-pareto-graph .js-plotly-plot');"
        " return p && p.data && p.data.some(t => t.x && t.x.length > 0); }",
        timeout=300_000,
    )
    screenshot(page, "optimise")
    page.locator("#optimise-pareto-graph .scatterlayer .point").first.click(force=True)
    page.click("#optimise-load-whatif")
    page.wait_for_url(re.compile(r".*/whatif\?.*"), timeout=30_000)
    page.wait_for_selector("#whatif-prediction table", timeout=60_000)
    query = page.url.split("?", 1)[1]
    assert "na=" in query
    assert "dose_mj_cm2=" in query


def test_the_jobs_table_links_each_job_to_its_report(page, stack) -> None:
    page.goto(stack.web_url + "/jobs")
    page.wait_for_selector("#jobs-table a[href^='/reports/']", timeout=60_000)
    screenshot(page, "jobs")
    href = page.locator("#jobs-table a[href^='/reports/']").first.get_attribute("href")
    page.goto(stack.web_url + href)
    assert "LTO job report" in page.content()


def test_an_engineer_acknowledges_an_alert(page, stack) -> None:
    _ensure_an_alert(stack)
    page.goto(stack.web_url + "/alerts")
    button = page.locator("[id*='alerts-ack']").first
    button.wait_for(timeout=60_000)
    screenshot(page, "alerts")
    count = page.locator("[id*='alerts-ack']:not([disabled])").count()
    button.click()
    page.wait_for_function(
        "(n) => document.querySelectorAll(\"[id*='alerts-ack']:not([disabled])\").length < n",
        arg=count,
        timeout=30_000,
    )


@pytest.mark.parametrize(("path", "name"), [("/", "overview"), ("/compare", "compare"),
                                       ("/models", "models"), ("/economics", "economics")])  # fmt: skip
def test_every_page_renders_without_errors(page, stack, path: str, name: str) -> None:
    page.goto(stack.web_url + path)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)
    assert "Traceback" not in page.content()
    assert page.locator(".alert-danger").count() == 0, page.inner_text("body")[:2000]
    screenshot(page, name)


def test_the_reference_cells_are_created_and_drawn(page, stack) -> None:
    page.goto(stack.web_url + "/cells")
    page.wait_for_load_state("networkidle")
    create = page.locator("#cells-create")
    if create.count():  # an empty database: make the two reference cells from the templates
        create.click()
    items = page.locator("[id*='cells-item']")
    items.first.wait_for(timeout=60_000)
    assert items.count() >= 2
    page.wait_for_timeout(1500)  # the graph's layout settles
    assert "Traceback" not in page.content()
    assert page.locator(".alert-danger").count() == 0, page.inner_text("body")[:2000]
    screenshot(page, "cells")
