"""Opaque keyset cursors: the last row's sort key, signed (HMAC-SHA256) so that a cursor a
client edits is refused (400) rather than silently paging from somewhere else."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from lto.capricorn.api.problems import Problem


class Cursors:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"lto-cursor:" + secret.encode()).digest()

    def encode(self, kind: str, at: datetime, id: str, filters: dict[str, Any]) -> str:
        payload = json.dumps(
            {"k": kind, "t": at.isoformat(), "i": id, "f": filters},
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
        return _b64(payload) + "." + _b64(self._sign(payload))

    def decode(self, kind: str, cursor: str, filters: dict[str, Any]) -> tuple[datetime, str]:
        """The position after which the next page starts. The cursor must come from a page of
        the same listing with the same filters."""
        try:
            body, _, signature = cursor.partition(".")
            payload = _unb64(body)
            if not hmac.compare_digest(_unb64(signature), self._sign(payload)):
                raise ValueError("signature")
            data = json.loads(payload)
            if data["k"] != kind:
                raise ValueError("kind")
            position = (datetime.fromisoformat(data["t"]), str(data["i"]))
        except (ValueError, KeyError, TypeError):
            raise _tampered() from None
        if data.get("f") != filters:
            raise Problem(
                400,
                "this cursor belongs to a listing with other filters: repeat the filters of "
                "the page it came from, or start again without a cursor",
                errors=[{"field": "query.cursor", "rule": "filters differ"}],
                kind="invalid-cursor",
            )
        return position

    def after(
        self, kind: str, cursor: str | None, filters: dict[str, Any]
    ) -> tuple[datetime, str] | None:
        """Where the page asked for starts: None for the first page, else ``decode``."""
        return self.decode(kind, cursor, filters) if cursor else None

    def next(
        self, kind: str, position: tuple[datetime, str] | None, filters: dict[str, Any]
    ) -> str | None:
        """The cursor of the page after this one: None at the end, else ``encode``."""
        return self.encode(kind, position[0], position[1], filters) if position else None

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:16]


def _tampered() -> Problem:
    return Problem(
        400,
        "the cursor is not one this service issued (or it was altered): use next_cursor "
        "exactly as a page returned it",
        errors=[{"field": "query.cursor", "rule": "invalid or tampered"}],
        kind="invalid-cursor",
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


__all__ = ["Cursors"]
