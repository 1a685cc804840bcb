from __future__ import annotations

import pytest

from lto.atlas import TECHNOLOGIES, UnknownName, technology
from lto.atlas.technology import k1_factor, rayleigh_dof_nm, resolution_limit_pitch_nm


@pytest.mark.parametrize(
    ("name", "wavelength", "max_na", "immersion"),
    [
        ("EUV", 13.5, 0.55, False),
        ("ArF-dry", 193.0, 0.93, False),
        ("ArF-immersion", 193.0, 1.35, True),
        ("KrF", 248.0, 0.93, False),
        ("i-line", 365.0, 0.65, False),
    ],
)
def test_technologies_carry_their_physical_limits(name, wavelength, max_na, immersion) -> None:
    tech = technology(name)
    assert tech.wavelength_nm == wavelength
    assert tech.max_na.value == max_na
    assert tech.immersion is immersion


def test_immersion_na_is_bounded_by_the_fluid_index() -> None:
    arfi = technology("ArF-immersion")
    assert arfi.max_na.value < arfi.medium_index  # NA = n sin θ < n
    for tech in TECHNOLOGIES.values():
        if not tech.immersion:
            assert tech.max_na.value < 1.0


@pytest.mark.parametrize("typed", ["arf immersion", "ARF_IMMERSION", "ArFi", "arf-immersion "])
def test_lookup_forgives_case_and_separators(typed: str) -> None:
    assert technology(typed).name == "ArF-immersion"


def test_unknown_technology_lists_the_known_ones() -> None:
    with pytest.raises(UnknownName, match="known: EUV, ArF-dry, ArF-immersion, KrF, i-line"):
        technology("F2")


def test_resolution_limit_and_rayleigh_scalings() -> None:
    # 193 nm, NA 1.35, sigma 0 (coherent): first orders pass while p > λ/NA
    assert resolution_limit_pitch_nm(193, 1.35, 0.0) == pytest.approx(142.96, abs=0.01)
    # full partial coherence halves it
    assert resolution_limit_pitch_nm(193, 1.35, 1.0) == pytest.approx(193 / 2.7)
    assert k1_factor(40, 193, 1.35) == pytest.approx(0.2798, abs=1e-4)
    assert rayleigh_dof_nm(13.5, 0.33) == pytest.approx(123.97, abs=0.01)
