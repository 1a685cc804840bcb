"""The job-parameter form: the default job, pre-filling from a link, validation with the
contract and the constraint profile (every broken rule at its field), and the limits shown."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from lto.acorn.forms import (
    DEFAULTS,
    FIELD_NAMES,
    FIELDS,
    check_form,
    extras_text,
    limit_hints,
    parameter_form,
    values_from_parameters,
    values_from_query,
    whatif_href,
)
from lto.atlas import JobParameters
from lto.daedalus.columns import row_from_job
from lto.daedalus.domain import default_domain


def components(tree: Any) -> list[Any]:
    """Every component of a Dash layout tree."""
    found = [tree]
    children = getattr(tree, "children", None)
    if isinstance(children, list | tuple):
        for child in children:
            found += components(child)
    elif children is not None and hasattr(children, "to_plotly_json"):
        found += components(children)
    return found


def ids(tree: Any) -> list[Any]:
    return [c.id for c in components(tree) if getattr(c, "id", None) is not None]


# --- the default --------------------------------------------------------------------------------


def test_the_default_job_is_valid_for_its_profile() -> None:
    checked = check_form(DEFAULTS)
    assert checked.ok, checked.errors
    assert checked.errors == {}
    assert checked.other == []
    assert checked.profile == "ArF-immersion"
    assert checked.body is not None
    assert "submitted_by" not in checked.body
    assert checked.body["illumination"] == "dipole"
    assert checked.body["sigma_inner"] == 0.6
    JobParameters.model_validate({**checked.body, "submitted_by": "erin"})


def test_the_default_job_lies_inside_the_surrogates_training_domain() -> None:
    job = JobParameters.model_validate({**check_form(DEFAULTS).body, "submitted_by": "erin"})
    row = row_from_job(job)
    (reasons,) = default_domain().violations({k: [v] for k, v in row.items()})
    assert reasons == []
    limit = 193.0 / (1.35 * (1 + 0.9))
    assert job.pitch_nm >= 1.1 * limit  # not at the edge the surrogate was never shown


# --- pre-filling from a link --------------------------------------------------------------------


def test_values_from_query_fill_over_the_defaults() -> None:
    prefill = values_from_query(
        {
            "na": "1.2",
            "sigma": "0.8",
            "dose_mj_cm2": "40",
            "illumination": "Annular",
            "pattern": "contact-array",
            "job": "job_1",
        },
        ignore=("job",),
    )
    assert prefill.values["na"] == 1.2
    assert prefill.values["sigma"] == 0.8
    assert prefill.values["dose_mj_cm2"] == 40.0
    assert prefill.values["illumination"] == "annular"
    assert prefill.values["pattern"] == "contact_array"
    assert prefill.values["pitch_nm"] == DEFAULTS["pitch_nm"]
    assert prefill.problems == []
    assert prefill.extras == {}


def test_values_from_query_infer_the_profile_from_wavelength_and_na() -> None:
    assert values_from_query({"na": "0.9"}).values["constraint_profile"] == "ArF-dry"
    euv = values_from_query({"wavelength_nm": "13.5 nm", "na": "0.33"})
    assert euv.values["constraint_profile"] == "EUV"
    assert euv.values["wavelength_nm"] == 13.5
    named = values_from_query({"na": "0.9", "constraint_profile": "arf-immersion"})
    assert named.values["constraint_profile"] == "ArF-immersion"


def test_values_from_query_report_what_they_could_not_use() -> None:
    prefill = values_from_query({"na": "wide", "colour": "blue", "pattern": "spiral"})
    assert prefill.values["na"] == DEFAULTS["na"]
    assert len(prefill.problems) == 3
    assert any("na='wide'" in p for p in prefill.problems)
    assert any("'colour'" in p and "not a job parameter" in p for p in prefill.problems)
    assert any("pattern='spiral'" in p and "line_space" in p for p in prefill.problems)


def test_parameters_the_form_does_not_show_travel_as_extras() -> None:
    prefill = values_from_query({"polarization": "TE", "priority": "8"})
    assert prefill.extras == {"polarization": "TE", "priority": "8"}
    checked = check_form(prefill.values, prefill.extras)
    assert checked.ok
    assert checked.body["polarization"] == "TE"
    assert checked.body["priority"] == 8
    assert extras_text(prefill.extras) == "Also asked: polarization = TE, priority = 8"
    bad = check_form(prefill.values, {"priority": "99"})
    assert not bad.ok
    assert bad.other
    assert bad.other == ["Priority: must be at most 10"]  # by its label, in plain words


def test_conventional_illumination_drops_the_inner_sigma() -> None:
    prefill = values_from_query({"illumination": "conventional", "sigma_inner": "0"})
    assert prefill.values["sigma_inner"] is None
    checked = check_form({**DEFAULTS, "illumination": "conventional", "sigma": 0.7})
    assert checked.ok
    assert "sigma_inner" not in checked.body


def test_whatif_href_round_trips_through_the_query_string() -> None:
    parameters = {
        **check_form(DEFAULTS).body,
        "na": 1.2345678901,
        "submitted_by": "erin",
        "polarization": "TE",
        "use_ai_surrogate": False,
    }
    href = whatif_href(parameters)
    parts = urlsplit(href)
    assert parts.path == "/whatif"
    query = dict(parse_qsl(parts.query))
    assert "submitted_by" not in query
    assert query["use_ai_surrogate"] == "false"
    prefill = values_from_query(query)
    assert prefill.problems == []
    assert prefill.values["na"] == 1.2345678901  # full precision
    assert {k: prefill.values[k] for k in FIELD_NAMES if k != "na"} == {
        k: parameters[k] for k in FIELD_NAMES if k != "na"
    }
    assert prefill.extras == {"polarization": "TE", "use_ai_surrogate": "false"}
    assert check_form(prefill.values, prefill.extras).body["use_ai_surrogate"] is False


def test_values_from_parameters_take_a_jobs_stored_parameters() -> None:
    stored = JobParameters.model_validate(
        {**check_form(DEFAULTS).body, "constraint_profile": None, "submitted_by": "erin"}
    ).model_dump(mode="json")
    prefill = values_from_parameters(stored)
    assert prefill.values["constraint_profile"] == "ArF-immersion"  # inferred
    assert prefill.values["pitch_nm"] == 90.0
    assert "submitted_by" not in prefill.extras
    assert "metadata" not in prefill.extras
    assert prefill.extras == {}  # the other parameters are at their defaults: nothing to carry
    changed = values_from_parameters({**stored, "priority": 8, "polarization": "TE"})
    assert changed.extras == {"priority": 8, "polarization": "TE"}
    assert check_form(prefill.values, prefill.extras).ok


# --- validation ---------------------------------------------------------------------------------


def test_contract_errors_are_named_at_their_field() -> None:
    checked = check_form({**DEFAULTS, "na": 2.5, "sigma": -0.1, "target_cd_nm": 95.0})
    assert checked.body is None
    assert not checked.ok
    assert checked.errors["na"] == "Numerical aperture NA: must be less than 2"
    assert checked.errors["sigma"] == "σ outer: must be at least 0"
    assert set(checked.errors) == {"na", "sigma"}  # the field rules first


def test_a_model_rule_is_named_at_the_field_it_concerns() -> None:
    checked = check_form({**DEFAULTS, "target_cd_nm": 95.0})
    assert checked.errors == {"target_cd_nm": "Target CD (95) must be smaller than Pitch (90)"}
    inner = check_form({**DEFAULTS, "sigma_inner": 0.95})
    assert list(inner.errors) == ["sigma_inner"]
    assert inner.errors["sigma_inner"] == "σ inner (0.95) must be smaller than σ outer (0.9)"
    missing = check_form({**DEFAULTS, "sigma_inner": None})
    assert missing.errors == {"sigma_inner": "σ inner is required for dipole illumination"}


def test_required_and_non_numbers_are_refused() -> None:
    checked = check_form({**DEFAULTS, "pitch_nm": None, "dose_mj_cm2": "lots", "pattern": ""})
    assert checked.errors["pitch_nm"] == "Pitch: required"
    assert checked.errors["pattern"] == "Pattern: required"
    assert checked.errors["dose_mj_cm2"].startswith("Dose: “lots” is not a number")
    assert check_form({**DEFAULTS, "focus_nm": "-20 nm"}).body["focus_nm"] == -20.0


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("abc", "Numerical aperture NA: “abc” is not a number"),
        ("0,85", "Numerical aperture NA: “0,85”: use a decimal point, not a comma (0.85)"),
        ("nan", "Numerical aperture NA: must be a finite number"),
    ],
)
def test_text_that_is_no_number_is_said_to_be_none_not_required(typed: str, said: str) -> None:
    """The inputs are text (a number input hands Dash None for "abc", which read "required")."""
    checked = check_form({**DEFAULTS, "na": typed})
    assert checked.errors == {"na": said}
    assert check_form({**DEFAULTS, "na": " 1.2 "}).body["na"] == 1.2  # typed text is read
    comma = check_form({**DEFAULTS, "pitch_nm": "90,5 nm"}).errors["pitch_nm"]
    assert "use a decimal point" in comma


@pytest.mark.parametrize(
    "changes",
    [
        {"na": 2.5},
        {"sigma": 1.7},
        {"dose_mj_cm2": -1.0},
        {"na": "abc", "pitch_nm": "x"},
        {"target_cd_nm": 95.0},
        {"sigma_inner": 0.95},
        {"wavelength_nm": "193 kg"},
    ],
)
def test_no_message_shows_pydantics_wording_or_a_raw_field_name(changes: dict[str, Any]) -> None:
    checked = check_form({**DEFAULTS, **changes})
    said = [*checked.errors.values(), *checked.other]
    assert said
    for text in said:
        assert "Input should" not in text
        assert "Value error" not in text
        assert not any(
            f"{name} " in text or f"{name}:" in text for name in FIELD_NAMES if "_" in name
        )
    for name, text in checked.errors.items():
        assert text.startswith(next(f.label for f in FIELDS if f.name == name))


def test_profile_rules_are_named_at_their_fields_all_at_once() -> None:
    checked = check_form(
        {
            **DEFAULTS,
            "na": 1.4,
            "pitch_nm": 70.0,
            "target_cd_nm": 35.0,
            "grid_size_nm": 40.0,
            "resist_thickness_nm": 200.0,
            "dose_mj_cm2": 150.0,
        }
    )
    assert checked.body is None
    assert "[0.85, 1.35]" in checked.errors["na"]
    assert "at most NA 1.35" in checked.errors["na"]
    assert "resolution limit" in checked.errors["pitch_nm"]
    assert "λ/(4·NA)" in checked.errors["grid_size_nm"]
    assert "aspect ratio" in checked.errors["resist_thickness_nm"]
    assert "[5, 100] mJ/cm²" in checked.errors["dose_mj_cm2"]
    wrong = check_form({**DEFAULTS, "wavelength_nm": 248.0})
    assert wrong.errors["wavelength_nm"] == "Wavelength λ: ArF-immersion exposes at 193 nm"


# --- the limits beside each field --------------------------------------------------------------


def test_limit_hints_show_the_profile_and_the_physics_rules() -> None:
    hints = limit_hints(DEFAULTS)
    assert hints["na"] == "NA 0.85–1.35 for ArF immersion"
    assert hints["dose_mj_cm2"] == "5–100 mJ/cm² for ArF immersion"
    assert hints["wavelength_nm"] == "193 nm for ArF immersion"
    assert hints["resist_thickness_nm"] == "40–250 nm for ArF immersion, at most 3 × CD = 135 nm"
    assert hints["pitch_nm"] == "above λ/(NA(1+σ)) = 75.2 nm"
    assert hints["grid_size_nm"] == "at most λ/(4·NA) = 35.74 nm"
    assert hints["focus_nm"].startswith("+ into the resist")
    assert hints["target_cd_nm"] == "below the pitch (90 nm)"
    euv = limit_hints({**DEFAULTS, "constraint_profile": "EUV"})
    assert euv["na"] == "NA 0.25–0.55 for EUV"
    conventional = limit_hints({**DEFAULTS, "illumination": "conventional"})
    assert conventional["sigma_inner"] == "not used with conventional illumination"


def test_no_hint_shows_a_number_computed_from_an_invalid_field() -> None:
    values = {**DEFAULTS, "na": 2.5, "sigma": 1.7, "target_cd_nm": "abc"}
    checked = check_form(values)
    assert {"na", "sigma", "target_cd_nm"} <= set(checked.errors)
    hints = limit_hints(values, invalid=checked.errors)
    assert hints["pitch_nm"] == "above λ/(NA(1+σ))"  # no limit from NA 2.5 or σ 1.7
    assert hints["grid_size_nm"] == "at most λ/(4·NA)"
    assert hints["sigma_inner"] == "below σ outer"
    assert hints["resist_thickness_nm"] == "40–250 nm for ArF immersion"  # no "3 × CD = …"
    assert hints["na"] == "NA 0.85–1.35 for ArF immersion"  # the profile's, not NA's own
    valid = limit_hints(DEFAULTS, invalid=check_form(DEFAULTS).errors)
    assert valid["grid_size_nm"] == "at most λ/(4·NA) = 35.74 nm"
    # the page's first render too: a link with a wrong NA shows no limit computed from it
    tree = parameter_form("whatif", values_from_query({"na": "2.5"}))
    texts = [str(getattr(c, "children", "")) for c in components(tree)]
    assert "at most λ/(4·NA)" in texts
    assert not any(t.startswith("at most λ/(4·NA) =") for t in texts)


# --- the layout ---------------------------------------------------------------------------------


def test_parameter_form_has_a_control_message_and_limit_per_field() -> None:
    prefill = values_from_query({"na": "1.2", "polarization": "TE", "bogus": "1"})
    tree = parameter_form("whatif", prefill)
    found = ids(tree)
    for name in FIELD_NAMES:
        assert {"type": "whatif-field", "name": name} in found
        assert {"type": "whatif-feedback", "name": name} in found
        assert {"type": "whatif-limit", "name": name} in found
    control = next(
        c
        for c in components(tree)
        if getattr(c, "id", None) == {"type": "whatif-field", "name": "na"}
    )
    assert control.value == 1.2
    assert control.debounce
    assert control.type == "text"  # parsed in check_form, so that "abc" is said to be no number
    assert control.inputmode == "decimal"  # the phone shows a number pad
    texts = [getattr(c, "children", None) for c in components(tree)]
    assert "NA 0.85–1.35 for ArF immersion" in texts
    assert "Also asked: polarization = TE" in texts
    assert any("'bogus'" in str(t) for t in texts)  # what the link held that was not used
    units = {c.children for c in components(tree) if type(c).__name__ == "InputGroupText"}
    assert units == {"nm", "mJ/cm²"}  # short, so that no input is squeezed beside its unit
    selects = {
        c.id["name"]: {o["value"]: o["label"] for o in c.options}
        for c in components(tree)
        if type(c).__name__ == "Select"
    }
    assert selects["pattern"]["line_space"] == "Lines and spaces"
    assert selects["constraint_profile"]["ArF-immersion"] == "ArF immersion"
    assert selects["job_class"]["critical"] == "Critical"
    assert len(FIELDS) == len(FIELD_NAMES) == 14


@pytest.mark.parametrize("prefix", ["whatif", "compare"])
def test_the_form_is_namespaced_by_its_page(prefix: str) -> None:
    tree = parameter_form(prefix, values_from_query({}))
    assert f"{prefix}-extras" in ids(tree)
    assert f"{prefix}-form-note" in ids(tree)
