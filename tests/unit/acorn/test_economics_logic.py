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
    assert problems == ["wafer value: must lie between 0 and 10,000,000"]  # no "1e+07"
    assert logic.price_query({"physics_cores": 2.5})[1] == ["cores per physics run: must be a whole number"]  # fmt: skip
    assert logic.price_query({}) == ({}, [])


def test_typed_prices_are_read_and_what_is_no_number_is_said() -> None:
    query, problems = logic.price_query(
        {"cpu_core_hour": " 0.08 ", "gpu_hour": "abc", "wafer_value": "2,5", "physics_cores": "8"}
    )
    assert query == {"cpu_core_hour": 0.08, "physics_cores": 8}
    assert problems == [
        "GPU-hour: “abc” is not a number",
        "wafer value: “2,5”: use a decimal point, not a comma (2.5)",
    ]


def test_money() -> None:
    assert logic.money(12_345.6, "USD") == "12,346 USD"
    assert logic.money(3.456, "USD") == "3.46 USD"
    assert logic.money(0.5, "USD") == "0.50 USD"
    assert logic.money(0.001234, "USD") == "0.00123 USD"
    assert logic.money(1.2e-05, "USD") == "0.0000120 USD"  # fixed decimals, never 1.2e-05
    assert logic.money(0.0, "USD") == "0.00 USD"
    assert logic.money(-1_234_567.8, "EUR") == "−1,234,568 EUR"
    assert logic.money(None, "USD") == "unknown"


@pytest.mark.parametrize("value", [-1.2e-05, -3.4e-9, 1.5e-12, 2e7, -0.004, 1e-300])
def test_no_amount_is_shown_in_e_notation(value: float) -> None:
    for text in (logic.money(value, "USD"), logic.saving(value, "USD")):
        assert "e-" not in text
        assert "e+" not in text


def test_a_negative_saving_is_shown_as_the_cost_it_is() -> None:
    assert logic.saving(-12.3, "USD") == "−12.30 USD (cost)"
    assert logic.saving(-1.2e-05, "USD") == "−0.0000120 USD (cost)"
    assert logic.saving(12.3, "USD") == "12.30 USD"
    assert logic.saving(-1e-13, "USD") == "0.00 USD"  # nothing to call a cost
    assert logic.saving(None, "USD") == "unknown"
    answer = {
        "prices": {"currency": "USD"},
        "compute_saved": -1.2e-05,
        "preflight": {"saving": -1.2e-05},
        "surrogate_answers": {"saving": 0.5},
    }
    totals = dict(logic.totals(answer))
    assert totals["compute saved"] == "−0.0000120 USD (cost)"
    assert totals["… by pre-flight blocking"] == "−0.0000120 USD (cost)"
    assert totals["… by surrogate answers"] == "0.50 USD"
    (why,) = logic.saving_notes(answer)
    assert why.startswith("Pre-flight blocking cost 0.0000120 USD more than it saved")
    assert logic.saving_notes({"preflight": {"saving": 3.0}}) == []


def test_counts_and_times_read_as_an_engineer_writes_them() -> None:
    answer = {
        "counts": {"jobs": 12_345, "blocked": 0},
        "per_run": {"physics_wall_time_s": 7200.0, "surrogate_inference_ms": 0.0351},
        "prices": {"wafers_per_job": 25, "physics_cores": 2},
    }
    counts = dict(logic.counts(answer))
    assert counts["jobs submitted"] == "12,345"
    assert counts["blocked by pre-flight (physics not run)"] == "0"
    assert counts["physics runs done"] == "—"
    assert counts["a physics run: mean wall time"] == "7,200.0 s (2.0 h)"
    assert counts["a surrogate call: mean time"] == "0.0351 ms"
    prices = dict(logic.prices(answer))
    assert prices["wafers a blocked job's settings would expose"] == "25"
    assert prices["cores one physics run holds"] == "2"


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
    assert totals["… by surrogate answers"] == (
        "none (no what-if answer was trusted in this window)"  # said, not "unknown"
    )
    counts = dict(logic.counts(found))
    assert counts["blocked by pre-flight (physics not run)"] == "1"
    assert counts["physics runs done"] == "1"
    assert counts["a physics run: mean wall time"] == "360.0 s (6.0 min)"
    prices = dict(logic.prices(found))
    assert prices["value of a wafer"] == "2,000 USD"
    assert prices["cores one physics run holds"] == "2"
    assert logic.scope_text(found).startswith("Counted over your jobs and predictions")
    assert found["physics_spent"] == pytest.approx(360 / 3600 * 2 * 0.05)


def test_a_missing_saving_says_whether_nothing_happened_or_nothing_could_price_it() -> None:
    unpriced = dict(logic.totals({"counts": {"preflighted": 3, "surrogate_answers": 0}}))
    assert unpriced["… by pre-flight blocking"].startswith("unknown (no physics run finished")
    assert unpriced["… by surrogate answers"].startswith("none (no what-if answer")
