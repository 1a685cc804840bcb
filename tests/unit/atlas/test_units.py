from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lto.atlas import (
    Dose,
    Focus,
    InvalidValue,
    Length,
    NumericalAperture,
    PartialCoherence,
    Wavelength,
)
from lto.atlas.units import parse_quantity


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("193 nm", Wavelength, 193.0),
        ("0.193 um", Wavelength, 193.0),
        ("0.193 µm", Wavelength, 193.0),
        ("193nm", Wavelength, 193.0),
        ("13.5 nanometer", Wavelength, 13.5),
        ("1.93e-7 m", Wavelength, 193.0),
        ("30 mJ/cm^2", Dose, 30.0),
        ("30 mJ/cm2", Dose, 30.0),
        ("30 mJ/cm²", Dose, 30.0),
        ("30 mJ cm-2", Dose, 30.0),
        ("300 J/m^2", Dose, 30.0),
        ("-0.05 um", Focus, -50.0),
        ("45", Length, 45.0),
        (45, Length, 45.0),
        ("1.35", NumericalAperture, 1.35),
    ],
)
def test_typed_quantities_are_parsed_to_canonical_units(text, kind, expected) -> None:
    assert kind.parse(text).value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "kind", "fragment"),
    [
        ("30 mJ/cm^2", Wavelength, "is a unit of dose (energy per area), not of length"),
        ("193 furlongs per fortnight", Wavelength, "unit"),
        ("nm 193", Wavelength, "number"),
        ("", Length, "number"),
        ("-5 nm", Length, "must lie in"),
        ("2000 nm", Wavelength, "must lie in"),
        ("0 mJ/cm^2", Dose, "must lie in"),
        ("1.2", PartialCoherence, "must lie in"),
        ("nan", NumericalAperture, "number"),
    ],
)
def test_bad_text_is_refused_with_field_and_rule(text, kind, fragment) -> None:
    with pytest.raises(InvalidValue) as info:
        kind.parse(text)
    assert info.value.field == kind.label
    assert fragment in str(info.value)


def test_error_names_the_callers_field() -> None:
    with pytest.raises(InvalidValue, match=r"^target_cd: "):
        Length.parse("-3 nm", field="target_cd")


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_non_finite_values_are_refused(value: float) -> None:
    with pytest.raises(InvalidValue, match="finite"):
        Focus(value)


def test_booleans_are_not_numbers() -> None:
    with pytest.raises(InvalidValue):
        NumericalAperture(True)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        parse_quantity(True, unit="nm", field="pitch", example="80 nm")  # type: ignore[arg-type]


def test_value_objects_are_immutable_and_compare_by_value() -> None:
    a, b = Wavelength(193.0), Wavelength.parse("0.193 um")
    assert a == b
    assert hash(a) == hash(b)
    with pytest.raises(AttributeError):
        a.value = 248.0  # type: ignore[misc]
    assert Length(10) < Length(20)
    assert str(Dose(30)) == "30 mJ/cm²"


def test_a_quantity_of_another_kind_is_refused() -> None:
    with pytest.raises(InvalidValue, match="expected a wavelength, got a dose"):
        Wavelength.parse(Dose(30))  # type: ignore[arg-type]


def test_dimensionless_quantities_have_no_unit_to_convert_to() -> None:
    assert NumericalAperture(0.33).to("dimensionless") == 0.33
    with pytest.raises(InvalidValue):
        NumericalAperture(0.33).to("nm")


lengths = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
length_units = st.sampled_from(["nm", "um", "mm", "m", "angstrom", "pm"])
doses = st.floats(min_value=1e-3, max_value=1e4, allow_nan=False, allow_infinity=False)
dose_units = st.sampled_from(["mJ/cm^2", "J/m^2", "mJ/mm^2", "uJ/cm^2"])


@given(lengths, length_units)
def test_length_round_trips_through_any_unit(value: float, unit: str) -> None:
    original = Length(value)
    assert Length.parse(original.format(unit)).value == pytest.approx(value, rel=1e-12)


@given(doses, dose_units)
def test_dose_round_trips_through_any_unit(value: float, unit: str) -> None:
    original = Dose(value)
    assert Dose.parse(original.format(unit)).value == pytest.approx(value, rel=1e-12)


@given(st.floats(min_value=-1e5, max_value=1e5, allow_nan=False))
def test_focus_round_trips_in_canonical_text(value: float) -> None:
    assert Focus.parse(Focus(value).format()) == Focus(value)
