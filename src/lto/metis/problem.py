"""What an optimisation asks: free parameters, objectives and constraints over a job template.

Pure Python (no Optuna here): the problem is described, validated and applied to jobs in this
module; ``lto.metis.adapters.optuna_study`` searches it. Every name an engineer types is checked
here, and a wrong one is refused with the names that would work.

- A **free parameter** is a numeric job field searched over ``[low, high]``; every other field
  keeps the template's value. Default ranges come from the job's constraint profile.
- An **objective** is a tradeoff score (any evaluator: physics or surrogate) or a physics output
  (the physics only), maximised or minimised.
- A **constraint** bounds an outcome (``yield_risk<=0.05``, ``depth_of_focus_nm>=120``). The
  profile's own rules on the parameters (NA range and the lens's limit, σ, dose and thickness
  ranges, the resolution limit, the grid's Nyquist limit, the aspect ratio) always hold: a trial
  that breaks one is recorded as infeasible, with the reasons, and never evaluated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from lto.atlas.contracts import SIGNAL_NAMES, JobParameters, SimulationResult, TradeoffPrediction
from lto.atlas.policies import ConstraintProfile, constraint_profile, infer_profile_name
from lto.atlas.technology import IlluminationShape

Direction = Literal["maximize", "minimize"]
Sampler = Literal["auto", "tpe", "nsga2", "gp", "random"]
SAMPLERS: tuple[str, ...] = ("auto", "tpe", "nsga2", "gp", "random")

SCORE_DIRECTIONS: Mapping[str, Direction] = {
    name: ("minimize" if name == "yield_risk" else "maximize") for name in SIGNAL_NAMES
}
# physics outputs an optimisation may target; the surrogate predicts only the scores
PHYSICS_DIRECTIONS: Mapping[str, Direction] = {
    "depth_of_focus_nm": "maximize",
    "exposure_latitude_pct": "maximize",
    "nils": "maximize",
    "image_contrast": "maximize",
    "edge_placement_error_nm": "minimize",
}
DIRECTIONS: Mapping[str, Direction] = {**SCORE_DIRECTIONS, **PHYSICS_DIRECTIONS}
ALIASES: Mapping[str, str] = {
    "dof": "depth_of_focus_nm",
    "el": "exposure_latitude_pct",
    "epe": "edge_placement_error_nm",
    "contrast": "image_contrast",
    "health": "overall_health",
    "dose": "dose_mj_cm2",
    "focus": "focus_nm",
    "thickness": "resist_thickness_nm",
}
FREE_PARAMETERS: tuple[str, ...] = (
    "na",
    "sigma",
    "sigma_inner",
    "dose_mj_cm2",
    "focus_nm",
    "resist_thickness_nm",
)
DEFAULT_DOSE_SPAN = 0.3  # a free dose searches ± this fraction around the template's


class ProblemError(ValueError):
    """An optimisation that cannot be posed; the message names the field and the rule."""


def canonical(name: str) -> str:
    cleaned = name.strip().lower().replace("-", "_")
    return ALIASES.get(cleaned, cleaned)


@dataclass(frozen=True)
class FreeParameter:
    name: str
    low: float
    high: float

    def __post_init__(self) -> None:
        if self.name not in FREE_PARAMETERS:
            raise ProblemError(
                f"free parameter {self.name!r}: not one of {', '.join(FREE_PARAMETERS)}"
            )
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ProblemError(
                f"free parameter {self.name}: need finite LOW < HIGH (got {self.low:g}:{self.high:g})"
            )
        floor, ceiling = _CONTRACT_LIMITS[self.name]
        if self.low < floor or self.high > ceiling:
            raise ProblemError(
                f"free parameter {self.name}: {self.low:g}:{self.high:g} leaves the field's range "
                f"[{floor:g}, {ceiling:g}]"
            )


# the JobParameters ranges the searched values must stay in (the contract would refuse them)
_CONTRACT_LIMITS: Mapping[str, tuple[float, float]] = {
    "na": (1e-6, 1.999),
    "sigma": (0.0, 1.0),
    "sigma_inner": (0.0, 1.0),
    "dose_mj_cm2": (1e-6, 10_000.0),
    "focus_nm": (-100_000.0, 100_000.0),
    "resist_thickness_nm": (1e-6, 10_000.0),
}


@dataclass(frozen=True)
class Objective:
    name: str
    direction: Direction

    def __post_init__(self) -> None:
        if self.name not in DIRECTIONS:
            raise ProblemError(
                f"objective {self.name!r}: not one of {', '.join(DIRECTIONS)} "
                "(aliases: dof, el, epe, contrast, health)"
            )
        if self.direction not in ("maximize", "minimize"):
            raise ProblemError(f"objective {self.name}: direction must be max or min")

    @property
    def worst(self) -> float:
        """The value an infeasible or failed trial reports: no better than any real outcome."""
        bounded = self.name in SCORE_DIRECTIONS
        if self.direction == "maximize":
            return 0.0
        return 1.0 if bounded else 1e9


@dataclass(frozen=True)
class OutcomeConstraint:
    """``name <= bound`` or ``name >= bound`` on an outcome."""

    name: str
    operator: Literal["<=", ">="]
    bound: float

    def __post_init__(self) -> None:
        if self.name not in DIRECTIONS:
            raise ProblemError(f"constraint {self.name!r}: not one of {', '.join(DIRECTIONS)}")
        if not math.isfinite(self.bound):
            raise ProblemError(f"constraint {self.name}: the bound must be a finite number")

    @property
    def key(self) -> str:
        return f"{self.name}{self.operator}{self.bound:g}"

    def violation(self, value: float | None) -> float:
        """≤ 0 when met (Optuna's convention), the relative excess otherwise; a missing value
        (the physics gave none) counts as broken."""
        if value is None or not math.isfinite(value):
            return 1.0
        scale = max(abs(self.bound), 1e-9)
        excess = value - self.bound if self.operator == "<=" else self.bound - value
        return excess / scale


@dataclass(frozen=True)
class OptimizationProblem:
    """A job template with what to search, what to optimise and what must hold."""

    template: JobParameters
    free: tuple[FreeParameter, ...]
    objectives: tuple[Objective, ...]
    constraints: tuple[OutcomeConstraint, ...] = ()
    profile_name: str = field(default="")

    def __post_init__(self) -> None:
        if not self.free:
            raise ProblemError("free: choose at least one parameter to search (e.g. dose)")
        if not self.objectives:
            raise ProblemError("objective: choose at least one (e.g. depth_of_focus_nm:max)")
        names = [p.name for p in self.free]
        if len(set(names)) != len(names):
            raise ProblemError(f"free: a parameter is listed twice ({', '.join(names)})")
        objectives = [o.name for o in self.objectives]
        if len(set(objectives)) != len(objectives):
            raise ProblemError("objective: an objective is listed twice")
        keys = [c.key for c in self.constraints]
        if len(set(keys)) != len(keys):
            raise ProblemError(f"constraint: one is listed twice ({', '.join(keys)})")
        for name in {c.name for c in self.constraints}:
            floor = max(
                (c.bound for c in self.constraints if c.name == name and c.operator == ">="),
                default=-math.inf,
            )
            ceiling = min(
                (c.bound for c in self.constraints if c.name == name and c.operator == "<="),
                default=math.inf,
            )
            if floor > ceiling:
                raise ProblemError(
                    f"constraint: {name} cannot be ≥ {floor:g} and ≤ {ceiling:g} at once"
                )
        if "sigma_inner" in names and self.template.illumination == IlluminationShape.CONVENTIONAL:
            raise ProblemError(
                "free parameter sigma_inner: conventional illumination has no inner sigma "
                "(choose annular, dipole or quadrupole)"
            )
        if not self.profile_name:
            object.__setattr__(self, "profile_name", _profile_name(self.template))

    @property
    def profile(self) -> ConstraintProfile:
        return constraint_profile(self.profile_name)

    @property
    def directions(self) -> list[Direction]:
        return [o.direction for o in self.objectives]

    @property
    def physics_only(self) -> list[str]:
        """Objectives and constraints a surrogate cannot answer (physics outputs)."""
        names = [o.name for o in self.objectives] + [c.name for c in self.constraints]
        return sorted({n for n in names if n in PHYSICS_DIRECTIONS})

    def job_for(self, values: Mapping[str, float]) -> tuple[JobParameters | None, list[str]]:
        """The template with ``values`` in place, and every rule it breaks (the contract's and
        the profile's); the job is None where the contract refuses it."""
        data = self.template.model_dump()
        data.update(values)
        data["constraint_profile"] = self.profile_name
        try:
            job = JobParameters.model_validate(data)
        except ValidationError as exc:
            return None, [_validation_reason(error) for error in exc.errors()]
        return job, [str(v) for v in self.profile(job)]

    def to_json(self) -> dict[str, Any]:
        return {
            "template": self.template.model_dump(mode="json"),
            "free": [{"name": p.name, "low": p.low, "high": p.high} for p in self.free],
            "objectives": [{"name": o.name, "direction": o.direction} for o in self.objectives],
            "constraints": [
                {"name": c.name, "operator": c.operator, "bound": c.bound} for c in self.constraints
            ],
            "profile": self.profile_name,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OptimizationProblem:
        return cls(
            template=JobParameters.model_validate(data["template"]),
            free=tuple(FreeParameter(**p) for p in data["free"]),
            objectives=tuple(Objective(**o) for o in data["objectives"]),
            constraints=tuple(OutcomeConstraint(**c) for c in data["constraints"]),
            profile_name=str(data["profile"]),
        )


def _profile_name(job: JobParameters) -> str:
    name = job.constraint_profile or infer_profile_name(job.wavelength_nm, job.na)
    if name is None:
        raise ProblemError(
            f"wavelength_nm: no exposure technology at {job.wavelength_nm:g} nm "
            "(see `lto profiles`)"
        )
    return constraint_profile(name).name


def _validation_reason(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ())) or "job"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}"


# --- parsing what people type -----------------------------------------------------------------


def default_range(
    name: str, template: JobParameters, profile: ConstraintProfile
) -> tuple[float, float]:
    """A sensible search range for ``name`` from the profile (and the template's dose)."""
    if name == "na":
        return profile.na.low, min(profile.na.high, profile.technology.max_na.value)
    if name in ("sigma", "sigma_inner"):
        return profile.sigma.low, profile.sigma.high
    if name == "dose_mj_cm2":
        low = max(template.dose_mj_cm2 * (1 - DEFAULT_DOSE_SPAN), profile.dose_mj_cm2.low)
        high = min(template.dose_mj_cm2 * (1 + DEFAULT_DOSE_SPAN), profile.dose_mj_cm2.high)
        if not low < high:  # the template's dose lies outside the profile's range
            return profile.dose_mj_cm2.low, profile.dose_mj_cm2.high
        return low, high
    if name == "focus_nm":
        return -profile.required_dof_nm, profile.required_dof_nm
    if name == "resist_thickness_nm":
        ceiling = min(
            profile.resist_thickness_nm.high, profile.max_aspect_ratio * template.target_cd_nm
        )
        low = profile.resist_thickness_nm.low
        return (low, ceiling) if low < ceiling else (low, profile.resist_thickness_nm.high)
    raise ProblemError(f"free parameter {name!r}: not one of {', '.join(FREE_PARAMETERS)}")


def parse_free(text: str, template: JobParameters, profile: ConstraintProfile) -> FreeParameter:
    """``NAME`` (the profile's range) or ``NAME=LOW:HIGH``, e.g. ``dose=38:50``, ``na``."""
    name, sep, span = text.partition("=")
    name = canonical(name)
    if name not in FREE_PARAMETERS:
        raise ProblemError(
            f"--free {text!r}: {name!r} is not a searchable parameter; choose from "
            f"{', '.join(FREE_PARAMETERS)} (aliases dose, focus, thickness)"
        )
    if not sep:
        low, high = default_range(name, template, profile)
        return FreeParameter(name, low, high)
    parts = span.split(":")
    try:
        low, high = (float(p) for p in parts)
    except ValueError:
        raise ProblemError(
            f"--free {text!r}: write NAME=LOW:HIGH with two numbers, like dose=38:50"
        ) from None
    return FreeParameter(name, low, high)


def allowed_range(
    name: str, template: JobParameters, profile: ConstraintProfile
) -> tuple[float, float] | None:
    """Where the profile's rules let ``name`` go (None: no range rule, e.g. focus)."""
    if name == "na":
        return profile.na.low, min(profile.na.high, profile.technology.max_na.value)
    if name in ("sigma", "sigma_inner"):
        return profile.sigma.low, profile.sigma.high
    if name == "dose_mj_cm2":
        return profile.dose_mj_cm2.low, profile.dose_mj_cm2.high
    if name == "resist_thickness_nm":
        return profile.resist_thickness_nm.low, min(
            profile.resist_thickness_nm.high, profile.max_aspect_ratio * template.target_cd_nm
        )
    return None


def within_profile(
    parameter: FreeParameter, template: JobParameters, profile: ConstraintProfile
) -> tuple[FreeParameter, str | None]:
    """``parameter``'s range cut to where the profile's rules hold, and a note saying so; a
    range wholly outside them is refused (no trial could be feasible)."""
    allowed = allowed_range(parameter.name, template, profile)
    if allowed is None:
        return parameter, None
    low, high = max(parameter.low, allowed[0]), min(parameter.high, allowed[1])
    if not low < high:
        raise ProblemError(
            f"free parameter {parameter.name}: {parameter.low:g}:{parameter.high:g} lies outside "
            f"what {profile.name} allows ({allowed[0]:g}–{allowed[1]:g}); no trial could be feasible"
        )
    if (low, high) == (parameter.low, parameter.high):
        return parameter, None
    note = (
        f"free parameter {parameter.name}: searching {low:g}–{high:g}, the part of "
        f"{parameter.low:g}:{parameter.high:g} that {profile.name} allows"
    )
    return FreeParameter(parameter.name, low, high), note


def parse_objective(text: str) -> Objective:
    """``NAME`` (its natural direction) or ``NAME:max`` / ``NAME:min``."""
    name, sep, way = text.partition(":")
    name = canonical(name)
    if name not in DIRECTIONS:
        raise ProblemError(
            f"--objective {text!r}: {name!r} is not an outcome; choose from {', '.join(DIRECTIONS)}"
        )
    if not sep:
        return Objective(name, DIRECTIONS[name])
    direction = {
        "max": "maximize",
        "maximize": "maximize",
        "min": "minimize",
        "minimize": "minimize",
    }
    chosen = direction.get(way.strip().lower())
    if chosen is None:
        raise ProblemError(f"--objective {text!r}: the direction must be max or min")
    return Objective(name, chosen)  # type: ignore[arg-type]


_CONSTRAINT = re.compile(r"^\s*([A-Za-z_\-]+)\s*(<=|>=)\s*(\S+)\s*$")


def parse_constraint(text: str) -> OutcomeConstraint:
    """``NAME<=VALUE`` or ``NAME>=VALUE``, e.g. ``yield_risk<=0.05``, ``dof>=120``."""
    match = _CONSTRAINT.match(text)
    if match is None:
        raise ProblemError(
            f"--constraint {text!r}: write NAME<=VALUE or NAME>=VALUE, like yield_risk<=0.05"
        )
    name, operator, bound = canonical(match[1]), match[2], match[3]
    if name not in DIRECTIONS:
        raise ProblemError(
            f"--constraint {text!r}: {name!r} is not an outcome; choose from {', '.join(DIRECTIONS)}"
        )
    try:
        value = float(bound)
    except ValueError:
        raise ProblemError(f"--constraint {text!r}: {bound!r} is not a number") from None
    return OutcomeConstraint(name, operator, value)  # type: ignore[arg-type]


# --- outcomes ---------------------------------------------------------------------------------


def outcome_values(outcome: Any) -> dict[str, float | None]:
    """The numbers an objective or constraint may name, from any evaluator's answer: a
    ``SimulationResult`` (scores and physics outputs), a ``TradeoffPrediction`` (the scores'
    means) or a mapping of names to numbers (an external evaluator)."""
    if isinstance(outcome, SimulationResult):
        signals = outcome.signals.model_dump() if outcome.signals is not None else {}
        values: dict[str, float | None] = dict(signals)
        for name in PHYSICS_DIRECTIONS:
            value = getattr(outcome, name, None)
            values[name] = None if value is None else float(value)
        return values
    if isinstance(outcome, TradeoffPrediction):
        return {name: float(interval.mean) for name, interval in outcome.scores.items()}
    if isinstance(outcome, Mapping):
        return {str(k): None if v is None else float(v) for k, v in outcome.items()}
    raise TypeError(f"an evaluator returned {type(outcome).__name__}, not a result LTO can score")


def objective_values(
    objectives: Sequence[Objective], values: Mapping[str, float | None]
) -> tuple[list[float], list[str]]:
    """Each objective's value (its worst where the outcome has none), and the names missing."""
    found, missing = [], []
    for objective in objectives:
        value = values.get(objective.name)
        if value is None or not math.isfinite(value):
            missing.append(objective.name)
            found.append(objective.worst)
        else:
            found.append(float(value))
    return found, missing


__all__ = [
    "DIRECTIONS",
    "FREE_PARAMETERS",
    "FreeParameter",
    "Objective",
    "OptimizationProblem",
    "OutcomeConstraint",
    "ProblemError",
    "allowed_range",
    "default_range",
    "objective_values",
    "outcome_values",
    "parse_constraint",
    "parse_free",
    "parse_objective",
    "within_profile",
]
