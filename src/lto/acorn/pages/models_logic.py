"""The models page's logic, apart from Dash: the window a series covers, who may change the
model, what the registry, validation, domain and drift report say, and where a retrain run is.

Inputs are the API's JSON: ``GET /models/current``, ``/models/performance/series``,
``/models/drift``, ``/models/retrain/{id}``, and the answers of promote and rollback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lto.acorn.figures import finite
from lto.acorn.figures.scores import score_label
from lto.acorn.labels import value_label

Json = Mapping[str, Any]
ADMIN_SCOPE = "models:admin"


@dataclass(frozen=True)
class Window:
    label: str
    span: timedelta
    bucket: str  # "hour" or "day": the series' point width


WINDOWS: dict[str, Window] = {
    "24h": Window("last 24 hours", timedelta(hours=24), "hour"),
    "7d": Window("last 7 days", timedelta(days=7), "hour"),
    "30d": Window("last 30 days", timedelta(days=30), "day"),
    "90d": Window("last 90 days", timedelta(days=90), "day"),
}
DEFAULT_WINDOW = "7d"
DEFAULT_SAMPLES = 3000
ALIASES = (
    ("champion", "champion (answers production)"),
    ("challenger", "challenger (in shadow)"),
    ("previous_champion", "previous champion (rollback target)"),
)


def series_query(choice: str | None, now: datetime) -> dict[str, str]:
    """The ``/models/performance/series`` query for a window choice ending ``now`` (UTC)."""
    window = WINDOWS.get(choice or "", WINDOWS[DEFAULT_WINDOW])
    return {
        "since": (now - window.span).isoformat(),
        "until": now.isoformat(),
        "bucket": window.bucket,
    }


# --- who may change the model -------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    disabled: bool
    reason: str | None


def admin_gate(scopes: Iterable[str] | None, role: str | None, *, running: bool = False) -> Gate:
    """Retrain, promote and rollback need ``models:admin``; retrain waits for the running one."""
    if scopes is None:
        return Gate(True, "Sign in to change the model.")
    if ADMIN_SCOPE not in set(scopes):
        who = f"your role ({role})" if role else "your credential"
        return Gate(True, f"Retrain, promote and rollback need the {ADMIN_SCOPE} scope; {who} lacks it.")  # fmt: skip
    if running:
        return Gate(False, "A retrain is running: one at a time (promote and rollback still work).")
    return Gate(False, None)


def registry_gate(admin: Gate, current: Json | None) -> tuple[Gate, Gate]:
    """Promote and roll back, for someone ``admin`` lets change the model: each needs its
    version in the registry (a challenger to promote, a previous champion to return to)."""
    if admin.disabled:
        return admin, admin
    registry = (current or {}).get("registry") or {}
    promote = (
        Gate(False, None)
        if registry.get("challenger")
        else Gate(True, "Promote waits for a challenger: retrain to register one.")
    )
    rollback = (
        Gate(False, None)
        if registry.get("previous_champion")
        else Gate(True, "Roll back waits for a previous champion: none has been replaced yet.")
    )
    return promote, rollback


# --- what the model is --------------------------------------------------------------------------


def registry_rows(registry: Json | None) -> list[tuple[str, str, str, str, str]]:
    """(role, registry version, surrogate version, gate, registered at) per alias set."""
    rows = []
    for alias, label in ALIASES:
        entry = (registry or {}).get(alias)
        if not entry:
            continue
        rows.append(
            (
                label,
                str(entry.get("version") or "—"),
                str(entry.get("surrogate_version") or "—"),
                str(entry.get("gate") or "—"),
                when(entry.get("created_at")),
            )
        )
    return rows


def registry_note(registry: Json | None) -> str | None:
    status = (registry or {}).get("status")
    if status == "empty":
        return (
            "The registry holds no version yet: the model answering was trained from the "
            "command line and never registered. Retrain to register a candidate."
        )
    if status == "unreachable":
        return "The model registry cannot be reached: aliases unknown (the model still answers)."
    return None


def production_rows(current: Json | None) -> list[tuple[str, Any]]:
    found = current or {}
    level = finite(found.get("confidence_level"))
    members = found.get("members") or {}
    return [
        ("version", found.get("version")),
        ("trained at", when(found.get("trained_at"))),
        ("confidence level", f"{level:.0%}" if level is not None else None),
        ("members (weights)", ", ".join(f"{k} {v:.2f}" for k, v in sorted(members.items())) or None),
        ("challenger in shadow", found.get("shadow") or "none"),
        ("drift PSI (worst, beyond noise)", finite(found.get("drift_psi"))),
    ]  # fmt: skip


def _share(value: Any) -> str | None:
    number = finite(value)
    return None if number is None else f"{number:.1%}"


def validation_rows(validation: Json | None) -> list[tuple[str, Any]]:
    """The held-out metrics, one line each (per-score accuracy last)."""
    found = validation or {}
    accuracy = found.get("accuracy") or {}
    tolerance = finite(accuracy.get("tolerance"))
    within = f" (within ±{tolerance:g})" if tolerance is not None else ""
    rows: list[tuple[str, Any]] = [
        ("held-out test jobs", found.get("test_jobs")),
        (f"accuracy, all jobs{within}", _share(accuracy.get("overall"))),
        (f"accuracy, critical jobs{within}", _share(accuracy.get("critical"))),
        ("high-uncertainty share", _share(found.get("high_uncertainty_share"))),
        ("OOD flagged, in domain", _share(found.get("ood_in_domain_flagged"))),
        ("OOD flagged, outside", _share(found.get("ood_outside_flagged"))),
    ]
    rows += [
        (f"accuracy: {score_label(name)}", _share(value))
        for name, value in sorted((accuracy.get("per_score") or {}).items())
    ]
    return rows


def domain_rows(domain: Json | None) -> list[tuple[str, str, str, str, str]]:
    """(profile, λ nm, NA, resist thickness nm, dose mJ/cm²) ranges the model was trained on."""

    def span(values: Any) -> str:
        numbers = [finite(v) for v in values or []]
        if len(numbers) != 2 or None in numbers:
            return "—"
        return f"{numbers[0]:.4g} – {numbers[1]:.4g}"

    return [
        (
            value_label(p.get("name", "?")),
            f"{finite(p.get('wavelength_nm')) or 0:g}",
            span(p.get("na")),
            span(p.get("resist_thickness_nm")),
            span(p.get("dose_mj_cm2")),
        )
        for p in (domain or {}).get("profiles") or []
    ]


def domain_extras(domain: Json | None) -> list[tuple[str, str]]:
    found = domain or {}
    sigma = [finite(v) for v in found.get("sigma") or []]
    return [
        ("σ", f"{sigma[0]:g} – {sigma[1]:g}" if len(sigma) == 2 and None not in sigma else "—"),
        (
            "illuminations",
            ", ".join(value_label(v) for v in found.get("illuminations") or []) or "—",
        ),
        ("patterns", ", ".join(value_label(v) for v in found.get("patterns") or []) or "—"),
    ]


def drift_summary(drift: Json | None) -> tuple[str, str]:
    """One sentence and its colour (Bootstrap) for the last drift report."""
    found = drift or {}
    if not found.get("checked"):
        return (
            f"No drift report on {found.get('model_version', 'this model')} yet: `lto drift "
            "--jobs FILE` scores recent jobs against its training data.",
            "secondary",
        )
    threshold = finite(found.get("threshold")) or 0.2
    worst = finite(found.get("worst_psi")) or 0.0
    checked = f"{found.get('jobs')} jobs checked {when(found.get('checked_at'))}"
    if found.get("drift_detected"):
        drifted = [
            f"{f['kind']}: {f['name']}" for f in found.get("findings") or [] if f.get("drifted")
        ]
        return (
            f"Drift detected ({checked}): {', '.join(drifted)} beyond PSI {threshold:g}. "
            "Retrain on recent jobs.",
            "warning",
        )  # fmt: skip
    return (f"No significant drift ({checked}): worst PSI {worst:.3f} ≤ {threshold:g}.", "success")


def live_totals(series: Json | None) -> str:
    found = series or {}
    jobs = int(found.get("jobs") or 0)
    if not jobs:
        return "No job this model pre-flighted has been judged by the physics in this window."
    anomalies = sum(int(p.get("anomalies") or 0) for p in found.get("points") or [])
    more = " (only the newest outcomes were read)" if found.get("truncated") else ""
    return f"{jobs} jobs judged by the physics, {anomalies} flagged as anomalies{more}."


# --- retrain, promote, roll back ----------------------------------------------------------------


def retrain_body(reason: str | None, samples: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The retrain request, or why it cannot be sent (the API's limits, said before asking)."""
    text = (reason or "").strip()
    if not text:
        return None, "reason: say why you retrain (it is kept on the version)"
    try:
        count = int(samples) if samples not in (None, "") else DEFAULT_SAMPLES
    except (TypeError, ValueError):
        return None, "samples: must be a whole number"
    if not 100 <= count <= 100_000:
        return None, "samples: must lie in [100, 100000]"
    return {"reason": text[:500], "samples": count}, None


