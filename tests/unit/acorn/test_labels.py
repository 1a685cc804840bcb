"""Choices and parameters in the words a page shows, their values untouched."""

from __future__ import annotations

from lto.acorn.labels import options, parameter_label, state_label, value_label
from lto.acorn.pages.jobs_logic import key_parameters
from lto.atlas import PROFILES, JobClass, Pattern
from lto.atlas.technology import Polarization


def test_every_choice_a_page_offers_has_words_for_a_label() -> None:
    for value in [*PROFILES, *(p.value for p in Pattern), *(c.value for c in JobClass),
                  *(p.value for p in Polarization), "conventional", "annular", "dipole",
                  "quadrupole", "auto", "tpe", "nsga2", "gp", "random"]:  # fmt: skip
        label = value_label(value)
        assert "_" not in label
        assert label not in ("", "—")
    assert value_label("line_space") == "Lines and spaces"
    assert value_label("arf_immersion") == "ArF immersion"
    assert value_label("ArF-dry") == "ArF dry"
    assert value_label(Pattern.CONTACT_ARRAY) == "Contact array"
    assert value_label("some_new_value") == "some new value"  # words, never code
    assert value_label(None) == "—"


def test_options_keep_the_values_and_label_them() -> None:
    assert options(["line_space", "line_end"], blank="—") == [
        {"label": "—", "value": ""},
        {"label": "Lines and spaces", "value": "line_space"},
        {"label": "Line ends", "value": "line_end"},
    ]


def test_parameters_and_states_in_words() -> None:
    assert parameter_label("na") == "Numerical aperture NA"
    assert parameter_label("target_cd_nm") == "Target CD"
    assert parameter_label("unknown_field") == "unknown field"
    assert state_label("anomaly_flagged") == "anomaly flagged"
    assert key_parameters({"na": 1.35, "illumination": "dipole"}).endswith("dipole")
