"""Resist formulations: a chemically amplified resist or a DNQ/novolac one, never a mixture."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lto.atlas.compounds import DNQ, PGMEA, TPS_TRIFLATE, TRIOCTYLAMINE, CompoundRole
from lto.atlas.errors import InvalidValue
from lto.atlas.materials import ARF_CAR, I_LINE_DNQ
from lto.atlas.technology import I_LINE


def test_the_i_line_resist_is_dnq_novolac_not_a_car() -> None:
    assert I_LINE_DNQ.supports(I_LINE)
    assert not I_LINE_DNQ.chemically_amplified
    assert I_LINE_DNQ.sensitizer is DNQ
    assert DNQ.role is CompoundRole.PHOTOACTIVE_COMPOUND
    assert ARF_CAR.chemically_amplified
    assert ARF_CAR.sensitizer is TPS_TRIFLATE


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"photoacid_generator": TPS_TRIFLATE}, "resist.photoacid_generator"),  # both
        ({"photoactive_compound": None}, "resist.photoacid_generator"),  # neither
        ({"quencher": TRIOCTYLAMINE}, "resist.quencher"),  # a quencher without an acid
        ({"photoactive_compound": PGMEA}, "resist.photoactive_compound"),  # a solvent as PAC
    ],
)
def test_a_formulation_that_mixes_chemistries_is_refused_by_field(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        replace(I_LINE_DNQ, **changes)
    assert refused.value.field == field
