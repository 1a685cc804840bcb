"""The Optimise page's logic, apart from Dash: the base job's form, the free parameters and
their default ranges, the request ``POST /api/v1/optimisations`` takes, reading a run
(``GET /api/v1/optimisations/{id}``) back, and the links from a trial to the What-if page and
to a physics job that confirms it.

The API decides everything: the ranges shown here are the constraint profile's, as the API
takes them when a free parameter has no ``low``/``high``; every rule is the API's to check and
its message (naming the field) is what the engineer sees.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from lto.acorn.forms import DEFAULTS, read_number
from lto.acorn.labels import parameter_label, state_label
from lto.atlas.contracts import SIGNAL_NAMES, JobClass, JobParameters, Pattern
from lto.atlas.policies import PROFILES, ConstraintProfile, constraint_profile, infer_profile_name
from lto.atlas.technology import Polarization
from lto.client import ApiError

Kind = Literal["number", "choice", "bool"]
MAX_TRIALS = 500
DEFAULT_TRIALS = 60
SAMPLERS = ("auto", "tpe", "nsga2", "gp", "random")
ACTIVE_STATES = frozenset({"queued", "running"})
TRAIL_LIMIT = MAX_TRIALS + 100  # one point per poll at most; a run has at most 500 trials
DEFAULT_DOSE_SPAN = 0.3  # a free dose searches ± this fraction around the job's (as the API)


@dataclass(frozen=True)
class FormField:
    """One field of the base job: a ``JobParameters`` field and how the form shows it."""

    name: str
    label: str
    kind: Kind = "number"
    options: tuple[str, ...] = ()
    step: float | str = "any"


JOB_FORM: tuple[FormField, ...] = (
    FormField("wavelength_nm", "λ (nm)"),
    FormField("na", "NA", step=0.01),
    FormField("sigma", "σ outer", step=0.01),
    FormField("illumination", "illumination", "choice",
              ("conventional", "annular", "dipole", "quadrupole")),
    FormField("sigma_inner", "σ inner (not conventional)", step=0.01),
    FormField("dose_mj_cm2", "dose (mJ/cm²)"),
    FormField("focus_nm", "focus (nm, + into the resist)"),
    FormField("resist_thickness_nm", "resist thickness (nm)"),
    FormField("target_cd_nm", "target CD (nm)"),
    FormField("pitch_nm", "pitch (nm)"),
    FormField("grid_size_nm", "grid pixel (nm)"),
    FormField("pattern", "pattern", "choice", tuple(p.value for p in Pattern)),
    FormField("pattern_complexity", "pattern complexity (0–1)", step=0.05),
    FormField("polarization", "imaging model (empty: the technology's)", "choice",
              tuple(p.value for p in Polarization)),
    FormField("constraint_profile", "constraint profile (empty: from λ and NA)", "choice",
              tuple(PROFILES)),
    FormField("job_class", "job class", "choice", tuple(c.value for c in JobClass)),
    FormField("priority", "priority (1–10)", step=1),
    FormField("use_ai_surrogate", "pre-flight with the surrogate", "bool"),
)  # fmt: skip
FORM_FIELDS: Mapping[str, FormField] = {f.name: f for f in JOB_FORM}
OPTIONAL = frozenset({"sigma_inner", "polarization", "constraint_profile"})
INTEGERS = frozenset({"priority"})

# the job the form starts from: the What-if page's (ArF immersion, 45 nm lines at 90 nm pitch
# with a dipole), so that both pages open on the same profile and the same job
EXAMPLE_JOB: Mapping[str, Any] = {k: v for k, v in DEFAULTS.items() if k in FORM_FIELDS}

FREE_PARAMETERS: tuple[str, ...] = (
    "na",
    "sigma",
    "sigma_inner",
    "dose_mj_cm2",
    "focus_nm",
    "resist_thickness_nm",
)
DEFAULT_FREE = ("dose_mj_cm2", "focus_nm")
OBJECTIVES: tuple[str, ...] = tuple(SIGNAL_NAMES)
DIRECTIONS: Mapping[str, str] = {
    name: "minimize" if name == "yield_risk" else "maximize" for name in SIGNAL_NAMES
}


# --- the base job ----------------------------------------------------------------------------


def _default(name: str) -> Any:
    if name in EXAMPLE_JOB:
        return EXAMPLE_JOB[name]
    value = JobParameters.model_fields[name].default
    return getattr(value, "value", value)


def form_defaults() -> dict[str, Any]:
    """Every form field's starting value (None: the API's default applies)."""
    return {f.name: _default(f.name) for f in JOB_FORM}


def _truth(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    return None


def _from_text(field: FormField, text: str) -> tuple[Any, str | None]:
    """A query-string value as the form holds it, or a note saying why it was not taken."""
    text = str(text).strip()
    if text == "" and field.name in OPTIONAL:
        return None, None
    if field.kind == "bool":
        value = _truth(text)
        return value, None if value is not None else f"{field.name}={text!r}: not true or false"
    if field.kind == "choice":
        for option in field.options:
            if option.lower() == text.lower():
                return option, None
        return None, f"{field.name}={text!r}: choose from {', '.join(field.options)}"
    try:
        number = float(text)
    except ValueError:
        return None, f"{field.name}={text!r}: not a number"
    if field.name in INTEGERS and number.is_integer():
        return int(number), None
    return number, None


def job_from_query(query: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The form's values: the defaults with every ``JobParameters`` field the query names in
    place, and a note for each value that could not be taken (the default stays)."""
    values, notes = form_defaults(), []
    for name, text in query.items():
        field = FORM_FIELDS.get(name)
        if field is None:
            continue
        value, note = _from_text(field, text)
        if note:
            notes.append(note)
        else:
            values[name] = value
    # as the What-if form reads a link: a λ or NA without a profile infers it (the default
    # profile would not fit them), and conventional illumination has no inner σ
    if "constraint_profile" not in query and {"wavelength_nm", "na"} & set(query):
        values["constraint_profile"] = None
    if values.get("illumination") == "conventional" and "sigma_inner" not in query:
        values["sigma_inner"] = None
    return values, notes


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def job_problems(values: Mapping[str, Any]) -> list[str]:
    """What is wrong with the numbers typed into the base job (its inputs are text: "abc" is
    said to be no number, not taken for an empty field), each by the field's label."""
    problems = []
    for field in JOB_FORM:
        value = values.get(field.name)
        if field.kind != "number" or _blank(value):
            continue
        try:
            read_number(value)
        except ValueError as error:
            problems.append(f"{field.label}: {error}")
    return problems


