"""The what-if page's logic, apart from Dash: what a prediction says (scores, flags, the
reasons a job lies outside the surrogate's domain, attributions), where a job is in its
lifecycle, and what its outcome was.

Inputs are the API's JSON: ``POST /tradeoffs/predict``'s answer, ``GET /jobs/{id}``, and the
``domain`` of ``GET /models/current``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lto.acorn.figures import finite
from lto.acorn.figures.scores import HIGHER_IS_WORSE, interval_scores, score_label
from lto.acorn.forms import values_from_parameters, whatif_href
from lto.acorn.labels import parameter_label, state_label, value_label
from lto.acorn.messages import field_message
from lto.atlas import FINAL_STATES, SIGNAL_NAMES
from lto.atlas.policies import infer_profile_name
from lto.atlas.technology import resolution_limit_pitch_nm

Json = Mapping[str, Any]

# The lifecycle's main line, and where each way out leaves it (atlas.lifecycle)
STAGES: tuple[str, ...] = (
    "submitted",
    "validating",
    "preflight",
    "queued",
    "running",
    "evaluating",
    "final",
)
STAGE_LABELS = {"preflight": "pre-flight"}
LEAVES_AT = {
    "rejected": "validating",
    "blocked": "preflight",
    "cancelled": "queued",
    "failed": "running",
}
GOOD_ENDS = frozenset({"completed", "cleared"})
# the scores the surrogate learns from the physics (the evaluation compares these)
LEARNED = ("resolution_vs_dof", "yield_risk", "speed_vs_accuracy", "cost_vs_fidelity")
# polling stops here: final, or waiting for an engineer (nothing changes on its own)
STOP_STATES = frozenset({str(s) for s in FINAL_STATES} | {"anomaly_flagged", "engineer_review"})
# states whose job holds a physics result
WITH_RESULT = frozenset(
    {"evaluating", "completed", "anomaly_flagged", "engineer_review", "cleared", "escalated"}
)


def stops_polling(state: str | None) -> bool:
    return state in STOP_STATES


# --- the prediction -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreRow:
    name: str
    label: str
    value: float
    lower: float
    upper: float
    direction: str  # "higher is better" / "higher is worse"


def score_rows(scores: Json | None) -> list[ScoreRow]:
    """The six scores with their intervals, in signal order."""
    return [
        ScoreRow(
            name,
            score_label(name),
            s["value"],
            s["lower"],
            s["upper"],
            "higher is worse" if name in HIGHER_IS_WORSE else "higher is better",
        )
        for name, s in interval_scores(scores).items()
    ]


@dataclass(frozen=True)
class Flag:
    name: str
    text: str
    color: str  # a Bootstrap colour


def flags(prediction: Json, domain_reasons: Sequence[str] = ()) -> list[Flag]:
    """The prediction's warnings in words: out of distribution (with the reasons, where the
    parameters break the training domain, else the distance), high uncertainty, drift, and
    whether the physics is recommended."""
    raw = prediction.get("flags") or {}
    found: list[Flag] = []
    if raw.get("out_of_distribution"):
        distance = finite(raw.get("ood_distance"))
        if domain_reasons:
            why = "; ".join(domain_reasons)
        else:
            why = "the features lie farther from the training set than 99% of its own jobs"
            if distance is not None:
                why += f" (distance {distance:.3g})"
        found.append(Flag("out_of_distribution", f"Out of distribution: {why}.", "danger"))
    if raw.get("high_uncertainty"):
        found.append(
            Flag(
                "high_uncertainty",
                "High uncertainty: the intervals are too wide to trust the prediction.",
                "warning",
            )
        )
    if raw.get("drift_detected"):
        found.append(
            Flag(
                "drift_detected",
                "Drift: the recent jobs differ from the model's training data.",
                "warning",
            )
        )
    recommend = prediction.get("recommend_physics")
    if recommend is None:
        recommend = any(
            raw.get(k) for k in ("out_of_distribution", "high_uncertainty", "drift_detected")
        )
    if recommend:
        found.append(
            Flag("recommend_physics", "The surrogate recommends running the physics.", "info")
        )
    else:
        found.append(Flag("confident", "The surrogate is confident: no flag raised.", "success"))
    return found


def confidence_text(prediction: Json) -> str:
    level = finite(prediction.get("confidence_level"))
    return f"{level:.0%} intervals" if level is not None else "intervals"


def constraint_lines(prediction: Json) -> list[str]:
    """The constraint check in words: the profile and every violated rule."""
    check = prediction.get("constraints") or {}
    profile = value_label(check.get("profile")) if check.get("profile") else "no"
    if check.get("ok", True):
        return [f"Meets the {profile} profile."]
    return [f"Breaks the {profile} profile:"] + [
        field_message(str(v.get("field")), str(v.get("rule")))
        for v in check.get("violations") or []
    ]


def top_attributions(prediction: Json, top: int = 3) -> dict[str, list[tuple[str, float]]]:
    """Per score, its ``top`` strongest feature attributions (signed), strongest first.
    Reads both the predict endpoint's lists and a stored prediction's mappings."""
    found: dict[str, list[tuple[str, float]]] = {}
    raw = prediction.get("attributions") or {}
    for score in SIGNAL_NAMES:
        entries = raw.get(score)
        if not entries:
            continue
        if isinstance(entries, Mapping):
            pairs = [(str(k), finite(v)) for k, v in entries.items()]
        else:
            pairs = [(str(e.get("feature")), finite(e.get("contribution"))) for e in entries]
        kept = [(k, v) for k, v in pairs if v is not None]
        kept.sort(key=lambda kv: abs(kv[1]), reverse=True)
        if kept:
            found[score] = kept[:top]
    return found


def model_line(prediction: Json) -> str:
    version = prediction.get("model_version") or "?"
    elapsed = finite(prediction.get("inference_time_ms"))
    timing = f" in {elapsed:.1f} ms" if elapsed is not None else ""
    return f"model {version}{timing}"


# --- the surrogate's training domain ------------------------------------------------------------


def _within(value: float, interval: Sequence[Any], slack: float = 1e-9) -> bool:
    low, high = float(interval[0]), float(interval[1])
    span = max(abs(low), abs(high), 1.0) * slack
    return low - span <= value <= high + span


def _range(interval: Sequence[Any], unit: str = "") -> str:
    return f"{float(interval[0]):g}–{float(interval[1]):g}{unit}"


def outside_domain(parameters: Json, domain: Json | None) -> list[str]:
    """The reasons ``parameters`` lie outside the surrogate's training ``domain`` (the
    ``domain`` of ``GET /models/current``), each naming the field, its value and the range;
    empty when inside or when the domain is unknown."""
    if not domain:
        return []
    reasons: list[str] = []
    wavelength, na = finite(parameters.get("wavelength_nm")), finite(parameters.get("na"))
    name = parameters.get("constraint_profile") or (
        infer_profile_name(wavelength, na) if wavelength and na else None
    )
    profiles = {p.get("name"): p for p in domain.get("profiles") or []}
    profile = profiles.get(name)
    shown = value_label(name) if name else "no"
    if profile is None:
        listed = ", ".join(value_label(p) for p in profiles)
        reasons.append(f"the {shown} profile is not in the domain ({listed})")
    else:
        if wavelength is not None and abs(wavelength - float(profile["wavelength_nm"])) > 1e-6:
            reasons.append(
                f"{parameter_label('wavelength_nm')} {wavelength:g} nm is not {shown}'s "
                f"{float(profile['wavelength_nm']):g} nm"
            )
        for key, unit in (("na", ""), ("resist_thickness_nm", " nm"), ("dose_mj_cm2", " mJ/cm²")):
            value = finite(parameters.get(key))
            limits = profile.get(key)
            if value is not None and limits and not _within(value, limits):
                reasons.append(
                    f"{parameter_label(key)} {value:g}{unit} is outside {shown}'s "
                    f"{_range(limits, unit)}"
                )
    sigma = finite(parameters.get("sigma"))
    if sigma is not None and domain.get("sigma") and not _within(sigma, domain["sigma"]):
        reasons.append(
            f"{parameter_label('sigma')} {sigma:g} is outside the domain's {_range(domain['sigma'])}"
        )
    for key, allowed in (("illumination", "illuminations"), ("pattern", "patterns")):
        value = parameters.get(key)
        if value is not None and domain.get(allowed) and value not in domain[allowed]:
            known = ", ".join(value_label(v) for v in domain[allowed])
            reasons.append(
                f"{parameter_label(key)} {value_label(value)} is not in the domain ({known})"
            )
    pitch, cd = finite(parameters.get("pitch_nm")), finite(parameters.get("target_cd_nm"))
    ratio_range = domain.get("pitch_over_limit")
    if ratio_range and pitch and wavelength and na and sigma is not None:
        ratio = pitch / resolution_limit_pitch_nm(wavelength, na, sigma)
        if not _within(ratio, ratio_range):
            reasons.append(
                f"{parameter_label('pitch_nm')} {pitch:g} nm is {ratio:.3g}× the resolution "
                f"limit; the domain covers {_range(ratio_range)}×"
            )
    duty_range = domain.get("cd_over_pitch")
    if duty_range and pitch and cd is not None and not _within(cd / pitch, duty_range):
        reasons.append(
            f"{parameter_label('target_cd_nm')} {cd:g} nm is {cd / pitch:.3g} of the pitch; the "
            f"domain covers {_range(duty_range)}"
        )
    return reasons


# --- the job ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    status: str  # "done", "current", "failed", "attention", "skipped", "pending"
    at: str | None  # when the job reached it (ISO time from the history)
    reason: str = ""


def stages(job: Json) -> list[Stage]:
    """The job's way through the lifecycle, stage by stage: done, the current one, the one it
    left the main line at (failed), the ones it skipped, or still to come. The last stage is
    named after the final state reached."""
    state = str(job.get("state") or "submitted")
    reached: dict[str, tuple[str | None, str]] = {}
    for change in job.get("history") or []:
        key = str(change.get("state"))
        reached["final" if key not in STAGES else key] = (
            change.get("at"),
            str(change.get("reason") or ""),
        )
    left_at = LEAVES_AT.get(state)
    current = state if state in STAGES else "final"
    found: list[Stage] = []
    for key in STAGES:
        label = STAGE_LABELS.get(key, key)
        at, reason = reached.get(key, (None, ""))
        if key == "final":
            if state in STAGES:
                status = "pending"
            else:
                label = state_label(state)
                status = _final_status(state)
        elif left_at is not None:
            position, leaving = STAGES.index(key), STAGES.index(left_at)
            if position < leaving:
                status = "done"
            elif position == leaving:
                status, (at, reason) = "failed", reached.get("final", (at, reason))
            else:
                status = "skipped"
        else:
            position, now = STAGES.index(key), STAGES.index(current)
            status = "done" if position < now else "current" if position == now else "pending"
        found.append(Stage(key, label, status, at, reason))
    return found


def _final_status(state: str) -> str:
    if state in GOOD_ENDS:
        return "done"
    if state in LEAVES_AT:
        return "failed"
    return "attention"  # flagged, in review or escalated: an engineer's turn


def outcome(job: Json) -> list[str]:
    """Why a job ended where it did, in words: its rejection's rules, the reason it was
    blocked, its error, or the evaluation's details."""
    state = str(job.get("state"))
    if state == "rejected":
        return ["Rejected by validation:"] + [
            field_message(str(v.get("field")), str(v.get("rule")))
            for v in job.get("rejection") or []
        ]
    if state == "blocked":
        lines = [f"Blocked by pre-flight: {job.get('blocked_reason') or job.get('note')}"]
        if not job.get("alternative"):
            lines.append("No alternative was found.")
        return lines
    if state == "failed":
        return [f"The physics failed: {job.get('error') or job.get('note') or 'no reason given'}"]
    if state == "cancelled":
        return [f"Cancelled: {job.get('note') or ''}".strip()]
    evaluation = job.get("evaluation") or {}
    if state in ("anomaly_flagged", "engineer_review", "escalated"):
        details = evaluation.get("details") or [job.get("note") or ""]
        return [f"Flagged for review ({state_label(state)}):", *details]
    if state in GOOD_ENDS:
        return [job.get("note") or "Completed."]
    return []


