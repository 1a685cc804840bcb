"""Bad input against the API on the machine's real PostgreSQL: a hand-written table of
physically invalid or malformed jobs, each refused with a 4xx problem that names the field,
nothing stored, and the service still healthy after all of them. (schemathesis's negative
cases run in tests/unit/api/test_schemathesis.py.)"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.databases import fresh_database
from tests.unit.api.conftest import Api, a_job, make_api


def _raw(job: dict[str, object], **replace: str) -> bytes:
    """The job as JSON text with some values written as JSON cannot (NaN, Infinity, …)."""
    text = json.dumps(job | {k: f"@{k}@" for k in replace})
    for name, literal in replace.items():
        text = text.replace(f'"@{name}@"', literal)
    return text.encode()


# (case, body (a dict sent as JSON, or raw bytes), expected status, the field the answer names)
TABLE: list[tuple[str, dict[str, object] | bytes, int, str | None]] = [
    (
        "NA beyond ArF-immersion's 1.35",
        a_job(na=1.4, constraint_profile="ArF-immersion", resist_thickness_nm=90.0),
        422,
        "na",
    ),
    ("NA beyond any lens", a_job(na=1.7), 422, "na"),
    ("sigma above 1", a_job(sigma=1.2), 422, "sigma"),
    ("negative sigma", a_job(sigma=-0.1), 422, "sigma"),
    ("negative dose", a_job(dose_mj_cm2=-30.0), 422, "dose_mj_cm2"),
    ("zero dose", a_job(dose_mj_cm2=0), 422, "dose_mj_cm2"),
    ("pitch below the resolution limit", a_job(pitch_nm=100.0, target_cd_nm=50.0), 422, "pitch_nm"),
    ("CD wider than the pitch", a_job(target_cd_nm=200.0), 422, "target_cd_nm"),
    ("NaN dose", _raw(a_job(), dose_mj_cm2="NaN"), 422, "dose_mj_cm2"),
    ("infinite NA", _raw(a_job(), na="Infinity"), 422, "na"),
    ("negative infinite focus", _raw(a_job(), focus_nm="-Infinity"), 422, "focus_nm"),
    ("an unknown field", a_job(colour="red"), 422, "colour"),
    ("a string for a number", a_job(na="high"), 422, "na"),
    ("a list for a number", a_job(sigma=[0.7]), 422, "sigma"),
    ("a boolean for a number", a_job(pitch_nm=True), 422, "pitch_nm"),
    ("a unit that is not a length", a_job(pitch_nm="180 mJ/cm^2"), 422, "pitch_nm"),
    ("an unknown illumination", a_job(illumination="laser"), 422, "illumination"),
    ("an unknown profile", a_job(constraint_profile="ArF-wet"), 422, "constraint_profile"),
    ("a missing field", {k: v for k, v in a_job().items() if k != "na"}, 422, "na"),
    (
        "the NUL character in a free-text field",
        a_job(metadata={"note": "\u202eevil\u0000"}),
        422,
        "metadata",
    ),
    (
        "unicode in a free-text field",
        a_job(metadata={"note": "\u202e ünïcødé 日本 🙂"}),
        201,
        None,
    ),
    ("malformed JSON", b'{"na": 0.85,', 400, None),
    ("JSON that is not an object", b"[1, 2, 3]", 422, None),
    ("UTF-16 with a decimal comma", json.dumps(a_job(na="0,85")).encode("utf-16"), 422, "na"),
    ("a 10 MB body", b'{"na": 0.85, "pad": "' + b"x" * 10_000_000 + b'"}', 413, None),
]


@pytest.fixture(scope="module")
def pg_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("bad-input")
    with fresh_database("postgresql", tmp) as url:
        api = make_api(tmp, database_url=url, api_rate_limit_per_minute=1_000_000)
        with api.client:
            yield api
        api.app.engine.dispose()


def _jobs(api: Api) -> int:
    with api.app.engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT count(*) FROM jobs").scalar_one())


@pytest.mark.parametrize(("case", "body", "status", "field"), TABLE, ids=[t[0] for t in TABLE])
def test_each_bad_job_is_refused_naming_the_field_and_nothing_is_stored(
    pg_api: Api, case: str, body: dict[str, object] | bytes, status: int, field: str | None
) -> None:
    before = _jobs(pg_api)
    headers = pg_api.headers("erin", **{"Idempotency-Key": uuid.uuid4().hex})
    if isinstance(body, bytes):
        response = pg_api.client.post("/api/v1/jobs", content=body,
                                      headers=headers | {"Content-Type": "application/json"})  # fmt: skip
    else:
        response = pg_api.client.post("/api/v1/jobs", json=body, headers=headers)
    assert response.status_code == status, (case, response.text[:500])
    if status == 201:  # well formed: stored once, its text kept as it came
        assert _jobs(pg_api) == before + 1
        return
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert "Traceback" not in response.text
    assert problem["status"] == status
    if field is not None:
        named = {e["field"].split(".")[0] for e in problem.get("errors", [])}
        assert field in named, (case, problem)
        assert field in problem["detail"], (case, problem["detail"])
    assert _jobs(pg_api) == before, case  # nothing stored


def test_the_service_is_healthy_after_the_whole_table(pg_api: Api) -> None:
    for _case, body, _status, _field in TABLE:
        headers = pg_api.headers("erin", **{"Idempotency-Key": uuid.uuid4().hex})
        if isinstance(body, bytes):
            pg_api.client.post("/api/v1/jobs", content=body,
                               headers=headers | {"Content-Type": "application/json"})  # fmt: skip
        else:
            pg_api.client.post("/api/v1/jobs", json=body, headers=headers)
    health = pg_api.client.get("/api/v1/health/components").json()
    assert health["components"]["database"]["status"] == "ok"
    good = pg_api.client.post("/api/v1/jobs", json=a_job(),
                              headers=pg_api.headers("erin", **{"Idempotency-Key": uuid.uuid4().hex}))  # fmt: skip
    assert good.status_code == 201, good.text
    assert good.json()["state"] in ("queued", "blocked")


def test_a_bad_prediction_request_names_its_field_too(pg_api: Api) -> None:
    response = pg_api.client.post("/api/v1/tradeoffs/predict", content=_raw(a_job(), sigma="NaN"),
                                  headers=pg_api.headers("erin") | {"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 422
    assert any(e["field"] == "sigma" for e in response.json()["errors"])


def test_nothing_in_the_table_left_a_file_behind(pg_api: Api, tmp_path: Path) -> None:
    artifacts = Path(pg_api.app.settings.data_dir) / "artifacts"
    assert not artifacts.exists() or not any(artifacts.rglob("*.npy"))
