"""The ``Fab`` aggregate: a graph of litho cells (a graph of graphs).

Edges are wafer routes between cells (lots leaving one cell's last tool for another cell).
Routes may loop, because wafers return to litho for every layer; a cell may not route to itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import networkx as nx

from lto.atlas.aggregate import Aggregate
from lto.atlas.cell import LithoCell
from lto.atlas.equipment import ExposureTool
from lto.atlas.errors import InvariantViolated
from lto.atlas.events import CellAddedToFab, CellsLinked
from lto.atlas.identity import new_id


class Fab(Aggregate):
    def __init__(self, name: str, *, id: str | None = None) -> None:
        super().__init__()
        if not name.strip():
            raise InvariantViolated("a fab needs a name")
        self.id = id or new_id("fab")
        self.name = name
        self.version = 0  # of the stored row it was read from (0: not stored); repositories own it
        self._graph: nx.DiGraph[str] = nx.DiGraph()

    @classmethod
    def restore(
        cls,
        *,
        id: str,
        name: str,
        cells: Iterable[LithoCell],
        links: Iterable[tuple[str, str]],
        version: int = 0,
    ) -> Fab:
        """The fab as stored: no event is recorded (they were when it happened). Links must
        join two distinct member cells, as ``link`` requires."""
        if not name.strip():
            raise InvariantViolated("a fab needs a name")
        fab = cls.__new__(cls)
        Aggregate.__init__(fab)
        fab.id, fab.name, fab.version = id, name, version
        fab._graph = nx.DiGraph()
        for cell in cells:
            if cell.id in fab._graph:
                raise InvariantViolated(f"cell {cell.id!r} appears twice in fab {name!r}")
            fab._graph.add_node(cell.id, cell=cell)
        for upstream, downstream in links:
            if upstream not in fab._graph or downstream not in fab._graph:
                raise InvariantViolated(
                    f"link {upstream!r} -> {downstream!r} names a cell not in fab {name!r}"
                )
            if upstream == downstream:
                raise InvariantViolated(f"cell {upstream!r} cannot route wafers to itself")
            fab._graph.add_edge(upstream, downstream)
        return fab

    def add_cell(self, cell: LithoCell) -> None:
        if cell.id in self._graph:
            raise InvariantViolated(f"cell {cell.id!r} is already part of fab {self.name!r}")
        self._graph.add_node(cell.id, cell=cell)
        self.record(CellAddedToFab(fab_id=self.id, cell_id=cell.id))

    def link(self, upstream: str, downstream: str) -> None:
        """Route wafers from one cell to another."""
        for cell_id in (upstream, downstream):
            if cell_id not in self._graph:
                raise InvariantViolated(f"cell {cell_id!r} is not part of fab {self.name!r}")
        if upstream == downstream:
            raise InvariantViolated(f"cell {upstream!r} cannot route wafers to itself")
        if self._graph.has_edge(upstream, downstream):
            raise InvariantViolated(f"cells {upstream!r} -> {downstream!r} are already linked")
        self._graph.add_edge(upstream, downstream)
        self.record(CellsLinked(fab_id=self.id, upstream=upstream, downstream=downstream))

    @property
    def cells(self) -> list[LithoCell]:
        return [data["cell"] for _, data in self._graph.nodes(data=True)]

    def cell(self, cell_id: str) -> LithoCell:
        if cell_id not in self._graph:
            raise InvariantViolated(f"cell {cell_id!r} is not part of fab {self.name!r}")
        found: LithoCell = self._graph.nodes[cell_id]["cell"]
        return found

    def routes(self) -> list[tuple[str, str]]:
        return list(self._graph.edges)

    def exposure_tools(self) -> list[ExposureTool]:
        return [cell.exposure_tool for cell in self.cells]

    def technology_mix(self) -> Counter[str]:
        """How many cells of each exposure technology the fab runs."""
        return Counter(cell.technology.name for cell in self.cells)

    def flatten(self) -> nx.MultiDiGraph[str]:
        """All tools of all cells in one graph; node ids are ``cell_id/equipment_id``."""
        merged: nx.MultiDiGraph[str] = nx.MultiDiGraph()
        for cell in self.cells:
            graph = cell.graph()
            mapping = {node: f"{cell.id}/{node}" for node in graph}
            merged.update(nx.relabel_nodes(graph, mapping, copy=True))
        return merged

    def __repr__(self) -> str:
        return (
            f"Fab({self.name!r}, {len(self._graph)} cells, {self._graph.number_of_edges()} routes)"
        )
