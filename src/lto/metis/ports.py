"""What Metis asks of the things it optimises over, and of the engine that searches.

``Evaluator`` is the shape the physics simulators (``lto.matrix.ports.SimulatorPort``) and the
surrogates (``lto.daedalus.ports.SurrogatePort``) share: Metis optimises over either without
knowing which. ``StudyEngine`` is the search (Optuna, in ``lto.metis.adapters``), wired by
``lto.bootstrap``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from lto.atlas.contracts import JobParameters
from lto.metis.problem import OptimizationProblem, Sampler
from lto.metis.results import OptimizationResult

TrialProgress = Callable[[int, int], None]  # (trials done, trial budget)


class Evaluator(Protocol):
    def evaluate(self, parameters: JobParameters) -> Any:
        """A ``SimulationResult``, a ``TradeoffPrediction`` or a mapping of outcome numbers."""
        ...


class StudyEngine(Protocol):
    def optimize(
        self,
        problem: OptimizationProblem,
        evaluator: Evaluator,
        *,
        study_name: str,
        trials: int,
        evaluator_name: str = "physics",
        sampler: Sampler = "auto",
        seed: int | None = None,
        worker: int = 0,
        progress: TrialProgress | None = None,
    ) -> OptimizationResult:
        """Run (or resume, or join) the study until ``trials`` trials are complete across
        every process sharing it; the result holds them all."""
        ...

    def result(self, study_name: str) -> OptimizationResult:
        """The study as stored: every trial so far, the best ones, the confirmations."""
        ...


__all__ = ["Evaluator", "StudyEngine", "TrialProgress"]
