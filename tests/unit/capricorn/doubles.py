"""Stand-ins for the pipeline's collaborators: a surrogate that answers what it is told, and an
instant simulator whose scores are whatever the job's metadata says."""

from __future__ import annotations

from typing import Any

from lto.atlas.contracts import (
    SIGNAL_NAMES,
    ComputeStats,
    JobParameters,
    ScoreInterval,
    SimulationResult,
    TradeoffPrediction,
    TradeoffSignals,
    UncertaintyFlags,
)
from lto.matrix.ports import SimulationError

SCORES = {
    "resolution_vs_dof": 0.6,
    "yield_risk": 0.1,
    "speed_vs_accuracy": 0.7,
    "cost_vs_fidelity": 0.5,
    "surrogate_reliability": 0.9,
    "overall_health": 0.7,
}


def prediction(
    half_width: float = 0.05, uncertain: bool = False, **means: float
) -> TradeoffPrediction:
    values = {**SCORES, **means}
    return TradeoffPrediction(
        scores={
            name: ScoreInterval(
                mean=values[name],
                lower=max(0.0, values[name] - half_width),
                upper=min(1.0, values[name] + half_width),
            )
            for name in SIGNAL_NAMES
        },
        flags=UncertaintyFlags(high_uncertainty=uncertain),
        model_version="surrogate-v1",
        inference_time_ms=1.0,
    )


class FixedSurrogate:
    version = "surrogate-v1"

    def __init__(self, answer: TradeoffPrediction | None = None) -> None:
        self.answer = answer or prediction()
        self.calls = 0

    def evaluate(self, parameters: JobParameters, **_: Any) -> TradeoffPrediction:
        self.calls += 1
        return self.answer


class InstantSimulator:
    """Scores from ``metadata`` (``yield_risk`` and so on), the rest from ``SCORES``;
    ``metadata["fail"]`` raises ``SimulationError`` with that text."""

    name = "instant"

    def __init__(self) -> None:
        self.runs: list[str] = []

    def run(self, job_id: str, parameters: JobParameters, progress: Any = None) -> SimulationResult:
        self.runs.append(job_id)
        metadata = parameters.metadata
        if "fail" in metadata:
            raise SimulationError(str(metadata["fail"]))
        scores = {name: float(metadata.get(name, SCORES[name])) for name in SIGNAL_NAMES}
        return SimulationResult(
            job_id=job_id,
            cd_nm=parameters.target_cd_nm,
            depth_of_focus_nm=120.0,
            exposure_latitude_pct=8.0,
            nils=1.8,
            signals=TradeoffSignals(**scores),
            compute=ComputeStats(simulator="instant 1", wall_time_s=0.001),
        )

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "simulator": "instant"}
