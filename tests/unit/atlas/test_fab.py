from __future__ import annotations

import pytest

from lto.atlas import Fab, InvariantViolated
from lto.atlas.events import CellAddedToFab, CellsLinked
from lto.atlas.examples import arf_immersion_cell, euv_cell, reference_fab


def test_a_fab_is_a_graph_of_cells() -> None:
    fab = reference_fab()
    assert len(fab.cells) == 2
    assert dict(fab.technology_mix()) == {"EUV": 1, "ArF-immersion": 1}
    assert {t.technology.name for t in fab.exposure_tools()} == {"EUV", "ArF-immersion"}
    euv, arf = fab.cells
    assert fab.routes() == [(euv.id, arf.id)]
    assert fab.cell(arf.id) is arf


def test_flatten_merges_every_cells_tools_under_namespaced_ids() -> None:
    fab = reference_fab()
    merged = fab.flatten()
    assert merged.number_of_nodes() == sum(len(c.equipment) for c in fab.cells)
    assert merged.number_of_edges() == sum(len(c.streams) for c in fab.cells)
    assert all("/" in node for node in merged.nodes)


def test_links_need_two_distinct_member_cells() -> None:
    fab = Fab("f")
    a, b = euv_cell(), arf_immersion_cell()
    fab.add_cell(a)
    with pytest.raises(InvariantViolated, match="not part of fab"):
        fab.link(a.id, b.id)
    fab.add_cell(b)
    with pytest.raises(InvariantViolated, match="to itself"):
        fab.link(a.id, a.id)
    fab.link(a.id, b.id)
    fab.link(b.id, a.id)  # wafers come back to litho for the next layer
    with pytest.raises(InvariantViolated, match="already linked"):
        fab.link(a.id, b.id)
    with pytest.raises(InvariantViolated, match="already part"):
        fab.add_cell(a)
    events = [type(e) for e in fab.collect_events()]
    assert events == [CellAddedToFab, CellAddedToFab, CellsLinked, CellsLinked]
