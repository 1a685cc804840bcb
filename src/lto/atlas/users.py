"""Users and their API keys: who may call LTO, and with which key.

A key's secret (``lto_`` followed by 43 URL-safe characters, 256 random bits) is shown once,
when it is issued; only its SHA-256 is stored, and a caller is found by the hash of what they
present. The first eight characters after ``lto_`` are kept in clear as the key's ``prefix``, so
a list of keys can say which is which. A revoked key stays on record (when, and that it was
this user's), it just no longer lets anyone in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lto.atlas.errors import InvalidValue, InvariantViolated, UnknownName
from lto.atlas.identity import new_id

ROLES = ("engineer", "operator", "admin", "service")
KEY_PREFIX = "lto_"
_NAME = re.compile(r"[\w.@-]{1,64}")
PREFIX_LENGTH = 8

# What a key or token may be allowed to do. ``*:read`` sees, ``*:write`` changes, and
# ``models:admin`` trains, promotes and rolls back the production surrogate.
SCOPES = (
    "jobs:read",
    "jobs:write",
    "tradeoffs:read",
    "optimisations:read",
    "optimisations:write",
    "models:read",
    "models:admin",
    "alerts:read",
    "alerts:write",
    "ingest:write",
    "cells:read",
    "cells:write",
)
_READ = tuple(s for s in SCOPES if s.endswith(":read"))
# What each role may ask for (a key or a token gets these, or fewer).
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "engineer": (*_READ, "jobs:write", "optimisations:write", "alerts:write"),
    "operator": (*_READ, "jobs:write", "optimisations:write", "alerts:write", "ingest:write",
                 "cells:write"),
    "admin": SCOPES,
    "service": SCOPES,
}  # fmt: skip


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def hash_key(plaintext: str) -> str:
    """The stored form of a key's secret: its SHA-256, in hex."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


@dataclass(kw_only=True)
class ApiKey:
    """One key of one user. ``scopes`` say what it may do (such as ``jobs:write``)."""

    id: str
    user_id: str
    prefix: str
    key_hash: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def matches(self, plaintext: str) -> bool:
        """Whether ``plaintext`` is this key's secret (compared in constant time)."""
        return hmac.compare_digest(hash_key(plaintext), self.key_hash)

    def allows(self, scope: str) -> bool:
        return self.active and scope in self.scopes


@dataclass(kw_only=True)
class User:
    """Someone (or, with role ``service``, something) that calls LTO; owns its API keys."""

    id: str = field(default_factory=lambda: new_id("user"))
    name: str
    email: str | None = None
    role: str = "engineer"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    disabled: bool = False
    keys: list[ApiKey] = field(default_factory=list)
    password_hash: str | None = None  # how it is hashed (Argon2) is the service layer's choice

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidValue("user.name", "must not be empty", self.name)
        if not _NAME.fullmatch(self.name):
            raise InvalidValue(
                "user.name",
                "1-64 letters, digits and . _ - @ (it is who the audit log and jobs name)",
                self.name,
            )
        if self.role not in ROLES:
            raise InvalidValue("user.role", f"must be one of {', '.join(ROLES)}", self.role)
        if self.email is not None and "@" not in self.email:
            raise InvalidValue("user.email", "must be an e-mail address", self.email)

    def issue_key(
        self, scopes: Iterable[str], *, now: datetime | None = None
    ) -> tuple[ApiKey, str]:
        """A new key and its secret. The secret is returned here and never again: only its
        hash is kept."""
        if self.disabled:
            raise InvariantViolated(f"user {self.name!r} is disabled: no new keys")
        wanted = tuple(dict.fromkeys(scopes))  # in the order given, without repeats
        if not wanted:
            raise InvalidValue("api_key.scopes", "must name at least one scope")
        for scope in wanted:
            if scope not in SCOPES:
                raise InvalidValue("api_key.scopes", f"must be among {', '.join(SCOPES)}", scope)
        beyond = [s for s in wanted if s not in self.allowed_scopes]
        if beyond:
            raise InvalidValue(
                "api_key.scopes",
                f"{_article(self.role)} {self.role} may hold {', '.join(self.allowed_scopes)} only",
                ", ".join(beyond),
            )
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(
            id=new_id("key"),
            user_id=self.id,
            prefix=secret[len(KEY_PREFIX) : len(KEY_PREFIX) + PREFIX_LENGTH],
            key_hash=hash_key(secret),
            scopes=wanted,
            created_at=now or datetime.now(UTC),
        )
        self.keys.append(key)
        return key, secret

    def key(self, key_id: str) -> ApiKey:
        for key in self.keys:
            if key.id == key_id:
                return key
        raise UnknownName("API key", key_id, [k.id for k in self.keys])

    def revoke(self, key_id: str, *, at: datetime | None = None) -> ApiKey:
        """Stop the key from working; it stays on record. Revoking twice keeps the first time."""
        key = self.key(key_id)
        if key.revoked_at is None:
            key.revoked_at = at or datetime.now(UTC)
        return key

    @property
    def allowed_scopes(self) -> tuple[str, ...]:
        return ROLE_SCOPES[self.role]

    def set_password_hash(self, password_hash: str) -> None:
        if self.disabled:
            raise InvariantViolated(f"user {self.name!r} is disabled: no new password")
        self.password_hash = password_hash

    @property
    def active_keys(self) -> list[ApiKey]:
        return [k for k in self.keys if k.active]

    def disable(self) -> None:
        """No key of a disabled user lets it in, and it gets no new ones."""
        self.disabled = True


__all__ = ["KEY_PREFIX", "ROLES", "ROLE_SCOPES", "SCOPES", "ApiKey", "User", "hash_key"]
