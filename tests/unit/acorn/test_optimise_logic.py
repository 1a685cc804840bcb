"""The Optimise page's logic: the base job's form and query string, the default ranges (the
API's own), the request the API takes, reading a run back, and the What-if and physics links
a trial gives."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from lto.acorn.forms import DEFAULTS, check_form
from lto.acorn.pages import optimise_logic as logic
from lto.atlas.contracts import JobParameters
from lto.atlas.policies import constraint_profile
from lto.capricorn.api.routes.jobs import JobSubmission
from lto.capricorn.api.routes.optimisations import OptimisationRequest
from lto.client import ApiError
from lto.metis.problem import FREE_PARAMETERS, SCORE_DIRECTIONS, default_range
from tests.unit.api.conftest import Api, make_api

TEMPLATE: dict[str, Any] = {  # an ArF-dry job: 90 nm lines at 180 nm pitch
    "na": 0.85,
    "wavelength_nm": 193.0,
    "dose_mj_cm2": 30.0,
    "sigma": 0.7,
    "resist_thickness_nm": 100.0,
    "grid_size_nm": 4.0,
    "target_cd_nm": 90.0,
    "pitch_nm": 180.0,
    "focus_nm": 0.0,
    "illumination": "conventional",
    "sigma_inner": None,
    "polarization": None,
    "pattern": "line_space",
    "pattern_complexity": 0.0,
    "use_ai_surrogate": True,
    "job_class": "standard",
    "priority": 5,
    "constraint_profile": None,
    "submitted_by": "erin",
    "metadata": {"lot": "A7"},
}


def a_trial(number: int, feasible: bool = True, **changes: Any) -> dict[str, Any]:
    trial = {
        "number": number,
        "params": {"dose_mj_cm2": 31.25, "focus_nm": -12.5},
        "objectives": {"overall_health": 0.61},
        "feasible": feasible,
        "reasons": [] if feasible else ["na: must lie in [0.5, 0.93] for this profile (got 0.95)"],
        "outcome": {"overall_health": 0.61, "yield_risk": 0.2} if feasible else {},
        "flags": {},
    }
    trial.update(changes)
    return trial


def a_run(state: str = "completed", **result: Any) -> dict[str, Any]:
    best = a_trial(3)
    history = [a_trial(0, feasible=False), a_trial(1), a_trial(2), best]
    return {
        "id": "opt-0123456789ab",
        "state": state,
        "trials": 4,
        "progress": {
            "trials_done": 4,
            "trials_total": 4,
            "feasible_trials": 3,
            "best_so_far": {"overall_health": 0.61},
            "best_params_so_far": {},
        },
        "problem": {
            "template": TEMPLATE,
            "profile": "ArF-dry",
            "free": [
                {"name": "dose_mj_cm2", "low": 26.0, "high": 34.0},
                {"name": "focus_nm", "low": -150.0, "high": 150.0},
            ],
            "objectives": [{"name": "overall_health", "direction": "maximize"}],
            "constraints": [{"name": "yield_risk", "operator": "<=", "bound": 0.25}],
            "trials": 4,
            "sampler": "tpe",
            "seed": 7,
            "notes": [],
        },
        "result": {
            "trials": 4,
            "best": best,
            "pareto_front": [best],
            "history": history,
            "importance": {},
            **result,
        }
        if state == "completed"
        else None,
    }


# --- the base job ------------------------------------------------------------------------------


def test_the_form_has_every_job_field_but_the_submitter_and_metadata() -> None:
    assert {f.name for f in logic.JOB_FORM} == set(JobParameters.model_fields) - {
        "submitted_by",
        "metadata",
    }


def test_the_defaults_are_a_valid_job() -> None:
    job = logic.job_from_form(logic.form_defaults())
    assert "submitted_by" not in job
    assert JobParameters.model_validate(job | {"submitted_by": "erin"}).na == 1.35


def test_the_defaults_are_the_whatif_pages_job_and_profile() -> None:
    """Optimise opened on ArF dry while What-if used ArF immersion."""
    job = logic.job_from_form(logic.form_defaults())
    assert job["constraint_profile"] == DEFAULTS["constraint_profile"] == "ArF-immersion"
    assert {k: job[k] for k in DEFAULTS} == DEFAULTS
    assert check_form(DEFAULTS).body == {k: v for k, v in job.items() if k in DEFAULTS}
    assert logic.profile_of(job).name == "ArF-immersion"


def test_typed_numbers_are_read_and_text_that_is_none_is_said() -> None:
    typed = {**logic.form_defaults(), "na": " 1.2 ", "dose_mj_cm2": "abc", "sigma": "0,8"}
    assert logic.job_problems(typed) == [
        "σ outer: “0,8”: use a decimal point, not a comma (0.8)",
        "dose (mJ/cm²): “abc” is not a number",
    ]
    job = logic.job_from_form(typed)
    assert job["na"] == 1.2
    # the ranges beside the free parameters read the typed text too
    as_typed = {
        **logic.form_defaults(),
        "na": "1.35",
        "dose_mj_cm2": "36",
        "constraint_profile": "",
    }
    assert logic.profile_of(as_typed).name == "ArF-immersion"
    assert logic.default_ranges(as_typed)["dose_mj_cm2"] == pytest.approx((25.2, 46.8))
    assert "dose_mj_cm2" not in job
    assert logic.job_problems(logic.form_defaults()) == []


def test_the_query_string_fills_the_form_and_says_what_it_could_not_take() -> None:
    values, notes = logic.job_from_query(
        {
            "na": "0.9",
            "priority": "7",
            "illumination": "Annular",
            "sigma_inner": "0.4",
            "use_ai_surrogate": "false",
            "dose_mj_cm2": "lots",
            "pattern": "spiral",
            "run": "x",
        }
    )
    assert values["na"] == 0.9
    assert values["priority"] == 7
    assert isinstance(values["priority"], int)
    assert values["illumination"] == "annular"
    assert values["sigma_inner"] == 0.4
    assert values["use_ai_surrogate"] is False
    assert values["dose_mj_cm2"] == logic.EXAMPLE_JOB["dose_mj_cm2"]  # the default stays
    assert values["constraint_profile"] is None  # NA 0.9 without a profile: inferred
    assert values["pattern"] == "line_space"
    assert notes == [
        "dose_mj_cm2='lots': not a number",
        "pattern='spiral': choose from line_space, contact_array, line_end",
    ]


def test_the_form_leaves_empty_fields_to_the_api() -> None:
    job = logic.job_from_form(
        {
            "na": 0.85,
            "sigma_inner": None,
            "polarization": "",
            "priority": 6.0,
            "use_ai_surrogate": False,
            "constraint_profile": "",
        }
    )
    assert job == {"na": 0.85, "priority": 6, "use_ai_surrogate": False}
    assert isinstance(job["priority"], int)


# --- free parameters: the ranges shown are the API's -------------------------------------------------


@pytest.mark.parametrize(
    "job",
    [
        TEMPLATE,
        {**TEMPLATE, "wavelength_nm": 193.0, "na": 1.2, "dose_mj_cm2": 90.0},
        {
            **TEMPLATE,
            "wavelength_nm": 13.5,
            "na": 0.33,
            "target_cd_nm": 16.0,
            "pitch_nm": 32.0,
            "resist_thickness_nm": 40.0,
            "grid_size_nm": 1.0,
            "dose_mj_cm2": 3.0,
        },
        {**TEMPLATE, "constraint_profile": "KrF", "wavelength_nm": 248.0, "na": 0.6},
    ],
)
def test_the_default_ranges_are_the_ones_the_api_searches(job: dict[str, Any]) -> None:
    parameters = JobParameters.model_validate(job)
    profile = constraint_profile(logic.profile_of(job).name)  # type: ignore[union-attr]
    shown = logic.default_ranges(job)
    assert set(shown) == set(FREE_PARAMETERS) == set(logic.FREE_PARAMETERS)
    for name in FREE_PARAMETERS:
        assert shown[name] == pytest.approx(default_range(name, parameters, profile)), name


def test_no_profile_no_ranges() -> None:
    assert logic.default_ranges({**TEMPLATE, "wavelength_nm": 500.0}) == {}
    assert logic.default_ranges({**TEMPLATE, "constraint_profile": "nonsense"}) == {}
    assert logic.default_ranges({"na": None}) == {}


def test_free_rows_keep_the_order_and_need_both_ends_or_neither() -> None:
    rows, errors = logic.free_rows(
        ["focus_nm", "dose_mj_cm2", "sigma"],
        {"dose_mj_cm2": 26, "sigma": 0.3, "focus_nm": None},
        {"dose_mj_cm2": 34, "sigma": None, "focus_nm": None},
    )
    assert rows == [{"name": "dose_mj_cm2", "low": 26.0, "high": 34.0}, {"name": "focus_nm"}]
    assert errors == ["free σ outer: give both low and high, or neither (the profile's range)"]


# --- objectives and constraints ------------------------------------------------------------------


def test_the_objectives_are_the_scores_the_api_takes() -> None:
    assert dict(logic.DIRECTIONS) == dict(SCORE_DIRECTIONS)


def test_constraints_are_parsed_line_by_line() -> None:
    rows, errors = logic.parse_constraints(
        "yield_risk<=0.1\n\n  overall_health >= 0.5  # keep it healthy\nresolution_vs_dof ≥ .3\n"
        "nonsense\nyield_risk<=lots"
    )
    assert rows == [
        {"name": "yield_risk", "operator": "<=", "bound": 0.1},
        {"name": "overall_health", "operator": ">=", "bound": 0.5},
        {"name": "resolution_vs_dof", "operator": ">=", "bound": 0.3},
    ]
    assert errors == [
        "constraints line 5 ('nonsense'): write NAME<=VALUE or NAME>=VALUE, e.g. yield_risk<=0.1",
        "constraints line 6: 'lots' is not a number",
    ]
    assert logic.parse_constraints(None) == ([], [])
    assert logic.constraints_text(rows) == (
        "yield_risk<=0.1\noverall_health>=0.5\nresolution_vs_dof>=0.3"
    )


def test_the_request_is_one_the_api_validates() -> None:
    job = logic.job_from_form(logic.form_defaults())
    body = logic.build_request(
        job,
        [{"name": "dose_mj_cm2", "low": 26.0, "high": 34.0}, {"name": "sigma"}],
        ["overall_health", "yield_risk"],
        [{"name": "yield_risk", "operator": "<=", "bound": 0.3}],
        40.0,
        "nsga2",
        7.0,
    )
    request = OptimisationRequest.model_validate(body)
    assert request.trials == 40
    assert request.sampler == "nsga2"
    assert request.seed == 7
    assert [o.name for o in request.objectives] == ["overall_health", "yield_risk"]
    assert all(o.direction is None for o in request.objectives)  # the natural one
    plain = logic.build_request(job, [{"name": "focus_nm"}], ["overall_health"], [], None, "auto")
    assert "trials" not in plain
    assert "sampler" not in plain
    assert "seed" not in plain


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    made = make_api(tmp_path_factory.mktemp("optimise-api"))
    with made.client:
        yield made


def post(api: Api, body: dict[str, Any]) -> Any:
    headers = api.headers(**{"Idempotency-Key": uuid.uuid4().hex})
    return api.client.post("/api/v1/optimisations", json=body, headers=headers)


def test_the_api_accepts_the_problem_the_form_poses(api: Api) -> None:
    job = logic.job_from_form(logic.form_defaults())
    rows, _ = logic.free_rows(logic.DEFAULT_FREE, {}, {})
    bounds, _ = logic.parse_constraints("yield_risk<=0.5")
    body = logic.build_request(job, rows, ["overall_health"], bounds, 10)
    answer = post(api, body)
    # the problem passes every check; only the surrogate is missing in this test API
    assert answer.status_code == 503, answer.text
    assert "lto train" in answer.json()["detail"]
    wrong = logic.build_request(job, rows, ["depth_of_focus_nm"], bounds, 10)
    refused = post(api, wrong)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "objectives.0.name"


# --- reading a run back ------------------------------------------------------------------------------


def test_reopening_a_run_fills_the_form_as_it_was_posed() -> None:
    form = logic.form_from_run(a_run())
    assert form["job"]["na"] == 0.85
    assert "submitted_by" not in form["job"]
    assert form["free"] == ["dose_mj_cm2", "focus_nm"]
    assert form["lows"] == {"dose_mj_cm2": 26.0, "focus_nm": -150.0}
    assert form["objectives"] == ["overall_health"]
    assert form["constraints"] == "yield_risk<=0.25"
    assert (form["trials"], form["sampler"], form["seed"]) == (4, "tpe", 7)


def test_the_status_line_follows_the_run_as_polled() -> None:
    """It said "queued" for ever, however far the run had gone."""
    queued = a_run("queued")
    queued["progress"] = None
    text, colour = logic.run_status(queued)
    assert text == "Optimisation opt-0123456789ab is queued: waiting for a worker to start it."
    assert colour == "secondary"
    running = a_run("running")
    running["progress"] = {"trials_done": 12, "trials_total": 60, "feasible_trials": 9}
    text, colour = logic.run_status(running)
    assert text == "Optimisation opt-0123456789ab is running: 12 of 60 trials done, 9 feasible."
    assert colour == "info"
    text, colour = logic.run_status(a_run("completed"))
    assert text == "Optimisation opt-0123456789ab completed: 4 of 4 trials, 3 feasible."
    assert colour == "success"
    failed = {**a_run("failed"), "error": "the surrogate was retired"}
    assert logic.run_status(failed) == (
        "Optimisation opt-0123456789ab failed: the surrogate was retired.",
        "danger",
    )
    cancelled = {**a_run("cancelled"), "error": None}
    assert logic.run_status(cancelled)[0] == (
        "Optimisation opt-0123456789ab cancelled after 4 of 4 trials."
    )
    assert "queued" not in logic.run_status(running)[0]


def test_progress_and_the_trail_of_best_values() -> None:
    running = a_run("running")
    running["progress"] = {
        "trials_done": 2,
        "trials_total": 10,
        "best_so_far": {"overall_health": 0.4},
    }
    assert logic.progress_of(running) == (2, 10)
    assert logic.is_active(running)
    trail = logic.extend_trail(None, running)
    assert trail == [{"done": 2, "best": {"overall_health": 0.4}}]
    running["progress"]["best_so_far"] = {"overall_health": 0.45}
    assert logic.extend_trail(trail, running) == [{"done": 2, "best": {"overall_health": 0.45}}]
    running["progress"]["trials_done"] = 3
    assert len(logic.extend_trail(trail, running)) == 2
    long = [{"done": i, "best": {}} for i in range(logic.TRAIL_LIMIT)]
    assert len(logic.extend_trail(long, running)) == logic.TRAIL_LIMIT
    assert logic.progress_of(a_run()) == (4, 4)
    assert not logic.is_active(a_run())
    assert not logic.is_active(None)


def test_trials_are_found_by_number_and_the_best_is_the_default() -> None:
    run = a_run()
    assert [t["number"] for t in logic.trials_of(run)] == [0, 1, 2, 3]
    assert logic.default_selection(run) == 3
    assert logic.find_trial(run, 1)["number"] == 1  # type: ignore[index]
    assert logic.find_trial(run, 99) is None
    assert logic.find_trial(run, None) is None
    assert logic.default_selection(a_run("running")) is None
    nothing = a_run(best=None, pareto_front=[])
    assert logic.default_selection(nothing) is None


def test_a_click_carries_the_trial_number() -> None:
    assert logic.clicked_trial({"points": [{"x": 0.6, "y": 0.2, "customdata": 7}]}) == 7
    assert logic.clicked_trial({"points": [{"customdata": [4, "x"]}]}) == 4
    assert logic.clicked_trial({"points": [{"x": 1}]}) is None
    assert logic.clicked_trial({"points": []}) is None
    assert logic.clicked_trial(None) is None


def test_infeasible_trials_say_why() -> None:
    trials = [
        a_trial(0, feasible=False),
        a_trial(
            1, feasible=False, reasons=["na: must lie in [0.5, 0.93] for this profile (got 0.97)"]
        ),
        a_trial(
            2,
            feasible=False,
            outcome={"yield_risk": 0.5},
            reasons=["yield_risk<=0.25 does not hold (yield_risk = 0.5)"],
        ),
        a_trial(3),
    ]
    rows = logic.infeasible(trials)
    assert [(r["number"], r["evaluated"]) for r in rows] == [(0, False), (1, False), (2, True)]
    assert logic.reason_counts(trials) == [
        ("na: must lie in [0.5, 0.93] for this profile", 2),
        ("yield_risk<=0.25 does not hold", 1),
    ]


# --- from a trial to the What-if page and the physics ----------------------------------------------


def test_the_whatif_url_carries_every_field_of_the_trials_job() -> None:
    params = {"dose_mj_cm2": 31.123456789012345, "focus_nm": -12.5}
    url = logic.whatif_url(TEMPLATE, params)
    parts = urlsplit(url)
    assert parts.path == "/whatif"
    query = dict(parse_qsl(parts.query))
    expected = {f.name for f in logic.JOB_FORM} - {
        "sigma_inner",
        "polarization",
        "constraint_profile",
    }  # None: the default
    assert set(query) == expected
    assert query["use_ai_surrogate"] == "true"
    assert query["illumination"] == "conventional"
    assert query["dose_mj_cm2"] == "31.12"  # four significant digits, a setting a scanner takes
    assert float(query["focus_nm"]) == -12.5
    # the What-if page reads it back to the very job the trial stands for
    read, notes = logic.job_from_query(query)
    assert notes == []
    rebuilt = JobParameters.model_validate(logic.job_from_form(read) | {"submitted_by": "erin"})
    original = JobParameters.model_validate({**TEMPLATE, **params, "dose_mj_cm2": 31.12})
    assert rebuilt.model_dump(exclude={"metadata"}) == original.model_dump(exclude={"metadata"})


def test_the_whatif_url_keeps_optional_fields_that_are_set() -> None:
    annular = {
        **TEMPLATE,
        "illumination": "annular",
        "sigma_inner": 0.4,
        "constraint_profile": "ArF-dry",
        "polarization": "TE",
    }
    query = dict(parse_qsl(urlsplit(logic.whatif_url(annular, {"sigma": 0.8})).query))
    assert (query["sigma_inner"], query["sigma"], query["polarization"]) == ("0.4", "0.8", "TE")
    assert query["constraint_profile"] == "ArF-dry"


def test_the_confirmation_job_is_the_trial_run_by_the_physics() -> None:
    job = logic.confirmation_job(TEMPLATE, {"dose_mj_cm2": 31.25}, "opt-0123456789ab", 3)
    submission = JobSubmission.model_validate(job)
    assert submission.submitted_by is None  # the API makes it the caller
    assert submission.dose_mj_cm2 == 31.25
    assert submission.use_ai_surrogate is False
    assert submission.metadata == {"lot": "A7", "optimisation": "opt-0123456789ab", "trial": 3}


def test_the_scores_compare_the_surrogate_with_the_physics() -> None:
    job = {"result": {"signals": {"overall_health": 0.5, "yield_risk": 0.3}}}
    rows = {r[0]: r[1:] for r in logic.score_comparison({"overall_health": 0.61}, job)}
    assert rows["overall_health"] == (0.61, 0.5, pytest.approx(-0.11))
    assert rows["yield_risk"] == (None, 0.3, None)
    assert set(rows) == set(SCORE_DIRECTIONS)
    assert all(r[1] is None for r in logic.score_comparison({}, {"result": None}))


def test_an_api_without_cancel_is_told_apart_from_other_failures() -> None:
    missing = ApiError(404, {"title": "Not found", "detail": "no such resource: /api/v1/x"})
    assert "cannot cancel" in (logic.cancel_message(missing) or "")
    assert "cannot cancel" in (logic.cancel_message(ApiError(405, {})) or "")
    assert logic.cancel_message(ApiError(404, {"detail": "no optimisation 'opt-1'"})) is None
    assert logic.cancel_message(ApiError(409, {"detail": "already completed"})) is None


def test_typed_range_ends_that_are_no_number_are_named() -> None:
    rows, errors = logic.free_rows(["dose_mj_cm2"], {"dose_mj_cm2": "abc"}, {"dose_mj_cm2": "40"})
    assert rows == []
    assert len(errors) == 1
    assert "“abc” is not a number" in errors[0]
    assert "dose_mj_cm2" not in errors[0]  # the field by its label, not its code name
    rows, errors = logic.free_rows(["dose_mj_cm2"], {"dose_mj_cm2": " 30 "}, {"dose_mj_cm2": "40"})
    assert rows == [{"name": "dose_mj_cm2", "low": 30.0, "high": 40.0}]
    assert errors == []


def test_trials_and_seed_are_whole_numbers_in_their_range() -> None:
    assert logic.whole_number("Trials", "60", low=1, high=logic.MAX_TRIALS) == (60, [])
    assert logic.whole_number("Seed", "", low=0) == (None, [])
    assert logic.whole_number("Trials", "abc", low=1)[1] == ["Trials: “abc” is not a number"]
    assert logic.whole_number("Trials", "2.5", low=1)[1] == [
        "Trials: must be a whole number (got 2.5)"
    ]
    assert logic.whole_number("Trials", "0", low=1, high=500)[1] == [
        "Trials: must be 1–500 (got 0)"
    ]
    assert "decimal point" in logic.whole_number("Seed", "1,5", low=0)[1][0]
