"""The ``LithoCell`` aggregate: equipment nodes joined by material-stream edges.

Every change is applied to a copy of the graph, the copy is checked against all invariants, and
only then does it replace the cell's graph: a change that breaks a rule raises
``InvariantViolated`` and leaves the cell exactly as it was.

Invariants:
- exactly one exposure tool;
- every stream joins two installed tools, of the kinds its class allows;
- the process flow has no cycle (a wafer never returns to a tool it has left);
- a resist stream carries a resist made for the cell's exposure technology;
- immersion fluid only feeds an immersion scanner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeAlias

import networkx as nx

from lto.atlas.aggregate import Aggregate
from lto.atlas.equipment import Equipment, ExposureTool
from lto.atlas.errors import InvariantViolated
from lto.atlas.events import (
    CellRenamed,
    EquipmentInstalled,
    EquipmentRemoved,
    StreamConnected,
    StreamDisconnected,
)
from lto.atlas.identity import new_id
from lto.atlas.streams import ImmersionFluidStream, MaterialStream, ResistStream
from lto.atlas.technology import ExposureTechnology

Graph: TypeAlias = "nx.MultiDiGraph[str]"


def invariant_violations(graph: Graph) -> list[str]:
    """Every rule the graph breaks, in words; an empty list means the cell is valid."""
    problems: list[str] = []
    tools = [e for e in _equipment(graph) if isinstance(e, ExposureTool)]
    if len(tools) != 1:
        names = ", ".join(repr(t.name) for t in tools) or "none"
        problems.append(
            f"a litho cell has exactly one exposure tool, this one has {len(tools)} ({names})"
        )
    for source, target, stream in _streams(graph):
        problems.extend(_stream_problems(graph, source, target, stream, tools))
    if not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        names = " -> ".join(graph.nodes[u]["equipment"].name for u, *_ in cycle)
        problems.append(f"the process flow must not loop, but it does: {names} -> back")
    return problems


def _stream_problems(
    graph: Graph, source: str, target: str, stream: MaterialStream, tools: list[ExposureTool]
) -> Iterator[str]:
    sender, receiver = graph.nodes[source]["equipment"], graph.nodes[target]["equipment"]
    if not isinstance(sender, stream.source_kinds):
        allowed = " or ".join(k.kind for k in stream.source_kinds)
        yield f"a {stream.kind} stream must come from a {allowed}, not from {sender.describe()}"
    if not isinstance(receiver, stream.target_kinds):
        allowed = " or ".join(k.kind for k in stream.target_kinds)
        yield f"a {stream.kind} stream must go to a {allowed}, not to {receiver.describe()}"
    if len(tools) == 1:
        technology = tools[0].technology
        if isinstance(stream, ResistStream) and not stream.resist.supports(technology):
            yield f"resist {stream.resist.name!r} is not made for {technology.name} exposure"
        if isinstance(stream, ImmersionFluidStream) and not technology.immersion:
            yield f"immersion fluid cannot feed a {technology.name} (dry) exposure tool"


def _equipment(graph: Graph) -> Iterator[Equipment]:
    for _, data in graph.nodes(data=True):
        yield data["equipment"]


def _streams(graph: Graph) -> Iterator[tuple[str, str, MaterialStream]]:
    for source, target, data in graph.edges(data=True):
        yield source, target, data["stream"]


class LithoCell(Aggregate):
    """A litho cell: the exposure tool and the tools and streams around it, changed as one."""

    def __init__(self, name: str, exposure_tool: ExposureTool, *, id: str | None = None) -> None:
        super().__init__()
        if not name.strip():
            raise InvariantViolated("a litho cell needs a name")
        self.id = id or new_id("cell")
        self.name = name
        self.version = 0  # of the stored row it was read from (0: not stored); repositories own it
        self._graph: Graph = nx.MultiDiGraph()
        self.install(exposure_tool)

    @classmethod
    def restore(
        cls,
        *,
        id: str,
        name: str,
        equipment: Iterable[Equipment],
        streams: Iterable[MaterialStream],
        version: int = 0,
    ) -> LithoCell:
        """The cell as stored, tools and streams in their stored order: no event is recorded
        (they were when it happened). A stored graph that breaks a rule raises
        ``InvariantViolated``, as a change would."""
        if not name.strip():
            raise InvariantViolated("a litho cell needs a name")
        cell = cls.__new__(cls)
        Aggregate.__init__(cell)
        cell.id, cell.name, cell.version = id, name, version
        graph: Graph = nx.MultiDiGraph()
        for item in equipment:
            if item.id in graph:
                raise InvariantViolated(f"equipment id {item.id!r} appears twice in {name!r}")
            graph.add_node(item.id, equipment=item)
        seen: set[str] = set()
        for stream in streams:
            if stream.source not in graph or stream.target not in graph:
                raise InvariantViolated(
                    f"{stream.kind} stream {stream.id} joins equipment not in {name!r}"
                )
            if stream.id in seen:
                raise InvariantViolated(f"stream id {stream.id!r} appears twice in {name!r}")
            seen.add(stream.id)
            graph.add_edge(stream.source, stream.target, key=stream.id, stream=stream)
        problems = invariant_violations(graph)
        if problems:
            raise InvariantViolated(f"{name!r}: " + "; ".join(problems))
        cell._graph = graph
        return cell

    # --- changes --------------------------------------------------------------------------

    def install(self, equipment: Equipment) -> None:
        if equipment.id in self._graph:
            raise InvariantViolated(
                f"equipment id {equipment.id!r} is already installed in {self.name!r}"
            )
        self._apply(lambda g: g.add_node(equipment.id, equipment=equipment))
        self.record(
            EquipmentInstalled(
                cell_id=self.id,
                equipment_id=equipment.id,
                kind=equipment.kind,
                equipment_name=equipment.name,
            )
        )

    def remove(self, equipment_id: str) -> None:
        equipment = self.equipment_by_id(equipment_id)
        attached = [s.id for *_, s in _streams(self._graph) if equipment_id in (s.source, s.target)]
        if attached:
            raise InvariantViolated(
                f"{equipment.name!r} still has streams {', '.join(attached)}; disconnect them first"
            )
        self._apply(lambda g: g.remove_node(equipment_id))
        self.record(EquipmentRemoved(cell_id=self.id, equipment_id=equipment_id))

    def connect(self, stream: MaterialStream) -> None:
        for end, equipment_id in (("source", stream.source), ("target", stream.target)):
            if equipment_id not in self._graph:
                raise InvariantViolated(
                    f"{stream.kind} stream {stream.id}: {end} {equipment_id!r} is not installed in {self.name!r}"
                )
        if stream.id in self.stream_ids():
            raise InvariantViolated(
                f"stream id {stream.id!r} is already connected in {self.name!r}"
            )
        self._apply(
            lambda g: g.add_edge(stream.source, stream.target, key=stream.id, stream=stream)
        )
        self.record(
            StreamConnected(
                cell_id=self.id,
                stream_id=stream.id,
                kind=stream.kind,
                source=stream.source,
                target=stream.target,
            )
        )

    def disconnect(self, stream_id: str) -> None:
        stream = self.stream_by_id(stream_id)
        self._apply(lambda g: g.remove_edge(stream.source, stream.target, key=stream_id))
        self.record(StreamDisconnected(cell_id=self.id, stream_id=stream_id))

    def rename(self, name: str) -> None:
        """A new name (the same name again changes nothing and records nothing)."""
        if not name.strip():
            raise InvariantViolated("a litho cell needs a name")
        if name == self.name:
            return
        old, self.name = self.name, name
        self.record(CellRenamed(cell_id=self.id, old_name=old, new_name=name))

    def _apply(self, change: Callable[[Graph], object]) -> None:
        candidate = self._graph.copy()
        change(candidate)
        problems = invariant_violations(candidate)
        if problems:
            raise InvariantViolated(f"{self.name!r}: " + "; ".join(problems))
        self._graph = candidate

    # --- queries --------------------------------------------------------------------------

    @property
    def exposure_tool(self) -> ExposureTool:
        return next(e for e in _equipment(self._graph) if isinstance(e, ExposureTool))

    @property
    def technology(self) -> ExposureTechnology:
        return self.exposure_tool.technology

    @property
    def equipment(self) -> list[Equipment]:
        return list(_equipment(self._graph))

    @property
    def streams(self) -> list[MaterialStream]:
        return [stream for *_, stream in _streams(self._graph)]

    def stream_ids(self) -> set[str]:
        return {stream.id for stream in self.streams}

    def equipment_by_id(self, equipment_id: str) -> Equipment:
        if equipment_id not in self._graph:
            raise InvariantViolated(f"no equipment {equipment_id!r} in {self.name!r}")
        equipment: Equipment = self._graph.nodes[equipment_id]["equipment"]
        return equipment

    def stream_by_id(self, stream_id: str) -> MaterialStream:
        for stream in self.streams:
            if stream.id == stream_id:
                return stream
        raise InvariantViolated(f"no stream {stream_id!r} in {self.name!r}")

    def process_order(self) -> list[Equipment]:
        """Tools in an order the material can flow through them (a topological order)."""
        return [
            self._graph.nodes[n]["equipment"]
            for n in nx.lexicographical_topological_sort(
                self._graph, key=lambda n: self._graph.nodes[n]["equipment"].name
            )
        ]

    def graph(self) -> Graph:
        """A frozen copy of the cell's graph (node attr ``equipment``, edge attr ``stream``)."""
        frozen: Graph = nx.freeze(self._graph.copy())
        return frozen

    def describe(self) -> list[str]:
        """Human-readable lines: the tools in flow order, then the streams."""
        lines = [f"litho cell {self.name!r} [{self.id}] — {self.technology.name}"]
        lines += [f"  tool    {e.describe()}" for e in self.process_order()]
        position = {e.id: i for i, e in enumerate(self.process_order())}
        for source, target, stream in sorted(
            _streams(self._graph), key=lambda s: (position[s[0]], position[s[1]])
        ):
            src, dst = (
                self._graph.nodes[source]["equipment"],
                self._graph.nodes[target]["equipment"],
            )
            lines.append(f"  stream  {src.name} -> {dst.name}: {stream.kind} ({stream.describe()})")
        return lines

    def __repr__(self) -> str:
        return f"LithoCell({self.name!r}, {len(self._graph)} tools, {self._graph.number_of_edges()} streams)"
