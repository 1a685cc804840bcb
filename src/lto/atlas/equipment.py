"""Equipment of a litho cell: entities with identity, one class per kind of tool.

A new kind of tool is a new subclass; the cell treats every ``Equipment`` alike except where a
rule names a kind (one exposure tool per cell; a resist stream ends at a coater).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from lto.atlas.compounds import Compound
from lto.atlas.errors import InvalidValue
from lto.atlas.identity import Entity, new_id
from lto.atlas.materials import ResistFormulation
from lto.atlas.technology import ExposureTechnology, IlluminationShape
from lto.atlas.units import NumericalAperture, PartialCoherence, check_range


@dataclass(eq=False, kw_only=True)
class Equipment(Entity):
    """A tool in the fab. ``kind`` is the stable name used in graphs, APIs and storage."""

    name: str
    id: str = field(default_factory=lambda: new_id("eq"))
    vendor_model: str = ""

    kind: ClassVar[str] = "equipment"

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidValue(f"{self.kind}.name", "must not be empty", self.name)

    def describe(self) -> str:
        return f"{self.name} ({self.kind})"


@dataclass(eq=False, kw_only=True)
class ExposureTool(Equipment):
    """A scanner: its technology, the NA range of its projection lens and its illuminator."""

    technology: ExposureTechnology
    max_na: NumericalAperture
    min_na: NumericalAperture = NumericalAperture(0.1)
    max_sigma: PartialCoherence = PartialCoherence(1.0)
    illumination: frozenset[IlluminationShape] = frozenset(IlluminationShape)

    kind: ClassVar[str] = "exposure tool"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_na.value > self.technology.max_na.value:
            raise InvalidValue(
                "exposure_tool.max_na",
                f"{self.technology.name} tools reach at most NA {self.technology.max_na.value:g}",
                self.max_na.value,
            )
        if self.min_na.value > self.max_na.value:
            raise InvalidValue("exposure_tool.min_na", "must not exceed max_na", self.min_na.value)
        if not self.illumination:
            raise InvalidValue("exposure_tool.illumination", "must offer at least one shape")

    def describe(self) -> str:
        shapes = ", ".join(sorted(self.illumination))
        return (
            f"{self.name} ({self.kind}: {self.technology.name}, λ {self.technology.wavelength}, "
            f"NA {self.min_na.value:g}–{self.max_na.value:g}, σ ≤ {self.max_sigma.value:g}; {shapes})"
        )


@dataclass(eq=False, kw_only=True)
class TrackModule(Equipment):
    """A module of a coat/develop track."""

    kind: ClassVar[str] = "track module"


@dataclass(eq=False, kw_only=True)
class ResistCoater(TrackModule):
    """Spin coater: turns a resist stream into a film of a given thickness."""

    max_spin_rpm: float = 4000.0

    kind: ClassVar[str] = "resist coater"


@dataclass(eq=False, kw_only=True)
class DeveloperUnit(TrackModule):
    """Puddle developer."""

    kind: ClassVar[str] = "developer unit"


class BakePurpose(StrEnum):
    POST_APPLY = "post-apply bake"
    POST_EXPOSURE = "post-exposure bake"
    HARD = "hard bake"


@dataclass(eq=False, kw_only=True)
class BakePlate(TrackModule):
    """Hot plate; post-exposure bake is where the acid diffuses."""

    purpose: BakePurpose
    temperature_c: float = 110.0

    kind: ClassVar[str] = "bake plate"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_range(
            self.temperature_c, field="bake_plate.temperature_c", minimum=20, maximum=300, unit="°C"
        )


class MetrologyMethod(StrEnum):
    CD_SEM = "CD-SEM"
    SCATTEROMETRY = "scatterometry"
    OVERLAY = "overlay"


@dataclass(eq=False, kw_only=True)
class MetrologyTool(Equipment):
    method: MetrologyMethod = MetrologyMethod.CD_SEM

    kind: ClassVar[str] = "metrology tool"


@dataclass(eq=False, kw_only=True)
class EtchChamber(Equipment):
    process: str = "plasma etch"

    kind: ClassVar[str] = "etch chamber"


@dataclass(eq=False, kw_only=True)
class ChemicalSupply(Equipment):
    """A dispense system that feeds a chemical (or a resist) into a tool."""

    supplies: Compound | ResistFormulation

    kind: ClassVar[str] = "chemical supply"