def alternative_href(job: Json) -> str | None:
    """A blocked job's suggested alternative, as a link that loads it into the form."""
    alternative = job.get("alternative")
    if not alternative:
        return None
    prefill = values_from_parameters(alternative)
    return whatif_href({**prefill.extras, **prefill.values})


def alternative_changes(job: Json) -> list[str]:
    """What the alternative changes, field by field, by the form's labels ("Numerical
    aperture NA: 1.35 → 1.2")."""
    alternative = job.get("alternative") or {}
    parameters = job.get("parameters") or {}
    changes = []
    for key, value in alternative.items():
        if key in ("submitted_by", "metadata"):
            continue
        before = parameters.get(key)
        if before != value:
            changes.append(f"{parameter_label(key)}: {_show(before)} → {_show(value)}")
    return changes


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return value_label(value)


@dataclass(frozen=True)
class Measured:
    name: str
    label: str
    predicted: tuple[float, float, float] | None  # (value, lower, upper)
    actual: float | None
    within: bool | None


def measured_rows(job: Json) -> list[Measured]:
    """Each score: pre-flight's prediction with its interval beside the physics' value, and
    whether the value fell inside the interval. Only the four learned scores are compared:
    the physics scores its own reliability as 1 and its health from that (docs/surrogate.md),
    so those two differ from the prediction by construction."""
    predicted = interval_scores((job.get("prediction") or {}).get("scores"))
    actual = ((job.get("result") or {}).get("signals")) or {}
    rows = []
    for name in SIGNAL_NAMES:
        p = predicted.get(name)
        a = finite(actual.get(name))
        interval = (p["value"], p["lower"], p["upper"]) if p else None
        within = (
            None if p is None or a is None or name not in LEARNED else p["lower"] <= a <= p["upper"]
        )
        if interval is None and a is None:
            continue
        rows.append(Measured(name, score_label(name), interval, a, within))
    return rows


