"""The catalog's contract on the in-memory fakes, and the cell and fab JSON mapping itself."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lto.atlas.cell import LithoCell
from lto.atlas.compounds import PGMEA, TMAH, CasNumber, Compound, CompoundRole
from lto.atlas.equipment import ChemicalSupply, EtchChamber, ExposureTool
from lto.atlas.errors import InvariantViolated
from lto.atlas.examples import arf_immersion_cell, euv_cell, reference_fab
from lto.atlas.fab import Fab
from lto.atlas.streams import ChemicalStream, WaferLot
from lto.atlas.technology import ExposureTechnology, IlluminationShape
from lto.atlas.units import NumericalAperture, Wavelength
from lto.capricorn.adapters.cell_mapping import (
    cell_from_dict,
    cell_to_dict,
    equipment_from_dict,
    equipment_to_dict,
    fab_from_dict,
    fab_to_dict,
)
from tests.unit.capricorn.catalog_contract import CatalogContract, fields_of
from tests.unit.capricorn.fakes import FakeUnitOfWork, Store
from tests.unit.capricorn.uow_contract import Factory


class TestFakeCatalog(CatalogContract):
    @pytest.fixture
    def make_uow(self) -> Factory:
        store = Store()
        return lambda: FakeUnitOfWork(store)


def through_json(data: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(data))
    return loaded


@pytest.mark.parametrize("make", [arf_immersion_cell, euv_cell])
def test_a_reference_cell_round_trips_exactly_through_json(make: Any) -> None:
    cell = make()
    again = cell_from_dict(through_json(cell_to_dict(cell)), version=3)
    assert fields_of(again.equipment) == fields_of(cell.equipment)
    assert fields_of(again.streams) == fields_of(cell.streams)
    assert cell_to_dict(again) == cell_to_dict(cell)
    assert (again.id, again.name, again.version) == (cell.id, cell.name, 3)
    assert again.technology is cell.technology  # the library's own object comes back
    assert again.pending_events == ()


def test_compounds_are_stored_by_cas_number_and_unknown_ones_whole() -> None:
    own = Compound("rinse blend", CasNumber("67-63-0"), "C3H8O", CompoundRole.SOLVENT)
    supply = ChemicalSupply(name="rinse", supplies=own)
    stored = equipment_to_dict(supply)
    assert stored["supplies"] == {
        "Compound": {"cas": "67-63-0", "name": "rinse blend", "formula": "C3H8O", "role": "solvent"}
    }
    again = equipment_from_dict(through_json(stored))
    assert isinstance(again, ChemicalSupply)
    assert isinstance(again.supplies, Compound)
    assert (again.supplies.name, again.supplies.formula) == ("rinse blend", "C3H8O")
    library = equipment_to_dict(ChemicalSupply(name="developer", supplies=TMAH))
    assert library["supplies"] == {"Compound": {"cas": "75-59-2"}}
    assert equipment_from_dict(library).supplies is TMAH  # type: ignore[attr-defined]


def test_a_technology_outside_the_library_is_stored_whole() -> None:
    special = ExposureTechnology("F2", Wavelength(157.0), NumericalAperture(0.85))
    tool = ExposureTool(
        name="F2 scanner",
        technology=special,
        max_na=NumericalAperture(0.8),
        illumination=frozenset({IlluminationShape.ANNULAR}),
    )
    cell = LithoCell("vacuum UV", tool)
    etch = EtchChamber(name="etch", process="RIE")
    cell.install(etch)
    cell.connect(WaferLot(source=tool.id, target=etch.id, lot_id="L1", wafer_count=12))
    stored = through_json(cell_to_dict(cell))
    assert stored["equipment"][0]["technology"]["wavelength"] == 157.0
    again = cell_from_dict(stored)
    assert again.technology == special
    assert fields_of(again.equipment) == fields_of(cell.equipment)
    assert fields_of(again.streams) == fields_of(cell.streams)


def test_unknown_kinds_and_fields_are_errors_not_losses() -> None:
    stored = equipment_to_dict(EtchChamber(name="etch"))
    with pytest.raises(ValueError, match="kind 'plasma cannon' is unknown"):
        equipment_from_dict({**stored, "kind": "plasma cannon"})
    with pytest.raises(ValueError, match="no field colour"):
        equipment_from_dict({**stored, "colour": "blue"})
    older = {k: v for k, v in stored.items() if k != "process"}  # stored before the field
    assert equipment_from_dict(older).process == "plasma etch"  # type: ignore[attr-defined]


def test_a_stored_graph_that_breaks_a_rule_is_refused() -> None:
    cell = arf_immersion_cell()
    stored = cell_to_dict(cell)
    no_scanner = {**stored, "equipment": stored["equipment"][1:], "streams": []}
    with pytest.raises(InvariantViolated, match="exactly one exposure tool"):
        cell_from_dict(no_scanner)
    dangling = {**stored, "equipment": stored["equipment"][:1]}
    with pytest.raises(InvariantViolated, match="joins equipment not in"):
        cell_from_dict(dangling)


def test_a_fab_round_trips_through_json() -> None:
    fab = reference_fab()
    stored = through_json(fab_to_dict(fab))
    again = fab_from_dict(stored, version=2)
    assert fab_to_dict(again) == fab_to_dict(fab)
    assert sorted(again.routes()) == sorted(fab.routes())
    assert again.version == 2
    assert again.pending_events == ()
    assert all(c.pending_events == () for c in again.cells)
    bad = {**stored, "links": [[fab.cells[0].id, fab.cells[0].id]]}
    with pytest.raises(InvariantViolated, match="to itself"):
        fab_from_dict(bad)


def test_restore_records_no_events_but_later_changes_do() -> None:
    cell = cell_from_dict(cell_to_dict(euv_cell()))
    supply = next(e for e in cell.equipment if isinstance(e, ChemicalSupply))
    etch = next(e for e in cell.equipment if isinstance(e, EtchChamber))
    cell.connect(ChemicalStream(source=supply.id, target=etch.id, chemical=PGMEA))
    assert [e.name for e in cell.collect_events()] == ["StreamConnected"]
    fab = Fab.restore(id="fab-1", name="f", cells=[cell], links=[])
    assert fab.pending_events == ()
