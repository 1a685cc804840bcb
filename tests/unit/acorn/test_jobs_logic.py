"""The Jobs page's logic: filters → the list's query, the cursor stack (forward, back, a
filter starting over), and what a row shows; paged against the real API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lto.acorn.access import explain
from lto.acorn.pages import jobs_logic as logic
from lto.atlas.lifecycle import JobState
from lto.client import ApiError
from tests.unit.api.conftest import Api, make_api
from tests.unit.api.running import run_queued, submit


def test_blank_filters_are_left_out_and_the_rest_go_as_typed() -> None:
    assert logic.query_params(None, "", "  ", None) == {"limit": logic.PAGE_SIZE}
    assert logic.query_params("queued", " erin ", "2026-12-01T00:00Z", "x", limit=5) == {
        "limit": 5,
        "status": "queued",
        "submitted_by": "erin",
        "since": "2026-12-01T00:00Z",
        "until": "x",
    }


def test_the_states_are_the_lifecycles() -> None:
    assert set(logic.STATES) == {s.value for s in JobState}


def test_the_cursor_stack_pages_forward_and_back() -> None:
    cursors = logic.first_page()
    assert logic.current(cursors) is None
    assert not logic.has_previous(cursors)
    assert not logic.has_next(cursors)
    assert logic.forward(cursors) == cursors  # no next page: stay
    cursors = logic.answered(cursors, "c1")
    assert logic.has_next(cursors)
    second = logic.forward(cursors)
    assert logic.current(second) == "c1"
    assert logic.page_number(second) == 2
    assert logic.has_previous(second)
    third = logic.forward(logic.answered(second, "c2"))
    assert third["pages"] == [None, "c1", "c2"]
    back = logic.back(third)
    assert logic.current(back) == "c1"
    assert logic.current(logic.back(back)) is None
    assert logic.back(logic.first_page()) == logic.first_page()
    assert logic.current(None) is None
    assert logic.forward(None) == logic.first_page()
    assert not logic.has_next(logic.answered(third, None))


def test_what_was_pressed_moves_the_stack() -> None:
    second = logic.forward(logic.answered(logic.first_page(), "c1"))
    shown = logic.answered(second, "c2")
    assert logic.current(logic.after("jobs-next", shown)) == "c2"
    assert logic.current(logic.after("jobs-prev", shown)) is None
    assert logic.after("jobs-refresh", shown) == shown  # the same page again
    assert logic.after("jobs-refresh", None) == logic.first_page()
    for filter_id in ("jobs-filter-status", "jobs-filter-since", None):
        assert logic.after(filter_id, shown) == logic.first_page()  # a cursor has its filters


def test_times_read_as_utc() -> None:
    assert logic.when("2026-12-04T14:51:39.383484Z") == "2026-12-04 14:51:39 UTC"
    assert logic.when("2026-12-04T15:51:39+01:00") == "2026-12-04 14:51:39 UTC"
    assert logic.when("2026-12-04T14:51:39") == "2026-12-04 14:51:39"
    assert logic.when("soon") == "soon"
    assert logic.when(None) == ""


def test_key_parameters_and_scores() -> None:
    parameters = {
        "wavelength_nm": 193.0,
        "na": 0.85,
        "sigma": 0.7,
        "dose_mj_cm2": 30.0,
        "focus_nm": -20.0,
        "target_cd_nm": 90.0,
        "pitch_nm": 180.0,
        "illumination": "annular",
    }
    assert logic.key_parameters(parameters) == (
        "λ 193 nm · NA 0.85 · σ 0.7 · 30 mJ/cm² · focus -20 nm · CD 90/180 nm · annular"
    )
    assert logic.key_parameters(None) == ""
    physics = {"result": {"signals": {"overall_health": 0.5594, "yield_risk": 1.0}}}
    assert logic.key_scores(physics) == "overall_health 0.559 · yield_risk 1.000"
    predicted = {
        "result": None,
        "prediction": {"scores": {"overall_health": {"mean": 0.7}, "yield_risk": {"mean": 0.05}}},
    }
    assert logic.key_scores(predicted) == "predicted: overall_health 0.700 · yield_risk 0.050"
    assert logic.key_scores({"result": None, "prediction": None}) == ""


# --- against the API ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    made = make_api(tmp_path_factory.mktemp("jobs-api"))
    with made.client:
        for _ in range(5):
            submit(made)
        submit(made, user="omar", dose_mj_cm2=32.0)
        run_queued(made)
        yield made


def listed(api: Api, user: str, params: dict[str, Any]) -> dict[str, Any]:
    response = api.client.get("/api/v1/jobs", params=params, headers=api.headers(user))
    if response.status_code >= 400:
        raise ApiError(response.status_code, response.json())
    return response.json()  # type: ignore[no-any-return]


def test_paging_through_the_api_shows_every_job_once_and_back_again(api: Api) -> None:
    params = logic.query_params(None, None, None, None, limit=2)
    cursors, seen, pages = logic.first_page(), [], []
    while True:
        page = listed(api, "ada", params | {"cursor": logic.current(cursors)})
        ids = [item["id"] for item in page["items"]]
        seen += ids
        pages.append(ids)
        cursors = logic.answered(cursors, page["next_cursor"])
        if not logic.has_next(cursors):
            break
        cursors = logic.forward(cursors)
    assert len(seen) == len(set(seen)) == 6
    assert logic.page_number(cursors) == 3
    cursors = logic.back(cursors)
    again = listed(api, "ada", params | {"cursor": logic.current(cursors)})
    assert [item["id"] for item in again["items"]] == pages[1]


def test_a_row_shows_the_job_from_the_list_and_the_job_itself(api: Api) -> None:
    summary = listed(api, "erin", logic.query_params(None, None, None, None))["items"][0]
    detail = api.client.get(f"/api/v1/jobs/{summary['id']}", headers=api.headers()).json()
    row = logic.row(summary, detail)
    assert row["id"] == summary["id"]
    assert row["state"] == detail["state"]
    assert row["submitted_by"] == "erin"
    assert row["submitted_at"].endswith(" UTC")
    assert row["parameters"].startswith("λ 193 nm · NA 0.85")
    assert row["scores"].startswith("overall_health ")
    assert row["report"] == f"/reports/{summary['id']}"
    bare = logic.row(summary, None)
    assert (bare["parameters"], bare["scores"]) == ("", "")


def test_filters_narrow_the_list(api: Api) -> None:
    omar = listed(api, "ada", logic.query_params(None, "omar", None, None))
    assert [i["submitted_by"] for i in omar["items"]] == ["omar"]
    state = omar["items"][0]["state"]
    same = listed(api, "ada", logic.query_params(state, None, "2020-01-01T00:00Z", None))
    assert {i["state"] for i in same["items"]} == {state}
    assert omar["items"][0]["id"] in {i["id"] for i in same["items"]}
    none = listed(api, "ada", logic.query_params(None, None, None, "2020-01-01T00:00Z"))
    assert none["items"] == []


def test_a_malformed_filter_gets_the_apis_message_naming_the_field(api: Api) -> None:
    with pytest.raises(ApiError) as caught:
        listed(api, "erin", logic.query_params(None, None, "2026-12-01T08:00", None))
    # the filter by its label on the page, never the API's "query." location
    assert explain(caught.value, logic.LABELS) == "Submitted at or after: must include a time zone"
    assert explain(caught.value) == "From: must include a time zone"  # the API's own name
    with pytest.raises(ApiError) as caught:
        listed(api, "erin", logic.query_params(None, None, None, "yesterday"))
    said = explain(caught.value, logic.LABELS)
    assert said.startswith("Submitted before: ")
    assert "query." not in said
    assert "Input should" not in said


def test_a_day_alone_is_its_first_moment_in_utc(api: Api) -> None:
    assert logic.query_params(None, None, "2026-12-01", " 2026-12-31 ")["since"] == (
        "2026-12-01T00:00Z"
    )
    assert logic.moment("2026-12-31") == "2026-12-31T00:00Z"
    assert logic.moment("2026-12-31T08:00Z") == "2026-12-31T08:00Z"  # as typed
    everything = listed(api, "ada", logic.query_params(None, None, "2020-01-01", None))
    assert everything["items"]  # the API took the day


def test_a_window_that_ends_before_it_starts_is_refused_by_its_labels() -> None:
    with pytest.raises(ValueError, match=r"Submitted before .* must be later than Submitted at"):
        logic.query_params(None, None, "2026-12-02", "2026-12-01")
    with pytest.raises(ValueError, match="no job can match both"):
        logic.query_params(None, None, "2026-12-01T10:00Z", "2026-12-01T10:00Z")