def job_from_form(values: Mapping[str, Any]) -> dict[str, Any]:
    """The job as the API takes it: the fields the engineer filled in (an empty field is left
    out, so the API's default or its 'field required' applies; a number that does not read is
    left out too, and ``job_problems`` says why). ``submitted_by`` is never sent: the API
    makes it the caller."""
    job: dict[str, Any] = {}
    for field in JOB_FORM:
        value = values.get(field.name)
        if _blank(value):
            continue
        if field.kind == "number":
            try:
                value = read_number(value)
            except ValueError:
                continue
        if field.kind == "bool":
            value = bool(value)
        elif field.name in INTEGERS and isinstance(value, float) and value.is_integer():
            value = int(value)
        job[field.name] = value
    return job


# --- free parameters and their default ranges --------------------------------------------------


def _number(job: Mapping[str, Any], name: str) -> float | None:
    """The field as a number (the inputs are text: "1.35" too), None where it is none."""
    value = job.get(name)
    if _blank(value):
        return None
    try:
        return read_number(value)
    except ValueError:
        return None


def profile_of(job: Mapping[str, Any]) -> ConstraintProfile | None:
    """The job's constraint profile: the one it names, else the one its λ and NA infer."""
    named = job.get("constraint_profile")
    try:
        if named:
            return constraint_profile(str(named))
    except Exception:  # an unknown name: the API says which exist
        return None
    wavelength, na = _number(job, "wavelength_nm"), _number(job, "na")
    if wavelength is None or na is None:
        return None
    name = infer_profile_name(wavelength, na)
    return constraint_profile(name) if name else None


