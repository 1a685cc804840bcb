"""Evaluation: the physics' actual scores against pre-flight's prediction and the policy.

A job is an anomaly when a learned score's actual value falls outside the interval the
surrogate predicted for it (the surrogate was wrong where it claimed to know), when the
physics finds the profile broken (yield risk above the policy's bound), or when nothing prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lto.atlas.contracts import SIGNAL_WORDS, SignalName, SimulationResult, TradeoffPrediction
from lto.capricorn.service.preflight import PreflightPolicy

LEARNED: tuple[SignalName, ...] = (
    "resolution_vs_dof",
    "yield_risk",
    "speed_vs_accuracy",
    "cost_vs_fidelity",
)


@dataclass(frozen=True)
class Evaluation:
    anomalous: list[str]  # the signals that flagged it
    details: list[str]
    scores: dict[str, dict[str, float | None]] = field(default_factory=dict)

    @property
    def is_anomaly(self) -> bool:
        return bool(self.anomalous)

    def to_json(self) -> dict[str, Any]:
        return {"anomalous": self.anomalous, "details": self.details, "scores": self.scores}

    def summary(self) -> str:
        if self.details:
            return "; ".join(self.details)
        within = sum(1 for s in self.scores.values() if s.get("within") == 1.0)
        predicted = sum(1 for s in self.scores.values() if "lower" in s)
        if predicted:
            return f"every learned score within its predicted interval ({within}/{predicted})"
        return "the physics meets the profile (no prediction to compare)"


def evaluate(
    result: SimulationResult,
    prediction: TradeoffPrediction | None,
    policy: PreflightPolicy,
) -> Evaluation:
    if result.signals is None:
        reason = result.window_reason or "the physics reports no tradeoff scores"
        return Evaluation(["window"], [f"nothing to score: {reason}"])
    actual = result.signals.as_dict()
    anomalous: list[str] = []
    details: list[str] = []
    scores: dict[str, dict[str, float | None]] = {}
    for name in LEARNED:
        entry: dict[str, float | None] = {"actual": actual[name]}
        if prediction is not None:
            interval = prediction.scores[name]
            inside = interval.lower <= actual[name] <= interval.upper
            entry.update(
                mean=interval.mean,
                lower=interval.lower,
                upper=interval.upper,
                within=1.0 if inside else 0.0,
            )
            if not inside:
                anomalous.append(name)
                details.append(
                    f"{SIGNAL_WORDS[name]}: physics {actual[name]:.3f} outside the predicted "
                    f"{interval.lower:.3f}–{interval.upper:.3f}"
                )
        scores[name] = entry
    if actual["yield_risk"] > policy.max_yield_risk:
        if "yield_risk" not in anomalous:
            anomalous.append("yield_risk")
        details.append(
            f"{SIGNAL_WORDS['yield_risk']}: physics {actual['yield_risk']:.3f} breaks the "
            f"profile's bound {policy.max_yield_risk:g}"
        )
    return Evaluation(anomalous, details, scores)


__all__ = ["LEARNED", "Evaluation", "evaluate"]
