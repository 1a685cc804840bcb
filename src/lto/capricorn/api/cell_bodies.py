"""Litho cells as a client describes them: tools and streams by ``kind``, and edits.

Each tool and stream is an object with a ``kind`` (the atlas class's own: ``"resist coater"``,
``"wafer lot"``) and that kind's fields, in plain units (NA, σ, nm, °C, N). Streams name their
ends by equipment ``id``: give your tools ids to connect them in the same request (they are
kept; tools without one get a generated id). Compounds are named by CAS number or name (``TMAH``,
``7732-18-5``), resists by name, technologies by name (``ArF-immersion``, ``EUV``).

``build_equipment`` and ``build_stream`` turn them into atlas objects; what atlas refuses
becomes a 422 naming the field (``equipment.3.temperature_c``). The cell's own rules (one
exposure tool, streams between the right kinds, no loop) are the aggregate's, checked as it is
built or edited.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from lto.atlas.compounds import Compound, compound
from lto.atlas.equipment import (
    BakePlate,
    BakePurpose,
    ChemicalSupply,
    DeveloperUnit,
    Equipment,
    EtchChamber,
    ExposureTool,
    MetrologyMethod,
    MetrologyTool,
    ResistCoater,
    TrackModule,
)
from lto.atlas.errors import DomainError, InvalidValue, UnknownName
from lto.atlas.identity import new_id
from lto.atlas.materials import ARF_CAR, EUV_CAR, I_LINE_DNQ, KRF_CAR, ResistFormulation
from lto.atlas.streams import (
    ChemicalStream,
    DeveloperStream,
    ImmersionFluidStream,
    MaterialStream,
    ResistStream,
    WaferLot,
)
from lto.atlas.technology import IlluminationShape, technology
from lto.atlas.units import Length, NumericalAperture, PartialCoherence
from lto.capricorn.api.problems import Problem

PartId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
RESISTS: dict[str, ResistFormulation] = {
    r.name.lower(): r for r in (ARF_CAR, KRF_CAR, EUV_CAR, I_LINE_DNQ)
}


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- equipment ----------------------------------------------------------------------------------


class _EquipmentIn(In):
    id: PartId | None = Field(default=None, description="kept if given; generated if not")
    name: Name
    vendor_model: str = Field(default="", max_length=200)


class ExposureToolIn(_EquipmentIn):
    kind: Literal["exposure tool"]
    technology: Name = Field(description="EUV, ArF-immersion, ArF-dry, KrF or i-line")
    max_na: float = Field(gt=0.0, lt=2.0)
    min_na: float = Field(default=0.1, gt=0.0, lt=2.0)
    max_sigma: float = Field(default=1.0, gt=0.0, le=1.0)
    illumination: list[IlluminationShape] | None = Field(
        default=None, min_length=1, description="the shapes its illuminator offers; all if absent"
    )


class TrackModuleIn(_EquipmentIn):
    kind: Literal["track module"]


class ResistCoaterIn(_EquipmentIn):
    kind: Literal["resist coater"]
    max_spin_rpm: float = Field(default=4000.0, gt=0.0, le=20_000.0)


class DeveloperUnitIn(_EquipmentIn):
    kind: Literal["developer unit"]


class BakePlateIn(_EquipmentIn):
    kind: Literal["bake plate"]
    purpose: BakePurpose
    temperature_c: float = Field(default=110.0, description="20 to 300 °C")


class MetrologyToolIn(_EquipmentIn):
    kind: Literal["metrology tool"]
    method: MetrologyMethod = MetrologyMethod.CD_SEM


class EtchChamberIn(_EquipmentIn):
    kind: Literal["etch chamber"]
    process: str = Field(default="plasma etch", min_length=1, max_length=200)


class ChemicalSupplyIn(_EquipmentIn):
    """Feeds one compound (``compound``: CAS number or name) or one resist (``resist``)."""

    kind: Literal["chemical supply"]
    compound: str | None = Field(default=None, min_length=1, max_length=200)
    resist: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _one_material(self) -> ChemicalSupplyIn:
        if (self.compound is None) == (self.resist is None):
            raise ValueError("supplies exactly one of compound or resist")
        return self


EquipmentIn = Annotated[
    ExposureToolIn | TrackModuleIn | ResistCoaterIn | DeveloperUnitIn | BakePlateIn
    | MetrologyToolIn | EtchChamberIn | ChemicalSupplyIn,
    Field(discriminator="kind"),
]  # fmt: skip


# --- streams ------------------------------------------------------------------------------------


class _StreamIn(In):
    id: PartId | None = Field(default=None, description="kept if given; generated if not")
    source: PartId = Field(description="the id of the equipment it leaves")
    target: PartId = Field(description="the id of the equipment it feeds")


class WaferLotIn(_StreamIn):
    kind: Literal["wafer lot"]
    lot_id: Name
    wafer_count: int = Field(default=25, ge=1, le=25)
    wafer_diameter_mm: Literal[150, 200, 300, 450] = 300


class ResistStreamIn(_StreamIn):
    kind: Literal["resist"]
    resist: Name = Field(description="a resist by name")
    thickness_nm: float = Field(gt=0.0, le=10_000.0)


class DeveloperStreamIn(_StreamIn):
    kind: Literal["developer"]
    developer: Name = Field(default="TMAH", description="compound: CAS number or name")
    normality: float = Field(default=0.26, gt=0.0, le=5.0)


class ChemicalStreamIn(_StreamIn):
    kind: Literal["chemical"]
    chemical: Name = Field(description="compound: CAS number or name")


class ImmersionFluidStreamIn(_StreamIn):
    kind: Literal["immersion fluid"]
    fluid: Name = Field(default="water", description="compound: CAS number or name")


StreamIn = Annotated[
    WaferLotIn | ResistStreamIn | DeveloperStreamIn | ChemicalStreamIn | ImmersionFluidStreamIn,
    Field(discriminator="kind"),
]


# --- cells and their edits ----------------------------------------------------------------------

Template = Literal["arf-immersion", "euv"]


class CellIn(In):
    """A new cell: its tools (exactly one exposure tool among them) and streams; or a
    ``template`` (the reference ArF-immersion or EUV cell of ``lto.atlas.examples``) under
    this name, without equipment or streams."""

    name: Name
    template: Template | None = None
    equipment: list[EquipmentIn] = Field(default_factory=list, max_length=200)
    streams: list[StreamIn] = Field(default_factory=list, max_length=500)


class RenameOp(In):
    op: Literal["rename"]
    name: Name


class InstallOp(In):
    op: Literal["install"]
    equipment: EquipmentIn


class RemoveOp(In):
    op: Literal["remove"]
    equipment_id: PartId


class ConnectOp(In):
    op: Literal["connect"]
    stream: StreamIn


class DisconnectOp(In):
    op: Literal["disconnect"]
    stream_id: PartId


Operation = Annotated[
    RenameOp | InstallOp | RemoveOp | ConnectOp | DisconnectOp, Field(discriminator="op")
]


class CellEdit(In):
    """Edits applied in order through the cell's own methods; if one breaks a rule, none is
    kept."""

    operations: list[Operation] = Field(min_length=1, max_length=200)


# --- into atlas -------------------------------------------------------------------------------


def refused(field: str, rule: str, *, status: int = 422) -> Problem:
    return Problem(status, f"{field}: {rule}", errors=[{"field": field, "rule": rule}], kind="cell-rule")  # fmt: skip


def _named(where: str, field: str, lookup: Any, name: str) -> Any:
    try:
        return lookup(name)
    except UnknownName as exc:
        raise refused(f"{where}.{field}", str(exc)) from None


def _resist(name: str) -> ResistFormulation:
    found = RESISTS.get(name.strip().lower())
    if found is None:
        known = [r.name for r in RESISTS.values()]
        raise UnknownName("resist", name, known)
    return found


def _compound(where: str, field: str, name: str) -> Compound:
    found: Compound = _named(where, field, compound, name)
    return found


def _atlas_error(where: str, exc: DomainError, fields: set[str]) -> Problem:
    """A refusal of an atlas constructor, at the input field it concerns where one does."""
    if isinstance(exc, InvalidValue) and (tail := exc.field.rsplit(".", 1)[-1]) in fields:
        shown = "" if exc.value is None else f" (got {exc.value!r})"
        return refused(f"{where}.{tail}", exc.rule + shown)
    return refused(where, str(exc))


def build_equipment(item: BaseModel, where: str) -> Equipment:
    """The atlas tool ``item`` describes (``where``: its place in the body, for errors)."""
    common: dict[str, Any] = {
        "id": getattr(item, "id", None) or new_id("eq"),
        "name": getattr(item, "name", ""),
        "vendor_model": getattr(item, "vendor_model", ""),
    }
    try:
        return _equipment(item, where, common)
    except DomainError as exc:
        raise _atlas_error(where, exc, set(type(item).model_fields)) from None


def _equipment(item: BaseModel, where: str, common: dict[str, Any]) -> Equipment:
    if isinstance(item, ExposureToolIn):
        shapes = frozenset(item.illumination) if item.illumination else frozenset(IlluminationShape)  # fmt: skip
        return ExposureTool(
            **common, technology=_named(where, "technology", technology, item.technology),
            max_na=NumericalAperture(item.max_na), min_na=NumericalAperture(item.min_na),
            max_sigma=PartialCoherence(item.max_sigma), illumination=shapes,
        )  # fmt: skip
    if isinstance(item, ResistCoaterIn):
        return ResistCoater(**common, max_spin_rpm=item.max_spin_rpm)
    if isinstance(item, DeveloperUnitIn):
        return DeveloperUnit(**common)
    if isinstance(item, BakePlateIn):
        return BakePlate(**common, purpose=item.purpose, temperature_c=item.temperature_c)
    if isinstance(item, MetrologyToolIn):
        return MetrologyTool(**common, method=item.method)
    if isinstance(item, EtchChamberIn):
        return EtchChamber(**common, process=item.process)
    if isinstance(item, ChemicalSupplyIn):
        supplies: Compound | ResistFormulation = (
            _named(where, "resist", _resist, item.resist)
            if item.resist is not None
            else _compound(where, "compound", item.compound or "")
        )
        return ChemicalSupply(**common, supplies=supplies)
    assert isinstance(item, TrackModuleIn), type(item)
    return TrackModule(**common)


def build_stream(item: BaseModel, where: str) -> MaterialStream:
    """The atlas stream ``item`` describes."""
    assert isinstance(item, _StreamIn)
    ends: dict[str, Any] = {"id": item.id or new_id("st"), "source": item.source, "target": item.target}  # fmt: skip
    try:
        if isinstance(item, WaferLotIn):
            return WaferLot(
                **ends, lot_id=item.lot_id, wafer_count=item.wafer_count,
                wafer_diameter_mm=float(item.wafer_diameter_mm),
            )  # fmt: skip
        if isinstance(item, ResistStreamIn):
            resist = _named(where, "resist", _resist, item.resist)
            return ResistStream(**ends, resist=resist, thickness=Length(item.thickness_nm))
        if isinstance(item, DeveloperStreamIn):
            developer = _compound(where, "developer", item.developer)
            return DeveloperStream(**ends, developer=developer, normality=item.normality)
        if isinstance(item, ChemicalStreamIn):
            return ChemicalStream(**ends, chemical=_compound(where, "chemical", item.chemical))
        assert isinstance(item, ImmersionFluidStreamIn), type(item)
        return ImmersionFluidStream(**ends, fluid=_compound(where, "fluid", item.fluid))
    except DomainError as exc:
        raise _atlas_error(where, exc, set(type(item).model_fields)) from None


__all__ = [
    "CellEdit",
    "CellIn",
    "EquipmentIn",
    "Operation",
    "StreamIn",
    "build_equipment",
    "build_stream",
    "refused",
]
