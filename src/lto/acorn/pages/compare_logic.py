"""The compare page's logic, apart from Dash: which jobs to compare, their parameters with the
differences marked, their scores and process metrics side by side with which is better, and
their Bossung curves ready to overlay.

Inputs are ``GET /jobs/{id}`` answers (``parameters``, ``result``) and, for the curves,
``GET /jobs/{id}/plot-data``. Scenario A (the first) is the baseline the differences are
measured from.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lto.acorn.figures import finite
from lto.acorn.figures.scores import HIGHER_IS_WORSE, score_label
from lto.acorn.forms import FIELD_NAMES, NOT_PARAMETERS
from lto.acorn.labels import parameter_label, state_label, value_label
from lto.acorn.pages.whatif_logic import WITH_RESULT
from lto.atlas import SIGNAL_NAMES

Json = Mapping[str, Any]
MAX_SCENARIOS = 6
SAME = 1e-9


def parse_job_ids(text: str | Sequence[str] | None, most: int = MAX_SCENARIOS) -> list[str]:
    """Job ids from ``?jobs=ID1,ID2`` (commas or spaces), each once, at most ``most``."""
    if not text:
        return []
    parts = re.split(r"[,\s]+", text) if isinstance(text, str) else list(text)
    found: list[str] = []
    for part in parts:
        part = str(part).strip()
        if part and part not in found:
            found.append(part)
    return found[:most]


def label(index: int) -> str:
    """A, B, C … (scenario letters)."""
    return string.ascii_uppercase[index % 26]


def scenario_name(index: int, job: Json) -> str:
    return f"{label(index)} · {job.get('id')}"


def comparable(job: Json) -> bool:
    """Whether the job has a physics result to compare."""
    return str(job.get("state")) in WITH_RESULT and bool(job.get("result"))


# --- parameters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterRow:
    name: str  # the JobParameters field
    values: list[str]  # as shown: numbers, and choices by their labels ("Lines and spaces")
    differs: bool
    label: str = ""  # the field as the What-if form labels it


def _parameters(job: Json) -> dict[str, Any]:
    found = dict(job.get("parameters") or {})
    if not found.get("constraint_profile") and job.get("profile"):
        found["constraint_profile"] = job["profile"]  # the profile the API inferred
    return found


def _same(a: Any, b: Any) -> bool:
    x, y = finite(a), finite(b)
    if x is not None and y is not None:
        return abs(x - y) <= SAME * max(abs(x), abs(y), 1.0)
    return bool(a == b)


def show(value: Any) -> str:
    """A parameter's value as the table shows it: a choice by its label, never its code."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value_label(value)


def parameter_rows(jobs: Sequence[Json]) -> list[ParameterRow]:
    """Every parameter of the jobs (the form's fields first), its value per job, and whether
    the jobs differ in it."""
    params = [_parameters(j) for j in jobs]
    names = [n for n in FIELD_NAMES if any(n in p for p in params)]
    names += sorted({k for p in params for k in p} - set(names) - NOT_PARAMETERS)
    rows = []
    for name in names:
        raw = [p.get(name) for p in params]
        differs = any(not _same(raw[0], other) for other in raw[1:])
        rows.append(ParameterRow(name, [show(v) for v in raw], differs, parameter_label(name)))
    return rows


# --- scores -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    name: str
    label: str
    values: list[float | None]
    deltas: list[float | None]  # against scenario A (None for A itself)
    best: str  # "B", "A, C" (tied), "equal", or "—" where nothing compares
    direction: str  # "higher is better", "lower is better", "closest to target", ""

    def cell(self, index: int, digits: int = 3, unit: str = "") -> str:
        value, delta = self.values[index], self.deltas[index]
        if value is None:
            return "—"
        text = f"{value:.{digits}f}{unit}"
        return text if delta is None else f"{text} ({delta:+.{digits}f})"


def _best(values: Sequence[float | None], direction: str, target: float | None = None) -> str:
    """Which scenario is better by ``direction`` ("equal" when they all tie)."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2 or not direction:
        return "—"
    if direction == "closest to target":
        if target is None:
            return "—"
        known = [(i, -abs(v - target)) for i, v in known]
    elif direction == "lower is better":
        known = [(i, -v) for i, v in known]
    top = max(v for _, v in known)
    winners = [i for i, v in known if abs(v - top) <= SAME * max(abs(top), 1.0)]
    if len(winners) == len(known):
        return "equal"
    return ", ".join(label(i) for i in winners)


def _deltas(values: Sequence[float | None], digits: int = 3) -> list[float | None]:
    """Each value less A's, as the table shows them (rounded first: 0.992 − 0.992 is 0)."""
    shown = _rounded(values, digits)
    base = shown[0] if shown else None
    return [None] + [
        None if base is None or v is None else round(v - base, digits) + 0.0 for v in shown[1:]
    ]


def score_comparisons(jobs: Sequence[Json]) -> list[Comparison]:
    """The physics' six scores per job, the difference from A, and which job is better
    (yield risk: lower is better; every other score: higher)."""
    signals = [((j.get("result") or {}).get("signals") or {}) for j in jobs]
    rows = []
    for name in SIGNAL_NAMES:
        values = [finite(s.get(name)) for s in signals]
        direction = "lower is better" if name in HIGHER_IS_WORSE else "higher is better"
        rows.append(
            Comparison(
                name,
                score_label(name),
                values,
                _deltas(values),
                _best(_rounded(values, 3), direction),
                direction,
            )
        )
    return rows


