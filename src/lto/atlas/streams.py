"""Material streams: the edges of a litho cell, each carrying one kind of material.

Each stream class declares which kinds of equipment may send and receive it; the cell checks
that on every change, so a resist cannot be piped into an etcher.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from lto.atlas.compounds import TMAH, WATER, Compound, CompoundRole
from lto.atlas.equipment import (
    ChemicalSupply,
    DeveloperUnit,
    Equipment,
    ExposureTool,
    ResistCoater,
)
from lto.atlas.errors import InvalidValue
from lto.atlas.identity import Entity, new_id
from lto.atlas.materials import ResistFormulation
from lto.atlas.units import Length, check_range


@dataclass(eq=False, kw_only=True)
class MaterialStream(Entity):
    """Material flowing from one tool (``source``) to another (``target``), by equipment id."""

    source: str
    target: str
    id: str = field(default_factory=lambda: new_id("st"))

    kind: ClassVar[str] = "material stream"
    source_kinds: ClassVar[tuple[type[Equipment], ...]] = (Equipment,)
    target_kinds: ClassVar[tuple[type[Equipment], ...]] = (Equipment,)

    def describe(self) -> str:
        return self.kind


@dataclass(eq=False, kw_only=True)
class WaferLot(MaterialStream):
    """Wafers moving between process tools; a FOUP holds at most 25."""

    lot_id: str
    wafer_count: int = 25
    wafer_diameter_mm: float = 300.0

    kind: ClassVar[str] = "wafer lot"

    def __post_init__(self) -> None:
        if not 1 <= self.wafer_count <= 25:
            raise InvalidValue(
                "wafer_lot.wafer_count", "must be 1 to 25 (one FOUP)", self.wafer_count
            )
        if self.wafer_diameter_mm not in (150.0, 200.0, 300.0, 450.0):
            raise InvalidValue(
                "wafer_lot.wafer_diameter_mm",
                "must be 150, 200, 300 or 450",
                self.wafer_diameter_mm,
            )

    def describe(self) -> str:
        return f"lot {self.lot_id}: {self.wafer_count} × {self.wafer_diameter_mm:g} mm wafers"


@dataclass(eq=False, kw_only=True)
class ResistStream(MaterialStream):
    """Resist dispensed into a coater, with the film thickness it is spun to."""

    resist: ResistFormulation
    thickness: Length

    kind: ClassVar[str] = "resist"
    source_kinds: ClassVar[tuple[type[Equipment], ...]] = (ChemicalSupply,)
    target_kinds: ClassVar[tuple[type[Equipment], ...]] = (ResistCoater,)

    def describe(self) -> str:
        return f"{self.resist.name}, {self.thickness}"


@dataclass(eq=False, kw_only=True)
class DeveloperStream(MaterialStream):
    """Aqueous developer; 0.26 N TMAH is the industry standard."""

    developer: Compound = TMAH
    normality: float = 0.26

    kind: ClassVar[str] = "developer"
    source_kinds: ClassVar[tuple[type[Equipment], ...]] = (ChemicalSupply,)
    target_kinds: ClassVar[tuple[type[Equipment], ...]] = (DeveloperUnit,)

    def __post_init__(self) -> None:
        if self.developer.role is not CompoundRole.DEVELOPER:
            raise InvalidValue(
                "developer_stream.developer", "must be a developer", self.developer.name
            )
        check_range(
            self.normality,
            field="developer_stream.normality",
            minimum=0,
            maximum=5,
            min_inclusive=False,
            unit="N",
        )

    def describe(self) -> str:
        return f"{self.normality:g} N {self.developer.name}"


@dataclass(eq=False, kw_only=True)
class ChemicalStream(MaterialStream):
    """Any other process chemical fed into a tool (adhesion promoter, rinse, solvent)."""

    chemical: Compound

    kind: ClassVar[str] = "chemical"
    source_kinds: ClassVar[tuple[type[Equipment], ...]] = (ChemicalSupply,)

    def describe(self) -> str:
        return self.chemical.name


@dataclass(eq=False, kw_only=True)
class ImmersionFluidStream(MaterialStream):
    """The fluid between the last lens element and the wafer of an immersion scanner."""

    fluid: Compound = WATER

    kind: ClassVar[str] = "immersion fluid"
    source_kinds: ClassVar[tuple[type[Equipment], ...]] = (ChemicalSupply,)
    target_kinds: ClassVar[tuple[type[Equipment], ...]] = (ExposureTool,)

    def describe(self) -> str:
        return self.fluid.name