def run_running(run: Json | None) -> bool:
    """Keep polling while the run runs."""
    return bool(run) and (run or {}).get("state") == "running"


def run_progress(run: Json) -> tuple[int, str]:
    """(percent, what it is doing) of a run."""
    fraction = finite(run.get("progress")) or 0.0
    return round(min(max(fraction, 0.0), 1.0) * 100), str(run.get("message") or "")


def run_outcome(run: Json) -> tuple[str, str]:
    """What became of a finished run (the candidate and its gate), and its colour."""
    state = run.get("state")
    if state == "failed":
        return f"Retrain {run.get('id')} failed: {run.get('error') or 'no reason given'}", "danger"
    if state != "succeeded":
        percent, message = run_progress(run)
        return f"Retrain {run.get('id')} running: {percent}% ({message})", "info"
    result = run.get("result") or {}
    candidate = result.get("candidate", "?")
    version = result.get("registered_version", "?")
    accuracy = _share(result.get("accuracy"))
    about = f"registry version {version}" + (f", accuracy {accuracy}" if accuracy else "")
    if result.get("gate") == "passed":
        return (
            f"Candidate {candidate} ({about}) passed the "
            "gate: it is the challenger, predicting in shadow. Promote it when the shadow jobs "
            "agree.",
            "success",
        )
    reasons = "; ".join(result.get("gate_reasons") or []) or "no reason given"
    return (
        f"Candidate {candidate} ({about}) was refused "
        f"by the gate: {reasons}. It stays registered; the champion is unchanged.",
        "warning",
    )


