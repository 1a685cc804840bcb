from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lto.atlas import InvalidValue, InvariantViolated, LithoCell
from lto.atlas.cell import invariant_violations
from lto.atlas.compounds import TMAH, WATER
from lto.atlas.equipment import (
    BakePlate,
    BakePurpose,
    ChemicalSupply,
    DeveloperUnit,
    EtchChamber,
    ExposureTool,
    MetrologyTool,
    ResistCoater,
)
from lto.atlas.events import (
    EquipmentInstalled,
    EquipmentRemoved,
    StreamConnected,
    StreamDisconnected,
)
from lto.atlas.examples import arf_immersion_cell, euv_cell
from lto.atlas.materials import ARF_CAR, EUV_CAR
from lto.atlas.streams import DeveloperStream, ImmersionFluidStream, ResistStream, WaferLot
from lto.atlas.technology import ARF_DRY, ARF_IMMERSION, EUV
from lto.atlas.units import Length, NumericalAperture


def scanner(tech=ARF_IMMERSION, na=1.35) -> ExposureTool:
    return ExposureTool(name=f"{tech.name} scanner", technology=tech, max_na=NumericalAperture(na))


def snapshot(cell: LithoCell) -> tuple[set[str], set[str]]:
    return {e.id for e in cell.equipment}, cell.stream_ids()


def test_reference_cells_are_valid_and_flow_from_coat_to_etch() -> None:
    for cell in (arf_immersion_cell(), euv_cell()):
        assert invariant_violations(cell.graph()) == []
        order = [e.kind for e in cell.process_order()]
        assert (
            order.index("resist coater")
            < order.index("exposure tool")
            < order.index("developer unit")
        )
        assert (
            order.index("developer unit")
            < order.index("metrology tool")
            < order.index("etch chamber")
        )
    assert arf_immersion_cell().technology.immersion
    assert euv_cell().technology is EUV


def test_a_second_exposure_tool_is_refused_and_nothing_changes() -> None:
    cell = arf_immersion_cell()
    before = snapshot(cell)
    with pytest.raises(InvariantViolated, match="exactly one exposure tool, this one has 2"):
        cell.install(scanner(EUV, 0.33))
    assert snapshot(cell) == before


def test_the_exposure_tool_cannot_be_removed() -> None:
    cell = LithoCell("bare", scanner())
    with pytest.raises(InvariantViolated, match="exactly one exposure tool, this one has 0"):
        cell.remove(cell.exposure_tool.id)


def test_streams_must_join_installed_equipment() -> None:
    cell = LithoCell("bare", scanner())
    coater = ResistCoater(name="coat")  # not installed
    with pytest.raises(InvariantViolated, match=r"target .* is not installed"):
        cell.connect(WaferLot(source=cell.exposure_tool.id, target=coater.id, lot_id="L1"))
    assert cell.streams == []


def test_stream_kinds_are_checked_at_both_ends() -> None:
    cell = LithoCell("bare", scanner())
    etch, supply = EtchChamber(name="etch"), ChemicalSupply(name="resist", supplies=ARF_CAR)
    cell.install(etch)
    cell.install(supply)
    resist_into_etch = ResistStream(
        source=supply.id, target=etch.id, resist=ARF_CAR, thickness=Length(90)
    )
    with pytest.raises(
        InvariantViolated, match="resist stream must go to a resist coater, not to etch"
    ):
        cell.connect(resist_into_etch)
    developer_from_etch = DeveloperStream(source=etch.id, target=etch.id)
    with pytest.raises(InvariantViolated):
        cell.connect(developer_from_etch)


def test_the_process_flow_may_not_loop() -> None:
    cell = LithoCell("loop", scanner())
    bake, develop = (
        BakePlate(name="PEB", purpose=BakePurpose.POST_EXPOSURE),
        DeveloperUnit(name="dev"),
    )
    for tool in (bake, develop):
        cell.install(tool)
    tool_id = cell.exposure_tool.id
    cell.connect(WaferLot(source=tool_id, target=bake.id, lot_id="L1"))
    cell.connect(WaferLot(source=bake.id, target=develop.id, lot_id="L1"))
    before = snapshot(cell)
    with pytest.raises(InvariantViolated, match=r"must not loop.*->.*back"):
        cell.connect(WaferLot(source=develop.id, target=tool_id, lot_id="L1"))
    assert snapshot(cell) == before


def test_resist_must_suit_the_cells_technology() -> None:
    cell = LithoCell("euv", scanner(EUV, 0.33))
    coater, supply = ResistCoater(name="coat"), ChemicalSupply(name="resist", supplies=ARF_CAR)
    cell.install(coater)
    cell.install(supply)
    with pytest.raises(InvariantViolated, match="not made for EUV exposure"):
        cell.connect(
            ResistStream(source=supply.id, target=coater.id, resist=ARF_CAR, thickness=Length(90))
        )
    cell.connect(
        ResistStream(source=supply.id, target=coater.id, resist=EUV_CAR, thickness=Length(35))
    )


