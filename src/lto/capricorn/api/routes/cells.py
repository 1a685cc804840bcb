"""Litho cells: create, read (as a graph the web app draws), list, and edit through the
``LithoCell`` aggregate's own methods, so its rules hold after every edit.

Cells are the fab's, not one user's: ``cells:read`` sees them all, ``cells:write`` (operators,
admins, services) changes them. Every answer with a cell carries its version as the ``ETag``;
send it back in ``If-Match`` with a ``PATCH`` and an edit made meanwhile by someone else is
refused with 412 instead of being built upon blindly (without ``If-Match`` the edit applies to
the cell as it is; one committed between our read and our write is still a 409, never a lost
update).
"""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from lto.atlas import examples
from lto.atlas.cell import LithoCell
from lto.atlas.compounds import Compound
from lto.atlas.equipment import Equipment, ExposureTool
from lto.atlas.errors import DomainError
from lto.atlas.materials import ResistFormulation
from lto.atlas.streams import MaterialStream
from lto.atlas.technology import ExposureTechnology
from lto.atlas.units import Quantity
from lto.capricorn.api.auth import Principal
from lto.capricorn.api.bodies import request_body, validate
from lto.capricorn.api.cell_bodies import (
    CellEdit,
    CellIn,
    ConnectOp,
    DisconnectOp,
    InstallOp,
    RemoveOp,
    RenameOp,
    build_equipment,
    build_stream,
    refused,
)
from lto.capricorn.api.deps import IdempotencyDep, Services, require
from lto.capricorn.api.problems import Problem
from lto.capricorn.api.views import API, Out

router = APIRouter(prefix=f"{API}/cells", tags=["cells"])

Reader = Annotated[Principal, Depends(require("cells:read"))]
Writer = Annotated[Principal, Depends(require("cells:write"))]
Payload = Annotated[dict[str, Any], Body()]
TEMPLATES = {"arf-immersion": examples.arf_immersion_cell, "euv": examples.euv_cell}


# --- output -------------------------------------------------------------------------------------


class TechnologyOut(Out):
    name: str
    wavelength_nm: float
    max_na: float
    immersion: bool


class NodeOut(Out):
    id: str
    kind: str
    name: str
    vendor_model: str
    label: str  # one line, for a tooltip
    step: int  # its place in the process flow (a topological order), from 0
    properties: dict[str, Any]  # the kind's own fields, in plain units


class EdgeOut(Out):
    id: str
    kind: str
    source: str
    target: str
    label: str
    properties: dict[str, Any]


class CellSummaryOut(Out):
    id: str
    name: str
    version: int
    technology: TechnologyOut
    equipment_count: int
    stream_count: int
    self: str


class CellOut(CellSummaryOut):
    nodes: list[NodeOut]
    edges: list[EdgeOut]


class CellListOut(Out):
    items: list[CellSummaryOut]
    limit: int
    truncated: bool  # more cells match than the limit: narrow by name


def _plain(value: Any) -> Any:
    """A tool's or stream's field as JSON a client reads: numbers in their canonical unit."""
    if isinstance(value, Quantity):
        return value.value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, ExposureTechnology):
        return value.name
    if isinstance(value, Compound):
        return {"name": value.name, "cas": value.cas.value}
    if isinstance(value, ResistFormulation):
        return {"resist": value.name}
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    return value


_COMMON = {"id", "name", "vendor_model", "source", "target"}


def _properties(item: Equipment | MaterialStream) -> dict[str, Any]:
    return {
        f.name: _plain(getattr(item, f.name))
        for f in dataclass_fields(item)
        if f.init and f.name not in _COMMON
    }


def _technology(cell: LithoCell) -> TechnologyOut:
    tech = cell.technology
    return TechnologyOut(
        name=tech.name,
        wavelength_nm=tech.wavelength_nm,
        max_na=tech.max_na.value,
        immersion=tech.immersion,
    )


def cell_summary(cell: LithoCell) -> CellSummaryOut:
    return CellSummaryOut(
        id=cell.id,
        name=cell.name,
        version=cell.version,
        technology=_technology(cell),
        equipment_count=len(cell.equipment),
        stream_count=len(cell.streams),
        self=f"{API}/cells/{cell.id}",
    )


