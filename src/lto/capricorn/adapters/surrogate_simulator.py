"""A simulator that answers from the production surrogate (``LTO_SIMULATOR=surrogate``).

Not physics: its "result" is the surrogate's mean prediction, with no CD, window or images.
It exists to measure the pipeline itself (database, broker, workers) without the physics'
seconds per job, and for triage runs where milliseconds matter more than fidelity; every
result names it (``compute.simulator = "surrogate <version>"``), so nobody mistakes one.
"""

from __future__ import annotations

import time
from typing import Any

from lto.atlas.contracts import ComputeStats, JobParameters, SimulationResult
from lto.daedalus.ports import SurrogatePort
from lto.matrix.ports import ProgressCallback, SimulatorPort


class SurrogateSimulator(SimulatorPort):
    name = "surrogate"

    def __init__(self, surrogate: SurrogatePort) -> None:
        self.surrogate = surrogate

    def run(
        self, job_id: str, parameters: JobParameters, progress: ProgressCallback | None = None
    ) -> SimulationResult:
        started = time.perf_counter()
        prediction = self.surrogate.evaluate(parameters)
        if progress is not None:
            progress(1.0, "done")
        return SimulationResult(
            job_id=job_id,
            signals=prediction.point(),
            compute=ComputeStats(
                simulator=f"surrogate {self.surrogate.version}",
                method="surrogate",
                wall_time_s=time.perf_counter() - started,
            ),
        )

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "simulator": "surrogate", "version": self.surrogate.version}


__all__ = ["SurrogateSimulator"]
