"""``LtoClient``: one method per API operation, problem details as ``ApiError``.

Creating POSTs carry an ``Idempotency-Key`` (made here unless the caller passes one) and are
retried with the same key on a dropped connection or a 503, so a retry never creates twice.
GETs are retried the same way. Nothing else is retried: a 4xx is the caller's to fix.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

API = "/api/v1"
RETRIES = 3


class ApiError(Exception):
    """The API refused or failed a request; its problem details, field by field."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        self.status = status
        self.type = str(body.get("type", ""))  # https://lto.dev/problems/<kind>
        self.title = str(body.get("title", ""))
        self.detail = str(body.get("detail", ""))
        self.errors: list[dict[str, str]] = list(body.get("errors", []))
        self.request_id = body.get("request_id")
        self.retry_after: float | None = None
        super().__init__(f"{status} {self.title}: {self.detail}")


class Unreachable(ApiError):
    """No answer at all: the API is not running there, or the network is down."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(0, {"title": "unreachable", "detail": f"no API at {url} ({reason})"})


class LtoClient:
    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        retries: int = RETRIES,
    ) -> None:
        self.base_url = (
            base_url or os.environ.get("LTO_API_URL") or "http://127.0.0.1:8000"
        ).rstrip("/")
        key = api_key if api_key is not None else os.environ.get("LTO_API_KEY", "")
        headers = {"User-Agent": "lto-client"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif key:
            headers["X-API-Key"] = key
        self.retries = retries
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    # --- plumbing --------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> LtoClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        creates: bool = False,
        raw: bool = False,
    ) -> Any:
        """One call; the decoded JSON (or the response itself with ``raw``). ``creates``:
        send an Idempotency-Key, and retry with it."""
        headers = {}
        if creates or idempotency_key:
            headers["Idempotency-Key"] = idempotency_key or uuid.uuid4().hex
        retry = method == "GET" or "Idempotency-Key" in headers
        query = {k: v for k, v in (params or {}).items() if v is not None}
        for attempt in range(self.retries + 1 if retry else 1):
            try:
                response = self._http.request(
                    method, path, json=json, params=query, headers=headers
                )
            except httpx.TransportError as exc:
                if attempt >= self.retries or not retry:
                    raise Unreachable(self.base_url, type(exc).__name__) from None
                time.sleep(0.5 * 2**attempt)
                continue
            if response.status_code in (503, 409) and retry and attempt < self.retries:
                time.sleep(_retry_after(response, 0.5 * 2**attempt))
                continue
            return _answer(response, raw)
        raise AssertionError("unreachable")  # pragma: no cover

    # --- health -------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self.request("GET", f"{API}/health")  # type: ignore[no-any-return]

    def components(self) -> dict[str, Any]:
        response = self.request("GET", f"{API}/health/components", raw=True)
        return response.json()  # type: ignore[no-any-return]  # 503 too: the body says which

    def me(self) -> dict[str, Any]:
        return self.request("GET", f"{API}/auth/me")  # type: ignore[no-any-return]

    def token(self, username: str, password: str, scopes: list[str] | None = None) -> str:
        body = {"username": username, "password": password, "scopes": scopes}
        return str(self.request("POST", f"{API}/auth/token", json=body)["access_token"])

    # --- jobs ---------------------------------------------------------------------------------

    def submit_job(
        self, parameters: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        return self.request(  # type: ignore[no-any-return]
            "POST",
            f"{API}/jobs",
            json=dict(parameters),
            idempotency_key=idempotency_key,
            creates=True,
        )

    def job(self, job_id: str) -> dict[str, Any]:
        return self.request("GET", f"{API}/jobs/{job_id}")  # type: ignore[no-any-return]

    def jobs(self, *, limit: int = 50, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every job matching ``filters`` (status, submitted_by, since, until), newest first,
        page after page."""
        yield from self._pages(f"{API}/jobs", limit, filters)

    def jobs_page(
        self, *, limit: int = 50, cursor: str | None = None, **filters: Any
    ) -> dict[str, Any]:
        params = {**filters, "limit": limit, "cursor": cursor}
        return self.request("GET", f"{API}/jobs", params=params)  # type: ignore[no-any-return]

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        return self.request("POST", f"{API}/jobs/{job_id}/cancel")  # type: ignore[no-any-return]

    def review_job(self, job_id: str, decision: str, note: str = "") -> dict[str, Any]:
        body = {"decision": decision, "note": note}
        return self.request("POST", f"{API}/jobs/{job_id}/review", json=body)  # type: ignore[no-any-return]

    def report(self, job_id: str, *, html: bool = False) -> Any:
        params = {"format": "html" if html else "json"}
        response = self.request("GET", f"{API}/jobs/{job_id}/report", params=params, raw=True)
        return response.text if html else response.json()

    def plot_data(self, job_id: str) -> dict[str, Any]:
        """The numbers behind the job's pictures (aerial image, cut line, resist left, target
        mask, focus-exposure matrix and window); ``available`` false and ``note`` say why a
        job has none."""
        return self.request("GET", f"{API}/jobs/{job_id}/plot-data")  # type: ignore[no-any-return]

    def wait_for_job(
        self, job_id: str, *, timeout_s: float = 600.0, poll_s: float = 1.0
    ) -> dict[str, Any]:
        """Poll until the job is in a final state (or flagged); TimeoutError past ``timeout_s``."""
        final = {"rejected", "blocked", "cancelled", "failed", "completed", "anomaly_flagged",
                 "engineer_review", "cleared", "escalated"}  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.job(job_id)
            if job["state"] in final:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['state']} after {timeout_s:g} s")
            time.sleep(poll_s)

    # --- generic resources --------------------------------------------------------------------

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", _path(path), params=params)

    def post(self, path: str, body: Any = None, *, creates: bool = False) -> Any:
        return self.request("POST", _path(path), json=body, creates=creates)

    def pages(self, path: str, *, limit: int = 50, **filters: Any) -> Iterator[dict[str, Any]]:
        yield from self._pages(_path(path), limit, filters)

    def _pages(self, path: str, limit: int, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            page = self.request("GET", path, params={**filters, "limit": limit, "cursor": cursor})
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return


def _path(path: str) -> str:
    return path if path.startswith("/") else f"{API}/{path}"


def _retry_after(response: httpx.Response, default: float) -> float:
    try:
        return min(30.0, float(response.headers.get("retry-after", default)))
    except ValueError:
        return default


def _answer(response: httpx.Response, raw: bool) -> Any:
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            body = {"title": response.reason_phrase, "detail": response.text[:500]}
        error = ApiError(response.status_code, body if isinstance(body, dict) else {})
        error.retry_after = _retry_after(response, 0.0) or None
        raise error
    if raw:
        return response
    return response.json() if response.content else None


__all__ = ["API", "ApiError", "LtoClient", "Unreachable"]
