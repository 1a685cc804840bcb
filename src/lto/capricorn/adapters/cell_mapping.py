"""Litho cells and fabs ↔ JSON-ready dicts (what ``litho_cells.graph`` and ``fabs`` hold).

A tool or a stream is written as its ``kind`` and every dataclass field, each by its declared
type: quantities as their canonical float, enums as their value, a compound by its CAS number, an
exposure technology by its name (the library's own objects come back, so a resist still
``supports`` the scanner's technology), sets as sorted lists, anything else that is a dataclass
field by field, and a field that may hold one of several types (what a chemical supply
supplies: a compound or a resist) as ``{type name: value}``. A compound or technology that is
not the library's entry of that CAS number or name is written whole. A field type this module
cannot write is a ``TypeError`` on writing, not a loss on reading; so a new kind of tool needs
no code here unless it brings a new kind of field.

The round trip is exact: the same kinds, field values, ids, and order of tools and streams. A
fab's cells are a set (the database keeps no order): ``fab_to_dict`` lists them, and its links,
sorted, so two dicts are equal exactly when the fabs hold the same.
"""

from __future__ import annotations

import dataclasses
import json
import types
from enum import Enum
from functools import cache
from typing import Any, Union, get_args, get_origin, get_type_hints

from lto.atlas.cell import LithoCell
from lto.atlas.compounds import COMPOUNDS, CasNumber, Compound, CompoundRole
from lto.atlas.equipment import Equipment
from lto.atlas.fab import Fab
from lto.atlas.streams import MaterialStream
from lto.atlas.technology import TECHNOLOGIES, ExposureTechnology
from lto.atlas.units import Quantity

_LIBRARY_COMPOUNDS = {c.cas.value: c for c in COMPOUNDS}


# --- values -----------------------------------------------------------------------------------


def _compound_to_dict(value: Compound) -> dict[str, Any]:
    entry = _LIBRARY_COMPOUNDS.get(value.cas.value)
    if entry is not None and _compound_fields(entry) == _compound_fields(value):
        return {"cas": value.cas.value}
    return {"cas": value.cas.value, **_compound_fields(value)}


def _compound_fields(value: Compound) -> dict[str, Any]:
    return {"name": value.name, "formula": value.formula, "role": value.role.value}


def _compound_from_dict(data: dict[str, Any]) -> Compound:
    if set(data) == {"cas"}:
        entry = _LIBRARY_COMPOUNDS.get(data["cas"])
        if entry is None:
            raise ValueError(f"compound {data['cas']} is not in the library and was stored bare")
        return entry
    return Compound(
        data["name"], CasNumber(data["cas"]), data["formula"], CompoundRole(data["role"])
    )


def _technology_to_dict(value: ExposureTechnology) -> dict[str, Any]:
    if TECHNOLOGIES.get(value.name) == value:
        return {"name": value.name}
    return _dataclass_to_dict(ExposureTechnology, value)


def _technology_from_dict(data: dict[str, Any]) -> ExposureTechnology:
    if set(data) == {"name"}:
        entry = TECHNOLOGIES.get(data["name"])
        if entry is None:
            raise ValueError(f"exposure technology {data['name']!r} is not in the library")
        return entry
    technology: ExposureTechnology = _dataclass_from_dict(ExposureTechnology, data)
    return technology


_SPECIAL: dict[type, tuple[Any, Any]] = {
    Compound: (_compound_to_dict, _compound_from_dict),
    ExposureTechnology: (_technology_to_dict, _technology_from_dict),
}


def _is_union(hint: Any) -> bool:
    return get_origin(hint) in (Union, types.UnionType)


def _tag(kind: type) -> str:
    return kind.__name__