def scores_of(job: Json) -> dict[str, float]:
    signals = (job.get("result") or {}).get("signals") or {}
    return {n: v for n in SIGNAL_NAMES if (v := finite(signals.get(n))) is not None}


# --- process metrics ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    direction: str
    digits: int  # decimals shown; values that round alike are equal
    bound_flag: str = ""  # the result's flag that makes the value a lower bound ("≥")
    signed: bool = False


METRICS: tuple[Metric, ...] = (
    Metric("cd_nm", "CD at the job's focus and dose", " nm", "closest to target", 2),
    Metric(
        "depth_of_focus_nm",
        "DoF at the required EL",
        " nm",
        "higher is better",
        0,
        "depth_of_focus_is_bound",
    ),
    Metric(
        "exposure_latitude_pct",
        "exposure latitude",
        " %",
        "higher is better",
        2,
        "exposure_latitude_is_bound",
    ),
    Metric("nils", "NILS", "", "higher is better", 3),
    Metric("image_contrast", "image contrast", "", "higher is better", 3),
    Metric("meef", "MEEF", "", "lower is better", 3),
    Metric("edge_placement_error_nm", "edge placement error", " nm", "lower is better", 2),
    Metric("dose_to_size_mj_cm2", "dose to size", " mJ/cm²", "", 2),
    Metric("best_focus_nm", "best focus", " nm", "", 1, signed=True),
)


def _rounded(values: Sequence[float | None], digits: int) -> list[float | None]:
    """As shown: 0.9922 and 0.9918 both read 0.992, and neither is "better"."""
    return [None if v is None else round(v, digits) + 0.0 for v in values]


def _cell(value: float | None, metric: Metric, bound: bool) -> str:
    if value is None:
        return "—"
    text = f"{value:+.{metric.digits}f}" if metric.signed else f"{value:.{metric.digits}f}"
    if metric.signed and float(text) == 0:
        text = f"{0.0:.{metric.digits}f}"  # never "-0.0"
    return f"{'≥ ' if bound else ''}{text}{metric.unit}"


@dataclass(frozen=True)
class MetricRow:
    key: str
    label: str
    cells: list[str]
    best: str
    direction: str


def metric_rows(jobs: Sequence[Json]) -> list[MetricRow]:
    """The physics' CD, DoF, EL, NILS … per job ("≥" where the window search reports only a
    bound), and which is better; the CD by its distance from each job's target."""
    results = [j.get("result") or {} for j in jobs]
    targets = {finite((j.get("parameters") or {}).get("target_cd_nm")) for j in jobs}
    target = targets.pop() if len(targets) == 1 else None
    rows = []
    for metric in METRICS:
        values = _rounded([finite(r.get(metric.key)) for r in results], metric.digits)
        if all(v is None for v in values):
            continue
        cells = [
            _cell(v, metric, bool(metric.bound_flag and r.get(metric.bound_flag)))
            for v, r in zip(values, results, strict=True)
        ]
        if metric.direction == "closest to target" and target is None:
            best = _best_per_target(values, jobs)
        else:
            best = _best(values, metric.direction, target)
        rows.append(MetricRow(metric.key, metric.label, cells, best, metric.direction))
    statuses = [str(r.get("window_status") or "—") for r in results]
    if any(s != "—" for s in statuses):
        rows.append(MetricRow("window_status", "process window", statuses, "—", ""))
    return rows


def _best_per_target(values: Sequence[float | None], jobs: Sequence[Json]) -> str:
    """Closest to target where the jobs have different targets: the relative error."""
    relative: list[float | None] = []
    for value, job in zip(values, jobs, strict=True):
        target = finite((job.get("parameters") or {}).get("target_cd_nm"))
        relative.append(None if value is None or not target else abs(value / target - 1.0))
    return _best(relative, "lower is better")


# --- the Bossung overlay ------------------------------------------------------------------------


def overlay_scenarios(jobs: Sequence[Json], plots: Sequence[Json | None]) -> list[dict[str, Any]]:
    """What ``figures.imaging.bossung_overlay`` draws, one entry per job."""
    scenarios = []
    for index, (job, plot) in enumerate(zip(jobs, plots, strict=True)):
        plot = plot or {}
        scenarios.append(
            {
                "label": label(index),
                "fem": plot.get("fem"),
                "target_cd_nm": plot.get(
                    "target_cd_nm", (job.get("parameters") or {}).get("target_cd_nm")
                ),
                "cd_tolerance_fraction": plot.get("cd_tolerance_fraction"),
            }
        )
    return scenarios


def job_option(job: Json) -> dict[str, str]:
    """A recent job as a dropdown option: id, state, profile, when."""
    when = str(job.get("submitted_at") or "")[:16].replace("T", " ")
    parts = [str(job.get("id")), state_label(job.get("state"))]
    parts += [p for p in (value_label(job["profile"]) if job.get("profile") else "", when) if p]
    return {"label": " · ".join(parts), "value": str(job.get("id"))}


__all__ = [
    "MAX_SCENARIOS",
    "METRICS",
    "Comparison",
    "MetricRow",
    "ParameterRow",
    "comparable",
    "job_option",
    "label",
    "metric_rows",
    "overlay_scenarios",
    "parameter_rows",
    "parse_job_ids",
    "scenario_name",
    "score_comparisons",
    "scores_of",
    "show",
]
