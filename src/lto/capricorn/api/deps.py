"""FastAPI dependencies: the services, the caller, and scope checks. All async: a sync
dependency costs a worker-thread round trip on every request (twenty of them a request, before
these were async), and none of these waits on anything but a cache miss."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from lto.capricorn.api.auth import Authenticator, Principal
from lto.capricorn.api.config import ApiConfig
from lto.capricorn.api.idempotency import Idempotency
from lto.capricorn.api.pagination import Cursors
from lto.capricorn.api.services import ApiServices


async def get_services(request: Request) -> ApiServices:
    return request.app.state.services  # type: ignore[no-any-return]


async def get_config(request: Request) -> ApiConfig:
    return request.app.state.config  # type: ignore[no-any-return]


async def get_idempotency(request: Request) -> Idempotency:
    return request.app.state.idempotency  # type: ignore[no-any-return]


async def get_cursors(request: Request) -> Cursors:
    return request.app.state.cursors  # type: ignore[no-any-return]


async def get_principal(request: Request) -> Principal:
    """Async, so that FastAPI does not hop to a worker thread for it: a cached credential is
    answered at once; one not seen for a while is looked up in the database off the loop."""
    authenticator: Authenticator = request.app.state.authenticator
    principal = authenticator.cached(request.headers)
    if principal is None:
        principal = await run_in_threadpool(authenticator.authenticate, request.headers)
    request.state.user = principal.name  # for the access log
    request.scope.setdefault("state", {})["user"] = principal.name
    return principal


def require(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller, who must hold ``scope`` (401 without credentials, 403
    without the scope)."""

    async def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        principal.require(scope)
        return principal

    check.__name__ = f"require_{scope.replace(':', '_')}"
    return check


Services = Annotated[ApiServices, Depends(get_services)]
Config = Annotated[ApiConfig, Depends(get_config)]
IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
CursorsDep = Annotated[Cursors, Depends(get_cursors)]
AnyPrincipal = Annotated[Principal, Depends(get_principal)]


__all__ = [
    "AnyPrincipal",
    "Config",
    "CursorsDep",
    "IdempotencyDep",
    "Services",
    "get_principal",
    "require",
]
