"""Server-side sessions: the browser holds an opaque, random session id in an HttpOnly cookie;
the credential it stands for (an API key, or a bearer token made from a user's password) stays
in this process and never reaches the page.

Sessions live in memory (the web app is one process with threads): restarting it logs everyone
out, which is the safe failure. Idle sessions expire after ``ttl_s``; a token session ends when
its token does.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

COOKIE = "lto_session"


@dataclass
class Session:
    id: str
    user: str
    role: str
    scopes: frozenset[str]
    credential_kind: str  # "api_key" or "token"
    credential: str = field(repr=False)  # never logged, never sent to the browser
    expires_at: float = 0.0  # a token's own expiry (monotonic); 0: none
    last_seen: float = field(default_factory=time.monotonic)

    def may(self, scope: str) -> bool:
        return scope in self.scopes


class SessionStore:
    def __init__(self, ttl_s: float = 8 * 3600) -> None:
        self.ttl_s = ttl_s
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(
        self,
        *,
        user: str,
        role: str,
        scopes: frozenset[str],
        credential_kind: str,
        credential: str,
        lifetime_s: float | None = None,
    ) -> Session:
        now = time.monotonic()
        session = Session(
            id=secrets.token_urlsafe(32),
            user=user,
            role=role,
            scopes=scopes,
            credential_kind=credential_kind,
            credential=credential,
            expires_at=now + lifetime_s if lifetime_s else 0.0,
            last_seen=now,
        )
        with self._lock:
            self._forget_expired(now)
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if self._expired(session, now):
                del self._sessions[session_id]
                return None
            session.last_seen = now
            return session

    def close(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _expired(self, session: Session, now: float) -> bool:
        idle = now - session.last_seen > self.ttl_s
        return idle or bool(session.expires_at and now >= session.expires_at)

    def _forget_expired(self, now: float) -> None:
        for key in [k for k, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[key]


__all__ = ["COOKIE", "Session", "SessionStore"]
