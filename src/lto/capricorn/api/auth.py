"""Who is calling: an API key (``X-API-Key: lto_…``, or ``Authorization: Bearer lto_…``) or a
JWT bearer token from ``POST /api/v1/auth/token``; and what they may do (scopes).

Keys are looked up by the SHA-256 of what was presented and then compared in constant time;
tokens are HS256 only (``alg: none`` and every other algorithm are refused), with an issuer, an
audience and an expiry that must all be present. A user disabled, or a key revoked, stops
working within ``credential_cache_s`` (answers are cached that long, per credential).
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lto.atlas.users import (
    KEY_PREFIX,
    ApiKey,
    User,
    _article,
    hash_key,
)
from lto.capricorn.api.config import ApiConfig
from lto.capricorn.api.problems import Problem
from lto.capricorn.service.unit_of_work import UnitOfWorkFactory

ISSUER = "lto"
AUDIENCE = "lto-api"
ALGORITHM = "HS256"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="lto", error="invalid_token"'}


@dataclass(frozen=True)
class Principal:
    user_id: str
    name: str
    role: str
    scopes: frozenset[str]
    credential: str  # "key:<prefix>" or "token:<jti>": what the logs may name

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Problem(
                403,
                f"this credential lacks the scope {scope!r} (it has: "
                f"{', '.join(sorted(self.scopes)) or 'none'})",
                kind="missing-scope",
            )

    def acting_as(self, asked: str | None, verb: str = "submit") -> str:
        """Whose job this is: the caller's own, or (operators, admins and services, on
        someone's behalf) the ``submitted_by`` asked for."""
        if asked is None or asked == self.name:
            return self.name
        if self.sees_everything:
            return asked
        raise Problem(
            403,
            f"you {verb} as yourself ({self.name!r}), not as {asked!r}",
            errors=[{"field": "submitted_by", "rule": "must be the caller"}],
            kind="not-yours",
        )

    @property
    def sees_everything(self) -> bool:
        """Operators, admins and services see every user's jobs and runs; engineers their own."""
        return self.role in ("operator", "admin", "service")


def unauthorized(detail: str) -> Problem:
    return Problem(401, detail, headers=_CHALLENGE, kind="unauthenticated")


class Authenticator:
    def __init__(self, uow_factory: UnitOfWorkFactory, config: ApiConfig) -> None:
        self.uow_factory = uow_factory
        self.config = config
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    # --- what the request presents -------------------------------------------------------

    def cached(self, headers: Any) -> Principal | None:
        """The caller if their credential was checked within ``credential_cache_s``, else
        None (then ``authenticate``, which may ask the database)."""
        key = headers.get("x-api-key")
        if key is None:
            scheme, _, value = (headers.get("authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                return None
            value = value.strip()
            if not value.startswith(KEY_PREFIX):
                return self._cached("t" + hashlib.sha256(value.encode()).hexdigest())
            key = value
        return self._cached(hash_key(key.strip()))

    def authenticate(self, headers: Any) -> Principal:
        key = headers.get("x-api-key")
        authorization = headers.get("authorization") or ""
        scheme, _, value = authorization.partition(" ")
        if key is None and scheme.lower() == "bearer":
            value = value.strip()
            if value.startswith(KEY_PREFIX):
                key = value
            elif value:
                return self._token(value)
        if key is not None:
            return self._key(key.strip())
        if authorization:
            raise unauthorized("Authorization must be 'Bearer <token or API key>'")
        raise unauthorized(
            "credentials required: an API key in X-API-Key, or 'Authorization: Bearer <token>'"
        )

    def _key(self, presented: str) -> Principal:
        if not presented.startswith(KEY_PREFIX) or len(presented) > 200:
            raise unauthorized("that is not an LTO API key (they start with 'lto_')")
        digest = hash_key(presented)
        cached = self._cached(digest)
        if cached is not None:
            return cached
        with self.uow_factory() as uow:
            key = uow.users.key_by_hash(digest)
            user = uow.users.get(key.user_id) if key is not None else None
        if key is None or user is None or not key.matches(presented):
            raise unauthorized("unknown API key")
        if not key.active:
            raise unauthorized("this API key was revoked")
        if user.disabled:
            raise unauthorized(f"user {user.name!r} is disabled")
        principal = self._principal(user, key.scopes, f"key:{key.prefix}")
        self._remember(digest, principal)
        return principal

    def _token(self, token: str) -> Principal:
        import jwt

        digest = "t" + hashlib.sha256(token.encode()).hexdigest()
        cached = self._cached(digest)
        if cached is not None:
            return cached
        try:
            claims = jwt.decode(
                token,
                self.config.jwt_secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "jti", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("the token has expired: ask for a new one") from None
        except jwt.InvalidTokenError as exc:
            raise unauthorized(f"invalid token ({exc})") from None
        with self.uow_factory() as uow:
            user = uow.users.get(str(claims["sub"]))
        if user is None:
            raise unauthorized("the token's user no longer exists")
        if user.disabled:
            raise unauthorized(f"user {user.name!r} is disabled")
        scopes = [s for s in claims.get("scopes", []) if isinstance(s, str)]
        principal = self._principal(user, scopes, f"token:{claims['jti']}")
        self._remember(digest, principal, until=float(claims["exp"]))
        return principal

    @staticmethod
    def _principal(user: User, scopes: Any, credential: str) -> Principal:
        allowed = frozenset(s for s in scopes if s in user.allowed_scopes)
        return Principal(user.id, user.name, user.role, allowed, credential)

    # --- tokens ------------------------------------------------------------------------------

    def issue_token(
        self, user: User, scopes: list[str] | None = None
    ) -> tuple[str, int, list[str]]:
        """A signed token for ``user`` with ``scopes`` (all its role allows when None)."""
        import jwt

        allowed = list(user.allowed_scopes)
        wanted = allowed if not scopes else list(dict.fromkeys(scopes))
        beyond = [s for s in wanted if s not in allowed]
        if beyond:
            raise Problem(
                403,
                f"{_article(user.role)} {user.role} may not hold {', '.join(beyond)} (allowed: {', '.join(allowed)})",
                kind="missing-scope",
            )
        now = int(time.time())
        ttl = self.config.jwt_ttl_s
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": user.id,
            "name": user.name,
            "scopes": wanted,
            "iat": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.config.jwt_secret, algorithm=ALGORITHM), ttl, wanted

    # --- the cache -----------------------------------------------------------------------------

    def _cached(self, digest: str) -> Principal | None:
        with self._lock:
            found = self._cache.get(digest)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def _remember(self, digest: str, principal: Principal, until: float | None = None) -> None:
        expires = time.monotonic() + self.config.credential_cache_s
        if until is not None:  # never past the token's own expiry
            expires = min(expires, time.monotonic() + (until - time.time()))
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (expires, principal)


def key_summary(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "prefix": key.prefix,
        "scopes": list(key.scopes),
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


def utcnow() -> datetime:
    return datetime.now(UTC)


__all__ = ["ALGORITHM", "AUDIENCE", "ISSUER", "Authenticator", "Principal", "unauthorized"]
