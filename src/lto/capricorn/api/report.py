"""A job's report: what was asked, what pre-flight predicted, what the physics found, the verdict
and the pictures. Pure functions: the report's data → a JSON document (``report_json``) → one
self-contained HTML page (``report_html``) an engineer can attach to a review.

The HTML page needs nothing else: its styles are inline, its pictures PNG data URIs; it has no
script, font, stylesheet or link to fetch (the API's Content-Security-Policy for HTML allows
``img-src data:`` and inline styles only). Every string that came from a user or a simulator
is escaped.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lto import __version__
from lto.atlas.contracts import SIGNAL_NAMES, SIGNAL_WORDS
from lto.atlas.errors import DomainError
from lto.atlas.lifecycle import Job, JobState
from lto.atlas.policies import constraint_profile, infer_profile_name
from lto.capricorn.api.report_html import render
from lto.capricorn.api.views import job_links

if TYPE_CHECKING:
    from lto.capricorn.api.report_figures import ReportFigure
    from lto.capricorn.repositories import ResultRecord

# field → (label, unit); the order is the report's
PARAMETERS: tuple[tuple[str, str, str], ...] = (
    ("wavelength_nm", "wavelength", "nm"),
    ("na", "numerical aperture", ""),
    ("illumination", "illumination", ""),
    ("sigma", "partial coherence σ (outer)", ""),
    ("sigma_inner", "partial coherence σ (inner)", ""),
    ("polarization", "imaging model / polarisation", ""),
    ("dose_mj_cm2", "dose", "mJ/cm²"),
    ("focus_nm", "focus (+ into the resist)", "nm"),
    ("resist_thickness_nm", "resist thickness", "nm"),
    ("pattern", "pattern", ""),
    ("target_cd_nm", "target CD", "nm"),
    ("pitch_nm", "pitch", "nm"),
    ("pattern_complexity", "pattern complexity (0 = 1-D lines)", ""),
    ("grid_size_nm", "simulation grid", "nm"),
    ("use_ai_surrogate", "pre-flight with the surrogate", ""),
    ("constraint_profile", "constraint profile", ""),
    ("job_class", "job class", ""),
    ("priority", "priority (1–10)", ""),
    ("submitted_by", "submitted by", ""),
)
# SimulationResult field → (label, unit, the field saying it is a bound)
METRICS: tuple[tuple[str, str, str, str | None], ...] = (
    ("cd_nm", "CD at the job's dose and focus", "nm", None),
    ("dose_to_size_mj_cm2", "dose to size", "mJ/cm²", None),
    ("best_focus_nm", "best focus (+ into the resist)", "nm", None),
    ("depth_of_focus_nm", "depth of focus", "nm", "depth_of_focus_is_bound"),
    ("exposure_latitude_pct", "exposure latitude", "%", "exposure_latitude_is_bound"),
    ("nils", "NILS at the feature edge", "", None),
    ("image_contrast", "image contrast", "", None),
    ("meef", "MEEF", "", None),
    ("edge_placement_error_nm", "edge placement error", "nm", None),
)
SCORE_LABELS = SIGNAL_WORDS | {"yield_risk": "yield risk (higher is worse)"}
PENDING = {
    JobState.SUBMITTED: "submitted: not yet validated",
    JobState.VALIDATING: "being validated",
    JobState.PREFLIGHT: "in pre-flight",
    JobState.QUEUED: "queued: waiting for a worker to run the physics",
    JobState.RUNNING: "running on a worker",
    JobState.EVALUATING: "simulated; being evaluated",
}


@dataclass(frozen=True)
class ReportData:
    job: Job
    record: ResultRecord | None
    figures: list[ReportFigure] = field(default_factory=list)
    generated_at: datetime | None = None


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _parameters(job: Job) -> list[dict[str, Any]]:
    values = job.parameters.model_dump(mode="json")
    return [
        {"name": name, "label": label, "value": values.get(name), "unit": unit}
        for name, label, unit in PARAMETERS
        if values.get(name) is not None or name in ("focus_nm", "constraint_profile")
    ]


def _profile(job: Job) -> tuple[str | None, float, float]:
    """The job's profile name, its CD tolerance and required EL (the defaults without one)."""
    name = job.parameters.constraint_profile or infer_profile_name(
        job.parameters.wavelength_nm, job.parameters.na
    )
    try:
        profile = constraint_profile(name) if name else None
    except DomainError:  # an unknown name: the job was rejected for it; the report still renders
        profile = None
    if profile is None:
        return name, 0.10, 0.05
    return profile.name, profile.cd_tolerance_fraction, profile.required_exposure_latitude


def _scores(job: Job, result: dict[str, Any] | None) -> list[dict[str, Any]]:
    predicted = (job.prediction or {}).get("scores") or {}
    judged = ((job.evaluation or {}).get("scores")) or {}
    actual = (result or {}).get("signals") or {}
    rows = []
    for name in SIGNAL_NAMES:
        interval = predicted.get(name) or {}
        value = actual.get(name, (judged.get(name) or {}).get("actual"))
        lower, upper = interval.get("lower"), interval.get("upper")
        verdict = (judged.get(name) or {}).get("within")
        within: bool | None
        if verdict is not None:
            within = verdict == 1.0
        elif value is not None and lower is not None and upper is not None:
            within = bool(lower <= value <= upper)
        else:
            within = None
        rows.append({
            "name": name, "label": SCORE_LABELS[name], "higher_is_worse": name == "yield_risk",
            "predicted_mean": interval.get("mean"), "lower": lower, "upper": upper,
            "actual": _finite(value), "within": within, "judged": verdict is not None,
        })  # fmt: skip
    return rows


