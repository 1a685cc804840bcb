"""What the web app says about bad input: pydantic's and the API's rules in plain words, each
field by its label as the page shows it, and never a ``query.``/``body.`` location. The
central seam is ``access.explain`` (every page's API message goes through it)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from lto.acorn.access import explain
from lto.acorn.messages import field_label, field_message, plain_rule, plain_text
from lto.acorn.pages import economics_logic, jobs_logic
from lto.acorn.pages.optimise import LABELS as OPTIMISE_LABELS
from lto.client import ApiError
from tests.unit.api.conftest import Api, a_job, make_api


@pytest.mark.parametrize(
    ("rule", "said"),
    [
        ("Field required", "required"),
        ("Input should be a valid number, unable to parse string as a number", "must be a number"),
        ("Input should be a valid integer, got a number with a fractional part", "must be a whole number"),
        ("Input should be less than or equal to 10000", "must be at most 10,000"),
        ("Input should be greater than or equal to 0.01", "must be at least 0.01"),
        ("Input should be less than 2", "must be less than 2"),
        ("Input should be greater than 0", "must be greater than 0"),
        ("Input should be 'line_space', 'contact_array' or 'line_end'",
         "must be one of Lines and spaces, Contact array or Line ends"),
        ("Input should be <IlluminationShape.CONVENTIONAL: 'conventional'> or "
         "<IlluminationShape.DIPOLE: 'dipole'>", "must be one of Conventional or Dipole"),
        ("Input should be a valid datetime or date, invalid character in year",
         "must be a date and time with a zone, like 2026-12-01T00:00Z"),
        ("String should have at least 1 character", "must not be empty"),
        ("Extra inputs are not permitted", "is not a setting the API knows"),
        ("Value error, target_cd_nm (95) must be smaller than pitch_nm (90)",
         "Target CD (95) must be smaller than Pitch (90)"),
        ("must lie in [0.85, 1.35] for this profile", "must lie in [0.85, 1.35] for this profile"),
    ],
)  # fmt: skip
def test_pydantics_rules_in_plain_words(rule: str, said: str) -> None:
    assert plain_rule(rule) == said


def test_a_location_is_the_fields_label_never_its_path() -> None:
    assert field_label("body.na") == "Numerical aperture NA"
    assert field_label("query.since") == "From"
    assert field_label("query.since", jobs_logic.LABELS) == "Submitted at or after"
    assert field_label("free.0.low") == "low (free parameter 1)"
    assert field_label("job.na", OPTIMISE_LABELS) == "NA"  # as the Optimise page labels it
    assert field_label("job.na") == "Numerical aperture NA (base job)"
    assert field_label("body") == "The request"
    assert field_message("na", "Input should be a valid number") == (
        "Numerical aperture NA: must be a number"
    )
    assert plain_text("query.since: Input should be a valid datetime; query.limit: Field required") == (
        "From: must be a date and time with a zone, like 2026-12-01T00:00Z; Page size: required"
    )  # fmt: skip


def problem(status: int, errors: list[dict[str, str]], detail: str = "") -> ApiError:
    return ApiError(status, {"title": "Unprocessable content", "detail": detail, "errors": errors})


def test_explain_translates_the_apis_problem_details() -> None:
    refused = problem(
        422,
        [
            {"field": "body.na", "rule": "Input should be a valid number, unable to parse string as a number"},
            {"field": "query.since", "rule": "Input should be a valid datetime"},
        ],
        detail="body.na: Input should be a valid number; query.since: Input should be a valid datetime",
    )  # fmt: skip
    said = explain(refused)
    assert said == (
        "Numerical aperture NA: must be a number; "
        "From: must be a date and time with a zone, like 2026-12-01T00:00Z"
    )
    too_dear = {"field": "query.wafer_value", "rule": "Input should be less than or equal to 1e7"}
    economics = explain(problem(422, [too_dear]), economics_logic.LABELS)
    assert economics == "wafer value: must be at most 10,000,000"
    only_detail = explain(problem(422, [], detail="query.limit: Input should be greater than 0"))
    assert only_detail == "Page size: must be greater than 0"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    made = make_api(tmp_path_factory.mktemp("messages-api"))
    with made.client:
        yield made


def refusal(api: Api, method: str, path: str, **options: object) -> ApiError:
    headers = api.headers("erin", **{"Idempotency-Key": uuid.uuid4().hex})
    answer = api.client.request(method, f"/api/v1/{path}", headers=headers, **options)  # type: ignore[arg-type]
    assert answer.status_code in (400, 422), answer.text
    return ApiError(answer.status_code, answer.json())


@pytest.mark.parametrize(
    ("method", "path", "options", "labels", "expected"),
    [
        ("POST", "jobs", {"json": a_job(na="abc")}, None, "Numerical aperture NA: must be a number"),
        ("POST", "jobs", {"json": a_job(sigma=1.7)}, None, "σ outer: must be at most 1"),
        ("GET", "jobs", {"params": {"since": "yesterday"}}, jobs_logic.LABELS, "Submitted at or after:"),
        ("GET", "economics", {"params": {"since": "2026-12-01"}}, economics_logic.LABELS, "the window's start:"),
        ("GET", "jobs", {"params": {"limit": "lots"}}, None, "Page size: must be a whole number"),
    ],
)  # fmt: skip
def test_the_apis_own_refusals_read_plainly(
    api: Api,
    method: str,
    path: str,
    options: dict[str, object],
    labels: dict[str, str] | None,
    expected: str,
) -> None:
    said = explain(refusal(api, method, path, **options), labels)
    assert said.startswith(expected), said
    for raw in ("query.", "body.", "Input should", "Field required", "Value error"):
        assert raw not in said, said


def test_a_trials_reasons_name_the_field_as_the_optimise_page_does() -> None:
    from lto.acorn.figures.optimisation import PARAMETER_LABELS

    reason = "na: must lie in [0.5, 0.93] for this profile (got 0.95)"
    assert plain_text(reason, PARAMETER_LABELS) == (
        "NA: must lie in [0.5, 0.93] for this profile (got 0.95)"
    )
    assert plain_text("no such resource: /api/v1/x") == "no such resource: /api/v1/x"
