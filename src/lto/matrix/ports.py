"""``SimulatorPort``: what the job pipeline and Metis ask of any simulator.

It is also an ``Evaluator`` (``evaluate(params)``, ``evaluate_batch(list)``), the shape shared
with the surrogates, so the optimiser and the pipeline can swap one for the other.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from lto.atlas.contracts import JobParameters, SimulationResult

ProgressCallback = Callable[[float, str], None]  # (fraction done in [0, 1], what is happening)


class SimulationError(RuntimeError):
    """A simulation could not produce a result; the message says why, for SimulationFailed."""


class SimulatorPort(ABC):
    """Runs a job's parameters through a simulator.

    Contract: ``run`` returns a valid ``SimulationResult`` for ``job_id`` or raises
    ``SimulationError`` with a message fit for the engineer; it never hangs (implementations
    bound their own time). ``progress`` is called with a fraction in [0, 1] as work advances.
    """

    name: str = "simulator"

    @abstractmethod
    def run(
        self, job_id: str, parameters: JobParameters, progress: ProgressCallback | None = None
    ) -> SimulationResult: ...

    @abstractmethod
    def health(self) -> dict[str, Any]:
        """``{"status": "ok" | "unavailable", ...}`` and whatever explains it."""

    def evaluate(self, parameters: JobParameters) -> SimulationResult:
        return self.run("evaluation", parameters)

    def evaluate_batch(self, batch: Sequence[JobParameters]) -> list[SimulationResult]:
        return [self.run(f"evaluation-{i}", p) for i, p in enumerate(batch)]