def _result(record: ResultRecord | None, required_el: float) -> dict[str, Any] | None:
    if record is None:
        return None
    result = record.result
    compute = result.get("compute") or {}
    metrics = []
    for name, label, unit, bound in METRICS:
        shown = f"{label} at EL {required_el:.0%}" if name == "depth_of_focus_nm" else label
        metrics.append({
            "name": name, "label": shown, "value": _finite(result.get(name)), "unit": unit,
            "is_bound": bool(result.get(bound)) if bound else False,
        })  # fmt: skip
    return {
        "simulator": record.simulator,
        "backend": compute.get("backend"),
        "device": compute.get("device"),
        "method": compute.get("method") or None,
        "wall_time_s": compute.get("wall_time_s"),
        "grid_shape": compute.get("grid_shape"),
        "window_status": result.get("window_status"),
        "window_reason": result.get("window_reason"),
        "dose_range_mj_cm2": result.get("dose_range_mj_cm2"),
        "focus_range_nm": result.get("focus_range_nm"),
        "metrics": metrics,
        "resist_profile": result.get("resist_profile"),
        "stored_at": record.created_at,
    }


def _verdict(job: Job) -> dict[str, Any]:
    evaluation = job.evaluation or {}
    state = job.state
    outcome, summary, details = "pending", PENDING.get(state, state.value), []
    if state is JobState.REJECTED:
        outcome, summary = "rejected", "rejected before any compute was spent"
        details = [f"{v.field}: {v.rule}" for v in job.rejection]
    elif state is JobState.BLOCKED:
        outcome, summary = "blocked", f"blocked by pre-flight: {job.blocked_reason}"
    elif state is JobState.CANCELLED:
        outcome, summary = "cancelled", job.history[-1].reason or "cancelled while queued"
    elif state is JobState.FAILED:
        outcome, summary, details = "failed", "the simulation failed", [job.error]
    elif state is JobState.COMPLETED:
        outcome, summary = "passed", job.history[-1].reason or "completed"
    elif state in (JobState.ANOMALY_FLAGGED, JobState.ENGINEER_REVIEW, JobState.CLEARED,
                   JobState.ESCALATED):  # fmt: skip
        outcome = "anomaly"
        summary = {
            JobState.ANOMALY_FLAGGED: "anomaly flagged: awaiting an engineer's review",
            JobState.ENGINEER_REVIEW: f"anomaly flagged: in review by {job.reviewed_by}",
            JobState.CLEARED: f"anomaly flagged, then cleared by {job.reviewed_by} (false alarm)",
            JobState.ESCALATED: f"anomaly flagged, then escalated by {job.reviewed_by}",
        }[state]
        details = list(evaluation.get("details") or [])
    return {
        "outcome": outcome,
        "summary": summary,
        "details": [d for d in details if d],
        "anomalous": list(evaluation.get("anomalous") or []),
        "alternative": job.alternative if state is JobState.BLOCKED else None,
        "reviewed_by": job.reviewed_by or None,
        "review_note": job.review_note or None,
    }


def _preflight(job: Job) -> dict[str, Any] | None:
    prediction = job.prediction
    if not prediction:
        return None
    flags = prediction.get("flags") or {}
    return {
        "model_version": prediction.get("model_version"),
        "confidence_level": prediction.get("confidence_level"),
        "inference_time_ms": prediction.get("inference_time_ms"),
        "recommend_physics": bool(flags.get("recommend_physics")),
        "high_uncertainty": bool(flags.get("high_uncertainty")),
        "out_of_distribution": bool(flags.get("out_of_distribution")),
        "drift_detected": bool(flags.get("drift_detected")),
    }


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def report_json(data: ReportData, *, include_figures: bool = False) -> dict[str, Any]:
    """The report as JSON: ``include_figures`` puts each picture in as a PNG data URI."""
    job = data.job
    profile, tolerance, required_el = _profile(job)
    links = job_links(job.id)
    notes = []
    if data.record is None:
        notes.append(f"The job is {job.state.value}: it has no simulation result.")
    notes += sorted({f.note for f in data.figures if f.note and not f.available})
    return {
        "job_id": job.id,
        "title": f"LTO job report: {job.id}",
        "generated_at": data.generated_at,
        "lto_version": __version__,
        "state": job.state.value,
        "state_summary": _verdict(job)["summary"],
        "submitted_by": job.parameters.submitted_by,
        "submitted_at": job.submitted_at,
        "updated_at": job.updated_at,
        "profile": profile,
        "cd_tolerance_fraction": tolerance,
        "required_exposure_latitude": required_el,
        "parameters": _parameters(job),
        "metadata": dict(job.parameters.metadata),
        "history": [{"state": c.state.value, "at": c.at, "reason": c.reason} for c in job.history],
        "preflight": _preflight(job),
        "preflight_note": job.preflight_note,
        "scores": _scores(job, data.record.result if data.record else job.result),
        "result": _result(data.record, required_el),
        "verdict": _verdict(job),
        "figures": [
            {
                "name": f.name,
                "title": f.title,
                "caption": f.caption,
                "available": f.available,
                "note": f.note,
                "data_uri": data_uri(f.png) if include_figures and f.png is not None else None,
            }
            for f in data.figures
        ],
        "notes": notes,
        "links": {"job": links.self, "report": links.report, "report_html": links.report_html},
    }


def report_html(data: ReportData) -> str:
    """One self-contained HTML document (see the module's doc)."""
    document = report_json(data, include_figures=False)
    pictures = {f.name: data_uri(f.png) for f in data.figures if f.png is not None}
    return render(document, pictures)


__all__ = ["METRICS", "PARAMETERS", "ReportData", "data_uri", "report_html", "report_json"]