def default_ranges(job: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """The range the API searches for each free parameter given without ``low``/``high`` (the
    profile's, as ``lto.metis.problem.default_range`` makes it): shown beside the inputs.
    Empty where the job has no profile."""
    profile = profile_of(job)
    if profile is None:
        return {}
    ranges = {
        "na": (profile.na.low, min(profile.na.high, profile.technology.max_na.value)),
        "sigma": (profile.sigma.low, profile.sigma.high),
        "sigma_inner": (profile.sigma.low, profile.sigma.high),
        "focus_nm": (-profile.required_dof_nm, profile.required_dof_nm),
        "dose_mj_cm2": (profile.dose_mj_cm2.low, profile.dose_mj_cm2.high),
    }
    dose = _number(job, "dose_mj_cm2")
    if dose is not None:
        low = max(dose * (1 - DEFAULT_DOSE_SPAN), profile.dose_mj_cm2.low)
        high = min(dose * (1 + DEFAULT_DOSE_SPAN), profile.dose_mj_cm2.high)
        if low < high:
            ranges["dose_mj_cm2"] = (low, high)
    thickness = profile.resist_thickness_nm
    cd = _number(job, "target_cd_nm")
    ceiling = min(thickness.high, profile.max_aspect_ratio * cd) if cd else thickness.high
    ranges["resist_thickness_nm"] = (
        (thickness.low, ceiling) if thickness.low < ceiling else (thickness.low, thickness.high)
    )
    return ranges


def optional_number(text: Any) -> float | None:
    """A typed box's number; None when it is left empty. ValueError in plain words for text
    that is no number ("“abc” is not a number", a decimal comma)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    return read_number(text)


def whole_number(
    label: str, text: Any, *, low: int | None = None, high: int | None = None
) -> tuple[int | None, list[str]]:
    """A typed box's whole number (None when empty), checked against ``low``…``high``; the
    message names the box by ``label``."""
    try:
        number = optional_number(text)
    except ValueError as error:
        return None, [f"{label}: {error}"]
    if number is None:
        return None, []
    if not number.is_integer():
        return None, [f"{label}: must be a whole number (got {number:g})"]
    if (low is not None and number < low) or (high is not None and number > high):
        span = f"{low}–{high}" if low is not None and high is not None else f"at least {low}"
        return None, [f"{label}: must be {span} (got {number:g})"]
    return int(number), []


def free_rows(
    chosen: Iterable[str],
    lows: Mapping[str, Any],
    highs: Mapping[str, Any],
) -> tuple[list[dict[str, Any]], list[str]]:
    """The ``free`` list: each chosen parameter, with its range when both ends are given (the
    profile's otherwise); a message for a half-given range or an end that is no number."""
    picked = set(chosen)
    rows, errors = [], []
    for name in FREE_PARAMETERS:
        if name not in picked:
            continue
        try:
            low, high = optional_number(lows.get(name)), optional_number(highs.get(name))
        except ValueError as error:
            errors.append(f"free {parameter_label(name)}: {error}")
            continue
        if (low is None) != (high is None):
            errors.append(
                f"free {parameter_label(name)}: give both low and high, or neither (the "
                "profile's range)"
            )
            continue
        row: dict[str, Any] = {"name": name}
        if low is not None and high is not None:
            row |= {"low": float(low), "high": float(high)}
        rows.append(row)
    return rows, errors


# --- objectives and constraints ------------------------------------------------------------------

_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*(<=|>=|≤|≥)\s*(\S+)\s*$")


def parse_constraints(text: str | None) -> tuple[list[dict[str, Any]], list[str]]:
    """``NAME<=VALUE`` / ``NAME>=VALUE`` rows, one a line (blank lines and ``#`` comments
    skipped), as the API's ``constraints``; a message naming each line that is not one."""
    rows, errors = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.split("#", 1)[0]
        if not line.strip():
            continue
        found = _CONSTRAINT.match(line)
        if found is None:
            errors.append(
                f"constraints line {number} ({line.strip()!r}): write NAME<=VALUE or "
                "NAME>=VALUE, e.g. yield_risk<=0.1"
            )
            continue
        name, operator, bound = found.groups()
        try:
            value = float(bound)
        except ValueError:
            errors.append(f"constraints line {number}: {bound!r} is not a number")
            continue
        operator = {"≤": "<=", "≥": ">="}.get(operator, operator)
        rows.append({"name": name, "operator": operator, "bound": value})
    return rows, errors


def constraints_text(constraints: Iterable[Mapping[str, Any]]) -> str:
    return "\n".join(f"{c['name']}{c['operator']}{float(c['bound']):g}" for c in constraints)


def build_request(
    job: Mapping[str, Any],
    free: Sequence[Mapping[str, Any]],
    objectives: Sequence[str] | None,
    constraints: Sequence[Mapping[str, Any]],
    trials: float | None,
    sampler: str | None = None,
    seed: float | None = None,
) -> dict[str, Any]:
    """The body of ``POST /api/v1/optimisations``. Objectives go with their natural direction
    (yield_risk minimised, the other scores maximised), as the API takes them."""
    body: dict[str, Any] = {
        "job": dict(job),
        "free": [dict(f) for f in free],
        "objectives": [{"name": name} for name in objectives or []],
        "constraints": [dict(c) for c in constraints],
        "evaluator": "surrogate",
    }
    if trials is not None:
        body["trials"] = int(trials) if float(trials).is_integer() else trials
    if sampler and sampler != "auto":
        body["sampler"] = sampler
    if seed is not None:
        body["seed"] = int(seed) if float(seed).is_integer() else seed
    return body


def form_from_run(run: Mapping[str, Any]) -> dict[str, Any]:
    """The form as the run was posed: to reopen a run and change it."""
    problem = run.get("problem") or {}
    template = problem.get("template") or {}
    values = form_defaults()
    for name in FORM_FIELDS:
        if name in template:
            values[name] = template[name]
    free = problem.get("free") or []
    return {
        "job": values,
        "free": [f["name"] for f in free],
        "lows": {f["name"]: f.get("low") for f in free},
        "highs": {f["name"]: f.get("high") for f in free},
        "objectives": [o["name"] for o in problem.get("objectives") or []],
        "constraints": constraints_text(problem.get("constraints") or []),
        "trials": problem.get("trials", run.get("trials")),
        "sampler": problem.get("sampler", "auto"),
        "seed": problem.get("seed"),
    }


# --- reading a run back --------------------------------------------------------------------------


def is_active(run: Mapping[str, Any] | None) -> bool:
    return run is not None and run.get("state") in ACTIVE_STATES


def objectives_of(run: Mapping[str, Any]) -> list[dict[str, str]]:
    return [dict(o) for o in (run.get("problem") or {}).get("objectives") or []]


def progress_of(run: Mapping[str, Any]) -> tuple[int, int]:
    """(trials done, the trial budget)."""
    progress = run.get("progress") or {}
    total = int(progress.get("trials_total") or run.get("trials") or 0)
    done = int(progress.get("trials_done") or 0)
    if run.get("state") == "completed" and run.get("result"):
        done = int(run["result"].get("trials", done))
    return done, total


STATUS_COLOURS = {
    "queued": "secondary",
    "running": "info",
    "completed": "success",
    "failed": "danger",
    "cancelled": "warning",
}


def run_status(run: Mapping[str, Any]) -> tuple[str, str]:
    """The line under the Run button, as the last poll found the run: (text, Bootstrap
    colour). It follows the run through queued → running (with the trials done) → completed,
    failed or cancelled, instead of saying "queued" for ever."""
    name = f"Optimisation {run.get('id', '?')}"
    state = str(run.get("state") or "")
    done, total = progress_of(run)
    feasible = (run.get("progress") or {}).get("feasible_trials")
    of_them = f", {feasible} feasible" if isinstance(feasible, int) else ""
    if state == "queued":
        text = f"{name} is queued: waiting for a worker to start it."
    elif state == "running":
        text = f"{name} is running: {done} of {total} trials done{of_them}."
    elif state == "completed":
        text = f"{name} completed: {done} of {total} trials{of_them}."
    elif state in ("failed", "cancelled"):
        why = run.get("error")
        text = (
            f"{name} {state}: {str(why).rstrip('.')}."
            if why
            else f"{name} {state} after {done} of {total} trials."
        )
    else:
        text = f"{name} is {state_label(state)}."
    return text, STATUS_COLOURS.get(state, "secondary")


def extend_trail(
    trail: list[dict[str, Any]] | None, run: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The polled best-so-far values, one point per new trial count (while the run searches,
    the API reports only those, not the trials)."""
    points = list(trail or [])
    progress = run.get("progress") or {}
    done = int(progress.get("trials_done") or 0)
    best = {k: float(v) for k, v in (progress.get("best_so_far") or {}).items()}
    if points and points[-1]["done"] == done:
        points[-1] = {"done": done, "best": best}
    else:
        points.append({"done": done, "best": best})
    return points[-TRAIL_LIMIT:]


def trials_of(run: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every trial (``result.history``, with ``include_trials=true``), else the front."""
    result = run.get("result") or {}
    history = result.get("history")
    if history:
        return list(history)
    return list(result.get("pareto_front") or [])


def find_trial(run: Mapping[str, Any], number: int | None) -> dict[str, Any] | None:
    if number is None:
        return None
    result = run.get("result") or {}
    pool = list(result.get("history") or []) + list(result.get("pareto_front") or [])
    pool += [result["best"]] if result.get("best") else []
    return next((dict(t) for t in pool if t.get("number") == number), None)


def default_selection(run: Mapping[str, Any]) -> int | None:
    """The trial shown when none is picked: the best (one objective) or the front's first."""
    result = run.get("result") or {}
    best = result.get("best") or next(iter(result.get("pareto_front") or []), None)
    return int(best["number"]) if best else None


def clicked_trial(click: Mapping[str, Any] | None) -> int | None:
    """The trial number a click on a figure's point carries (its ``customdata``)."""
    points = (click or {}).get("points") or []
    if not points:
        return None
    data = points[0].get("customdata")
    if isinstance(data, list | tuple):
        data = data[0] if data else None
    return int(data) if isinstance(data, int | float) and not isinstance(data, bool) else None


def infeasible(trials: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each infeasible trial: its number, whether it was evaluated, and why it failed."""
    return [
        {
            "number": t.get("number"),
            "evaluated": bool(t.get("outcome")),
            "reasons": [str(r) for r in t.get("reasons") or []] or ["infeasible"],
        }
        for t in trials
        if not t.get("feasible")
    ]


def reason_counts(trials: Iterable[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """The rules the infeasible trials broke, most often first (each trial's own numbers
    taken out, so that one rule counts once however its values differed)."""
    seen: Counter[str] = Counter()
    for row in infeasible(trials):
        for reason in row["reasons"]:
            seen[_rule(reason)] += 1
    return seen.most_common()


def _rule(reason: str) -> str:
    """A reason without the trial's own numbers (as the API counts them for its note)."""
    cut = re.sub(r" \(got [^)]*\)$", "", reason)
    cut = re.sub(r" \([a-z_]+ = [^)]*\)$", "", cut)
    return re.sub(r"= -?\d+\.\d+(e-?\d+)?", "= …", cut)


# --- from a trial to the What-if page and to the physics -------------------------------------


def settings(template: Mapping[str, Any], params: Mapping[str, float]) -> dict[str, Any]:
    """The job a trial stands for: the template with the trial's values in place, every form
    field (None-valued ones left out: they mean 'the default')."""
    merged = {**template, **params}
    return {f.name: merged[f.name] for f in JOB_FORM if merged.get(f.name) is not None}


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # four significant digits: a setting a scanner can take
        return repr(float(f"{value:.4g}"))  # (28.79 mJ/cm², not 28.788670187097903)
    return str(value)


def whatif_url(template: Mapping[str, Any], params: Mapping[str, float]) -> str:
    """``/whatif?…`` with every base-job field, the trial's values in place: the What-if page
    fills its whole form from it."""
    query = [(name, _query_text(value)) for name, value in settings(template, params).items()]
    return "/whatif?" + urlencode(query)


def confirmation_job(
    template: Mapping[str, Any], params: Mapping[str, float], run_id: str, number: int
) -> dict[str, Any]:
    """The physics job that checks a trial: its settings, pre-flight skipped (the surrogate
    already spoke: the optimisation's scores are what the physics is compared with, and a
    pre-flight block would stop the very check asked for), tagged with the run and trial."""
    job = settings(template, params)
    job["use_ai_surrogate"] = False
    metadata = dict(template.get("metadata") or {})
    metadata.update({"optimisation": run_id, "trial": int(number)})
    job["metadata"] = metadata
    return job


def score_comparison(
    surrogate: Mapping[str, Any], job: Mapping[str, Any]
) -> list[tuple[str, float | None, float | None, float | None]]:
    """Per tradeoff score: the surrogate's value (the trial's), the physics' (the job's
    result), and their difference (physics − surrogate)."""
    measured = ((job.get("result") or {}).get("signals")) or {}
    rows: list[tuple[str, float | None, float | None, float | None]] = []
    for name in SIGNAL_NAMES:
        ours, theirs = _score(surrogate.get(name)), _score(measured.get(name))
        difference = theirs - ours if ours is not None and theirs is not None else None
        rows.append((name, ours, theirs, difference))
    return rows


def _score(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def cancel_message(error: ApiError) -> str | None:
    """What to say when cancelling failed because the API offers no cancel (an older API:
    404 'no such resource' or 405); None for any other failure (the caller explains it)."""
    if error.status == 405 or (error.status == 404 and error.detail.startswith("no such resource")):
        return "This API cannot cancel an optimisation yet: the run goes on until it completes."
    return None


__all__ = [
    "DEFAULT_FREE",
    "DIRECTIONS",
    "FREE_PARAMETERS",
    "JOB_FORM",
    "OBJECTIVES",
    "SAMPLERS",
    "build_request",
    "cancel_message",
    "clicked_trial",
    "confirmation_job",
    "default_ranges",
    "default_selection",
    "extend_trail",
    "find_trial",
    "form_defaults",
    "form_from_run",
    "free_rows",
    "infeasible",
    "is_active",
    "job_from_form",
    "job_from_query",
    "job_problems",
    "objectives_of",
    "parse_constraints",
    "profile_of",
    "progress_of",
    "reason_counts",
    "run_status",
    "score_comparison",
    "settings",
    "trials_of",
    "whatif_url",
]
