"""The worker's handler: a ``SimulationRequested`` message → the physics → evaluation.

Three short transactions around the long simulation, none held open while it runs:

1. claim: the job goes RUNNING (a job already RUNNING is taken over: its worker died and the
   broker redelivered the request; ``attempts`` counts the runs);
2. the simulator runs, outside any transaction; large outputs go to the artifact store;
3. finish: the result, the evaluation (COMPLETED, or ANOMALY_FLAGGED with an alert), the
   training-buffer row and the processed-message record commit together. A second worker
   finishing the same job fails on the processed-message record and rolls back, artifacts
   included: a redelivered message has one effect.

A message that cannot be understood, or names no job, is ``Poison`` (dead-lettered).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lto.atlas.alerts import Alert, Severity
from lto.atlas.contracts import SimulationResult, TradeoffPrediction
from lto.atlas.events import SimulationRequested, event_from_payload
from lto.atlas.lifecycle import Job, JobState
from lto.capricorn.ports import Message, Poison
from lto.capricorn.repositories import BufferRow, ConcurrentUpdate, DuplicateMessage, ResultRecord
from lto.capricorn.service.evaluation import evaluate
from lto.capricorn.service.preflight import PreflightPolicy
from lto.capricorn.service.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)

CONSUMER = "simulations"
TrainingRow = Callable[[Any, SimulationResult], dict[str, Any]]


@dataclass(frozen=True)
class Outcome:
    job_id: str
    state: JobState | None  # None: nothing done (already processed, or cancelled before)
    detail: str = ""


def parse_request(message: Message) -> SimulationRequested:
    try:
        payload = json.loads(message.body)
        event = event_from_payload(message.routing_key, payload)
    except Exception as exc:
        raise Poison(
            f"unreadable {message.routing_key} message {message.message_id}: {exc}"
        ) from exc
    if not isinstance(event, SimulationRequested):
        raise Poison(f"message {message.message_id} is a {event.name}, not SimulationRequested")
    return event


class SimulationHandler:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        simulator: Any,
        *,
        worker_id: str,
        training_row: TrainingRow,
        policy: PreflightPolicy | None = None,
        keep_artifacts: bool = True,
    ) -> None:
        self.uow_factory = uow_factory
        self.simulator = simulator
        self.worker_id = worker_id
        self.training_row = training_row
        self.policy = policy or PreflightPolicy()
        self.keep_artifacts = keep_artifacts

    def __call__(self, message: Message) -> None:
        self.handle(message)

    def handle(self, message: Message) -> Outcome:
        request = parse_request(message)
        job = self._claim(request.job_id, message.message_id)
        if job is None:
            return Outcome(request.job_id, None, "already handled or cancelled")
        log.info("worker %s runs %s (attempt %d)", self.worker_id, job.id, job.attempts)
        try:
            result, images = self._simulate(job)
        except Exception as exc:  # the simulator's failure is the job's, said in its words
            return self._fail(job.id, message.message_id, f"{type(exc).__name__}: {exc}")
        try:
            return self._finish(job.id, message.message_id, result, images)
        except (DuplicateMessage, ConcurrentUpdate) as exc:
            log.info("job %s: another worker finished it first (%s)", job.id, exc)
            return Outcome(job.id, None, "another worker finished it first")

    def _claim(self, job_id: str, message_id: str) -> Job | None:
        with self.uow_factory() as uow:
            uow.actor = self.worker_id
            if uow.records.was_processed(CONSUMER, message_id):
                return None
            job = uow.jobs.get(job_id)
            if job is None:
                raise Poison(f"SimulationRequested for unknown job {job_id}")
            if job.state not in (JobState.QUEUED, JobState.RUNNING):
                # cancelled while queued, or finished by a message with another id: no effect
                uow.records.mark_processed(CONSUMER, message_id, datetime.now(UTC))
                uow.commit()
                return None
            job.start(self.worker_id)
            uow.commit()
            return job

    def _simulate(self, job: Job) -> tuple[SimulationResult, dict[str, bytes]]:
        detailed = getattr(self.simulator, "simulate", None)
        if callable(detailed) and self.keep_artifacts:
            simulation = detailed(job.id, job.parameters)
            return simulation.result, _images(simulation, job.parameters.grid_size_nm)
        return self.simulator.run(job.id, job.parameters), {}

    def _fail(self, job_id: str, message_id: str, error: str) -> Outcome:
        with self.uow_factory() as uow:
            uow.actor = self.worker_id
            job = uow.jobs.get(job_id)
            assert job is not None
            job.fail(error)
            uow.records.mark_processed(CONSUMER, message_id, datetime.now(UTC))
            uow.commit()
        return Outcome(job_id, JobState.FAILED, error)

    def _finish(
        self, job_id: str, message_id: str, result: SimulationResult, images: dict[str, bytes]
    ) -> Outcome:
        with self.uow_factory() as uow:
            uow.actor = self.worker_id
            job = uow.jobs.get(job_id)
            assert job is not None
            keys = {
                name: uow.put_artifact(f"jobs/{job_id}/{name}", data)
                for name, data in images.items()
            }
            now = datetime.now(UTC)
            payload = result.model_dump(mode="json")
            job.complete_simulation(payload)
            uow.records.add_result(
                ResultRecord(job_id, now, result.compute.simulator, payload, keys)
            )
            prediction = (
                TradeoffPrediction.model_validate(job.prediction) if job.prediction else None
            )
            found = evaluate(result, prediction, self.policy)
            if found.is_anomaly:
                job.flag_anomaly(found.anomalous, found.summary(), found.to_json())
                uow.alerts.add(
                    Alert(
                        Severity.WARNING,
                        "evaluation",
                        f"{job_id}: {found.summary()}",
                        job_id=job_id,
                    )
                )
            else:
                job.complete(found.to_json(), found.summary())
            uow.records.add_to_buffer(
                BufferRow(
                    job_id,
                    now,
                    prediction.model_version if prediction else None,
                    _json_ready(self.training_row(job.parameters, result)),
                )
            )
            uow.records.mark_processed(CONSUMER, message_id, now)
            uow.commit()
            return Outcome(job_id, job.state, found.summary())


# The focus-exposure matrix keeps one aerial image per focus for the report's figures: at most
# this many pixels a side (block-averaged), so a fine grid over a large clip stays megabytes.
FEM_IMAGE_PIXELS = 256


def _images(simulation: Any, pixel_nm: float) -> dict[str, bytes]:
    """The nominal aerial image (full resolution, float32) and the focus-exposure matrix (CD
    table, and its images block-averaged to ``FEM_IMAGE_PIXELS`` with their pixel size)."""
    import numpy as np

    out: dict[str, bytes] = {}
    nominal = getattr(simulation, "nominal_image", None)
    if nominal is not None:
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(nominal, dtype=np.float32))
        out["aerial.npy"] = buffer.getvalue()
    fem = getattr(simulation, "fem", None)
    if fem is not None:
        focus = sorted(fem.images)
        factor = 1
        images = np.empty(0, dtype=np.float32)
        if focus:
            stack = np.stack([np.asarray(fem.images[f], dtype=np.float32) for f in focus])
            factor = max(1, -(-max(stack.shape[1:]) // FEM_IMAGE_PIXELS))
            images = _block_mean(stack, factor)
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            focus_nm=np.asarray(fem.focus_nm),
            dose_mj_cm2=np.asarray(fem.dose_mj_cm2),
            cd_nm=np.asarray(fem.cd_nm),
            image_focus_nm=np.asarray(focus),
            images=images,
            image_pixel_nm=np.asarray(pixel_nm * factor),
        )
        out["fem.npz"] = buffer.getvalue()
    return out


def _block_mean(stack: Any, factor: int) -> Any:
    """Average ``factor``×``factor`` blocks of each image (edges padded by repetition)."""
    import numpy as np

    if factor == 1:
        return stack
    n, rows, cols = stack.shape
    pad = ((0, 0), (0, -rows % factor), (0, -cols % factor))
    padded = np.pad(stack, pad, mode="edge")
    shape = (n, padded.shape[1] // factor, factor, padded.shape[2] // factor, factor)
    return padded.reshape(shape).mean(axis=(2, 4), dtype=np.float32)


def _json_ready(row: dict[str, Any]) -> dict[str, Any]:
    import math

    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in row.items()}


__all__ = ["CONSUMER", "Outcome", "SimulationHandler", "parse_request"]