def _encode(hint: Any, value: Any) -> Any:
    """``value`` (declared as ``hint``) as JSON: str, number, bool, None, list or dict."""
    if _is_union(hint):
        if value is None:
            return None
        options = [a for a in get_args(hint) if a is not type(None)]
        if len(options) == 1:
            return _encode(options[0], value)
        chosen = next((a for a in options if isinstance(value, a)), None)
        if chosen is None:
            raise TypeError(f"{value!r} is none of {hint}")
        return {_tag(chosen): _encode(chosen, value)}
    origin = get_origin(hint)
    if origin in (frozenset, set, tuple, list):
        item = get_args(hint)[0]
        encoded = [_encode(item, v) for v in value]
        if origin in (frozenset, set):
            encoded.sort(key=lambda v: json.dumps(v, sort_keys=True))
        return encoded
    if not isinstance(hint, type):
        raise TypeError(f"cannot store a field of type {hint}")
    if hint in _SPECIAL:
        return _SPECIAL[hint][0](value)
    if issubclass(hint, Quantity):
        return value.value
    if issubclass(hint, Enum):
        return value.value
    if hint in (str, int, float, bool):
        return value
    if dataclasses.is_dataclass(hint):
        return _dataclass_to_dict(hint, value)
    raise TypeError(f"cannot store a field of type {hint.__name__}")


def _decode(hint: Any, data: Any) -> Any:
    if _is_union(hint):
        if data is None:
            return None
        options = [a for a in get_args(hint) if a is not type(None)]
        if len(options) == 1:
            return _decode(options[0], data)
        ((tag, inner),) = data.items()
        chosen = next((a for a in options if _tag(a) == tag), None)
        if chosen is None:
            raise ValueError(f"stored value of type {tag!r} is none of {hint}")
        return _decode(chosen, inner)
    origin = get_origin(hint)
    if origin in (frozenset, set, tuple, list):
        args = get_args(hint)
        return origin(_decode(args[0], v) for v in data)
    if hint in _SPECIAL:
        return _SPECIAL[hint][1](data)
    if issubclass(hint, Quantity | Enum):
        return hint(data)
    if hint is float:
        return float(data)
    if hint in (str, int, bool):
        if not isinstance(data, hint) or (hint is int and isinstance(data, bool)):
            raise ValueError(f"expected {hint.__name__}, found {data!r}")
        return data
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_from_dict(hint, data)
    raise TypeError(f"cannot read a field of type {hint}")


@cache
def _fields(kind: type) -> tuple[tuple[dataclasses.Field[Any], Any], ...]:
    hints = get_type_hints(kind)
    return tuple((f, hints[f.name]) for f in dataclasses.fields(kind) if f.init)


def _dataclass_to_dict(kind: type, value: Any) -> dict[str, Any]:
    return {f.name: _encode(hint, getattr(value, f.name)) for f, hint in _fields(kind)}


def _dataclass_from_dict(kind: type, data: dict[str, Any]) -> Any:
    """``kind`` built from its stored fields (its checks run again); a field stored before it
    existed takes its default, a stored field the class no longer has is an error (it would be
    lost)."""
    known = {f.name: hint for f, hint in _fields(kind)}
    unknown = set(data) - set(known)
    if unknown:
        raise ValueError(f"{kind.__name__} has no field {', '.join(sorted(unknown))}")
    return kind(**{name: _decode(known[name], data[name]) for name in known if name in data})


# --- tools and streams ------------------------------------------------------------------------


def _kinds(base: type) -> dict[str, list[type]]:
    """Every class under ``base`` (itself included) by its ``kind``."""
    found: dict[str, list[type]] = {}
    pending = [base]
    while pending:
        kind = pending.pop()
        found.setdefault(kind.kind, []).append(kind)  # type: ignore[attr-defined]
        pending.extend(kind.__subclasses__())
    return found


def _class_of(base: type, kind: str) -> type:
    classes = _kinds(base).get(kind, [])
    if len(classes) != 1:
        reason = "unknown" if not classes else "ambiguous (" + ", ".join(map(_tag, classes)) + ")"
        raise ValueError(f"{base.__name__} kind {kind!r} is {reason}")
    return classes[0]


