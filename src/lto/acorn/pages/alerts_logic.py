"""The Alerts page's logic, apart from Dash: what a row shows of an alert, and which actions a
user gets on it.

- **Acknowledge** (``POST /api/v1/alerts/{id}/acknowledge``): an active alert, with the
  ``alerts:write`` scope.
- **Clear** (a false alarm) or **Escalate** (``POST /api/v1/jobs/{id}/review``): an alert about
  a job the user can see that is anomaly-flagged or in review; the lifecycle allows a decision
  there only (the API opens the review of a flagged job itself). Reviewing answers the job's
  alerts too, so it needs ``jobs:write`` (the review) and ``alerts:write`` (the alerts).

Without a scope the button is still shown, disabled, and says which scope it needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from lto.acorn.labels import words
from lto.acorn.pages.jobs_logic import when
from lto.atlas.lifecycle import TRANSITIONS, JobState

ActionKind = Literal["ack", "clear", "escalate"]
MAX_NOTE = 2000
SEVERITY_COLOURS = {"critical": "danger", "warning": "warning", "info": "info"}

# a flagged job goes to review and on to a decision in one request; one in review is decided
REVIEWABLE: frozenset[str] = frozenset(
    state.value
    for state, following in TRANSITIONS.items()
    if JobState.CLEARED in following or JobState.ENGINEER_REVIEW in following
)
SCOPES: Mapping[ActionKind, tuple[str, ...]] = {
    "ack": ("alerts:write",),
    "clear": ("jobs:write", "alerts:write"),
    "escalate": ("jobs:write", "alerts:write"),
}
LABELS: Mapping[ActionKind, str] = {
    "ack": "Acknowledge",
    "clear": "Clear (false alarm)",
    "escalate": "Escalate",
}


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    label: str
    enabled: bool
    why: str  # the tooltip: what the button does, or why it is disabled


def _action(kind: ActionKind, scopes: frozenset[str], does: str) -> Action:
    missing = [scope for scope in SCOPES[kind] if scope not in scopes]
    why = f"needs the {' and '.join(missing)} scope" + ("s" if len(missing) > 1 else "")
    return Action(kind, LABELS[kind], not missing, why if missing else does)


def actions(alert: Mapping[str, Any], job_state: str | None, scopes: Iterable[str]) -> list[Action]:
    """The buttons an alert's row gets, for a user with ``scopes``; ``job_state`` is the state
    of the job it concerns (None: no job, or one the user may not see)."""
    held = frozenset(scopes)
    found = []
    if alert.get("active"):
        found.append(_action("ack", held, "mark the alert as seen"))
    if alert.get("job_id") and job_state in REVIEWABLE:
        found.append(_action("clear", held, "a false alarm: the job is cleared"))
        found.append(_action("escalate", held, "a real problem: the job is escalated"))
    return found


def review_body(kind: ActionKind, note: str | None) -> dict[str, str]:
    """The body of ``POST /api/v1/jobs/{id}/review`` for a clear or an escalation."""
    if kind not in ("clear", "escalate"):
        raise ValueError(f"{kind!r} is not a review decision")
    said = (note or "").strip()[:MAX_NOTE]
    if not said:
        raise ValueError(
            f"Note for a clear or an escalation: say why the job is "
            f"{'cleared' if kind == 'clear' else 'escalated'} before you "
            f"{'clear' if kind == 'clear' else 'escalate'} it (it is kept in the audit log)."
        )
    return {"decision": kind, "note": said}


def row(alert: Mapping[str, Any]) -> dict[str, Any]:
    """What the tables show of an alert."""
    acknowledged = alert.get("acknowledged_by")
    return {
        "id": alert["id"],
        "severity": alert.get("severity", ""),
        "colour": SEVERITY_COLOURS.get(str(alert.get("severity")), "secondary"),
        "kind": words(alert.get("source", "")),  # "drift_monitor" reads "drift monitor"
        "job_id": alert.get("job_id"),
        "report": f"/reports/{alert['job_id']}" if alert.get("job_id") else None,
        "fired_at": when(alert.get("fired_at")),
        "message": alert.get("message", ""),
        "acknowledged": (
            f"{acknowledged} at {when(alert.get('acknowledged_at'))}" if acknowledged else ""
        ),
    }


def job_ids(alerts: Iterable[Mapping[str, Any]]) -> list[str]:
    """The jobs the alerts concern, each once, in order."""
    return list(dict.fromkeys(str(a["job_id"]) for a in alerts if a.get("job_id")))


__all__ = [
    "REVIEWABLE",
    "SEVERITY_COLOURS",
    "Action",
    "actions",
    "job_ids",
    "review_body",
    "row",
]
