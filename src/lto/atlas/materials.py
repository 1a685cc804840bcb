"""Resist formulations: what is coated, built from library compounds, with its imaging constants."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lto.atlas.compounds import (
    CYCLOHEXANONE,
    PGMEA,
    PHS,
    PMMA,
    TPS_TRIFLATE,
    TRIOCTYLAMINE,
    Compound,
    CompoundRole,
)
from lto.atlas.errors import InvalidValue
from lto.atlas.technology import ARF_DRY, ARF_IMMERSION, EUV, KRF, ExposureTechnology
from lto.atlas.units import check_range


class Tone(StrEnum):
    POSITIVE = "positive"  # exposed resist dissolves
    NEGATIVE = "negative"  # exposed resist stays


@dataclass(frozen=True)
class ResistFormulation:
    """A chemically amplified resist and the constants the resist model needs.

    ``absorption_per_um`` is the bulk absorption coefficient α (intensity falls as e^(−αz));
    ``diffusion_length_nm`` the post-exposure-bake acid diffusion length; ``dose_to_clear_mj_cm2``
    the open-frame dose E0 at which a positive resist just clears.
    """

    name: str
    tone: Tone
    polymer: Compound
    photoacid_generator: Compound
    quencher: Compound
    solvent: Compound
    technologies: frozenset[ExposureTechnology]
    absorption_per_um: float
    diffusion_length_nm: float
    dose_to_clear_mj_cm2: float

    def __post_init__(self) -> None:
        expected = {
            "polymer": (self.polymer, CompoundRole.POLYMER),
            "photoacid_generator": (self.photoacid_generator, CompoundRole.PHOTOACID_GENERATOR),
            "quencher": (self.quencher, CompoundRole.QUENCHER),
            "solvent": (self.solvent, CompoundRole.SOLVENT),
        }
        for field, (item, role) in expected.items():
            if item.role is not role:
                raise InvalidValue(
                    f"resist.{field}", f"must be a {role}, not a {item.role}", item.name
                )
        if not self.technologies:
            raise InvalidValue("resist.technologies", "must name at least one exposure technology")
        check_range(
            self.absorption_per_um,
            field="resist.absorption_per_um",
            minimum=0,
            maximum=50,
            unit="1/µm",
        )
        check_range(
            self.diffusion_length_nm,
            field="resist.diffusion_length_nm",
            minimum=0,
            maximum=200,
            unit="nm",
        )
        check_range(
            self.dose_to_clear_mj_cm2,
            field="resist.dose_to_clear_mj_cm2",
            minimum=0,
            maximum=1000,
            min_inclusive=False,
            unit="mJ/cm²",
        )

    def supports(self, technology: ExposureTechnology) -> bool:
        return technology in self.technologies


ARF_CAR = ResistFormulation(
    name="ArF positive CAR (methacrylate)",
    tone=Tone.POSITIVE,
    polymer=PMMA,  # ArF resists are methacrylates: PHS absorbs too strongly at 193 nm
    photoacid_generator=TPS_TRIFLATE,
    quencher=TRIOCTYLAMINE,
    solvent=PGMEA,
    technologies=frozenset({ARF_DRY, ARF_IMMERSION}),
    absorption_per_um=1.2,
    diffusion_length_nm=15.0,
    dose_to_clear_mj_cm2=12.0,
)
KRF_CAR = ResistFormulation(
    name="KrF positive CAR (PHS)",
    tone=Tone.POSITIVE,
    polymer=PHS,
    photoacid_generator=TPS_TRIFLATE,
    quencher=TRIOCTYLAMINE,
    solvent=PGMEA,
    technologies=frozenset({KRF}),
    absorption_per_um=0.4,
    diffusion_length_nm=30.0,
    dose_to_clear_mj_cm2=15.0,
)
EUV_CAR = ResistFormulation(
    name="EUV positive CAR (PHS)",
    tone=Tone.POSITIVE,
    polymer=PHS,
    photoacid_generator=TPS_TRIFLATE,
    quencher=TRIOCTYLAMINE,
    solvent=CYCLOHEXANONE,
    technologies=frozenset({EUV}),
    absorption_per_um=5.0,
    diffusion_length_nm=6.0,
    dose_to_clear_mj_cm2=20.0,
)