def confirm_text(action: str, current: Json | None) -> str:
    registry = (current or {}).get("registry") or {}
    champion = (registry.get("champion") or {}).get("surrogate_version") or (current or {}).get(
        "version", "the champion"
    )
    if action == "promote":
        challenger = registry.get("challenger") or {}
        name = challenger.get("surrogate_version") or challenger.get("version")
        if not name:
            return (
                "No challenger is registered: the API will refuse. Retrain first, or promote "
                "from the command line naming a version."
            )
        return (
            f"Promote challenger {name} (gate: {challenger.get('gate') or '?'}) to champion in "
            f"place of {champion}? It then answers pre-flight and every prediction."
        )
    previous = (registry.get("previous_champion") or {}).get("surrogate_version") or "the previous champion"  # fmt: skip
    return f"Roll back from {champion} to {previous}? It then answers pre-flight and every prediction."  # fmt: skip


def promote_body(override: str | None) -> dict[str, Any] | None:
    text = (override or "").strip()
    return {"override": text[:2000]} if text else None


def action_message(action: str, answer: Json) -> str:
    now = answer.get("production_model") or "?"
    if action == "promote":
        before = answer.get("previous_champion") or "none"
        forced = " (the gate was overridden; the reason is recorded)" if answer.get("overridden") else ""  # fmt: skip
        return f"Promoted: registry version {answer.get('champion')} is the champion{forced}, replacing {before}; {now} answers production."  # fmt: skip
    return f"Rolled back from registry version {answer.get('rolled_back_from')} to {answer.get('champion')}; {now} answers production."  # fmt: skip


def when(stamp: Any) -> str:
    """``2026-12-03 10:00 UTC`` from an ISO time (one without a zone read as UTC); the text
    itself if it is not one."""
    if not stamp:
        return "—"
    try:
        found = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return str(stamp)
    if found.tzinfo is None:
        found = found.replace(tzinfo=UTC)
    return found.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


__all__ = [
    "ADMIN_SCOPE",
    "DEFAULT_WINDOW",
    "WINDOWS",
    "Gate",
    "action_message",
    "admin_gate",
    "confirm_text",
    "domain_extras",
    "domain_rows",
    "drift_summary",
    "live_totals",
    "production_rows",
    "promote_body",
    "registry_note",
    "registry_rows",
    "retrain_body",
    "run_outcome",
    "run_progress",
    "run_running",
    "series_query",
    "validation_rows",
    "when",
]
