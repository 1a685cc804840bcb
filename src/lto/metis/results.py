"""What an optimisation found: every trial, the best ones, and (two-stage) the physics' word.

Plain data, JSON-ready for the CLI, the API and the web app; built by the Optuna adapter from a
study, so a result can be rebuilt later from the stored study alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lto.metis.problem import Direction, OptimizationProblem


@dataclass(frozen=True)
class TrialRecord:
    """One trial: the parameters tried, the objective values, whether every rule held (and
    which did not), and everything the evaluator measured."""

    number: int
    params: dict[str, float]
    values: list[float]
    feasible: bool
    reasons: list[str] = field(default_factory=list)
    outcome: dict[str, float | None] = field(default_factory=dict)
    flags: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "params": self.params,
            "values": self.values,
            "feasible": self.feasible,
            "reasons": self.reasons,
            "outcome": self.outcome,
            "flags": self.flags,
        }


@dataclass(frozen=True)
class Confirmation:
    """A surrogate's candidate run through the physics: both answers, and how far apart."""

    params: dict[str, float]
    surrogate: dict[str, float | None]
    physics: dict[str, float | None]
    physics_feasible: bool
    reasons: list[str] = field(default_factory=list)

    def difference(self, name: str) -> float | None:
        a, b = self.surrogate.get(name), self.physics.get(name)
        return None if a is None or b is None else abs(a - b)

    def to_json(self, names: Sequence[str]) -> dict[str, Any]:
        return {
            "params": self.params,
            "surrogate": {n: self.surrogate.get(n) for n in names},
            "physics": {n: self.physics.get(n) for n in names},
            "difference": {n: self.difference(n) for n in names},
            "physics_feasible": self.physics_feasible,
            "reasons": self.reasons,
        }


@dataclass(frozen=True)
class OptimizationResult:
    study_name: str
    problem: OptimizationProblem
    evaluator: str
    trials: list[TrialRecord]
    importance: dict[str, dict[str, float]] = field(default_factory=dict)
    confirmations: list[Confirmation] = field(default_factory=list)
    running: int = 0  # trials other processes are evaluating when the result was read

    @property
    def feasible(self) -> list[TrialRecord]:
        return [t for t in self.trials if t.feasible]

    @property
    def best(self) -> list[TrialRecord]:
        """The best feasible trial (one objective) or the feasible Pareto front (several)."""
        return pareto_front(self.feasible, self.problem.directions)

    def flat_objectives(self) -> list[str]:
        """Objectives with the same value in every feasible trial (the search cannot move them)."""
        feasible = self.feasible
        if len(feasible) < 2:
            return []
        return [
            o.name
            for i, o in enumerate(self.problem.objectives)
            if len({t.values[i] for t in feasible}) == 1
        ]

    @property
    def best_confirmed(self) -> Confirmation | None:
        """Two-stage: the physics-feasible candidate the physics scores best on the first
        objective."""
        feasible = [c for c in self.confirmations if c.physics_feasible]
        objective = self.problem.objectives[0]
        scored = [c for c in feasible if c.physics.get(objective.name) is not None]
        if not scored:
            return None
        sign = 1.0 if objective.direction == "maximize" else -1.0
        return max(scored, key=lambda c: sign * float(c.physics[objective.name] or 0.0))

    def to_json(self) -> dict[str, Any]:
        names = [o.name for o in self.problem.objectives]
        confirmed = self.best_confirmed
        return {
            "study": self.study_name,
            "evaluator": self.evaluator,
            "problem": self.problem.to_json(),
            "trials": len(self.trials),
            "feasible_trials": len(self.feasible),
            "running_elsewhere": self.running,
            "best": [t.to_json() for t in self.best],
            "importance": self.importance,
            "confirmations": [c.to_json(names) for c in self.confirmations],
            "best_confirmed": None if confirmed is None else confirmed.to_json(names),
            "history": [t.to_json() for t in self.trials],
        }


def dominates(a: Sequence[float], b: Sequence[float], directions: Sequence[Direction]) -> bool:
    """``a`` is at least as good as ``b`` in every objective and better in one."""
    better = False
    for x, y, direction in zip(a, b, directions, strict=True):
        gain = x - y if direction == "maximize" else y - x
        if gain < 0:
            return False
        better = better or gain > 0
    return better


def pareto_front(
    trials: Sequence[TrialRecord], directions: Sequence[Direction]
) -> list[TrialRecord]:
    """The trials no other trial dominates (one objective: the best, the earliest on ties),
    sorted by the first objective, best first; duplicates of a point kept once."""
    front: list[TrialRecord] = []
    for trial in trials:
        if any(dominates(other.values, trial.values, directions) for other in trials):
            continue
        if any(other.values == trial.values for other in front):
            continue
        front.append(trial)
    sign = -1.0 if directions[0] == "maximize" else 1.0
    return sorted(front, key=lambda t: (sign * t.values[0], t.number))


__all__ = ["Confirmation", "OptimizationResult", "TrialRecord", "dominates", "pareto_front"]
