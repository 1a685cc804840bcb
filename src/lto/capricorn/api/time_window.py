"""Time-range query parameters (``since``, ``until``), as every listing reads them: with a time
zone (a naive time is ambiguous between the caller's zone and UTC: 422 naming it), in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import Query

from lto.capricorn.api.problems import Problem

DEFAULT_WINDOW = timedelta(days=7)
# the query parameters of a window that defaults to the last 7 days
Since = Annotated[
    datetime | None, Query(description="from (ISO 8601 with a zone; default: 7 days ago)")
]
Until = Annotated[
    datetime | None, Query(description="to, excluded (ISO 8601 with a zone; default: now)")
]
Bucket = Literal["hour", "day"]
BUCKET_S: dict[str, int] = {"hour": 3600, "day": 86400}
MAX_BUCKETS = 2000


def aware(name: str, value: datetime | None) -> datetime | None:
    """``value`` in UTC; 422 naming ``query.<name>`` when it has no time zone."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise Problem(
            422,
            f"{name} needs a time zone (e.g. 2026-12-03T10:00:00Z)",
            errors=[{"field": f"query.{name}", "rule": "must include a time zone"}],
            kind="invalid-input",
        )
    return value.astimezone(UTC)


def window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """``since`` and ``until`` in UTC, checked: the last 7 days by default."""
    end = aware("until", until) or datetime.now(UTC)
    start = aware("since", since) or end - DEFAULT_WINDOW
    if start >= end:
        raise Problem(
            422,
            "since must be before until",
            errors=[{"field": "query.since", "rule": "must be before until"}],
            kind="invalid-input",
        )
    return start, end


def bucket_width(start: datetime, end: datetime, bucket: Bucket) -> int:
    """Seconds per ``bucket``; 422 naming ``query.bucket`` when the window holds more than
    ``MAX_BUCKETS`` of them."""
    width = BUCKET_S[bucket]
    if (end - start).total_seconds() / width > MAX_BUCKETS:
        raise Problem(
            422,
            f"that window holds more than {MAX_BUCKETS} {bucket}s: shorten it or use day buckets",
            errors=[{"field": "query.bucket", "rule": f"at most {MAX_BUCKETS} buckets"}],
            kind="invalid-input",
        )
    return width


__all__ = [
    "BUCKET_S",
    "DEFAULT_WINDOW",
    "MAX_BUCKETS",
    "Bucket",
    "Since",
    "Until",
    "aware",
    "bucket_width",
    "window",
]
