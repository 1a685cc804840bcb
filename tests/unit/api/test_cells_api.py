"""Litho cells over HTTP: created from a description or a template, read as a graph, listed,
and edited through the aggregate, whose rules hold after every edit; versions as ETags."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest

from lto.capricorn.service.accounts import issue_key
from tests.unit.api.conftest import Api

CELLS = "/api/v1/cells"


def krf_cell(**changes: Any) -> dict[str, Any]:
    """A small KrF cell: coat, expose, bake, develop; resist and developer dispensed."""
    cell: dict[str, Any] = {
        "name": "KrF cell 3",
        "equipment": [
            {"kind": "exposure tool", "id": "scanner", "name": "KrF scanner",
             "technology": "KrF", "max_na": 0.8, "min_na": 0.5, "max_sigma": 0.9},
            {"kind": "resist coater", "id": "coat", "name": "coater"},
            {"kind": "bake plate", "id": "peb", "name": "PEB", "purpose": "post-exposure bake",
             "temperature_c": 115},
            {"kind": "developer unit", "id": "dev", "name": "developer"},
            {"kind": "chemical supply", "id": "res", "name": "resist dispense",
             "resist": "KrF positive CAR (PHS)"},
            {"kind": "chemical supply", "id": "tmah", "name": "TMAH dispense", "compound": "TMAH"},
        ],
        "streams": [
            {"kind": "wafer lot", "id": "lot-1", "source": "coat", "target": "scanner",
             "lot_id": "LOT-K1"},
            {"kind": "wafer lot", "id": "lot-2", "source": "scanner", "target": "peb",
             "lot_id": "LOT-K1"},
            {"kind": "wafer lot", "id": "lot-3", "source": "peb", "target": "dev",
             "lot_id": "LOT-K1"},
            {"kind": "resist", "id": "resist", "source": "res", "target": "coat",
             "resist": "KrF positive CAR (PHS)", "thickness_nm": 300},
            {"kind": "developer", "id": "developer", "source": "tmah", "target": "dev"},
        ],
    }  # fmt: skip
    cell.update(changes)
    return copy.deepcopy(cell)


def create(api: Api, body: dict[str, Any], user: str = "omar", key: str | None = None) -> Any:
    headers = api.headers(user, **{"Idempotency-Key": key or uuid.uuid4().hex})
    return api.client.post(CELLS, json=body, headers=headers)


def patch(api: Api, cell_id: str, *operations: dict[str, Any], **headers: str) -> Any:
    return api.client.patch(
        f"{CELLS}/{cell_id}",
        json={"operations": list(operations)},
        headers=api.headers(headers.pop("user", "omar"), **headers),
    )


def fields(response: Any) -> set[str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {e["field"] for e in response.json()["errors"]}


def cell_count(api: Api) -> int:
    with api.app.uow() as uow:
        return len(uow.cells.list())


@pytest.fixture
def cell(api: Api) -> dict[str, Any]:
    response = create(api, krf_cell())
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_cell_is_created_from_its_description_and_read_as_a_graph(api: Api) -> None:
    response = create(api, krf_cell())
    assert response.status_code == 201, response.text
    made = response.json()
    assert response.headers["Location"] == f"{CELLS}/{made['id']}"
    assert response.headers["ETag"] == '"1"'
    assert made["technology"] == {"name": "KrF", "wavelength_nm": 248.0, "max_na": 0.93,
                                  "immersion": False}  # fmt: skip
    got = api.client.get(made["self"], headers=api.headers("erin"))  # engineers read cells
    assert got.status_code == 200
    assert got.headers["ETag"] == '"1"'
    graph = got.json()
    assert graph == made
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert set(nodes) == {"scanner", "coat", "peb", "dev", "res", "tmah"}
    assert nodes["peb"]["properties"] == {"purpose": "post-exposure bake", "temperature_c": 115.0}
    assert nodes["tmah"]["properties"]["supplies"]["cas"] == "75-59-2"
    assert nodes["scanner"]["properties"]["max_na"] == 0.8
    edges = {e["id"]: e for e in graph["edges"]}
    assert (edges["lot-2"]["source"], edges["lot-2"]["target"]) == ("scanner", "peb")
    assert edges["resist"]["properties"]["thickness"] == 300.0
    for edge in graph["edges"]:  # the process flow runs forward: the web app lays it out so
        assert nodes[edge["source"]]["step"] < nodes[edge["target"]]["step"]
    listed = api.client.get(CELLS, headers=api.headers("erin")).json()
    assert [c["id"] for c in listed["items"]] == [made["id"]]
    assert listed["items"][0]["equipment_count"] == 6
    assert listed["truncated"] is False


def test_a_cell_from_a_template(api: Api) -> None:
    for template, technology, tools in (("arf-immersion", "ArF-immersion", 11), ("euv", "EUV", 10)):
        response = create(api, {"name": f"{template} cell", "template": template})
        assert response.status_code == 201, response.text
        assert response.json()["technology"]["name"] == technology
        assert response.json()["equipment_count"] == tools
    both = create(api, krf_cell(template="euv"))
    assert fields(both) == {"template"}
    assert fields(create(api, {"name": "x", "template": "krf"})) == {"template"}
    names = api.client.get(CELLS, params={"name": "EUV"}, headers=api.headers()).json()
    assert [c["name"] for c in names["items"]] == ["euv cell"]
    capped = api.client.get(CELLS, params={"limit": 1}, headers=api.headers()).json()
    assert len(capped["items"]) == 1
    assert capped["truncated"] is True


def test_cells_need_their_scopes(api: Api, cell: dict[str, Any]) -> None:
    assert api.client.get(CELLS).status_code == 401
    assert api.client.get(cell["self"]).status_code == 401
    assert api.client.post(CELLS, json=krf_cell()).status_code == 401
    assert api.client.patch(cell["self"], json={"operations": []}).status_code == 401
    jobs_only = {"X-API-Key": issue_key(api.app.uow, "erin", ["jobs:read"]).secret}
    assert api.client.get(CELLS, headers=jobs_only).status_code == 403
    assert api.client.get(cell["self"], headers=jobs_only).status_code == 403
    refused = create(api, krf_cell(), user="erin")  # an engineer: cells:read, not cells:write
    assert refused.status_code == 403
    assert "cells:write" in refused.json()["detail"]
    rename = {"op": "rename", "name": "mine now"}
    assert patch(api, cell["id"], rename, user="erin").status_code == 403
    assert cell_count(api) == 1
    assert patch(api, cell["id"], rename, user="ada").status_code == 200


def test_every_bad_field_is_named_and_nothing_is_stored(api: Api) -> None:
    body = krf_cell(colour="red")
    body["equipment"][1]["max_spin_rpm"] = "fast"
    body["equipment"][2]["temperature_c"] = "hot"
    body["equipment"][3]["kind"] = "plasma gun"
    body["streams"][0]["wafer_count"] = 26
    del body["streams"][3]["thickness_nm"]
    response = create(api, body)
    assert response.status_code == 422
    assert fields(response) == {
        "colour", "equipment.1.max_spin_rpm", "equipment.2.temperature_c",
        "equipment.3.kind", "streams.0.wafer_count", "streams.3.thickness_nm",
    }  # fmt: skip
    assert fields(create(api, {"name": "x", "equipment": {"not": "a list"}})) == {"equipment"}
    assert cell_count(api) == 0


def cell_with(change: Any) -> dict[str, Any]:
    body = krf_cell()
    change(body)
    return body


RULES: list[tuple[str, Any, str]] = [
    ("equipment.2.temperature_c", lambda b: b["equipment"][2].update(temperature_c=900), "°C"),
    ("equipment.0.technology", lambda b: b["equipment"][0].update(technology="X-ray"), "known"),
    ("equipment.0.max_na", lambda b: b["equipment"][0].update(max_na=1.2), "at most NA"),
    ("equipment.5.compound", lambda b: b["equipment"][5].update(compound="unobtainium"), "known"),
    ("equipment.4.resist", lambda b: b["equipment"][4].update(resist="ink"), "known"),
    ("equipment.4", lambda b: b["equipment"][4].update(compound="TMAH"), "exactly one of"),
    ("equipment", lambda b: b["equipment"].pop(0), "exactly one exposure tool"),
    ("equipment.6", lambda b: b["equipment"].append({**b["equipment"][0], "id": "s2"}), "exactly one exposure tool"),
    ("equipment.3.id", lambda b: b["equipment"][3].update(id="coat"), "already installed"),
    ("streams.1.target", lambda b: b["streams"][1].update(target="oven"), "names no equipment"),
    ("streams.4.id", lambda b: b["streams"][4].update(id="resist"), "already connected"),
    ("streams.3", lambda b: b["streams"][3].update(target="dev"), "must go to a resist coater"),
    ("streams.3", lambda b: b["streams"][3].update(resist="EUV positive CAR (PHS)"), "not made for KrF"),
    ("streams.4.developer", lambda b: b["streams"][4].update(developer="water"), "must be a developer"),
    ("streams.5", lambda b: b["streams"].append({"kind": "wafer lot", "source": "dev", "target": "coat", "lot_id": "L"}), "must not loop"),
    ("streams.5", lambda b: b["streams"].append({"kind": "immersion fluid", "source": "tmah", "target": "scanner"}), "dry"),
]  # fmt: skip


@pytest.mark.parametrize(("field", "change", "rule"), RULES, ids=[r[0] + ":" + r[2] for r in RULES])
def test_every_rule_of_a_cell_is_named_and_nothing_is_stored(
    api: Api, field: str, change: Any, rule: str
) -> None:
    response = create(api, cell_with(change))
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == field
    assert rule in error["rule"], error
    assert cell_count(api) == 0


def test_creating_is_idempotent(api: Api) -> None:
    first = create(api, krf_cell(), key="cell-1")
    again = create(api, krf_cell(), key="cell-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert create(api, krf_cell(name="other"), key="cell-1").status_code == 422
    assert api.client.post(CELLS, json=krf_cell(), headers=api.headers("omar")).status_code == 400
    assert cell_count(api) == 1


def test_edits_go_through_the_aggregate_and_move_the_version(
    api: Api, cell: dict[str, Any]
) -> None:
    response = patch(
        api, cell["id"],
        {"op": "rename", "name": "KrF cell 3 (with metrology)"},
        {"op": "install", "equipment": {"kind": "metrology tool", "id": "sem", "name": "CD-SEM"}},
        {"op": "connect", "stream": {"kind": "wafer lot", "id": "lot-4", "source": "dev",
                                     "target": "sem", "lot_id": "LOT-K1"}},
        {"op": "disconnect", "stream_id": "developer"},
        {"op": "remove", "equipment_id": "tmah"},
        **{"If-Match": '"1"'},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    edited = response.json()
    assert response.headers["ETag"] == '"2"'
    assert edited["version"] == 2
    assert edited["name"] == "KrF cell 3 (with metrology)"
    assert {n["id"] for n in edited["nodes"]} == {"scanner", "coat", "peb", "dev", "res", "sem"}
    assert "developer" not in {e["id"] for e in edited["edges"]}
    assert api.client.get(cell["self"], headers=api.headers()).json() == edited
    with api.app.uow() as uow:
        actions = [a.action for a in uow.records.audit("cell", cell["id"])]
    assert actions[-5:] == ["CellRenamed", "EquipmentInstalled", "StreamConnected",
                            "StreamDisconnected", "EquipmentRemoved"]  # fmt: skip


EDITS: list[tuple[str, list[dict[str, Any]], str]] = [
    ("operations.1", [{"op": "rename", "name": "x"}, {"op": "remove", "equipment_id": "scanner"}], "disconnect them first"),
    ("operations.0.equipment_id", [{"op": "remove", "equipment_id": "nope"}], "no equipment"),
    ("operations.0.stream_id", [{"op": "disconnect", "stream_id": "nope"}], "no stream"),
    ("operations.2", [{"op": "disconnect", "stream_id": "lot-1"}, {"op": "disconnect", "stream_id": "lot-2"},
                      {"op": "remove", "equipment_id": "scanner"}], "exactly one exposure tool"),
    ("operations.0.equipment", [{"op": "install", "equipment": {"kind": "exposure tool", "name": "2nd",
                                 "technology": "KrF", "max_na": 0.8}}], "exactly one exposure tool"),
    ("operations.0.stream", [{"op": "connect", "stream": {"kind": "wafer lot", "source": "dev",
                              "target": "coat", "lot_id": "L"}}], "must not loop"),
    ("operations.0.stream.target", [{"op": "connect", "stream": {"kind": "resist", "source": "res",
                                     "target": "oven", "resist": "KrF positive CAR (PHS)",
                                     "thickness_nm": 200}}], "names no equipment"),
    ("operations.0.equipment.id", [{"op": "install", "equipment": {"kind": "etch chamber", "id": "dev",
                                    "name": "etch"}}], "already installed"),
    ("operations.0.name", [{"op": "rename", "name": ""}], "must not be empty"),
    ("operations.0.op", [{"op": "paint", "colour": "red"}], "does not match"),
    ("operations.1.equipment.purpose", [{"op": "rename", "name": "x"},
                                        {"op": "install", "equipment": {"kind": "bake plate", "name": "b"}}], "required"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "operations", "rule"), EDITS, ids=[e[0] + ":" + e[2] for e in EDITS]
)
def test_an_edit_that_breaks_a_rule_changes_nothing(
    api: Api, cell: dict[str, Any], field: str, operations: list[dict[str, Any]], rule: str
) -> None:
    response = patch(api, cell["id"], *operations)
    assert response.status_code == 422, response.text
    assert field in fields(response), response.json()
    assert any(rule in e["rule"] for e in response.json()["errors"]), response.json()
    after = api.client.get(cell["self"], headers=api.headers())
    assert after.json() == cell  # not renamed, not changed, same version
    assert after.headers["ETag"] == '"1"'


def test_an_edit_needs_operations_and_a_cell(api: Api, cell: dict[str, Any]) -> None:
    assert fields(patch(api, cell["id"])) == {"operations"}
    empty = api.client.patch(cell["self"], json={}, headers=api.headers("omar"))
    assert fields(empty) == {"operations"}
    missing = patch(api, "cell-nope", {"op": "rename", "name": "x"})
    assert missing.status_code == 404
    assert api.client.get(f"{CELLS}/cell-nope", headers=api.headers()).status_code == 404


def test_if_match_refuses_an_edit_of_a_stale_version(api: Api, cell: dict[str, Any]) -> None:
    rename = {"op": "rename", "name": "first"}
    assert patch(api, cell["id"], rename, **{"If-Match": 'W/"1"'}).status_code == 200
    stale = patch(api, cell["id"], {"op": "rename", "name": "second"}, **{"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["ETag"] == '"2"'
    assert 'current version ("2")' in stale.json()["detail"]
    assert patch(api, cell["id"], rename, **{"If-Match": "garbage"}).status_code == 412
    current = patch(api, cell["id"], {"op": "rename", "name": "third"}, **{"If-Match": '"2"'})
    assert current.status_code == 200
    assert current.headers["ETag"] == '"3"'
    assert (
        patch(api, cell["id"], {"op": "rename", "name": "any"}, **{"If-Match": "*"}).status_code
        == 200
    )
    assert api.client.get(cell["self"], headers=api.headers()).json()["name"] == "any"


def test_an_edit_racing_another_is_a_conflict(
    api: Api, cell: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another edit committed between this request's read and its write (the read is made
    stale here, as a slower request's would be): 409, and the other edit is not lost."""
    from lto.capricorn.api.routes import cells as route

    assert patch(api, cell["id"], {"op": "rename", "name": "someone else's"}).status_code == 200
    checked = route._precondition

    def read_before_that_edit(if_match: str | None, loaded: Any) -> None:
        loaded.version -= 1
        checked(if_match, loaded)

    monkeypatch.setattr(route, "_precondition", read_before_that_edit)
    response = patch(api, cell["id"], {"op": "rename", "name": "mine"})
    assert response.status_code == 409, response.text
    assert "another transaction" in response.json()["detail"]
    monkeypatch.undo()
    stored = api.client.get(cell["self"], headers=api.headers()).json()
    assert (stored["name"], stored["version"]) == ("someone else's", 2)
