"""Litho cells as cytoscape elements, from the API's own answers: one node per tool, one edge
per stream, ids unique (across the cells of a fab too), positions along the process flow, and
a stylesheet that colours every kind."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from lto.acorn.figures.graphs import (
    EQUIPMENT_COLOURS,
    FAB_PREFIX,
    cell_elements,
    fab_elements,
    flow_layers,
    kind_class,
    legend,
    stylesheet,
)
from tests.unit.api.conftest import Api, make_api


@pytest.fixture(scope="module")
def reference_cells(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The two reference cells as ``GET /api/v1/cells/{id}`` answers them."""
    api: Api = make_api(Path(tmp_path_factory.mktemp("cells")))
    found = []
    with api.client:
        for template in ("arf-immersion", "euv"):
            made = api.client.post(
                "/api/v1/cells",
                json={"name": f"{template} cell", "template": template},
                headers=api.headers("omar", **{"Idempotency-Key": uuid.uuid4().hex}),
            )
            assert made.status_code == 201, made.text
            cell = api.client.get(made.json()["self"], headers=api.headers("erin"))
            found.append(cell.json())
    return found


def nodes_of(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in elements if "source" not in e["data"]]


def edges_of(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in elements if "source" in e["data"]]


def test_one_node_per_tool_and_one_edge_per_stream(reference_cells: list[dict[str, Any]]) -> None:
    cell = reference_cells[0]
    elements = cell_elements(cell)
    nodes, edges = nodes_of(elements), edges_of(elements)
    assert sorted(n["data"]["id"] for n in nodes) == sorted(n["id"] for n in cell["nodes"])
    assert sorted(e["data"]["id"] for e in edges) == sorted(e["id"] for e in cell["edges"])
    assert len(nodes) == cell["equipment_count"]
    assert len(edges) == cell["stream_count"]
    ids = [e["data"]["id"] for e in elements]
    assert len(ids) == len(set(ids))
    scanner = next(n for n in nodes if n["data"]["kind"] == "exposure tool")
    assert "equipment-exposure-tool" in scanner["classes"]
    assert scanner["data"]["properties"]["max_na"] == pytest.approx(1.35)
    wafer = next(e for e in edges if e["data"]["kind"] == "wafer lot")
    assert wafer["data"]["label"] == "wafer lot"  # labelled by the stream's kind
    assert "25 × 300 mm" in wafer["data"]["title"]
    assert "stream-wafer-lot" in wafer["classes"]


def test_positions_follow_the_process_flow(reference_cells: list[dict[str, Any]]) -> None:
    for cell in reference_cells:
        elements = cell_elements(cell)
        where = {n["data"]["id"]: n["position"] for n in nodes_of(elements)}
        assert len({(p["x"], p["y"]) for p in where.values()}) == len(where)  # no overlap
        for edge in edges_of(elements):
            source, target = edge["data"]["source"], edge["data"]["target"]
            assert where[source]["y"] < where[target]["y"], edge["data"]["title"]
        # the wafers' path is one straight line down; supplies sit beside it (or on top)
        lots = [e["data"] for e in edges_of(elements) if e["data"]["kind"] == "wafer lot"]
        assert {where[end]["x"] for e in lots for end in (e["source"], e["target"])} == {0.0}
        supplies = [n["data"]["id"] for n in nodes_of(elements) if n["data"]["kind"] == "chemical supply"]  # fmt: skip
        assert all(where[s]["x"] > 0 or where[s]["y"] == 0 for s in supplies)
        assert any(where[s]["x"] > 0 and where[s]["y"] > 0 for s in supplies)


def test_flow_layers_are_the_longest_path() -> None:
    nodes = [{"id": i} for i in "abcd"]
    edges = [
        {"source": "a", "target": "b"},
        {"source": "b", "target": "c"},
        {"source": "a", "target": "c"},
        {"source": "d", "target": "c"},
    ]
    # d feeds only c: it sits one step above c, beside the flow, not at its top
    assert flow_layers(nodes, edges) == {"a": 0, "b": 1, "c": 2, "d": 1}


def test_a_fab_is_one_compound_graph_with_unique_ids(
    reference_cells: list[dict[str, Any]],
) -> None:
    elements = fab_elements(reference_cells)
    parents = [e for e in elements if e.get("classes") == "cell"]
    assert [p["data"]["id"] for p in parents] == [f"{FAB_PREFIX}{c['id']}" for c in reference_cells]
    assert "ArF-immersion" in parents[0]["data"]["label"]
    tools = [e for e in nodes_of(elements) if "equipment_id" in e["data"]]
    assert len(tools) == sum(c["equipment_count"] for c in reference_cells)
    assert len(edges_of(elements)) == sum(c["stream_count"] for c in reference_cells)
    ids = Counter(e["data"]["id"] for e in elements)
    assert max(ids.values()) == 1
    for tool in tools:
        assert tool["data"]["parent"] == f"{FAB_PREFIX}{tool['data']['cell_id']}"
        assert tool["data"]["id"] == f"{tool['data']['cell_id']}/{tool['data']['equipment_id']}"
    known = {t["data"]["id"] for t in tools}
    assert all(
        e["data"]["source"] in known and e["data"]["target"] in known for e in edges_of(elements)
    )
    # the cells side by side: the second one's tools all lie right of the first one's
    first = [t["position"]["x"] for t in tools if t["data"]["cell_id"] == reference_cells[0]["id"]]
    second = [t["position"]["x"] for t in tools if t["data"]["cell_id"] == reference_cells[1]["id"]]
    assert min(second) > max(first)


def test_a_stream_to_an_unknown_tool_is_left_out_and_empty_input_gives_nothing() -> None:
    cell = {
        "nodes": [{"id": "t1", "kind": "bake plate", "name": "bake", "step": 0}],
        "edges": [{"id": "s1", "kind": "wafer lot", "source": "t1", "target": "gone"}],
    }
    elements = cell_elements(cell)
    assert [e["data"]["id"] for e in elements] == ["t1"]
    assert elements[0]["position"] == {"x": 0.0, "y": 0.0}
    assert cell_elements(None) == []
    assert fab_elements([]) == []


def test_the_stylesheet_colours_every_kind_and_labels_nodes_and_edges() -> None:
    rules = {r["selector"]: r["style"] for r in stylesheet()}
    assert rules["node.equipment"]["label"] == "data(label)"
    assert rules["edge.stream"]["label"] == "data(label)"
    assert rules["edge.stream"]["target-arrow-shape"] == "triangle"
    for kind, colour in EQUIPMENT_COLOURS.items():
        assert rules[f"node.{kind_class('equipment', kind)}"]["background-color"] == colour
    assert len(set(EQUIPMENT_COLOURS.values())) == len(EQUIPMENT_COLOURS)
    assert legend(["bake plate", "exposure tool", "mystery"])[0] == (
        "exposure tool",
        EQUIPMENT_COLOURS["exposure tool"],
    )
    assert legend(["mystery"]) == [("mystery", "#adb5bd")]
