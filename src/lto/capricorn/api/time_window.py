"""Time-range query parameters (``since``, ``until``), as every listing reads them: with a time
zone (a naive time is ambiguous between the caller's zone and UTC: 422 naming it), in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lto.capricorn.api.problems import Problem

DEFAULT_WINDOW = timedelta(days=7)


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


__all__ = ["DEFAULT_WINDOW", "aware", "window"]
