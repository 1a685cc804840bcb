"""The FastAPI application: ``create_app(services, config)``. The composition root passes the
services (``lto.bootstrap.Application``); ``lto serve`` runs the result under uvicorn."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from lto import __version__
from lto.capricorn.api import observability, openapi_doc, problems
from lto.capricorn.api.auth import Authenticator
from lto.capricorn.api.config import ApiConfig
from lto.capricorn.api.idempotency import HEADER, Idempotency
from lto.capricorn.api.middleware import BodyLimit, RateLimit, RequestContext, SecurityHeaders
from lto.capricorn.api.pagination import Cursors
from lto.capricorn.api.routes import ROUTERS
from lto.capricorn.api.services import ApiServices
from lto.capricorn.service.optimisations import OptimisationRunner

log = logging.getLogger(__name__)

DESCRIPTION = """\
LTO's service: submit lithography jobs through the pipeline (contract, policy, surrogate
pre-flight, physics on the workers), predict tradeoffs in milliseconds, optimise process
settings, manage the surrogate, watch alerts and drift.

Authenticate with an API key (`X-API-Key: lto_…`) or a bearer token from `POST
/api/v1/auth/token`. Creating POSTs need an `Idempotency-Key` header. Errors are problem
details (RFC 9457) that name the field at fault.
"""


def _lifespan(services: ApiServices) -> object:
    """While the app serves: this process's outbox relay, so the events its requests commit
    (a job queued) reach the broker at once; its optimisation runner; and, once, the surrogate
    loaded in the background, so the first predictions after a (re)start do not wait seconds
    for it while the process already answers health checks."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        relay = threading.Thread(
            target=services.relay.run, args=(stop,), name="outbox-relay", daemon=True
        )
        relay.start()
        threading.Thread(target=_warm_up, args=(services,), name="warm-up", daemon=True).start()
        runner: OptimisationRunner = _app.state.optimisations
        runner.start()  # and fail the runs a dead process left running
        try:
            yield
        finally:
            runner.stop()
            stop.set()
            services.relay.notify()
            relay.join(timeout=10)

    return lifespan


def _warm_up(services: ApiServices) -> None:
    try:
        services.warm_up()
    except Exception:  # the first prediction will meet it again, and answer with it
        log.warning("could not load the surrogate at start", exc_info=True)


def create_app(services: ApiServices, config: ApiConfig) -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan(services),  # type: ignore[arg-type]
        title="LTO - Lithography Tradeoff Optimizer",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/docs" if config.docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if config.docs else None,
    )
    app.state.services = services
    app.state.config = config
    app.state.authenticator = Authenticator(services.uow, config)
    app.state.idempotency = Idempotency(services.uow, config)
    app.state.cursors = Cursors(config.jwt_secret)
    app.state.optimisations = OptimisationRunner(
        services.uow,
        lambda: services.production_surrogate(),
        lambda: services.scratch_study_engine(),
    )
    app.state.metrics = metrics = observability.ApiMetrics(services, cache_s=config.metrics_cache_s)
    problems.install(app)  # its catch-all middleware first: innermost
    app.add_middleware(BodyLimit, config=config)
    app.add_middleware(RateLimit, config=config)
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", HEADER, "Content-Type", "X-Request-ID"],
            expose_headers=["Retry-After", "X-Request-ID", "Location", "Idempotent-Replayed"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders, config=config)
    app.add_middleware(RequestContext, observe=metrics.observe)  # outermost
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(observability.router)
    openapi_doc.install(app, [*ROUTERS, observability.router])
    return app


__all__ = ["create_app"]
