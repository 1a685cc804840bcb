"""Prometheus metrics (``GET /metrics``, no credentials: scrapers ask) and JSON logs.

Each app has its own registry (tests make many apps in one process). Measured in this process:
request durations (``lto_api_request_duration_seconds``) and the surrogate's inference time in
the routes that predict (``lto_model_inference_duration_ms``, through ``observe_inference``).
The pipeline's totals (jobs submitted, completed, blocked, rejected and their durations; alerts
fired; queue depths; the outbox backlog; drift) happen in other processes too, so they are read
from the database at scrape time (``pipeline_metrics.PipelineCollector``, registered when the
app has services).
"""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lto.capricorn.api.pipeline_metrics import PipelineCollector

if TYPE_CHECKING:
    from lto.capricorn.api.services import ApiServices

REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0)
INFERENCE_BUCKETS_MS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0)


class ApiMetrics:
    """This app's registry: what this process measures, and (given ``services``) the
    pipeline's totals read from the database, kept ``cache_s`` seconds per scrape."""

    def __init__(self, services: ApiServices | None = None, *, cache_s: float = 5.0) -> None:
        from prometheus_client import CollectorRegistry, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "lto_api_request_duration_seconds",
            "Time to answer an API request, by method, route template and status",
            ["method", "route", "status"],
            buckets=REQUEST_BUCKETS,
            registry=self.registry,
        )
        self.inference = Histogram(
            "lto_model_inference_duration_ms",
            "The surrogate's time to answer one prediction in this API process (ms)",
            buckets=INFERENCE_BUCKETS_MS,
            registry=self.registry,
        )
        self.pipeline: PipelineCollector | None = None
        if services is not None:
            self.pipeline = PipelineCollector(services, cache_s=cache_s)
            self.registry.register(self.pipeline)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).observe(seconds)

    def observe_inference(self, ms: float) -> None:
        """Record one surrogate prediction's time in milliseconds (``TradeoffPrediction.
        inference_time_ms``). Routes that predict call it, e.g.
        ``request.app.state.metrics.observe_inference(prediction.inference_time_ms)``; a
        negative or non-finite time is ignored."""
        if math.isfinite(ms) and ms >= 0:
            self.inference.observe(ms)

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST


router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    summary="Prometheus metrics (text exposition format)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "the metrics"}},
)
def metrics(request: Request) -> Response:
    body, kind = request.app.state.metrics.render()
    return Response(body, media_type=kind)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the record's extras
    (request_id, method, path, status, duration_ms, user, ...)."""

    _PLAIN = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update({k: v for k, v in vars(record).items() if k not in self._PLAIN})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_json_logs(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


__all__ = ["ApiMetrics", "JsonFormatter", "configure_json_logs", "router"]
