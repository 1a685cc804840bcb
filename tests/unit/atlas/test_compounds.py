from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lto.atlas import COMPOUNDS, CasNumber, CompoundRole, InvalidValue, UnknownName, compound
from lto.atlas.compounds import cas_check_digit


@pytest.mark.parametrize(
    ("name", "cas"),
    [
        ("PGMEA", "108-65-6"),
        ("TMAH", "75-59-2"),
        ("triphenylsulfonium triflate", "66003-78-9"),
        ("poly(4-hydroxystyrene)", "24979-70-2"),
        ("water", "7732-18-5"),
        ("HMDS", "999-97-3"),
    ],
)
def test_library_holds_real_resist_process_compounds(name: str, cas: str) -> None:
    assert compound(name).cas == CasNumber(cas)
    assert compound(cas).cas.value == cas


def test_library_covers_every_role_a_resist_needs() -> None:
    roles = {c.role for c in COMPOUNDS}
    assert {
        CompoundRole.POLYMER,
        CompoundRole.PHOTOACID_GENERATOR,
        CompoundRole.QUENCHER,
        CompoundRole.SOLVENT,
        CompoundRole.DEVELOPER,
    } <= roles


def test_a_wrong_check_digit_is_rejected_with_the_expected_digit() -> None:
    with pytest.raises(InvalidValue) as info:
        CasNumber("108-65-7")
    assert info.value.field == "cas_number"
    assert "check digit is 7 but the other digits give 6" in str(info.value)


@pytest.mark.parametrize("text", ["10865-6", "1-65-6", "12345678-65-6", "108_65_6", "abc-de-f", ""])
def test_malformed_cas_numbers_are_rejected(text: str) -> None:
    with pytest.raises(InvalidValue, match="NNNNNNN-NN-N"):
        CasNumber(text)


@given(st.from_regex(r"\A[1-9]\d{1,6}\Z"), st.from_regex(r"\A\d{2}\Z"))
def test_every_body_has_exactly_one_valid_check_digit(first: str, second: str) -> None:
    valid = [d for d in range(10) if _accepts(f"{first}-{second}-{d}")]
    assert valid == [cas_check_digit(first + second)]


def _accepts(text: str) -> bool:
    try:
        CasNumber(text)
    except InvalidValue:
        return False
    return True


def test_compound_identity_is_its_cas_number() -> None:
    assert compound("PGMEA") == compound("108-65-6")
    assert len({*COMPOUNDS, compound("TMAH")}) == len(COMPOUNDS)


def test_ambiguous_or_unknown_names_list_the_library() -> None:
    with pytest.raises(UnknownName, match="PGMEA"):
        compound("unobtainium")
