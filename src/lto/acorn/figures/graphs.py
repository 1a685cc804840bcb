"""Litho cells as dash-cytoscape graphs: equipment as nodes (coloured by kind), material
streams as edges (labelled and coloured by the stream's kind), laid out down the process flow
(supplies beside the tool they feed). A fab is one compound graph: a parent node per cell
holding its equipment, the cells side by side.

Input: the cell as ``GET /api/v1/cells/{id}`` answers it (``nodes`` with id, kind, name,
vendor_model, label, step and properties; ``edges`` with id, kind, source, target, label and
properties). Output: cytoscape elements (plain dicts) with preset positions, and the
stylesheet that draws them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

EQUIPMENT_COLOURS: Mapping[str, str] = {
    "exposure tool": "#6f42c1",
    "resist coater": "#0d6efd",
    "bake plate": "#fd7e14",
    "developer unit": "#20c997",
    "metrology tool": "#198754",
    "etch chamber": "#dc3545",
    "chemical supply": "#6c757d",
    "track module": "#0dcaf0",
}
STREAM_COLOURS: Mapping[str, str] = {
    "wafer lot": "#343a40",
    "resist": "#0d6efd",
    "developer": "#20c997",
    "chemical": "#adb5bd",
    "immersion fluid": "#0dcaf0",
}
OTHER_COLOUR = "#adb5bd"
STEP_Y = 100  # px between process steps (the flow runs down)
COLUMN_X = 190  # px between tools of one step
CELL_GAP_X = 120  # px between the cells of a fab, side by side
FAB_PREFIX = "cell:"
LAYOUT: dict[str, Any] = {"name": "preset", "fit": True, "padding": 30}


def kind_class(prefix: str, kind: str) -> str:
    """A CSS-safe class for a kind: ``equipment-exposure-tool``."""
    return f"{prefix}-{re.sub(r'[^a-z0-9]+', '-', kind.lower()).strip('-') or 'other'}"


def flow_layers(
    nodes: Sequence[Mapping[str, Any]], edges: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    """Each node's step down the flow: the longest path of streams that reaches it; a node no
    stream enters (a chemical supply) sits one step above the first tool it feeds, beside the
    flow rather than at its top. Nodes on a loop (a cell has none) keep step 0."""
    ids = [str(n["id"]) for n in nodes]
    known = set(ids)
    incoming = dict.fromkeys(ids, 0)
    outgoing: dict[str, list[str]] = {i: [] for i in ids}
    for edge in edges:
        source, target = str(edge.get("source")), str(edge.get("target"))
        if source in known and target in known and source != target:
            outgoing[source].append(target)
            incoming[target] += 1
    sources = [i for i in ids if incoming[i] == 0]
    layer = dict.fromkeys(ids, 0)
    waiting = dict(incoming)
    ready = list(sources)
    while ready:
        node = ready.pop(0)
        for target in outgoing[node]:
            layer[target] = max(layer[target], layer[node] + 1)
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    for node in sources:
        if outgoing[node]:
            layer[node] = max(min(layer[t] for t in outgoing[node]) - 1, 0)
    return layer


def flow_positions(
    nodes: Sequence[Mapping[str, Any]], edges: Sequence[Mapping[str, Any]], *, left: float = 0.0
) -> dict[str, dict[str, float]]:
    """Preset positions: the flow runs down, one row per step; in a row the tools a stream
    enters come first (the main line stays in the first column), the supplies beside them."""
    layers = flow_layers(nodes, edges)
    fed = {str(e.get("target")) for e in edges}
    rows: dict[int, list[Mapping[str, Any]]] = {}
    order = sorted(nodes, key=lambda n: (str(n["id"]) not in fed, n.get("step", 0), str(n["id"])))
    for node in order:
        rows.setdefault(layers[str(node["id"])], []).append(node)
    placed: dict[str, dict[str, float]] = {}
    for row, members in rows.items():
        for column, node in enumerate(members):
            placed[str(node["id"])] = {
                "x": float(left + column * COLUMN_X),
                "y": float(row * STEP_Y),
            }
    return placed


def _node(
    node: Mapping[str, Any], element_id: str, position: Mapping[str, float], **extra: Any
) -> dict[str, Any]:
    kind = str(node.get("kind", "equipment"))
    return {
        "data": {
            "id": element_id,
            "equipment_id": str(node["id"]),
            "label": str(node.get("name") or node["id"]),
            "kind": kind,
            "vendor_model": str(node.get("vendor_model") or ""),
            "title": str(node.get("label") or ""),
            "step": node.get("step"),
            "properties": dict(node.get("properties") or {}),
            **extra,
        },
        "position": dict(position),
        "classes": f"equipment {kind_class('equipment', kind)}",
    }


def _edge(
    edge: Mapping[str, Any], element_id: str, source: str, target: str, **extra: Any
) -> dict[str, Any]:
    kind = str(edge.get("kind", "material stream"))
    return {
        "data": {
            "id": element_id,
            "stream_id": str(edge["id"]),
            "source": source,
            "target": target,
            "label": kind,
            "kind": kind,
            "title": str(edge.get("label") or ""),
            "properties": dict(edge.get("properties") or {}),
            **extra,
        },
        "classes": f"stream {kind_class('stream', kind)}",
    }


def cell_elements(cell: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """One node per tool and one edge per stream of one cell (their ids are the API's)."""
    nodes = list((cell or {}).get("nodes") or [])
    edges = list((cell or {}).get("edges") or [])
    placed = flow_positions(nodes, edges)
    ids = {str(n["id"]) for n in nodes}
    names = _names(nodes)
    elements = [_node(n, str(n["id"]), placed[str(n["id"])]) for n in nodes]
    elements += [
        _edge(e, str(e["id"]), str(e["source"]), str(e["target"]), **_ends(e, names))
        for e in edges
        if str(e.get("source")) in ids and str(e.get("target")) in ids
    ]
    return elements


def _names(nodes: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {str(n["id"]): str(n.get("name") or n["id"]) for n in nodes}


def _ends(edge: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, str]:
    """The tools a stream joins, by name (the heading of a clicked stream)."""
    source, target = str(edge.get("source")), str(edge.get("target"))
    return {"source_name": names.get(source, source), "target_name": names.get(target, target)}


def _cell_label(cell: Mapping[str, Any]) -> str:
    name = str(cell.get("name") or cell["id"])
    technology = (cell.get("technology") or {}).get("name")
    return f"{name} ({technology})" if technology else name


def fab_elements(cells: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every cell as a parent node holding its tools and streams, cells side by side.
    Ids are made unique across cells: ``cell:<cell id>`` for a cell, ``<cell id>/<tool or
    stream id>`` inside it."""
    elements: list[dict[str, Any]] = []
    left = 0.0
    for cell in cells:
        cell_id = str(cell["id"])
        parent = f"{FAB_PREFIX}{cell_id}"
        data = {"id": parent, "cell_id": cell_id, "label": _cell_label(cell), "kind": "litho cell"}
        elements.append({"data": data, "classes": "cell"})
        nodes = list(cell.get("nodes") or [])
        edges = list(cell.get("edges") or [])
        placed = flow_positions(nodes, edges, left=left)
        ids = {str(n["id"]) for n in nodes}
        names = _names(nodes)
        for node in nodes:
            element_id = f"{cell_id}/{node['id']}"
            where = placed[str(node["id"])]
            elements.append(_node(node, element_id, where, cell_id=cell_id, parent=parent))
        for edge in edges:
            source, target = str(edge.get("source")), str(edge.get("target"))
            if source in ids and target in ids:
                element_id = f"{cell_id}/{edge['id']}"
                ends = (f"{cell_id}/{source}", f"{cell_id}/{target}")
                elements.append(
                    _edge(edge, element_id, *ends, cell_id=cell_id, **_ends(edge, names))
                )
        left = max((p["x"] for p in placed.values()), default=left) + COLUMN_X + CELL_GAP_X
    return elements


def stylesheet() -> list[dict[str, Any]]:
    """Tools as labelled round rectangles in their kind's colour, streams as labelled arrows
    in theirs, a cell of a fab as a light box with its name on top, the selection outlined."""
    rules: list[dict[str, Any]] = [
        {
            "selector": "node.equipment",
            "style": {
                "label": "data(label)",
                "shape": "round-rectangle",
                "width": 150,
                "height": 44,
                "text-wrap": "wrap",
                "text-max-width": 140,
                "text-valign": "center",
                "font-size": 14,  # drawn at the fit's zoom (~0.8): ~11 px on screen
                "color": "#ffffff",
                "background-color": OTHER_COLOUR,
            },
        },
        {
            "selector": "edge.stream",
            "style": {
                "label": "data(label)",
                "curve-style": "bezier",
                "target-arrow-shape": "triangle",
                "width": 2,
                "font-size": 12,
                "text-rotation": "none",
                "text-background-color": "#ffffff",
                "text-background-opacity": 0.85,
                "text-background-padding": 2,
                "line-color": OTHER_COLOUR,
                "target-arrow-color": OTHER_COLOUR,
            },
        },
        {
            "selector": "node.cell",
            "style": {
                "label": "data(label)",
                "text-valign": "top",
                "text-halign": "center",
                "font-size": 13,
                "font-weight": "bold",
                "background-color": "#f8f9fa",
                "border-color": "#6c757d",
                "border-width": 1,
                "padding": 24,
            },
        },
        {"selector": "node:selected", "style": {"border-width": 3, "border-color": "#ffc107"}},
    ]
    rules += [
        {"selector": f"node.{kind_class('equipment', kind)}", "style": {"background-color": colour}}
        for kind, colour in EQUIPMENT_COLOURS.items()
    ]
    rules += [
        {
            "selector": f"edge.{kind_class('stream', kind)}",
            "style": {"line-color": colour, "target-arrow-color": colour},
        }
        for kind, colour in STREAM_COLOURS.items()
    ]
    return rules


def legend(kinds: Iterable[str]) -> list[tuple[str, str]]:
    """(kind, colour) of the equipment kinds present, in the stylesheet's order."""
    present = set(kinds)
    known = [(k, c) for k, c in EQUIPMENT_COLOURS.items() if k in present]
    return known + [(k, OTHER_COLOUR) for k in sorted(present - set(EQUIPMENT_COLOURS))]


__all__ = [
    "EQUIPMENT_COLOURS",
    "FAB_PREFIX",
    "LAYOUT",
    "STREAM_COLOURS",
    "cell_elements",
    "fab_elements",
    "flow_layers",
    "flow_positions",
    "kind_class",
    "legend",
    "stylesheet",
]
