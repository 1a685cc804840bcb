"""Resist formulations: what is coated, built from library compounds, with its imaging constants."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lto.atlas.compounds import (
    CYCLOHEXANONE,
    DNQ,
    ETHYL_LACTATE,
    NOVOLAC,
    PGMEA,
    PHS,
    PMMA,
    TPS_TRIFLATE,
    TRIOCTYLAMINE,
    Compound,
    CompoundRole,
)
from lto.atlas.errors import InvalidValue
from lto.atlas.technology import ARF_DRY, ARF_IMMERSION, EUV, I_LINE, KRF, ExposureTechnology
from lto.atlas.units import check_range


class Tone(StrEnum):
    POSITIVE = "positive"  # exposed resist dissolves
    NEGATIVE = "negative"  # exposed resist stays


@dataclass(frozen=True)
class ResistFormulation:
    """A resist and the constants the resist model needs: chemically amplified (a photoacid
    generator, usually with a quencher) or DNQ/novolac (a photoactive compound that inhibits
    dissolution until light destroys it, nothing amplified: the i-line resists).

    ``absorption_per_um`` is the bulk absorption coefficient α (intensity falls as e^(−αz));
    ``diffusion_length_nm`` the post-exposure-bake diffusion length (of the acid in a CAR, of
    the photoactive compound in DNQ/novolac, where the bake smooths standing waves);
    ``dose_to_clear_mj_cm2`` the open-frame dose E0 at which a positive resist just clears.
    """

    name: str
    tone: Tone
    polymer: Compound
    photoacid_generator: Compound | None
    quencher: Compound | None
    solvent: Compound
    technologies: frozenset[ExposureTechnology]
    absorption_per_um: float
    diffusion_length_nm: float
    dose_to_clear_mj_cm2: float
    photoactive_compound: Compound | None = None

    def __post_init__(self) -> None:
        if (self.photoacid_generator is None) == (self.photoactive_compound is None):
            raise InvalidValue(
                "resist.photoacid_generator",
                "a resist has either a photoacid generator (chemically amplified) or a "
                "photoactive compound (DNQ/novolac), not both and not neither",
            )
        if self.photoactive_compound is not None and self.quencher is not None:
            raise InvalidValue(
                "resist.quencher", "only a chemically amplified resist has a quencher"
            )
        expected = {
            "polymer": (self.polymer, CompoundRole.POLYMER),
            "photoacid_generator": (self.photoacid_generator, CompoundRole.PHOTOACID_GENERATOR),
            "photoactive_compound": (self.photoactive_compound, CompoundRole.PHOTOACTIVE_COMPOUND),
            "quencher": (self.quencher, CompoundRole.QUENCHER),
            "solvent": (self.solvent, CompoundRole.SOLVENT),
        }
        for field, (item, role) in expected.items():
            if item is not None and item.role is not role:
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

    @property
    def chemically_amplified(self) -> bool:
        return self.photoacid_generator is not None

    @property
    def sensitizer(self) -> Compound:
        """What light acts on: the photoacid generator, or the photoactive compound."""
        found = self.photoacid_generator or self.photoactive_compound
        assert found is not None  # __post_init__ requires one
        return found

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
I_LINE_DNQ = ResistFormulation(
    name="i-line positive DNQ/novolac",
    tone=Tone.POSITIVE,
    polymer=NOVOLAC,
    photoacid_generator=None,
    quencher=None,
    photoactive_compound=DNQ,
    solvent=ETHYL_LACTATE,
    technologies=frozenset({I_LINE}),
    # unbleached Dill A + B at 365 nm (bleaching is not modelled: docs/physics.md)
    absorption_per_um=0.85,
    diffusion_length_nm=40.0,  # the PAC's post-exposure-bake diffusion, against standing waves
    dose_to_clear_mj_cm2=90.0,
)
