"""The REST API as the current request's user sees it.

Every callback asks ``api()`` for a client: it carries the credential of the session whose id
is in the request's cookie (one ``LtoClient`` per session, kept with it, so connections are
reused). Nothing here is a secret the page could read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import flask

from lto.acorn.messages import Labels, plain_text, problems_text
from lto.acorn.sessions import COOKIE, Session, SessionStore
from lto.client import ApiError, LtoClient, Unreachable

T = TypeVar("T")


class NotSignedIn(Exception):
    """The request carries no live session (never signed in, signed out or expired)."""


@dataclass
class ApiAccess:
    """Where the API is, and the clients of the signed-in sessions."""

    base_url: str
    sessions: SessionStore = field(default_factory=SessionStore)
    timeout_s: float = 30.0
    _clients: dict[str, LtoClient] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def anonymous(self) -> LtoClient:
        """A client without a credential: health, and signing in."""
        return LtoClient(self.base_url, api_key="", timeout=self.timeout_s, retries=0)

    def for_session(self, session: Session) -> LtoClient:
        with self._lock:
            client = self._clients.get(session.id)
            if client is None:
                options: dict[str, Any] = {"timeout": self.timeout_s, "retries": 1}
                if session.credential_kind == "token":
                    options["token"] = session.credential
                else:
                    options["api_key"] = session.credential
                client = self._clients[session.id] = LtoClient(self.base_url, **options)
            return client

    def forget(self, session_id: str | None) -> None:
        self.sessions.close(session_id)
        with self._lock:
            client = self._clients.pop(session_id or "", None)
        if client is not None:
            client.close()

    def current_session(self) -> Session:
        session = self.sessions.get(flask.request.cookies.get(COOKIE))
        if session is None:
            raise NotSignedIn
        return session

    def current(self) -> LtoClient:
        return self.for_session(self.current_session())


_ACCESS: ApiAccess | None = None


def install(access: ApiAccess) -> None:
    global _ACCESS
    _ACCESS = access


def access() -> ApiAccess:
    if _ACCESS is None:  # pragma: no cover - create_app installs it
        raise RuntimeError("the web app is not configured: call lto.acorn.create_app first")
    return _ACCESS


def api() -> LtoClient:
    """The signed-in user's client (``NotSignedIn`` without a session)."""
    return access().current()


def session() -> Session:
    return access().current_session()


def explain(error: Exception, labels: Labels | None = None) -> str:
    """One sentence for an engineer: what the API said, each field it named by its label on
    the page (``labels``: the page's own, over the job's parameters) and its rule in plain
    words; never pydantic's wording or a ``query.``/``body.`` location."""
    if isinstance(error, NotSignedIn):
        return "Your session has ended: sign in again."
    if isinstance(error, Unreachable):
        return f"The LTO API is not answering ({error.detail}). Is `lto serve` running?"
    if isinstance(error, ApiError):
        if error.status == 401:
            return "The API no longer accepts your credential: sign in again."
        if error.status == 403:
            return f"Not allowed: {error.detail or 'your credential lacks the scope for this'}"
        if error.status == 429:
            wait = f" (try again in {error.retry_after:g} s)" if error.retry_after else ""
            return f"Too many requests{wait}."
        fields = problems_text(error.errors, labels)
        text = fields or plain_text(error.detail, labels) or error.title
        return f"{text}" if error.status < 500 else f"The API failed ({error.status}): {text}"
    return f"Unexpected error: {type(error).__name__}"


def attempt(call: Callable[[], T], *, labels: Labels | None = None) -> tuple[T | None, str | None]:
    """``call()``'s value and no message, or no value and the message for the page (its
    fields named by ``labels``). Only the API's and the session's failures are caught: a bug
    in the app still fails loudly (Dash answers 500 and logs it; no trace reaches the page)."""
    try:
        return call(), None
    except (ApiError, NotSignedIn) as error:
        return None, explain(error, labels)


__all__ = ["ApiAccess", "NotSignedIn", "access", "api", "attempt", "explain", "install", "session"]
