"""Ingest over HTTP: simulation results run elsewhere (scored, stored, exported for training)
and wafer yield measurements (one per wafer and layer, listed a page at a time)."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from click.testing import CliRunner

from lto.atlas.lifecycle import Job
from lto.capricorn.service.accounts import issue_key
from lto.cli import cli
from tests.unit.api.conftest import Api, a_job
from tests.unit.capricorn.jobs import a_job as job_parameters

RESULTS = "/api/v1/ingest/simulation-results"
YIELD = "/api/v1/ingest/yield"
# what PROLITH-like physics reports for the conftest's ArF job at 44 mJ/cm² (LTO's physics
# gives these numbers for it)
REPORTED = {
    "cd_nm": 89.7,
    "depth_of_focus_nm": 291.5,
    "exposure_latitude_pct": 9.77,
    "best_focus_nm": 0.0,
    "dose_to_size_mj_cm2": 43.9,
    "nils": 2.1,
    "window_status": "ok",
    "compute": {"simulator": "PROLITH 2024.1", "wall_time_s": 3.0},
}
SIGNALS = {
    "resolution_vs_dof": 0.8, "yield_risk": 0.1, "speed_vs_accuracy": 0.9,
    "cost_vs_fidelity": 0.7, "surrogate_reliability": 1.0, "overall_health": 0.8,
}  # fmt: skip


def a_record(**result: Any) -> dict[str, Any]:
    return {
        "source": "fab-7 PROLITH",
        "parameters": a_job(dose_mj_cm2=44.0),
        "result": {**copy.deepcopy(REPORTED), **result},
    }


def a_measurement(**changes: Any) -> dict[str, Any]:
    measurement: dict[str, Any] = {
        "lot_id": "LOT-0042",
        "wafer_id": "W07",
        "layer": "M1",
        "measured_at": "2026-11-20T08:30:00+01:00",
        "yield_fraction": 0.93,
        "die_count": 600,
        "good_die": 558,
        "defect_density_per_cm2": 0.08,
        "cd_mean_nm": 45.2,
        "cd_sigma_nm": 1.1,
    }
    measurement.update(changes)
    return measurement


def post(api: Api, path: str, body: Any, user: str = "omar", key: str | None = None) -> Any:
    headers = api.headers(user, **{"Idempotency-Key": key or uuid.uuid4().hex})
    return api.client.post(path, json=body, headers=headers)


def fields(response: Any) -> set[str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {e["field"] for e in response.json()["errors"]}


def stored_results(api: Api) -> list[Any]:
    with api.app.uow() as uow:
        return uow.ingested.list()


def stored_yield(api: Api) -> list[Any]:
    with api.app.uow() as uow:
        return uow.yields.page(limit=1000).records


# --- simulation results -------------------------------------------------------------------------


def test_a_result_without_signals_is_scored_and_stored(api: Api) -> None:
    response = post(api, RESULTS, a_record())
    assert response.status_code == 201, response.text
    (item,) = response.json()["items"]
    assert response.json()["count"] == 1
    assert item["signals_computed"] is True
    assert item["submitted_by"] == "omar"
    scores = item["signals"]
    assert scores["surrogate_reliability"] == 1.0  # physics is ground truth to the surrogate
    assert scores["yield_risk"] < 0.05  # at dose to size, best focus, a wide window
    assert 0.8 < scores["resolution_vs_dof"] < 0.95
    assert all(0.0 <= v <= 1.0 for v in scores.values())
    (record,) = stored_results(api)
    assert record.id == item["id"]
    assert record.source == "fab-7 PROLITH"
    assert record.parameters["submitted_by"] == "omar"  # the caller, as none was given
    assert record.result["job_id"] == record.id
    assert record.result["signals"] == scores


def test_a_result_with_its_own_signals_keeps_them(api: Api) -> None:
    response = post(api, RESULTS, a_record(signals=SIGNALS, job_id="their-run-17"))
    assert response.status_code == 201, response.text
    (item,) = response.json()["items"]
    assert item["signals_computed"] is False
    assert item["signals"] == SIGNALS
    (record,) = stored_results(api)
    assert record.result["job_id"] == record.id  # their id is not ours


def test_ingesting_needs_ingest_write(api: Api) -> None:
    assert api.client.post(RESULTS, json=a_record()).status_code == 401
    assert api.client.post(YIELD, json=a_measurement()).status_code == 401
    for path, body in ((RESULTS, a_record()), (YIELD, a_measurement())):
        refused = post(api, path, body, user="erin")  # an engineer: no ingest:write
        assert refused.status_code == 403, refused.text
        assert "ingest:write" in refused.json()["detail"]
        assert post(api, path, body, user="ada").status_code == 201  # an admin may
    assert len(stored_results(api)) == 1
    assert len(stored_yield(api)) == 1


def test_every_field_breaking_the_contract_is_named_and_nothing_is_stored(api: Api) -> None:
    record = a_record(cd_nm=-3.0, depth_of_focus_nm="deep", colour="red")
    record["parameters"]["sigma"] = 1.5
    del record["result"]["compute"]["wall_time_s"]
    record["extra"] = 1
    response = post(api, RESULTS, record)
    assert response.status_code == 422
    assert fields(response) == {
        "parameters.sigma", "result.cd_nm", "result.depth_of_focus_nm", "result.colour",
        "result.compute.wall_time_s", "extra",
    }  # fmt: skip
    bad_geometry = a_record()
    bad_geometry["parameters"]["target_cd_nm"] = 200.0  # wider than the pitch
    assert fields(post(api, RESULTS, bad_geometry)) == {"parameters"}
    assert fields(post(api, RESULTS, [a_record()])) == {"body"}  # an object, not a list
    assert stored_results(api) == []


def test_what_physics_rules_out_is_refused_by_name(api: Api) -> None:
    euv_beyond_its_optics = a_record()
    euv_beyond_its_optics["parameters"].update(wavelength_nm=13.5, na=0.6, target_cd_nm=16.0,
                                               pitch_nm=32.0, grid_size_nm=1.0)  # fmt: skip
    unknown_wavelength = a_record()
    unknown_wavelength["parameters"]["wavelength_nm"] = 300.0
    unknown_profile = a_record()
    unknown_profile["parameters"]["constraint_profile"] = "X-ray"
    below_the_resolution_limit = a_record(cd_nm=50.0)
    below_the_resolution_limit["parameters"].update(pitch_nm=100.0, target_cd_nm=50.0)
    cases = {
        "result.cd_nm": a_record(cd_nm=180.0),  # as wide as the pitch
        "result.edge_placement_error_nm": a_record(edge_placement_error_nm=400.0),
        "parameters.na": euv_beyond_its_optics,
        "parameters.wavelength_nm": unknown_wavelength,
        "parameters.constraint_profile": unknown_profile,
        "result.created_at": a_record(created_at="2026-11-20T08:30:00"),  # no time zone
        "result.dose_range_mj_cm2": a_record(dose_range_mj_cm2=[50.0, 40.0]),
    }
    for field, record in cases.items():
        response = post(api, RESULTS, record)
        assert response.status_code == 422, (field, response.text)
        assert field in fields(response), (field, response.json())
    assert "result.cd_nm" in fields(post(api, RESULTS, below_the_resolution_limit))
    no_window = fields(post(api, RESULTS, a_record(window_status="no_window")))
    assert no_window == {"result.depth_of_focus_nm", "result.exposure_latitude_pct"}
    nothing = a_record(window_status="nothing_prints", depth_of_focus_nm=0.0,
                       exposure_latitude_pct=0.0)  # fmt: skip
    assert fields(post(api, RESULTS, nothing)) == {"result.cd_nm"}
    assert stored_results(api) == []


def test_a_result_without_signals_must_carry_what_scoring_needs(api: Api) -> None:
    bare = a_record()
    for name in ("depth_of_focus_nm", "best_focus_nm", "dose_to_size_mj_cm2"):
        del bare["result"][name]
    response = post(api, RESULTS, bare)
    assert response.status_code == 422
    assert fields(response) == {"result.depth_of_focus_nm"}
    bare["result"]["depth_of_focus_nm"] = 200.0
    assert fields(post(api, RESULTS, bare)) == {
        "result.best_focus_nm",
        "result.dose_to_size_mj_cm2",
    }
    bare["result"]["signals"] = SIGNALS  # scored by the sender: nothing more is needed
    assert post(api, RESULTS, bare).status_code == 201
    nothing_prints = a_record(window_status="nothing_prints", cd_nm=None)
    for name in ("depth_of_focus_nm", "exposure_latitude_pct", "best_focus_nm",
                 "dose_to_size_mj_cm2"):  # fmt: skip
        del nothing_prints["result"][name]
    answer = post(api, RESULTS, nothing_prints)
    assert answer.status_code == 201, answer.text
    assert answer.json()["items"][0]["signals"]["yield_risk"] == 1.0


def test_a_batch_is_stored_whole_or_not_at_all(api: Api) -> None:
    records = [a_record(cd_nm=88.0 + i) for i in range(5)]
    records[3]["result"]["cd_nm"] = 500.0  # wider than the pitch
    records[4]["parameters"]["na"] = 7
    response = post(api, RESULTS, {"records": records})
    assert response.status_code == 422
    assert fields(response) == {"records.3.result.cd_nm", "records.4.parameters.na"}
    assert stored_results(api) == []
    records[3]["result"]["cd_nm"] = 91.0
    records[4]["parameters"]["na"] = 0.85
    response = post(api, RESULTS, {"records": records})
    assert response.status_code == 201, response.text
    ids = [item["id"] for item in response.json()["items"]]
    assert response.json()["count"] == 5
    assert len(set(ids)) == 5
    assert [r.id for r in stored_results(api)] == sorted(ids)
    too_many = post(api, RESULTS, {"records": [a_record()] * 1001})
    assert fields(too_many) == {"records"}
    assert fields(post(api, RESULTS, {"records": []})) == {"records"}
    mixed = post(api, RESULTS, {"records": records[:1], "source": "x"})
    assert fields(mixed) == {"source"}
    assert len(stored_results(api)) == 5


def test_a_replayed_ingest_stores_once_and_answers_the_same(api: Api) -> None:
    body = {"records": [a_record(), a_record(cd_nm=90.0)]}
    first = post(api, RESULTS, body, key="batch-1")
    again = post(api, RESULTS, body, key="batch-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(stored_results(api)) == 2
    other = post(api, RESULTS, {"records": [a_record()]}, key="batch-1")
    assert other.status_code == 422
    unkeyed = api.client.post(RESULTS, json=body, headers=api.headers("omar"))
    assert unkeyed.status_code == 400
    assert len(stored_results(api)) == 2
    measurement = a_measurement()
    assert post(api, YIELD, measurement, key="y-1").status_code == 201
    replay = post(api, YIELD, measurement, key="y-1")
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert len(stored_yield(api)) == 1


def test_export_buffer_includes_the_ingested_results(api: Api) -> None:
    from lto.daedalus.dataset import load_dataset
    from lto.daedalus.training import usable_rows

    records = [a_record(), a_record(signals=SIGNALS)]
    assert post(api, RESULTS, {"records": records}).status_code == 201
    runner = CliRunner()
    out = api.app.settings.data_dir / "buffer.parquet"
    result = runner.invoke(cli, ["jobs", "export-buffer", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 jobs and 2 ingested results" in result.stdout
    data = load_dataset(out)
    assert len(data.frame) == 2
    assert data.frame["status"].tolist() == ["ok", "ok"]
    assert data.frame["profile"].tolist() == ["ArF-dry", "ArF-dry"]
    assert data.frame["yield_risk"].tolist()[1] == SIGNALS["yield_risk"]
    assert len(usable_rows(data.frame)) == 2  # every learned score present: training uses them
    assert "ingested" in data.simulator
    without = runner.invoke(cli, ["jobs", "export-buffer", "--out", str(out), "--no-ingested"])
    assert without.exit_code == 2
    assert "empty" in without.stderr


# --- yield --------------------------------------------------------------------------------------


def test_a_yield_measurement_is_stored_and_listed(api: Api) -> None:
    response = post(api, YIELD, a_measurement())
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["count"], body["created"], body["unchanged"]) == (1, 1, 0)
    (item,) = body["items"]
    assert item["status"] == "created"
    assert item["yield_fraction"] == 0.93
    assert item["submitted_by"] == "omar"
    listed = api.client.get(YIELD, headers=api.headers("erin"))  # an engineer reads yield
    assert listed.status_code == 200, listed.text
    (row,) = listed.json()["items"]
    assert row["id"] == item["id"]
    assert datetime.fromisoformat(row["measured_at"]) == datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    assert listed.json()["next_cursor"] is None


def test_reading_yield_needs_jobs_read(api: Api) -> None:
    assert api.client.get(YIELD).status_code == 401
    cells_only = issue_key(api.app.uow, "erin", ["cells:read"]).secret
    refused = api.client.get(YIELD, headers={"X-API-Key": cells_only})
    assert refused.status_code == 403
    assert "jobs:read" in refused.json()["detail"]
    assert api.client.get(YIELD, headers=api.headers("reader")).status_code == 200


def test_every_bad_yield_field_is_named(api: Api) -> None:
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    cases = {
        "yield_fraction": a_measurement(yield_fraction=1.2),
        "measured_at": a_measurement(measured_at="2026-11-20T08:30:00"),  # no time zone
        "lot_id": a_measurement(lot_id="LOT 42"),
        "cd_sigma_nm": a_measurement(cd_sigma_nm=50.0),  # larger than the mean CD
        "defect_density_per_cm2": a_measurement(defect_density_per_cm2=-1.0),
        "cd_mean_nm": a_measurement(cd_mean_nm=0.0),
        "unit": a_measurement(unit="percent"),
    }
    for field, measurement in cases.items():
        response = post(api, YIELD, measurement)
        assert response.status_code == 422, (field, response.text)
        assert fields(response) == {field}, (field, response.json())
    assert fields(post(api, YIELD, a_measurement(measured_at=future))) == {"measured_at"}
    assert fields(post(api, YIELD, a_measurement(good_die=601))) == {"good_die"}
    assert fields(post(api, YIELD, a_measurement(good_die=500))) == {"good_die"}  # ≠ 0.93
    no_count = a_measurement()
    del no_count["die_count"]
    assert fields(post(api, YIELD, no_count)) == {"good_die"}
    assert stored_yield(api) == []


def test_a_yield_batch_is_all_or_nothing(api: Api) -> None:
    batch = [a_measurement(wafer_id=f"W{i:02d}") for i in range(6)]
    batch[3]["yield_fraction"] = -0.1
    response = post(api, YIELD, {"records": batch})
    assert response.status_code == 422
    assert fields(response) == {"records.3.yield_fraction"}
    assert stored_yield(api) == []
    batch[3]["yield_fraction"] = 0.93
    clash = [*copy.deepcopy(batch), a_measurement(wafer_id="W01", yield_fraction=0.5, good_die=300)]
    assert fields(post(api, YIELD, {"records": clash})) == {"records.6"}
    response = post(api, YIELD, {"records": [*batch, copy.deepcopy(batch[2])]})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["count"], body["created"], body["unchanged"]) == (7, 6, 1)
    assert body["items"][6]["id"] == body["items"][2]["id"]  # the repeat is the same record
    assert len(stored_yield(api)) == 6


def test_a_wafer_measured_again_is_a_conflict_unless_it_is_the_same_record(api: Api) -> None:
    first = post(api, YIELD, a_measurement())
    stored_id = first.json()["items"][0]["id"]
    same = post(api, YIELD, a_measurement())  # another key: the same measurement again
    assert same.status_code == 200, same.text
    assert same.json()["items"][0] == {**first.json()["items"][0], "status": "unchanged"}
    other = post(api, YIELD, a_measurement(yield_fraction=0.5, good_die=300))
    assert other.status_code == 409
    assert stored_id in other.json()["detail"]
    assert fields(other) == {"body"}
    batch = [a_measurement(wafer_id="W99"), a_measurement(yield_fraction=0.5, good_die=300)]
    conflict = post(api, YIELD, {"records": batch})
    assert conflict.status_code == 409
    assert fields(conflict) == {"records.1"}
    assert stored_id in conflict.json()["errors"][0]["rule"]
    assert [r.id for r in stored_yield(api)] == [stored_id]  # W99 was not stored either


def test_a_measurement_names_only_jobs_and_cells_that_exist(api: Api) -> None:
    from lto.atlas.examples import euv_cell

    job, cell = Job(job_parameters()), euv_cell()
    with api.app.uow() as uow:
        uow.jobs.add(job)
        uow.cells.add(cell)
        uow.commit()
    batch = [
        a_measurement(wafer_id="W01", job_id=job.id, cell_id=cell.id),
        a_measurement(wafer_id="W02", job_id="job-nope"),
        a_measurement(wafer_id="W03", cell_id="cell-nope"),
    ]
    response = post(api, YIELD, {"records": batch})
    assert response.status_code == 422
    assert fields(response) == {"records.1.job_id", "records.2.cell_id"}
    assert stored_yield(api) == []
    assert fields(post(api, YIELD, a_measurement(job_id="job-nope"))) == {"job_id"}
    response = post(api, YIELD, {"records": batch[:1]})
    assert response.status_code == 201, response.text
    assert response.json()["items"][0]["job_id"] == job.id


def test_yield_pages_by_measurement_time_with_filters_and_signed_cursors(api: Api) -> None:
    base = datetime(2026, 11, 1, tzinfo=UTC)
    batch = [
        a_measurement(lot_id=f"LOT-{i % 2}", wafer_id=f"W{i:02d}", layer="M1" if i % 3 else "V0",
                      measured_at=(base + timedelta(hours=i // 2)).isoformat())
        for i in range(9)
    ]  # fmt: skip
    assert post(api, YIELD, {"records": batch}).status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api.client.get(YIELD, params=params, headers=api.headers("erin")).json()
        seen.extend(f"{r['lot_id']}/{r['wafer_id']}" for r in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 9
    times = [
        r["measured_at"] for r in api.client.get(YIELD, headers=api.headers("erin")).json()["items"]
    ]
    assert times == sorted(times, reverse=True)
    lot1 = api.client.get(YIELD, params={"lot_id": "LOT-1", "layer": "M1"}, headers=api.headers())
    assert {(r["lot_id"], r["layer"]) for r in lot1.json()["items"]} == {("LOT-1", "M1")}
    assert len(lot1.json()["items"]) == 3
    first = api.client.get(YIELD, params={"limit": 2}, headers=api.headers()).json()
    tampered = first["next_cursor"][:-2] + ("AA" if first["next_cursor"][-2:] != "AA" else "BB")
    bad = api.client.get(YIELD, params={"cursor": tampered}, headers=api.headers())
    assert bad.status_code == 400
    other_filter = api.client.get(
        YIELD, params={"cursor": first["next_cursor"], "layer": "M1"}, headers=api.headers()
    )
    assert other_filter.status_code == 400
    assert api.client.get(YIELD, params={"limit": 500}, headers=api.headers()).status_code == 422


def test_the_openapi_schema_describes_the_bodies_without_dangling_references(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    text = json.dumps(document)
    assert "#/$defs/" not in text
    for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        node: Any = document
        for step in ref.removeprefix("#/").split("/"):
            node = node[step]
    for path in (RESULTS, YIELD):
        body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert "anyOf" in body["schema"]
    assert "YieldPageOut" in document["components"]["schemas"]
