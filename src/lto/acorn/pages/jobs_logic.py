"""The Jobs page's logic, apart from Dash: the filters as ``GET /api/v1/jobs`` takes them,
the stack of cursors that pages back and forth, and what a row shows of a job.

The API's cursors are opaque and only go forward (``next_cursor``); going back means asking
again for a page already seen, so the page keeps the cursor of every page it has shown, in
order: ``{"pages": [None, c1, c2], "next": c3}`` is the third page (asked with ``c2``), and
the API said a fourth starts at ``c3``. A cursor belongs to its filters: changing a filter
starts again at the first page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lto.acorn.labels import value_label
from lto.atlas.lifecycle import JobState

PAGE_SIZE = 20
STATES: tuple[str, ...] = tuple(state.value for state in JobState)
KEY_SCORES = ("overall_health", "yield_risk")
# how the API's problems name the filters: by their labels on the page
LABELS = {
    "status": "State",
    "submitted_by": "Submitted by",
    "since": "Submitted at or after",
    "until": "Submitted before",
}

Cursors = dict[str, Any]


# --- filters ----------------------------------------------------------------------------------


def query_params(
    status: str | None,
    submitter: str | None,
    since: str | None,
    until: str | None,
    *,
    limit: int = PAGE_SIZE,
) -> dict[str, Any]:
    """The query for the jobs list: blank filters left out, the rest as typed (the API checks
    them, and its message names the field: a time without a zone, an unknown state)."""
    params: dict[str, Any] = {"limit": limit}
    for name, value in (
        ("status", status),
        ("submitted_by", submitter),
        ("since", moment(since)),
        ("until", moment(until)),
    ):
        text = (value or "").strip()
        if text:
            params[name] = text
    if "since" in params and "until" in params:
        start, end = _parsed(params["since"]), _parsed(params["until"])
        if start is not None and end is not None and end <= start:
            raise ValueError(
                f"{LABELS['until']} ({until}) must be later than {LABELS['since']} ({since}): "
                "no job can match both"
            )
    return params


def moment(text: str | None) -> str | None:
    """A day typed alone (2026-12-01) as its first moment in UTC (2026-12-01T00:00Z), which
    the API takes; anything else as typed, for the API to check and name."""
    typed = (text or "").strip()
    return f"{typed}T00:00Z" if _DAY.fullmatch(typed) else typed


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parsed(text: str) -> datetime | None:
    try:
        found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


# --- the cursor stack -----------------------------------------------------------------------------


def first_page() -> Cursors:
    return {"pages": [None], "next": None}


def current(cursors: Cursors | None) -> str | None:
    """The cursor that asks for the page shown (None: the first)."""
    pages = (cursors or first_page())["pages"]
    return pages[-1] if pages else None


def forward(cursors: Cursors | None) -> Cursors:
    """The next page, if the API said there is one (otherwise the same page)."""
    cursors = cursors or first_page()
    following = cursors.get("next")
    if not following:
        return cursors
    return {"pages": [*cursors["pages"], following], "next": None}


def back(cursors: Cursors | None) -> Cursors:
    """The page before (the first stays the first)."""
    cursors = cursors or first_page()
    pages = cursors["pages"]
    if len(pages) <= 1:
        return first_page()
    return {"pages": pages[:-1], "next": None}


def after(trigger: str | None, cursors: Cursors | None) -> Cursors:
    """The stack for what the user did: Next and Previous page, Refresh asks for the same page
    again; a filter changed (or the page just opened) starts at the first page."""
    if trigger == "jobs-next":
        return forward(cursors)
    if trigger == "jobs-prev":
        return back(cursors)
    if trigger == "jobs-refresh":
        return cursors or first_page()
    return first_page()


def answered(cursors: Cursors, next_cursor: str | None) -> Cursors:
    """The stack once the page it asked for came back, with the API's next cursor."""
    return {"pages": list(cursors["pages"]), "next": next_cursor or None}


def page_number(cursors: Cursors | None) -> int:
    return len((cursors or first_page())["pages"])


def has_next(cursors: Cursors | None) -> bool:
    return bool((cursors or {}).get("next"))


def has_previous(cursors: Cursors | None) -> bool:
    return page_number(cursors) > 1


# --- a row --------------------------------------------------------------------------------------


def when(stamp: str | None) -> str:
    """An API timestamp as ``2026-12-04 14:51:39 UTC`` (the text itself if it is not one)."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M:%S}"
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _g(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def key_parameters(parameters: Mapping[str, Any] | None) -> str:
    """The settings that tell jobs apart: λ, NA, σ, dose, focus, CD and pitch."""
    p = parameters or {}
    if not p:
        return ""
    parts = [
        f"λ {_g(p['wavelength_nm'])} nm" if "wavelength_nm" in p else "",
        f"NA {_g(p['na'])}" if "na" in p else "",
        f"σ {_g(p['sigma'])}" if "sigma" in p else "",
        f"{_g(p['dose_mj_cm2'])} mJ/cm²" if "dose_mj_cm2" in p else "",
        f"focus {_g(p.get('focus_nm', 0.0))} nm",
        f"CD {_g(p['target_cd_nm'])}/{_g(p['pitch_nm'])} nm"
        if "target_cd_nm" in p and "pitch_nm" in p
        else "",
    ]
    if p.get("illumination") not in (None, "conventional"):
        parts.append(value_label(p["illumination"]).lower())
    return " · ".join(part for part in parts if part)


def key_scores(job: Mapping[str, Any]) -> str:
    """The physics' overall health and yield risk once it has run; before that pre-flight's
    predicted means, marked as predicted; nothing when neither exists."""
    measured = (job.get("result") or {}).get("signals") or {}
    if measured:
        return " · ".join(
            f"{name} {measured[name]:.3f}"
            for name in KEY_SCORES
            if isinstance(measured.get(name), int | float)
        )
    predicted = (job.get("prediction") or {}).get("scores") or {}
    shown = [
        f"{name} {predicted[name]['mean']:.3f}"
        for name in KEY_SCORES
        if isinstance((predicted.get(name) or {}).get("mean"), int | float)
    ]
    return ("predicted: " + " · ".join(shown)) if shown else ""


def report_href(job_id: str) -> str:
    return f"/reports/{job_id}"


def row(summary: Mapping[str, Any], detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the table shows of a job: the list's summary, with the parameters and scores from
    the job itself (``detail``; None when it could not be read)."""
    detail = detail or {}
    return {
        "id": summary["id"],
        "state": summary.get("state", ""),
        "submitted_by": summary.get("submitted_by", ""),
        "submitted_at": when(summary.get("submitted_at")),
        "parameters": key_parameters(detail.get("parameters")),
        "scores": key_scores(detail),
        "note": summary.get("note", ""),
        "report": report_href(summary["id"]),
    }


__all__ = [
    "LABELS",
    "PAGE_SIZE",
    "STATES",
    "after",
    "answered",
    "back",
    "current",
    "first_page",
    "forward",
    "has_next",
    "has_previous",
    "key_parameters",
    "key_scores",
    "page_number",
    "query_params",
    "report_href",
    "row",
    "when",
]
