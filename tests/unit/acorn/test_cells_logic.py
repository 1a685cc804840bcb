"""The litho cell page's logic: which cell is shown (the address bar's id checked), what a
clicked tool or stream holds (from the API's own cell graph), who may create the reference
cells, and creating them through the API from its templates."""

from __future__ import annotations

import uuid
from pathlib import Path

from lto.acorn.figures.graphs import cell_elements, fab_elements
from lto.acorn.pages import cells_logic as logic
from tests.unit.api.conftest import make_api

CELLS = [{"id": "cell-aaa", "name": "first"}, {"id": "cell-bbb", "name": "second"}]


def test_the_cell_asked_for_or_the_first() -> None:
    assert logic.choose_cell(CELLS, "cell-bbb") == "cell-bbb"
    assert logic.choose_cell(CELLS, "cell-zzz") == "cell-aaa"  # gone: the first
    assert logic.choose_cell(CELLS, None) == "cell-aaa"
    assert logic.choose_cell(CELLS, "../jobs?x=1") == "cell-aaa"
    assert logic.choose_cell([], "cell-aaa") is None
    assert logic.valid_cell_id(" cell-aaa ") == "cell-aaa"
    assert logic.valid_cell_id("a/b") is None
    assert logic.cell_href("cell-aaa") == "/cells?cell=cell-aaa"


def test_only_cells_write_may_create_and_others_are_told_why() -> None:
    assert logic.may_write({"cells:read", "cells:write"}) == (True, None)
    allowed, why = logic.may_write({"cells:read"})
    assert not allowed
    assert "cells:write" in (why or "")
    assert not logic.may_write(None)[0]


def test_reference_bodies_skip_the_cells_already_made() -> None:
    assert logic.reference_bodies() == [
        {"name": "ArF immersion reference cell", "template": "arf-immersion"},
        {"name": "EUV reference cell", "template": "euv"},
    ]
    made = [{"name": "EUV reference cell"}]
    assert [b["template"] for b in logic.reference_bodies(made)] == ["arf-immersion"]


def test_creating_the_reference_cells_and_reading_a_clicked_tool(tmp_path: Path) -> None:
    api = make_api(tmp_path)
    with api.client:
        for body in logic.reference_bodies():
            made = api.client.post(
                "/api/v1/cells",
                json=body,
                headers=api.headers("omar", **{"Idempotency-Key": uuid.uuid4().hex}),
            )
            assert made.status_code == 201, made.text
        refused = api.client.post(
            "/api/v1/cells",
            json=logic.reference_bodies()[0],
            headers=api.headers("erin", **{"Idempotency-Key": uuid.uuid4().hex}),
        )
        assert refused.status_code == 403  # an engineer lacks cells:write, as may_write says
        listing = api.client.get("/api/v1/cells", headers=api.headers("erin")).json()
        assert logic.reference_bodies(listing["items"]) == []
        chosen = logic.choose_cell(listing["items"], None)
        assert chosen is not None
        cell = api.client.get(f"/api/v1/cells/{chosen}", headers=api.headers("erin")).json()
    assert "tools" in logic.cell_caption(cell)
    assert ("immersion", "yes") in logic.technology_rows(cell)
    elements = cell_elements(cell)
    bake = next(e["data"] for e in elements if e["data"].get("kind") == "bake plate")
    rows = dict(logic.element_rows(bake))
    assert rows["kind"] == "bake plate"
    assert rows["temperature (°C)"] in {"100", "105"}
    assert rows["purpose"].endswith("bake")
    assert int(rows["step in the process flow"]) >= 1
    assert logic.element_heading(bake) == f"Tool {bake['equipment_id']}"
    stream = next(e["data"] for e in elements if e["data"].get("kind") == "wafer lot")
    stream_rows = dict(logic.element_rows(stream))
    assert stream_rows["wafer diameter (mm)"] == "300"
    assert "25 × 300 mm" in stream_rows["description"]
    heading = logic.element_heading(stream)
    assert heading.startswith(f"Stream {stream['stream_id']}: ")
    names = {e["data"]["equipment_id"]: e["data"]["label"] for e in elements if "equipment_id" in e["data"]}  # fmt: skip
    assert heading.endswith(f"{names[stream['source']]} → {names[stream['target']]}")  # by name
    resist = next(e["data"] for e in elements if e["data"].get("kind") == "resist")
    assert "resist: " in dict(logic.element_rows(resist))["resist"]  # a nested value, in words
    parent = next(e["data"] for e in fab_elements([cell]) if e.get("classes") == "cell")
    assert logic.element_heading(parent) == f"Cell {cell['id']}"


def test_nothing_clicked_says_what_to_do() -> None:
    assert logic.element_rows(None) == []
    assert "Click" in logic.element_heading(None)
