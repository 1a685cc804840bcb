"""The economics page's logic, apart from Dash: the window asked for, and what
``GET /api/v1/economics`` answered, as lines a person reads (totals, counts, prices)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from lto.acorn import formats
from lto.acorn.figures import finite
from lto.acorn.forms import read_number
from lto.acorn.pages.models_logic import when

Json = Mapping[str, Any]
WINDOWS: dict[str, tuple[str, timedelta]] = {
    "24h": ("last 24 hours", timedelta(hours=24)),
    "7d": ("last 7 days", timedelta(days=7)),
    "30d": ("last 30 days", timedelta(days=30)),
    "90d": ("last 90 days", timedelta(days=90)),
    "365d": ("last 365 days", timedelta(days=365)),
}
DEFAULT_WINDOW = "30d"


def window_query(choice: str | None, now: datetime) -> dict[str, str]:
    _, span = WINDOWS.get(choice or "", WINDOWS[DEFAULT_WINDOW])
    return {"since": (now - span).isoformat(), "until": now.isoformat()}


money = formats.money  # 12,346 USD · 3.46 USD · 0.00123 USD, never e-notation
saving = formats.saving  # a negative saving is a cost: "−0.0000120 USD (cost)"


def _currency(economics: Json) -> str:
    return str((economics.get("prices") or {}).get("currency") or "USD")


def totals(economics: Json) -> list[tuple[str, str]]:
    """The headline figures: compute saved (and how), yield loss avoided, compute spent."""
    currency = _currency(economics)
    found = economics.get("counts") or {}
    return [
        ("compute saved", saving(economics.get("compute_saved"), currency)),
        ("… by pre-flight blocking", _part(economics, "preflight", found.get("preflighted"), "no job was pre-flighted")),
        ("… by surrogate answers", _part(economics, "surrogate_answers", found.get("surrogate_answers"), "no what-if answer was trusted")),
        ("expected yield loss avoided", money(economics.get("expected_yield_loss_avoided"), currency)),
        ("compute spent on physics", money(economics.get("physics_spent"), currency)),
        ("compute spent on the surrogate", money(economics.get("surrogate_spent"), currency)),
    ]  # fmt: skip


def _part(economics: Json, key: str, count: Any, nothing: str) -> str:
    """One way of saving: its amount; "none" where nothing of the kind happened in the window,
    "unknown" where it did but no physics run could price it."""
    part = economics.get(key) or {}
    if part:
        return saving(part.get("saving"), _currency(economics))
    if count == 0:
        return f"none ({nothing} in this window)"
    return "unknown (no physics run finished in this window to price it)"


def counts(economics: Json) -> list[tuple[str, str]]:
    found = economics.get("counts") or {}
    per_run = economics.get("per_run") or {}
    currency = _currency(economics)
    number = formats.count
    return [
        ("jobs submitted", number(found.get("jobs"))),
        ("pre-flighted by the surrogate", number(found.get("preflighted"))),
        ("blocked by pre-flight (physics not run)", number(found.get("blocked"))),
        ("what-if answers trusted (physics not needed)", number(found.get("surrogate_answers"))),
        ("what-if answers recommending physics (not credited)", number(found.get("surrogate_recommended_physics"))),
        ("physics runs done", number(found.get("physics_runs"))),
        ("physics runs failed", number(found.get("failed_runs"))),
        ("a physics run: mean wall time", formats.seconds(per_run.get("physics_wall_time_s"))),
        ("a physics run: mean cost", money(per_run.get("physics_cost"), currency)),
        ("a surrogate call: mean time", formats.milliseconds(per_run.get("surrogate_inference_ms"))),
        ("a surrogate call: mean cost", money(per_run.get("surrogate_cost"), currency)),
    ]  # fmt: skip


def prices(economics: Json) -> list[tuple[str, str]]:
    """The assumptions the API priced with (stated, so nobody takes them for facts)."""
    found = economics.get("prices") or {}
    currency = _currency(economics)
    return [
        ("CPU core-hour", money(found.get("cpu_core_hour"), currency)),
        ("GPU-hour", money(found.get("gpu_hour"), currency)),
        ("cores one physics run holds", formats.count(found.get("physics_cores"))),
        ("value of a wafer", money(found.get("wafer_value"), currency)),
        ("wafers a blocked job's settings would expose", formats.plain(finite(found.get("wafers_per_job")) or 0)),
    ]  # fmt: skip


def saving_notes(economics: Json) -> list[str]:
    """Why a saving is negative, where one is: every pre-flight call is priced, so with few
    jobs blocked the pre-flight costs more than the physics it spared."""
    currency = _currency(economics)
    said = {
        "preflight": "Pre-flight blocking cost {} more than it saved in this window: every "
        "pre-flight call is priced, and too few jobs were blocked to pay for them.",
        "surrogate_answers": "The surrogate's answers cost {} more than they saved in this "
        "window: a surrogate call was priced above the physics run it replaced.",
    }
    notes = []
    for key, text in said.items():
        value = finite((economics.get(key) or {}).get("saving"))
        if value is not None and value < 0:
            notes.append(text.format(formats.money(-value, currency)))
    return notes


def scope_text(economics: Json) -> str:
    whose = "your jobs and predictions" if economics.get("scope") == "yours" else "everyone's jobs and predictions"  # fmt: skip
    return f"Counted over {whose}, {when(economics.get('since'))} to {when(economics.get('until'))}."  # fmt: skip


PRICE_FIELDS: dict[str, tuple[str, float, float]] = {
    "cpu_core_hour": ("CPU core-hour", 0.0, 1000.0),
    "gpu_hour": ("GPU-hour", 0.0, 10_000.0),
    "physics_cores": ("cores per physics run", 1, 1024),
    "wafer_value": ("wafer value", 0.0, 1e7),
    "wafers_per_job": ("wafers per job", 0.0, 10_000.0),
}
# how the API's problems name these fields: by their labels on the page
LABELS: dict[str, str] = {
    **{name: label for name, (label, _, _) in PRICE_FIELDS.items()},
    "since": "the window's start",
    "until": "the window's end",
}


def price_query(values: Mapping[str, Any]) -> tuple[dict[str, float], list[str]]:
    """The prices given (empty: the API's default), and what is wrong with the others; the
    inputs are text, so that "abc" is said to be no number rather than taken for empty."""
    query: dict[str, float] = {}
    problems = []
    for name, (label, low, high) in PRICE_FIELDS.items():
        raw = values.get(name)
        if raw is None or str(raw).strip() == "":
            continue
        try:
            number = read_number(raw)
        except ValueError as error:
            problems.append(f"{label}: {error}")
            continue
        if not low <= number <= high:
            problems.append(
                f"{label}: must lie between {formats.plain(low)} and {formats.plain(high)}"
            )
        elif name == "physics_cores" and number != int(number):
            problems.append(f"{label}: must be a whole number")
        else:
            query[name] = int(number) if name == "physics_cores" else number
    return query, problems


__all__ = [
    "DEFAULT_WINDOW",
    "LABELS",
    "PRICE_FIELDS",
    "WINDOWS",
    "counts",
    "money",
    "price_query",
    "prices",
    "saving",
    "saving_notes",
    "scope_text",
    "totals",
    "window_query",
]
