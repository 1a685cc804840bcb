"""Chemical compounds of the resist process, identified by CAS Registry Number."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from lto.atlas.errors import InvalidValue, UnknownName

_CAS = re.compile(r"^(\d{2,7})-(\d{2})-(\d)$")


def cas_check_digit(digits: str) -> int:
    """The CAS check digit of the digits before it: Σ position·digit (from the right) mod 10."""
    return sum(position * int(d) for position, d in enumerate(reversed(digits), start=1)) % 10


@dataclass(frozen=True)
class CasNumber:
    """A CAS Registry Number such as 108-65-6, validated by its check digit."""

    value: str

    def __post_init__(self) -> None:
        text = self.value.strip() if isinstance(self.value, str) else self.value
        if not isinstance(text, str) or not (match := _CAS.match(text)):
            raise InvalidValue(
                "cas_number",
                "must look like NNNNNNN-NN-N (2-7 digits, 2 digits, 1 check digit)",
                self.value,
            )
        body = match.group(1) + match.group(2)
        expected = cas_check_digit(body)
        if int(match.group(3)) != expected:
            raise InvalidValue(
                "cas_number",
                f"check digit is {match.group(3)} but the other digits give {expected}",
                self.value,
            )
        object.__setattr__(self, "value", text)

    def __str__(self) -> str:
        return self.value


class CompoundRole(StrEnum):
    POLYMER = "polymer"
    PHOTOACID_GENERATOR = "photoacid generator"
    PHOTOACTIVE_COMPOUND = "photoactive compound"  # a DNQ dissolution inhibitor (not amplified)
    QUENCHER = "quencher"
    SOLVENT = "solvent"
    DEVELOPER = "developer"
    ADHESION_PROMOTER = "adhesion promoter"
    IMMERSION_FLUID = "immersion fluid"


@dataclass(frozen=True)
class Compound:
    """A chemical with its CAS number; identity is the CAS number."""

    name: str
    cas: CasNumber
    formula: str
    role: CompoundRole

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidValue("compound.name", "must not be empty", self.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Compound) and other.cas == self.cas

    def __hash__(self) -> int:
        return hash(self.cas)


def _c(name: str, cas: str, formula: str, role: CompoundRole) -> Compound:
    return Compound(name, CasNumber(cas), formula, role)


PGMEA = _c(
    "propylene glycol methyl ether acetate (PGMEA)", "108-65-6", "C6H12O3", CompoundRole.SOLVENT
)
ETHYL_LACTATE = _c("ethyl lactate", "97-64-3", "C5H10O3", CompoundRole.SOLVENT)
CYCLOHEXANONE = _c("cyclohexanone", "108-94-1", "C6H10O", CompoundRole.SOLVENT)
TMAH = _c("tetramethylammonium hydroxide (TMAH)", "75-59-2", "C4H13NO", CompoundRole.DEVELOPER)
TPS_TRIFLATE = _c(
    "triphenylsulfonium triflate", "66003-78-9", "C19H15F3O3S2", CompoundRole.PHOTOACID_GENERATOR
)
PMMA = _c("poly(methyl methacrylate) (PMMA)", "9011-14-7", "(C5H8O2)n", CompoundRole.POLYMER)
PHS = _c("poly(4-hydroxystyrene) (PHS)", "24979-70-2", "(C8H8O)n", CompoundRole.POLYMER)
NOVOLAC = _c("phenol-formaldehyde (novolac) resin", "9003-35-4", "(C7H6O)n", CompoundRole.POLYMER)
DNQ = _c(
    "diazonaphthoquinone sulfonyl chloride (DNQ)",  # its esters are the i-line PAC
    "3770-97-6",
    "C10H5ClN2O3S",
    CompoundRole.PHOTOACTIVE_COMPOUND,
)
TRIOCTYLAMINE = _c("trioctylamine", "1116-76-3", "C24H51N", CompoundRole.QUENCHER)
HMDS = _c("hexamethyldisilazane (HMDS)", "999-97-3", "C6H19NSi2", CompoundRole.ADHESION_PROMOTER)
WATER = _c("water (ultrapure)", "7732-18-5", "H2O", CompoundRole.IMMERSION_FLUID)

COMPOUNDS: tuple[Compound, ...] = (
    PGMEA,
    ETHYL_LACTATE,
    CYCLOHEXANONE,
    TMAH,
    TPS_TRIFLATE,
    PMMA,
    PHS,
    NOVOLAC,
    DNQ,
    TRIOCTYLAMINE,
    HMDS,
    WATER,
)


def compound(name_or_cas: str) -> Compound:
    """Find a library compound by CAS number or by (part of) its name, case-insensitively."""
    wanted = name_or_cas.strip().lower()
    for item in COMPOUNDS:
        if wanted == item.cas.value or wanted == item.name.lower():
            return item
    matches = [item for item in COMPOUNDS if wanted and wanted in item.name.lower()]
    if len(matches) == 1:
        return matches[0]
    raise UnknownName("compound", name_or_cas, [f"{c.name} [{c.cas}]" for c in COMPOUNDS])