def measured_scores(job: Json) -> dict[str, float]:
    signals = (job.get("result") or {}).get("signals") or {}
    return {n: v for n in SIGNAL_NAMES if (v := finite(signals.get(n))) is not None}


def report_href(job_id: str) -> str:
    return f"/reports/{job_id}"


# --- "Add to compare" -----------------------------------------------------------------------------

RUN_FIRST = "Run physics for these settings first"


@dataclass(frozen=True)
class CompareGate:
    """Whether "Add to compare" may add the last physics run, and the button's tooltip."""

    enabled: bool
    why: str


def same_settings(a: Json | None, b: Json | None, tolerance: float = 1e-12) -> bool:
    """Two checked form bodies ask for the same job (numbers equal to ``tolerance``)."""
    if a is None or b is None or set(a) != set(b):
        return False
    for key, x in a.items():
        y = b[key]
        p, q = finite(x), finite(y)
        if p is not None and q is not None:
            if abs(p - q) > tolerance * max(abs(p), abs(q), 1.0):
                return False
        elif x != y:
            return False
    return True


def compare_gate(current: Json | None, ran: Json | None, status: Json | None) -> CompareGate:
    """The last physics run (``ran``: its job and the body it was submitted with) may join the
    comparison only while the form (``current``: its checked body, None while invalid) still
    asks for exactly those settings and once the run has finished with a physics result
    (``status``: the job's state as last polled). After any edit the button waits for a
    physics run of the new settings: it never adds an old job for the values on screen."""
    job = (ran or {}).get("job")
    if not job or not same_settings(current, (ran or {}).get("body")):
        return CompareGate(False, RUN_FIRST)
    state = (status or {}).get("state") if (status or {}).get("job") == job else None
    if not state or not stops_polling(state):
        return CompareGate(False, f"Wait for job {job}: its physics run has not finished")
    if state not in WITH_RESULT:
        return CompareGate(False, f"Job {job} is {state_label(state)}, without a physics result: {RUN_FIRST.lower()}")  # fmt: skip
    return CompareGate(True, f"Add job {job} (the settings on screen) to the comparison")


def with_last_job(ids: Json | None, job_id: str) -> dict[str, Any]:
    """The app's id store with ``job_id`` as the last job."""
    return {**(ids or {}), "last_job": job_id}


def with_compared(ids: Json | None, job_id: str, most: int = 6) -> dict[str, Any]:
    """The app's id store with ``job_id`` added to the compare list (once; the newest
    ``most`` kept)."""
    listed = [i for i in (ids or {}).get("compare") or [] if i != job_id]
    return {**(ids or {}), "compare": [*listed, job_id][-most:]}


__all__ = [
    "RUN_FIRST",
    "STAGES",
    "STOP_STATES",
    "WITH_RESULT",
    "CompareGate",
    "Flag",
    "Measured",
    "ScoreRow",
    "Stage",
    "alternative_changes",
    "alternative_href",
    "compare_gate",
    "confidence_text",
    "constraint_lines",
    "flags",
    "measured_rows",
    "measured_scores",
    "model_line",
    "outcome",
    "outside_domain",
    "report_href",
    "same_settings",
    "score_rows",
    "stages",
    "stops_polling",
    "top_attributions",
    "with_compared",
    "with_last_job",
]
