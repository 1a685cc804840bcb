"""Reference litho cells that the demo, the docs and the tests build on.

They follow real process flows: HMDS prime and resist coat, post-apply bake, exposure,
post-exposure bake, TMAH develop, CD-SEM, etch. The ArF-immersion cell is a 1.35 NA water
immersion scanner, the EUV cell a 0.33 NA scanner; both illuminators offer every source shape
(conventional, annular, dipole, quadrupole, freeform).
"""

from __future__ import annotations

import itertools

from lto.atlas.cell import LithoCell
from lto.atlas.compounds import HMDS, TMAH, WATER
from lto.atlas.equipment import (
    BakePlate,
    BakePurpose,
    ChemicalSupply,
    DeveloperUnit,
    Equipment,
    EtchChamber,
    ExposureTool,
    MetrologyTool,
    ResistCoater,
)
from lto.atlas.fab import Fab
from lto.atlas.materials import ARF_CAR, EUV_CAR, ResistFormulation
from lto.atlas.streams import (
    ChemicalStream,
    DeveloperStream,
    ImmersionFluidStream,
    MaterialStream,
    ResistStream,
    WaferLot,
)
from lto.atlas.technology import ARF_IMMERSION, EUV
from lto.atlas.units import Length, NumericalAperture, PartialCoherence


def _process_flow(
    cell: LithoCell, resist: ResistFormulation, thickness_nm: float, peb_c: float, lot: str
) -> dict[str, Equipment]:
    """Install the track, metrology and etch around the cell's scanner and connect the flow."""
    tools: dict[str, Equipment] = {
        "prime": ResistCoater(name="HMDS prime + coat"),
        "pab": BakePlate(
            name="post-apply bake", purpose=BakePurpose.POST_APPLY, temperature_c=105.0
        ),
        "peb": BakePlate(
            name="post-exposure bake", purpose=BakePurpose.POST_EXPOSURE, temperature_c=peb_c
        ),
        "develop": DeveloperUnit(name="puddle develop"),
        "cdsem": MetrologyTool(name="CD-SEM"),
        "etch": EtchChamber(name="plasma etch"),
        "resist": ChemicalSupply(name="resist dispense", supplies=resist),
        "tmah": ChemicalSupply(name="developer dispense", supplies=TMAH),
        "hmds": ChemicalSupply(name="HMDS vapour prime", supplies=HMDS),
    }
    for tool in tools.values():
        cell.install(tool)
    route = ["prime", "pab", None, "peb", "develop", "cdsem", "etch"]  # None: the scanner
    ids = [tools[step].id if step else cell.exposure_tool.id for step in route]
    streams: list[MaterialStream] = [
        ChemicalStream(source=tools["hmds"].id, target=tools["prime"].id, chemical=HMDS),
    ]
    streams += [WaferLot(source=a, target=b, lot_id=lot) for a, b in itertools.pairwise(ids)]
    streams += [
        ResistStream(
            source=tools["resist"].id,
            target=tools["prime"].id,
            resist=resist,
            thickness=Length(thickness_nm),
        ),
        DeveloperStream(source=tools["tmah"].id, target=tools["develop"].id),
    ]
    for stream in streams:
        cell.connect(stream)
    return tools


def arf_immersion_cell() -> LithoCell:
    scanner = ExposureTool(
        name="ArF immersion scanner",
        vendor_model="NXT:2100i-class",
        technology=ARF_IMMERSION,
        max_na=NumericalAperture(1.35),
        min_na=NumericalAperture(0.85),
        max_sigma=PartialCoherence(0.98),
    )
    cell = LithoCell("ArF-i cell 1 (M1, 80 nm pitch)", scanner)
    _process_flow(cell, ARF_CAR, thickness_nm=90.0, peb_c=100.0, lot="LOT-ARF-0001")
    water = ChemicalSupply(name="ultrapure water", supplies=WATER)
    cell.install(water)
    cell.connect(ImmersionFluidStream(source=water.id, target=scanner.id))
    return cell


def euv_cell() -> LithoCell:
    scanner = ExposureTool(
        name="EUV scanner",
        vendor_model="NXE:3800-class",
        technology=EUV,
        max_na=NumericalAperture(0.33),
        min_na=NumericalAperture(0.33),
        max_sigma=PartialCoherence(0.9),
    )
    cell = LithoCell("EUV cell 1 (M0, 32 nm pitch)", scanner)
    _process_flow(cell, EUV_CAR, thickness_nm=35.0, peb_c=90.0, lot="LOT-EUV-0001")
    return cell


def reference_fab() -> Fab:
    """A two-cell fab: EUV for the tightest layer, ArF immersion for the next one."""
    fab = Fab("reference fab")
    euv, arf = euv_cell(), arf_immersion_cell()
    fab.add_cell(euv)
    fab.add_cell(arf)
    fab.link(euv.id, arf.id)
    return fab
