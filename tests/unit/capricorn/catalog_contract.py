"""One test class for the catalog's repositories (cells, fabs, users, model versions), run
against the in-memory fakes (tests/unit/capricorn/test_catalog.py) and SQLAlchemy on SQLite and
PostgreSQL (tests/integration/test_sql_catalog.py). Subclasses provide ``make_uow`` (a factory
of units of work on one fresh, empty database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lto.atlas.cell import LithoCell
from lto.atlas.equipment import BakePlate, BakePurpose, MetrologyMethod, MetrologyTool
from lto.atlas.errors import InvariantViolated
from lto.atlas.examples import arf_immersion_cell, euv_cell
from lto.atlas.fab import Fab
from lto.atlas.streams import WaferLot
from lto.atlas.users import User, hash_key
from lto.capricorn.adapters.cell_mapping import cell_to_dict, fab_to_dict
from lto.capricorn.repositories import ConcurrentUpdate, DuplicateName, ModelVersionRecord
from tests.unit.capricorn.uow_contract import Factory


def fields_of(items: list[Any]) -> list[tuple[type, dict[str, Any]]]:
    return [(type(item), vars(item)) for item in items]


def stored_cell(make_uow: Factory) -> LithoCell:
    cell = arf_immersion_cell()
    with make_uow() as uow:
        uow.cells.add(cell)
        uow.commit()
    return cell


class CatalogContract:
    @pytest.fixture
    def make_uow(self) -> Factory:
        raise NotImplementedError

    # --- cells ----------------------------------------------------------------------------

    def test_a_cell_with_equipment_and_streams_reads_back_equal(self, make_uow: Factory) -> None:
        cell = stored_cell(make_uow)
        with make_uow() as uow:
            again = uow.cells.get(cell.id)
            assert again is not None
            assert uow.cells.get(cell.id) is again
            listed = uow.cells.list()
            names = [r.name for r in uow.records.unsent(limit=1000)]
        assert again is not cell
        assert cell_to_dict(again) == cell_to_dict(cell)
        assert fields_of(again.equipment) == fields_of(cell.equipment)  # kinds and every field
        assert fields_of(again.streams) == fields_of(cell.streams)
        assert again.describe() == cell.describe()
        assert again.version == 1
        assert again.pending_events == ()  # loading records nothing
        assert [c.id for c in listed] == [cell.id]
        assert names.count("EquipmentInstalled") == len(cell.equipment)
        assert names.count("StreamConnected") == len(cell.streams)

    def test_a_change_to_a_cell_is_stored_and_moves_its_version(self, make_uow: Factory) -> None:
        cell = stored_cell(make_uow)
        with make_uow() as uow:
            loaded = uow.cells.get(cell.id)
            assert loaded is not None
            loaded.install(MetrologyTool(name="overlay", method=MetrologyMethod.OVERLAY))
            uow.commit()
        with make_uow() as uow:
            again = uow.cells.get(cell.id)
            assert again is not None
            uow.commit()  # read, unchanged: nothing written
        with make_uow() as uow:
            same = uow.cells.get(cell.id)
            assert same is not None
        assert same.version == 2
        tool = next(e for e in same.equipment if e.name == "overlay")
        assert isinstance(tool, MetrologyTool)
        assert tool.method is MetrologyMethod.OVERLAY

    def test_a_concurrent_update_of_a_cell_is_refused_and_writes_nothing(
        self, make_uow: Factory
    ) -> None:
        cell = stored_cell(make_uow)
        with make_uow() as uow:
            mine = uow.cells.get(cell.id)
            assert mine is not None
            mine.install(BakePlate(name="hard bake", purpose=BakePurpose.HARD))
            uow.commit()
        # a stale copy (read before that commit) cannot overwrite it
        with make_uow() as uow:
            stale = uow.cells.get(cell.id)
            assert stale is not None
            stale.version -= 1
            stale.install(MetrologyTool(name="late"))
            with pytest.raises(ConcurrentUpdate):
                uow.commit()
        with make_uow() as uow:
            stored = uow.cells.get(cell.id)
            assert stored is not None
            assert stored.version == 2
            assert {e.name for e in stored.equipment} >= {"hard bake"}
            assert "late" not in {e.name for e in stored.equipment}
            assert [r.name for r in uow.records.unsent(limit=1000)].count(
                "EquipmentInstalled"
            ) == len(cell.equipment) + 1

    def test_a_missing_cell_is_none(self, make_uow: Factory) -> None:
        with make_uow() as uow:
            assert uow.cells.get("cell-missing") is None
            assert uow.fabs.get("fab-missing") is None
            assert uow.cells.list() == []

    # --- fabs -----------------------------------------------------------------------------

    def test_a_fab_with_two_linked_cells_reads_back(self, make_uow: Factory) -> None:
        fab, euv, arf = Fab("reference fab"), euv_cell(), arf_immersion_cell()
        with make_uow() as uow:
            uow.fabs.add(fab)
            fab.add_cell(euv)  # never added to uow.cells: stored with the fab
            fab.add_cell(arf)
            fab.link(euv.id, arf.id)
            fab.link(arf.id, euv.id)
            events = uow.commit()
        names = [e.name for e in events]
        assert names.count("CellAddedToFab") == 2
        assert names.count("CellsLinked") == 2
        assert names.count("EquipmentInstalled") == len(euv.equipment) + len(arf.equipment)
        with make_uow() as uow:
            again = uow.fabs.get(fab.id)
            assert again is not None
            assert uow.cells.get(euv.id) is again.cell(euv.id)  # one object per cell
            assert {c.id for c in uow.cells.list()} == {euv.id, arf.id}
        assert fab_to_dict(again) == fab_to_dict(fab)
        assert sorted(again.routes()) == sorted(fab.routes())
        assert again.version == 1
        assert again.pending_events == ()
        for original in (euv, arf):
            assert fields_of(again.cell(original.id).equipment) == fields_of(original.equipment)
            assert fields_of(again.cell(original.id).streams) == fields_of(original.streams)

    def test_a_cell_joins_a_stored_fab_and_both_change_together(self, make_uow: Factory) -> None:
        fab, euv = Fab("f"), euv_cell()
        fab.add_cell(euv)
        with make_uow() as uow:
            uow.fabs.add(fab)
            uow.commit()
        third = arf_immersion_cell()
        with make_uow() as uow:
            loaded = uow.fabs.get(fab.id)
            assert loaded is not None
            loaded.add_cell(third)
            loaded.link(euv.id, third.id)
            member = loaded.cell(euv.id)
            tool = member.exposure_tool.id
            bake = BakePlate(name="extra PEB", purpose=BakePurpose.POST_EXPOSURE)
            member.install(bake)
            member.connect(WaferLot(source=tool, target=bake.id, lot_id="L9"))
            uow.commit()
        with make_uow() as uow:
            again = uow.fabs.get(fab.id)
            assert again is not None
        assert {c.id for c in again.cells} == {euv.id, third.id}
        assert again.routes() == [(euv.id, third.id)]
        assert again.version == 2
        assert again.cell(euv.id).version == 2
        assert "extra PEB" in {e.name for e in again.cell(euv.id).equipment}

    def test_a_cell_belongs_to_one_fab_at_most(self, make_uow: Factory) -> None:
        cell, first = euv_cell(), Fab("first")
        first.add_cell(cell)
        with make_uow() as uow:
            uow.fabs.add(first)
            uow.commit()
        with make_uow() as uow:
            member = uow.cells.get(cell.id)
            assert member is not None
            second = Fab("second")
            second.add_cell(member)
            uow.fabs.add(second)
            with pytest.raises(InvariantViolated, match="one fab at most"):
                uow.commit()
        with make_uow() as uow:
            assert uow.fabs.get(second.id) is None
            stored = uow.fabs.get(first.id)
            assert stored is not None
            assert [c.id for c in stored.cells] == [cell.id]

    def test_a_concurrent_update_of_a_fab_is_refused(self, make_uow: Factory) -> None:
        fab, a, b = Fab("f"), euv_cell(), arf_immersion_cell()
        fab.add_cell(a)
        fab.add_cell(b)
        with make_uow() as uow:
            uow.fabs.add(fab)
            uow.commit()
        with make_uow() as uow:
            stale = uow.fabs.get(fab.id)
            assert stale is not None
            stale.version -= 1
            stale.link(a.id, b.id)
            with pytest.raises(ConcurrentUpdate):
                uow.commit()
        with make_uow() as uow:
            stored = uow.fabs.get(fab.id)
            assert stored is not None
            assert stored.routes() == []

    # --- users and API keys ---------------------------------------------------------------

    def test_a_user_and_an_issued_key_are_found_by_hash(self, make_uow: Factory) -> None:
        ada = User(name="ada", email="ada@fab.example", role="engineer")
        key, secret = ada.issue_key(["jobs:read", "jobs:write"])
        with make_uow() as uow:
            uow.users.add(ada)
            uow.commit()
        with make_uow() as uow:
            found = uow.users.key_by_hash(hash_key(secret))
            assert found is not None
            owner = uow.users.get(found.user_id)
            assert owner is not None
            assert any(k is found for k in owner.keys)  # the user's own key object
            assert uow.users.by_name("ada") is owner
            assert uow.users.by_name("nobody") is None
            assert uow.users.key_by_hash(hash_key("lto_wrong")) is None
            used = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
            found.last_used_at = used
            uow.commit()
        assert found == replace(key, last_used_at=used)
        assert found.scopes == ("jobs:read", "jobs:write")
        assert found.matches(secret)
        assert (owner.name, owner.email, owner.role, owner.disabled) == (
            "ada",
            "ada@fab.example",
            "engineer",
            False,
        )
        assert owner.created_at == ada.created_at
        with make_uow() as uow:
            again = uow.users.key_by_hash(key.key_hash)
            assert again is not None
            assert again.last_used_at == used

    def test_a_revoked_key_is_still_stored_with_its_time(self, make_uow: Factory) -> None:
        ops = User(name="ops-bot", role="service")
        old, old_secret = ops.issue_key(["jobs:read"])
        with make_uow() as uow:
            uow.users.add(ops)
            uow.commit()
        revoked_at = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
        with make_uow() as uow:
            user = uow.users.by_name("ops-bot")
            assert user is not None
            user.revoke(old.id, at=revoked_at)
            new, new_secret = user.issue_key(["jobs:read", "alerts:read"])
            uow.commit()
        with make_uow() as uow:
            gone = uow.users.key_by_hash(hash_key(old_secret))
            kept = uow.users.key_by_hash(hash_key(new_secret))
            user = uow.users.get(ops.id)
            everyone = uow.users.list()
        assert gone is not None
        assert gone.revoked_at == revoked_at
        assert not gone.active
        assert kept is not None
        assert kept.active
        assert kept.id == new.id
        assert user is not None
        assert {k.id for k in user.keys} == {old.id, new.id}
        assert [k.id for k in user.active_keys] == [new.id]
        assert [u.name for u in everyone] == ["ops-bot"]

    def test_a_duplicate_user_name_is_refused(self, make_uow: Factory) -> None:
        with make_uow() as uow:
            uow.users.add(User(name="ada"))
            uow.commit()
        with make_uow() as uow:
            uow.users.add(User(name="ada", role="admin"))
            with pytest.raises(DuplicateName, match="ada"):
                uow.commit()
        with make_uow() as uow:
            uow.users.add(User(name="grace"))
            uow.users.add(User(name="grace"))
            with pytest.raises(DuplicateName, match="grace"):
                uow.commit()
        with make_uow() as uow:
            users = uow.users.list()
        assert [(u.name, u.role) for u in users] == [("ada", "engineer")]

    # --- model versions -------------------------------------------------------------------

    def test_model_versions_upsert_and_move_their_aliases(self, make_uow: Factory) -> None:
        t0 = datetime(2026, 12, 1, tzinfo=UTC)
        first = ModelVersionRecord(
            "lto-surrogate",
            "1",
            "READY",
            aliases=("champion",),
            metrics={"mae": 0.04, "coverage": 0.95},
            source="runs:/a1/model",
            created_at=t0,
        )
        second = ModelVersionRecord(
            "lto-surrogate", "2", "READY", aliases=("challenger",), created_at=t0 + timedelta(1)
        )
        with make_uow() as uow:
            uow.model_versions.upsert(first)
            uow.model_versions.upsert(second)
            uow.commit()
        with make_uow() as uow:
            assert uow.model_versions.get("lto-surrogate", "1") == first
            assert uow.model_versions.get("lto-surrogate", "3") is None
            champion = uow.model_versions.by_alias("lto-surrogate", "champion")
            assert champion is not None
            assert champion.version == "1"
            # promotion: version 2 takes the champion alias, version 1 keeps the previous one
            later = t0 + timedelta(5)
            promoted = uow.model_versions.upsert(
                ModelVersionRecord(
                    "lto-surrogate",
                    "2",
                    "READY",
                    aliases=("champion",),
                    metrics={"mae": 0.03},
                    created_at=later,
                )
            )
            assert promoted.created_at == second.created_at  # the first sighting's time stays
            uow.model_versions.upsert(
                ModelVersionRecord(
                    "lto-surrogate", "1", "READY", aliases=("previous_champion",), created_at=later
                )
            )
            uow.commit()
        with make_uow() as uow:
            listed = uow.model_versions.list("lto-surrogate")
            everything = uow.model_versions.list()
            champion = uow.model_versions.by_alias("lto-surrogate", "champion")
            challenger = uow.model_versions.by_alias("lto-surrogate", "challenger")
            assert uow.model_versions.list("other-model") == []
        assert [(r.version, r.aliases) for r in listed] == [
            ("1", ("previous_champion",)),
            ("2", ("champion",)),
        ]
        assert everything == listed
        assert champion is not None
        assert champion.metrics == {"mae": 0.03}
        assert champion.created_at == second.created_at
        assert listed[0].source == ""  # an upsert replaces the source too
        assert challenger is None

    def test_a_model_version_upsert_without_commit_is_not_kept(self, make_uow: Factory) -> None:
        with make_uow() as uow:
            uow.model_versions.upsert(ModelVersionRecord("m", "1", "READY"))
            assert uow.model_versions.get("m", "1") is not None  # visible in its own transaction
        with make_uow() as uow:
            assert uow.model_versions.get("m", "1") is None