def cell_out(cell: LithoCell) -> CellOut:
    step = {e.id: i for i, e in enumerate(cell.process_order())}
    nodes = [
        NodeOut(
            id=e.id,
            kind=e.kind,
            name=e.name,
            vendor_model=e.vendor_model,
            label=e.describe(),
            step=step[e.id],
            properties=_properties(e),
        )
        for e in cell.equipment
    ]
    edges = [
        EdgeOut(
            id=s.id,
            kind=s.kind,
            source=s.source,
            target=s.target,
            label=s.describe(),
            properties=_properties(s),
        )
        for s in cell.streams
    ]
    return CellOut(**cell_summary(cell).model_dump(), nodes=nodes, edges=edges)


def _etag(cell: LithoCell) -> str:
    return f'"{cell.version}"'


def _answer(cell: LithoCell, status: int = 200) -> JSONResponse:
    body = cell_out(cell).model_dump(mode="json")
    return JSONResponse(body, status, headers={"ETag": _etag(cell)})


# --- building -----------------------------------------------------------------------------------


def _build(body: CellIn, cell_id: str) -> LithoCell:
    """The new cell, through the aggregate's constructor, ``install`` and ``connect``."""
    if body.template is not None:
        if body.equipment or body.streams:
            raise refused("template", "a template brings its own equipment and streams: send none")
        reference = TEMPLATES[body.template]()
        cell = LithoCell(body.name, reference.exposure_tool, id=cell_id)
        for tool in reference.equipment:
            if tool.id != reference.exposure_tool.id:
                cell.install(tool)
        for stream in reference.streams:
            cell.connect(stream)
        return cell
    tools = [(i, build_equipment(e, f"equipment.{i}")) for i, e in enumerate(body.equipment)]
    scanners = [(i, t) for i, t in tools if isinstance(t, ExposureTool)]
    if len(scanners) != 1:
        where = "equipment" if not scanners else f"equipment.{scanners[1][0]}"
        raise refused(
            where, f"a litho cell has exactly one exposure tool; this one has {len(scanners)}"
        )
    first, scanner = scanners[0]
    try:
        cell = LithoCell(body.name, scanner, id=cell_id)
    except DomainError as exc:
        raise refused("name", str(exc)) from None
    for i, tool in tools:
        if i != first:
            _install(cell, tool, f"equipment.{i}")
    for i, item in enumerate(body.streams):
        _connect(cell, build_stream(item, f"streams.{i}"), f"streams.{i}")
    return cell


def _install(cell: LithoCell, tool: Equipment, where: str) -> None:
    if tool.id in {e.id for e in cell.equipment}:
        raise refused(f"{where}.id", f"equipment id {tool.id!r} is already installed")
    try:
        cell.install(tool)
    except DomainError as exc:
        raise refused(where, str(exc)) from None


def _connect(cell: LithoCell, stream: MaterialStream, where: str) -> None:
    installed = {e.id for e in cell.equipment}
    for end in ("source", "target"):
        if getattr(stream, end) not in installed:
            raise refused(f"{where}.{end}", f"names no equipment of this cell ({getattr(stream, end)!r})")  # fmt: skip
    if stream.id in cell.stream_ids():
        raise refused(f"{where}.id", f"stream id {stream.id!r} is already connected")
    try:
        cell.connect(stream)
    except DomainError as exc:
        raise refused(where, str(exc)) from None


def _edit(cell: LithoCell, edit: CellEdit) -> None:
    """Apply the operations in order; the first that breaks a rule stops them (the caller
    then keeps nothing)."""
    for i, op in enumerate(edit.operations):
        where = f"operations.{i}"
        try:
            if isinstance(op, RenameOp):
                cell.rename(op.name)
            elif isinstance(op, InstallOp):
                _install(cell, build_equipment(op.equipment, f"{where}.equipment"), f"{where}.equipment")  # fmt: skip
            elif isinstance(op, RemoveOp):
                if op.equipment_id not in {e.id for e in cell.equipment}:
                    raise refused(f"{where}.equipment_id", f"no equipment {op.equipment_id!r} in this cell")  # fmt: skip
                cell.remove(op.equipment_id)
            elif isinstance(op, ConnectOp):
                _connect(cell, build_stream(op.stream, f"{where}.stream"), f"{where}.stream")
            elif isinstance(op, DisconnectOp):
                if op.stream_id not in cell.stream_ids():
                    raise refused(f"{where}.stream_id", f"no stream {op.stream_id!r} in this cell")  # fmt: skip
                cell.disconnect(op.stream_id)
        except DomainError as exc:
            raise refused(where, str(exc)) from None


