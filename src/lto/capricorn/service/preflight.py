"""Pre-flight: the production surrogate's prediction of a job before any physics runs.

The job is BLOCKED only when the prediction says, with confidence, that the job breaks its
constraint profile's process requirements: the whole 95% interval of a score lies on the wrong
side of the policy's bound (yield risk above ``max_yield_risk``, health below
``min_overall_health``). The answer then carries an alternative parameter set (metis's short
search over the surrogate) that is predicted to meet them. An uncertain or out-of-distribution
prediction never blocks: it recommends the physics, which runs anyway. While no surrogate is
trained, pre-flight says so and lets the job through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from lto.atlas.contracts import JobParameters, TradeoffPrediction

log = logging.getLogger(__name__)

Verdict = Literal["pass", "block", "skipped", "no_surrogate", "recommend_physics"]
# (job, [(score, "<=" | ">=", bound)]) → a job predicted to meet the bounds, or None
AlternativeSearch = Callable[[JobParameters, list[tuple[str, str, float]]], JobParameters | None]


class NoSurrogate(RuntimeError):
    """No surrogate can answer (none trained yet, or its artifact is unusable)."""


@dataclass(frozen=True)
class PreflightPolicy:
    """The bounds a confident prediction must not break (scores in [0, 1])."""

    max_yield_risk: float = 0.5
    min_overall_health: float = 0.3

    def violations(self, prediction: TradeoffPrediction) -> list[str]:
        scores = prediction.scores
        found = []
        risk = scores["yield_risk"]
        if risk.lower > self.max_yield_risk:
            found.append(
                f"yield_risk: predicted {risk.mean:.2f} (95% interval {risk.lower:.2f}–"
                f"{risk.upper:.2f}) is above the profile's {self.max_yield_risk:g}"
            )
        health = scores["overall_health"]
        if health.upper < self.min_overall_health:
            found.append(
                f"overall_health: predicted {health.mean:.2f} (95% interval {health.lower:.2f}–"
                f"{health.upper:.2f}) is below {self.min_overall_health:g}"
            )
        return found

    def constraints(self) -> list[tuple[str, str, float]]:
        return [
            ("yield_risk", "<=", self.max_yield_risk),
            ("overall_health", ">=", self.min_overall_health),
        ]


@dataclass(frozen=True)
class PreflightDecision:
    verdict: Verdict
    note: str
    prediction: TradeoffPrediction | None = None
    violations: list[str] = field(default_factory=list)
    alternative: JobParameters | None = None

    @property
    def blocks(self) -> bool:
        return self.verdict == "block"

    def prediction_json(self) -> dict[str, Any] | None:
        return None if self.prediction is None else self.prediction.model_dump(mode="json")

    def alternative_json(self) -> dict[str, Any] | None:
        if self.alternative is None:
            return None
        return self.alternative.model_dump(mode="json", exclude_defaults=True)


class Preflight:
    """``check(job)`` → the decision. ``surrogate`` returns the production surrogate (raising
    ``NoSurrogate`` while there is none); ``alternatives`` searches for a better job."""

    def __init__(
        self,
        surrogate: Callable[[], Any],
        *,
        alternatives: AlternativeSearch | None = None,
        policy: PreflightPolicy | None = None,
    ) -> None:
        self._surrogate = surrogate
        self._alternatives = alternatives
        self.policy = policy or PreflightPolicy()

    def check(self, job: JobParameters) -> PreflightDecision:
        if not job.use_ai_surrogate:
            return PreflightDecision(
                "skipped", "pre-flight skipped: the job asked for physics only"
            )
        try:
            surrogate = self._surrogate()
        except NoSurrogate as exc:
            return PreflightDecision(
                "no_surrogate",
                f"no surrogate to pre-flight with ({exc}); the job goes straight to the physics",
            )
        prediction: TradeoffPrediction = surrogate.evaluate(job)
        if prediction.flags.recommend_physics:
            reasons = [
                name
                for name, flag in (
                    ("uncertain", prediction.flags.high_uncertainty),
                    ("outside its training data", prediction.flags.out_of_distribution),
                    ("drift detected", prediction.flags.drift_detected),
                )
                if flag
            ]
            note = (
                f"surrogate {prediction.model_version} is {', '.join(reasons)}: the physics decides"
            )
            return PreflightDecision("recommend_physics", note, prediction)
        violations = self.policy.violations(prediction)
        if not violations:
            return PreflightDecision(
                "pass",
                f"surrogate {prediction.model_version} predicts the profile is met",
                prediction,
            )
        alternative = self._search(job)
        note = "; ".join(violations)
        if alternative is None:
            note += "; the short search found no alternative meeting the profile"
        return PreflightDecision("block", note, prediction, violations, alternative)

    def _search(self, job: JobParameters) -> JobParameters | None:
        if self._alternatives is None:
            return None
        try:
            return self._alternatives(job, self.policy.constraints())
        except Exception:  # the block stands without a suggestion; the log keeps why
            log.exception("pre-flight's alternative search failed for a blocked job")
            return None


__all__ = ["NoSurrogate", "Preflight", "PreflightDecision", "PreflightPolicy"]
