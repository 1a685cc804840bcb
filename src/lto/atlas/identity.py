"""Identities of entities and aggregates."""

from __future__ import annotations

import uuid


def new_id(prefix: str) -> str:
    """A fresh identity such as ``eq-3f2a…``; the prefix makes logs and URLs readable."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class Entity:
    """Equality and hashing by identity: two entities are the same when their ``id`` is."""

    id: str

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entity) and type(other) is type(self) and other.id == self.id

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))
