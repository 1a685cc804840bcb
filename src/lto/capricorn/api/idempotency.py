"""Idempotency-Key on creating POSTs, after the IETF draft (draft-ietf-httpapi-idempotency-key-header).

The policy, as docs/api.md states it to clients:

- a creating POST without the header is refused with 400 where the key is required;
- a key is the caller's own (keys of different users never meet) and is kept 24 hours;
- the same key with the same request (method, path and body, compared as JSON) gets the
  first answer again, its status and body, errors included, with ``Idempotent-Replayed: true``;
- the same key with another request is 422; while the first request is still being answered,
  409 with ``Retry-After``;
- a request whose answer is about the moment (409 a conflict with work in progress, 429 a
  quota or rate reached) releases its key: trying again runs it again;
- a request that failed on our side (a 5xx: the database went away mid-request, say) leaves
  its key to be taken over at once by a retry, which runs under the same reserved id, so that
  what the failed attempt may already have committed is found, not made twice. When even that
  cannot be written (the database is down), this process remembers it and writes it before it
  answers its next request.

The key's row is inserted, as the lock, before the request runs, with the id of what it will
create reserved in it: if the process dies mid-request, the key is taken over after
``in_flight_stale_s`` and the route finds what was already created under that id instead of
creating it twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from lto.atlas.identity import new_id
from lto.capricorn.api.auth import Principal
from lto.capricorn.api.config import ApiConfig
from lto.capricorn.api.problems import PROBLEM, Problem, translate
from lto.capricorn.repositories import IdempotencyRecord
from lto.capricorn.service.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("lto.api")

HEADER = "Idempotency-Key"
# Answers about the moment, not about the request (a quota reached, a conflict with work still
# running): not kept, so the same key may be tried again once the moment has passed.
TRANSIENT = frozenset({409, 429})
MAX_KEY_LENGTH = 200
# What a route returns: (status, JSON body). It receives the id reserved for what it creates.
Create = Callable[[str], tuple[int, dict[str, Any]]]
# The headers a successful answer carries, from its body (Location, ETag): the same on a replay.
CreatedHeaders = Callable[[dict[str, Any]], dict[str, str]]


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(
        {"method": method, "path": path, "body": body}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all(33 <= ord(c) <= 126 for c in key)


@dataclass(frozen=True)
class _Answer:
    """A route's answer before it is a response: kept as a key's answer, replayed, or sent."""

    status: int
    body: dict[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)
    replayed: bool = False


class Idempotency:
    def __init__(self, uow_factory: UnitOfWorkFactory, config: ApiConfig) -> None:
        self.uow_factory = uow_factory
        self.config = config
        self._purged = 0.0
        self._unwritten: set[tuple[str, str]] = set()  # abandoned keys the database missed
        self._lock = threading.Lock()

    def respond(
        self,
        request: Request,
        principal: Principal,
        body: Any,
        create: Create,
        *,
        id_prefix: str,
        required: bool = True,
        created_headers: CreatedHeaders | None = None,
    ) -> JSONResponse:
        """The route's answer under the Idempotency-Key policy; ``created_headers`` gives the
        headers of a 2xx answer from its body, first time or replayed."""
        answered = self._respond(request, principal, body, create, id_prefix, required)
        response = _json(answered.status, answered.body, request, replayed=answered.replayed)
        response.headers.update(answered.headers)
        if created_headers is not None and 200 <= answered.status < 300:
            response.headers.update(created_headers(answered.body))
        return response

    def _respond(
        self,
        request: Request,
        principal: Principal,
        body: Any,
        create: Create,
        id_prefix: str,
        required: bool,
    ) -> _Answer:
        key = request.headers.get(HEADER)
        if key is None:
            if required:
                raise Problem(
                    400,
                    f"this request creates something: send an {HEADER} header (a unique "
                    "string, such as a UUID) so that retrying it cannot create it twice",
                    errors=[{"field": f"header.{HEADER}", "rule": "is required"}],
                    kind="idempotency-key-missing",
                )
            return self._run(create, new_id(id_prefix))
        if not _valid_key(key):
            raise Problem(
                400,
                f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable ASCII characters without spaces",
                errors=[{"field": f"header.{HEADER}", "rule": "invalid"}],
                kind="idempotency-key-invalid",
            )
        self._purge_now_and_then()
        self._write_abandoned()
        now = datetime.now(UTC)
        path = request.url.path
        record = IdempotencyRecord(
            owner=principal.user_id,
            key=key,
            method=request.method,
            path=path,
            request_hash=request_hash(request.method, path, body),
            state="in_flight",
            created_at=now,
            resource_id=new_id(id_prefix),
        )
        try:
            resource_id = self._reserve(record, request)
        except Problem:
            raise
        except Exception:  # the reservation may have committed before the connection died
            with self._lock:
                self._unwritten.add((principal.user_id, key))
            raise
        if isinstance(resource_id, _Answer):
            return resource_id
        try:
            answered = self._run(create, resource_id)
        except BaseException:
            self._abandon(principal.user_id, key)
            raise
        if answered.status >= 500:
            self._abandon(principal.user_id, key)
        elif answered.status in TRANSIENT:
            self._release(principal.user_id, key)
        else:
            with self.uow_factory() as uow:
                uow.idempotency.complete(principal.user_id, key, answered.status, answered.body)
                uow.commit()
        return answered

    def _reserve(self, record: IdempotencyRecord, request: Request) -> str | _Answer:
        """The id to create under, or the answer to give instead of running the request."""
        with self.uow_factory() as uow:
            found = uow.idempotency.reserve(record)
            if found is not None and found.created_at < record.created_at - timedelta(
                seconds=self.config.idempotency_ttl_s
            ):  # expired, not yet purged: forget it
                uow.idempotency.purge(
                    record.created_at - timedelta(seconds=self.config.idempotency_ttl_s)
                )
                found = uow.idempotency.reserve(record)
            if found is None:
                uow.commit()
                assert record.resource_id is not None
                return record.resource_id
            if (found.method, found.path, found.request_hash) != (
                record.method,
                record.path,
                record.request_hash,
            ):
                raise Problem(
                    422,
                    f"this {HEADER} was used for a different request ({found.method} "
                    f"{found.path} with another body): use a new key for a new request",
                    kind="idempotency-key-reused",
                )
            if found.state == "done":
                assert found.status_code is not None
                return _Answer(found.status_code, found.response or {}, replayed=True)
            stale = record.created_at - timedelta(seconds=self.config.in_flight_stale_s)
            if found.created_at < stale and uow.idempotency.take_over(record, stale_before=stale):
                uow.commit()
                log.warning("idempotency key %s: taken over from a request that died", record.key)
                return found.resource_id or record.resource_id or new_id("res")
        raise Problem(
            409,
            f"a request with this {HEADER} is still being answered; try again in a moment",
            headers={"Retry-After": "1"},
            kind="idempotency-key-in-flight",
        )

    @staticmethod
    def _run(create: Create, resource_id: str) -> _Answer:
        """The route's answer, and its headers; a problem it raises is an answer too."""
        try:
            status, answer = create(resource_id)
            return _Answer(status, answer)
        except Problem as problem:
            if problem.status >= 500:
                raise
            return _Answer(problem.status, problem.body() | {"_problem": True}, problem.headers)
        except Exception as exc:
            translated = translate(exc)
            if translated is None or translated.status >= 500:
                raise
            return _Answer(
                translated.status, translated.body() | {"_problem": True}, translated.headers
            )

    def _release(self, owner: str, key: str) -> None:
        try:
            with self.uow_factory() as uow:
                uow.idempotency.release(owner, key)
                uow.commit()
        except Exception as exc:  # the key then waits out in_flight_stale_s
            log.warning("idempotency key %s not released: %s", key, exc)

    def _abandon(self, owner: str, key: str) -> None:
        try:
            self._write_abandon(owner, key)
        except Exception as exc:
            log.warning("idempotency key %s: kept to be freed once the database is back: %s",
                        key, exc)  # fmt: skip
            with self._lock:
                self._unwritten.add((owner, key))

    def _write_abandon(self, owner: str, key: str) -> None:
        stale_at = datetime.now(UTC) - timedelta(seconds=self.config.in_flight_stale_s + 1)
        with self.uow_factory() as uow:
            uow.idempotency.abandon(owner, key, stale_at=stale_at)
            uow.commit()

    def _write_abandoned(self) -> None:
        """The abandoned keys this process could not write when their requests failed (a
        retry of one may be this very request)."""
        if not self._unwritten:
            return
        with self._lock:
            pending, self._unwritten = self._unwritten, set()
        for owner, key in pending:
            try:
                self._write_abandon(owner, key)
            except Exception:
                with self._lock:
                    self._unwritten.add((owner, key))

    def _purge_now_and_then(self) -> None:
        if time.monotonic() - self._purged < 3600:
            return
        self._purged = time.monotonic()
        cutoff = datetime.now(UTC) - timedelta(seconds=self.config.idempotency_ttl_s)
        with self.uow_factory() as uow:
            purged = uow.idempotency.purge(cutoff)
            uow.commit()
        if purged:
            log.info("idempotency: %d keys older than 24 h purged", purged)


def _json(
    status: int, body: dict[str, Any], request: Request, *, replayed: bool = False
) -> JSONResponse:
    problem = bool(body.get("_problem"))
    content = {k: v for k, v in body.items() if k != "_problem"}
    if problem:  # the problem as this request met it: where, and under which id in the log
        content["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            content["request_id"] = request_id
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(
        content, status, headers=headers, media_type=PROBLEM if problem else "application/json"
    )


__all__ = ["HEADER", "Idempotency", "request_hash"]
