"""The litho cell page's logic, apart from Dash: which cell is shown, what a tool or stream
clicked in the graph holds, who may create the reference cells, and their requests.

Inputs are the API's JSON: ``GET /cells`` (summaries) and ``GET /cells/{id}`` (the graph), and
the data of a cytoscape element ``lto.acorn.figures.graphs`` made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from lto.acorn.figures import finite
from lto.acorn.labels import words

Json = Mapping[str, Any]
WRITE_SCOPE = "cells:write"
CELL_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
MAX_FAB_CELLS = 30  # cells drawn in the fab view (each is one request)
# the API's reference templates (POST /cells {"name", "template"}; docs/api.md)
REFERENCE_CELLS: tuple[tuple[str, str], ...] = (
    ("arf-immersion", "ArF immersion reference cell"),
    ("euv", "EUV reference cell"),
)


def valid_cell_id(value: Any) -> str | None:
    """The id if it looks like one (it came from the address bar), else None."""
    text = str(value or "").strip()
    return text if CELL_ID.match(text) else None


def choose_cell(cells: Sequence[Json], asked: Any) -> str | None:
    """The cell asked for if it exists, else the first one (None without cells)."""
    ids = [str(c.get("id")) for c in cells]
    wanted = valid_cell_id(asked)
    if wanted in ids:
        return wanted
    return ids[0] if ids else None


def cell_href(cell_id: str) -> str:
    return f"/cells?cell={quote(cell_id)}"


def cell_caption(cell: Json) -> str:
    """``EUV cell · EUV · 10 tools, 9 streams``."""
    technology = (cell.get("technology") or {}).get("name", "?")
    return (
        f"{cell.get('name', cell.get('id'))} · {technology} · "
        f"{cell.get('equipment_count', len(cell.get('nodes') or []))} tools, "
        f"{cell.get('stream_count', len(cell.get('edges') or []))} streams"
    )


def technology_rows(cell: Json) -> list[tuple[str, Any]]:
    tech = cell.get("technology") or {}
    na = finite(tech.get("max_na"))
    return [
        ("technology", tech.get("name")),
        ("wavelength", f"{finite(tech.get('wavelength_nm')) or 0:g} nm"),
        ("max NA", f"{na:g}" if na is not None else None),
        ("immersion", "yes" if tech.get("immersion") else "no"),
        ("version", cell.get("version")),
    ]


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple):
        return ", ".join(_show(v) for v in value) or "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return "—" if value is None else str(value)


def _label(name: str) -> str:
    """``temperature_c`` → ``temperature (°C)``; units from the field's suffix."""
    units = {"_nm": " (nm)", "_mm": " (mm)", "_c": " (°C)", "_rpm": " (rpm)", "_s": " (s)"}
    for suffix, unit in units.items():
        if name.endswith(suffix):
            return name[: -len(suffix)].replace("_", " ") + unit
    return name.replace("_", " ")


def element_rows(data: Json | None) -> list[tuple[str, str]]:
    """A clicked tool's or stream's description and properties, one line each."""
    if not data:
        return []
    rows: list[tuple[str, str]] = []
    if "equipment_id" in data:
        rows.append(("name", str(data.get("label", ""))))
    rows.append(("kind", words(data.get("kind", "?"))))
    if data.get("vendor_model"):
        rows.append(("vendor / model", str(data["vendor_model"])))
    if data.get("step") is not None:
        rows.append(("step in the process flow", str(int(data["step"]) + 1)))
    if data.get("title") and data.get("title") != data.get("label"):
        rows.append(("description", str(data["title"])))
    for name, value in sorted((data.get("properties") or {}).items()):
        rows.append((_label(str(name)), _show(value)))
    return rows


def element_heading(data: Json | None) -> str:
    if not data:
        return "Click a tool or a stream to see its properties."
    if "equipment_id" in data:
        return f"Tool {data['equipment_id']}"
    if "stream_id" in data:
        source = data.get("source_name", data.get("source"))
        target = data.get("target_name", data.get("target"))
        return f"Stream {data['stream_id']}: {source} → {target}"
    return f"Cell {data.get('cell_id', data.get('id'))}"


def may_write(scopes: Iterable[str] | None) -> tuple[bool, str | None]:
    if scopes is None:
        return False, "Sign in to create cells."
    if WRITE_SCOPE not in set(scopes):
        return False, f"Creating cells needs the {WRITE_SCOPE} scope (operators and admins)."
    return True, None


def reference_bodies(existing: Iterable[Json] = ()) -> list[dict[str, str]]:
    """The requests that create the reference cells not made yet (by name)."""
    names = {str(c.get("name")) for c in existing}
    return [
        {"name": name, "template": template}
        for template, name in REFERENCE_CELLS
        if name not in names
    ]


__all__ = [
    "MAX_FAB_CELLS",
    "REFERENCE_CELLS",
    "WRITE_SCOPE",
    "cell_caption",
    "cell_href",
    "choose_cell",
    "element_heading",
    "element_rows",
    "may_write",
    "reference_bodies",
    "technology_rows",
    "valid_cell_id",
]