def test_immersion_fluid_only_feeds_an_immersion_scanner() -> None:
    dry = LithoCell("dry", scanner(ARF_DRY, 0.93))
    water = ChemicalSupply(name="water", supplies=WATER)
    dry.install(water)
    with pytest.raises(InvariantViolated, match="immersion fluid cannot feed a ArF-dry"):
        dry.connect(ImmersionFluidStream(source=water.id, target=dry.exposure_tool.id))


def test_equipment_with_streams_cannot_be_removed_until_disconnected() -> None:
    cell = LithoCell("c", scanner())
    develop, tmah = DeveloperUnit(name="dev"), ChemicalSupply(name="tmah", supplies=TMAH)
    cell.install(develop)
    cell.install(tmah)
    stream = DeveloperStream(source=tmah.id, target=develop.id)
    cell.connect(stream)
    with pytest.raises(InvariantViolated, match=f"still has streams {stream.id}"):
        cell.remove(develop.id)
    cell.disconnect(stream.id)
    cell.remove(develop.id)
    assert develop not in cell.equipment


def test_changes_record_domain_events_in_order() -> None:
    cell = LithoCell("c", scanner())
    metrology = MetrologyTool(name="CD-SEM")
    cell.install(metrology)
    lot = WaferLot(source=cell.exposure_tool.id, target=metrology.id, lot_id="L9")
    cell.connect(lot)
    cell.disconnect(lot.id)
    cell.remove(metrology.id)
    kinds = [type(e) for e in cell.collect_events()]
    assert kinds == [
        EquipmentInstalled,
        EquipmentInstalled,
        StreamConnected,
        StreamDisconnected,
        EquipmentRemoved,
    ]
    assert cell.collect_events() == []


def test_duplicate_ids_are_refused() -> None:
    cell = LithoCell("c", scanner())
    coater = ResistCoater(name="coat")
    cell.install(coater)
    with pytest.raises(InvariantViolated, match="already installed"):
        cell.install(coater)


def test_the_graph_handed_out_cannot_change_the_cell() -> None:
    cell = arf_immersion_cell()
    graph = cell.graph()
    with pytest.raises(nx.NetworkXError):
        graph.add_node("intruder")


def test_equipment_is_validated_and_compared_by_identity() -> None:
    with pytest.raises(InvalidValue, match=r"EUV tools reach at most NA 0\.55"):
        ExposureTool(name="x", technology=EUV, max_na=NumericalAperture(0.7))
    with pytest.raises(InvalidValue, match="name"):
        ResistCoater(name="  ")
    with pytest.raises(InvalidValue, match="wafer_count"):
        WaferLot(source="a", target="b", lot_id="L", wafer_count=26)
    a = ResistCoater(name="coat", id="eq-1")
    assert a == ResistCoater(name="renamed", id="eq-1")
    assert a != DeveloperUnit(name="coat", id="eq-1")


operations = st.lists(
    st.tuples(
        st.sampled_from(["install", "connect", "disconnect", "remove"]),
        st.integers(0, 50),
        st.integers(0, 50),
    ),
    max_size=40,
)


@given(operations)
def test_no_sequence_of_changes_can_break_an_invariant(ops) -> None:
    """Whatever is attempted, a change either succeeds into a valid cell or leaves it unchanged."""
    cell = LithoCell("fuzz", scanner())
    factories = [
        lambda: ResistCoater(name="coat"),
        lambda: DeveloperUnit(name="dev"),
        lambda: ExposureTool(
            name="second", technology=ARF_IMMERSION, max_na=NumericalAperture(1.2)
        ),
        lambda: ChemicalSupply(name="tmah", supplies=TMAH),
        lambda: EtchChamber(name="etch"),
    ]
    for op, i, j in ops:
        tools = cell.equipment
        before = snapshot(cell)
        try:
            if op == "install":
                cell.install(factories[i % len(factories)]())
            elif op == "connect":
                src, dst = tools[i % len(tools)], tools[j % len(tools)]
                stream_type = DeveloperStream if isinstance(src, ChemicalSupply) else WaferLot
                extra = {} if stream_type is DeveloperStream else {"lot_id": "L"}
                cell.connect(stream_type(source=src.id, target=dst.id, **extra))
            elif op == "disconnect" and cell.streams:
                cell.disconnect(cell.streams[i % len(cell.streams)].id)
            elif op == "remove":
                cell.remove(tools[i % len(tools)].id)
        except InvariantViolated:
            assert snapshot(cell) == before
        assert invariant_violations(cell.graph()) == []