def _entity_to_dict(base: type, item: Any) -> dict[str, Any]:
    kind: str = item.kind
    if _class_of(base, kind) is not type(item):
        raise TypeError(f"{type(item).__name__} needs a kind of its own to be stored")
    return {"kind": kind, **_dataclass_to_dict(type(item), item)}


def _entity_from_dict(base: type, data: dict[str, Any]) -> Any:
    fields = dict(data)
    return _dataclass_from_dict(_class_of(base, fields.pop("kind")), fields)


def equipment_to_dict(item: Equipment) -> dict[str, Any]:
    return _entity_to_dict(Equipment, item)


def equipment_from_dict(data: dict[str, Any]) -> Equipment:
    equipment: Equipment = _entity_from_dict(Equipment, data)
    return equipment


def stream_to_dict(stream: MaterialStream) -> dict[str, Any]:
    return _entity_to_dict(MaterialStream, stream)


def stream_from_dict(data: dict[str, Any]) -> MaterialStream:
    stream: MaterialStream = _entity_from_dict(MaterialStream, data)
    return stream


# --- cells and fabs ---------------------------------------------------------------------------


def cell_graph(cell: LithoCell) -> dict[str, Any]:
    """The cell's tools and streams: the ``litho_cells.graph`` column."""
    return {
        "equipment": [equipment_to_dict(e) for e in cell.equipment],
        "streams": [stream_to_dict(s) for s in cell.streams],
    }


def cell_to_dict(cell: LithoCell) -> dict[str, Any]:
    return {"id": cell.id, "name": cell.name, **cell_graph(cell)}


def cell_from_dict(data: dict[str, Any], *, version: int = 0) -> LithoCell:
    return LithoCell.restore(
        id=data["id"],
        name=data["name"],
        equipment=[equipment_from_dict(e) for e in data["equipment"]],
        streams=[stream_from_dict(s) for s in data["streams"]],
        version=version,
    )


def cell_row(cell: LithoCell) -> dict[str, Any]:
    """The ``litho_cells`` row (without ``fab_id``, the fab's, and ``version``, the
    repository's)."""
    return {"id": cell.id, "name": cell.name, "graph": cell_graph(cell)}


def cell_from_row(row: Any) -> LithoCell:
    return cell_from_dict({"id": row.id, "name": row.name, **row.graph}, version=row.version)


def fab_links(fab: Fab) -> list[list[str]]:
    """The ``fabs.links`` column: ``[[upstream cell id, downstream cell id], ...]``, sorted."""
    return sorted([upstream, downstream] for upstream, downstream in fab.routes())


def fab_to_dict(fab: Fab) -> dict[str, Any]:
    return {
        "id": fab.id,
        "name": fab.name,
        "cells": [cell_to_dict(c) for c in sorted(fab.cells, key=lambda c: c.id)],
        "links": fab_links(fab),
    }


def fab_from_dict(data: dict[str, Any], *, version: int = 0) -> Fab:
    return Fab.restore(
        id=data["id"],
        name=data["name"],
        cells=[cell_from_dict(c) for c in data["cells"]],
        links=[(upstream, downstream) for upstream, downstream in data["links"]],
        version=version,
    )


def fab_row(fab: Fab) -> dict[str, Any]:
    """The ``fabs`` row (without ``version``); its cells are ``litho_cells`` rows naming it."""
    return {"id": fab.id, "name": fab.name, "links": fab_links(fab)}


def fab_from_row(row: Any, cells: list[LithoCell]) -> Fab:
    return Fab.restore(
        id=row.id,
        name=row.name,
        cells=sorted(cells, key=lambda c: c.id),
        links=[(upstream, downstream) for upstream, downstream in row.links],
        version=row.version,
    )


__all__ = [
    "cell_from_dict",
    "cell_from_row",
    "cell_graph",
    "cell_row",
    "cell_to_dict",
    "equipment_from_dict",
    "equipment_to_dict",
    "fab_from_dict",
    "fab_from_row",
    "fab_links",
    "fab_row",
    "fab_to_dict",
    "stream_from_dict",
    "stream_to_dict",
]
