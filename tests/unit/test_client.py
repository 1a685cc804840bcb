"""The API client against the real app, served in this process (Starlette's TestClient is
an httpx client: its transport carries the client's requests to the app)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from lto.client import ApiError, LtoClient, Unreachable
from tests.unit.api.conftest import a_job, make_api


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


def test_no_api_there_is_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = LtoClient("http://127.0.0.1:9", transport=httpx.MockTransport(refuse), retries=1)
    with pytest.raises(Unreachable, match=r"no API at http://127\.0\.0\.1:9"):
        client.health()
