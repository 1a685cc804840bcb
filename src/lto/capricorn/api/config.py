"""The API's own settings (built from ``LTO_API_*`` by the composition root)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ApiConfig:
    jwt_secret: str  # signs bearer tokens and pagination cursors
    jwt_ttl_s: int = 3600
    cors_origins: tuple[str, ...] = ()  # explicit origins only; none: no cross-origin calls
    rate_limit_per_minute: int = 1200  # per client (its credential, else its address)
    rate_burst: int = 200
    max_body_bytes: int = 1_000_000
    max_active_jobs_per_user: int = 500  # submitted, not yet final
    docs: bool = True  # /docs and /openapi.json; off in production (LTO_API_DOCS=false)
    tls: bool = False  # served behind TLS: send HSTS
    idempotency_ttl_s: int = 24 * 3600
    in_flight_stale_s: int = 120  # an in-flight key this old belongs to a request that died
    metrics_interval_s: float = 5.0  # /ws/metrics frames
    metrics_cache_s: float = 5.0  # /metrics scrapes and /ws/metrics' health reuse answers this long
    alerts_poll_s: float = 1.0  # /ws/alerts: how often the alerts table is read for news
    credential_cache_s: float = 10.0  # a revoked key works for at most this long
    page_limit_max: int = 200
    state_dir: Path | None = None  # where API processes on this machine share state (retrains)

    def __post_init__(self) -> None:
        if len(self.jwt_secret) < 32:
            raise ValueError("LTO_JWT_SECRET must be at least 32 characters")
        if "*" in self.cors_origins:
            raise ValueError("LTO_CORS_ORIGINS must list origins explicitly, not '*'")


__all__ = ["ApiConfig"]
