"""The economics page's logic: the window and prices asked for, and the API's answer as
lines (totals, counts, prices assumed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lto.acorn.pages import economics_logic as logic
from tests.unit.api.conftest import make_api
from tests.unit.api.test_economics_api import blocked_job, physics_job

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def test_window_query() -> None:
    assert logic.window_query("7d", NOW) == {
        "since": (NOW - timedelta(days=7)).isoformat(),
        "until": NOW.isoformat(),
    }
    assert logic.window_query(None, NOW)["since"] == (NOW - timedelta(days=30)).isoformat()


def test_price_query_keeps_what_was_given_and_says_what_is_wrong() -> None:
    query, problems = logic.price_query(
        {"cpu_core_hour": 0.1, "gpu_hour": "", "physics_cores": 4, "wafer_value": -5}
    )
    assert query == {"cpu_core_hour": 0.1, "physics_cores": 4}
    assert problems == ["wafer value: must lie in [0, 1e+07]"]
    assert logic.price_query({"physics_cores": 2.5})[1] == ["cores per physics run: must be a whole number"]  # fmt: skip
    assert logic.price_query({}) == ({}, [])


def test_money() -> None:
    assert logic.money(12_345.6, "USD") == "12,346 USD"
    assert logic.money(3.456, "USD") == "3.46 USD"
    assert logic.money(0.001234, "USD") == "0.00123 USD"
    assert logic.money(None, "USD") == "unknown"


def test_the_apis_answer_as_lines(tmp_path: Path) -> None:
    api = make_api(tmp_path)
    with api.client:
        blocked_job(api, "erin", 0.4, 4.0)
        physics_job(api, "erin", 360.0)
        found = api.client.get(
            "/api/v1/economics", params={"wafer_value": 2000}, headers=api.headers("erin")
        ).json()
    totals = dict(logic.totals(found))
    assert totals["expected yield loss avoided"] == "800 USD"
    assert totals["compute spent on physics"] == logic.money(found["physics_spent"], "USD")
    assert totals["compute saved"] == logic.money(found["compute_saved"], "USD")
    assert totals["… by surrogate answers"] == "unknown"  # no what-if in the window
    counts = dict(logic.counts(found))
    assert counts["blocked by pre-flight (physics not run)"] == 1
    assert counts["physics runs done"] == 1
    assert counts["a physics run: mean wall time"] == "360.0 s"
    prices = dict(logic.prices(found))
    assert prices["value of a wafer"] == "2,000 USD"
    assert prices["cores one physics run holds"] == "2"
    assert logic.scope_text(found).startswith("Counted over your jobs and predictions")
    assert found["physics_spent"] == pytest.approx(360 / 3600 * 2 * 0.05)
