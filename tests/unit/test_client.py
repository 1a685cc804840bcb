"""The API client against the real app, served in this process (Starlette's TestClient is
an httpx client: its transport carries the client's requests to the app)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from lto.client import ApiError, LtoClient, Unreachable
from tests.unit.api.conftest import a_job, make_api
from tests.unit.api.running import run_queued


@pytest.fixture
def client(tmp_path: Path) -> LtoClient:
    api = make_api(tmp_path)
    transport = api.client._transport  # the app, served in this process
    return LtoClient("http://testserver", api_key=api.keys["erin"], transport=transport)


def test_submit_list_cancel_through_the_client(client: LtoClient) -> None:
    job = client.submit_job(a_job())
    assert job["state"] == "queued"
    assert client.job(job["id"])["id"] == job["id"]
    assert [j["id"] for j in client.jobs(status="queued")] == [job["id"]]
    assert client.cancel_job(job["id"])["state"] == "cancelled"
    assert client.me()["name"] == "erin"


def test_a_retried_submit_with_one_key_makes_one_job(client: LtoClient) -> None:
    first = client.submit_job(a_job(), idempotency_key="same")
    again = client.submit_job(a_job(), idempotency_key="same")
    assert first == again
    assert len(list(client.jobs())) == 1


def test_pages_are_followed(client: LtoClient) -> None:
    made = {client.submit_job(a_job())["id"] for _ in range(7)}
    assert {j["id"] for j in client.jobs(limit=2)} == made


def test_problems_become_api_errors_naming_the_field(client: LtoClient) -> None:
    with pytest.raises(ApiError) as info:
        client.submit_job(a_job(sigma=3))
    assert info.value.status == 422
    assert info.value.errors[0]["field"] == "sigma"
    with pytest.raises(ApiError) as missing:
        client.job("job-nope")
    assert missing.value.status == 404
    assert missing.value.type == "https://lto.dev/problems/not-found"


def test_no_api_there_is_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = LtoClient("http://127.0.0.1:9", transport=httpx.MockTransport(refuse), retries=1)
    with pytest.raises(Unreachable, match=r"no API at http://127\.0\.0\.1:9"):
        client.health()


def test_plot_data_through_the_client(tmp_path: Path) -> None:
    api = make_api(tmp_path)
    client = LtoClient(
        "http://testserver", api_key=api.keys["erin"], transport=api.client._transport
    )
    queued = client.plot_data(client.submit_job(a_job())["id"])
    assert (queued["available"], queued["aerial"]) == (False, None)
    assert "queued" in queued["note"]
    job = client.submit_job(a_job(dose_mj_cm2=44.0, focus_nm=0.0))
    assert run_queued(api) == 2
    data = client.plot_data(job["id"])
    assert data["available"] is True
    aerial = data["aerial"]
    assert len(aerial["intensity"]) == len(aerial["y_nm"])
    assert len(data["fem"]["cd_nm"]) == len(data["fem"]["dose_mj_cm2"])
    with pytest.raises(ApiError) as missing:
        client.plot_data("job-nope")
    assert missing.value.status == 404