def _precondition(if_match: str | None, cell: LithoCell) -> None:
    """412 unless ``If-Match`` is absent, ``*``, or names the cell's current version."""
    if if_match is None or if_match.strip() == "*":
        return
    tags = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    if _etag(cell) not in tags:
        raise Problem(
            412,
            title="Precondition failed",
            detail=f"If-Match {if_match} is not the cell's current version ({_etag(cell)}): it "
            "changed since you read it, or the tag is not one this API gave; read it again and "
            "redo your edit",
            headers={"ETag": _etag(cell)},
            kind="stale-version",
        )


def _visible(services: Services, cell_id: str) -> LithoCell:
    with services.uow() as uow:
        cell = uow.cells.get(cell_id)
    if cell is None:
        raise Problem(404, f"no litho cell {cell_id!r}", kind="not-found")
    return cell


# --- routes -------------------------------------------------------------------------------------


@router.post(
    "",
    status_code=201,
    response_model=CellOut,
    summary="Create a litho cell from its tools and streams (or from a reference template)",
    openapi_extra=request_body(CellIn, description="the cell: name, equipment, streams"),
    responses={
        400: {"description": "no Idempotency-Key, or malformed JSON"},
        409: {"description": "a request with this Idempotency-Key is in flight"},
        422: {"description": "a field, or one of the cell's rules, is broken; nothing stored"},
    },
)
def create_cell(
    payload: Payload, request: Request, principal: Writer, services: Services,
    idempotency: IdempotencyDep,
) -> JSONResponse:  # fmt: skip
    body: CellIn = validate(CellIn, payload)
    _build(body, "cell-check")  # every rule checked before the key is taken

    def create(cell_id: str) -> tuple[int, dict[str, Any]]:
        with services.uow() as uow:
            existing = uow.cells.get(cell_id)  # made by a request that died before answering
            if existing is not None:
                return 201, cell_out(existing).model_dump(mode="json")
            cell = _build(body, cell_id)
            uow.cells.add(cell)
            uow.actor = principal.name
            uow.commit()
        return 201, cell_out(cell).model_dump(mode="json")

    return idempotency.respond(
        request, principal, payload, create, id_prefix="cell",
        created_headers=lambda cell: {"Location": cell["self"], "ETag": f'"{cell["version"]}"'},
    )  # fmt: skip


@router.get(
    "/{cell_id}",
    response_model=CellOut,
    summary="One cell as a graph: equipment as nodes, material streams as edges",
    responses={
        200: {
            "headers": {
                "ETag": {
                    "description": "the cell's version, for If-Match",
                    "required": True,
                    "schema": {"type": "string"},
                }
            }
        },
        404: {"description": "no such cell"},
    },
)
def get_cell(cell_id: str, principal: Reader, services: Services) -> JSONResponse:
    return _answer(_visible(services, cell_id))


@router.get("", response_model=CellListOut, summary="Litho cells by name (a capped list)")
def list_cells(
    principal: Reader,
    services: Services,
    name: Annotated[
        str | None, Query(min_length=1, max_length=200, description="part of the name")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> CellListOut:
    with services.uow() as uow:
        cells = uow.cells.list()
    if name is not None:
        cells = [c for c in cells if name.lower() in c.name.lower()]
    return CellListOut(
        items=[cell_summary(c) for c in cells[:limit]], limit=limit, truncated=len(cells) > limit
    )


@router.patch(
    "/{cell_id}",
    response_model=CellOut,
    summary="Edit a cell: rename, install or remove equipment, connect or disconnect streams",
    openapi_extra=request_body(
        CellEdit, description="operations applied in order; if one breaks a rule none is kept"
    ),
    responses={
        400: {"description": "malformed JSON"},
        404: {"description": "no such cell"},
        409: {"description": "another edit was committed meanwhile: read the cell again"},
        412: {"description": "If-Match names a version the cell no longer has"},
        422: {"description": "an operation breaks one of the cell's rules; nothing changed"},
    },
)
def edit_cell(
    cell_id: str,
    payload: Payload,
    principal: Writer,
    services: Services,
    if_match: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    edit: CellEdit = validate(CellEdit, payload)
    with services.uow() as uow:
        cell = uow.cells.get(cell_id)
        if cell is None:
            raise Problem(404, f"no litho cell {cell_id!r}", kind="not-found")
        _precondition(if_match, cell)
        _edit(cell, edit)
        uow.actor = principal.name
        uow.commit()  # ConcurrentUpdate (409) if another edit landed since our read
    return _answer(cell)


__all__ = ["router"]
