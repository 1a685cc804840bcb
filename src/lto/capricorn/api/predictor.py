"""Predictions under load: concurrent predict requests share one surrogate call and one
database transaction (``MicroBatcher``). Alone, a request waits at most 2 ms for company; 50 at
once cost little more than a few single ones (the surrogate's TreeSHAP attributions are paid per
call, not per row)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING, Any

from lto.capricorn.service.batching import MicroBatcher

if TYPE_CHECKING:
    from lto.atlas.contracts import JobParameters, TradeoffPrediction
    from lto.capricorn.api.services import ApiServices
    from lto.capricorn.repositories import PredictionRecord

Answer = tuple["TradeoffPrediction", float]  # the prediction, its batch's surrogate milliseconds
MAX_BATCH = 64
MAX_WAIT_S = 0.002
_LOCK = threading.Lock()


class BatchedPredictor:
    def __init__(self, services: ApiServices) -> None:
        self.services = services
        self._evaluate: dict[bool, MicroBatcher[JobParameters, Answer]] = {
            explain: MicroBatcher(
                partial(self._answer, explain=explain),
                max_batch=MAX_BATCH,
                max_wait_s=MAX_WAIT_S,
                name=f"predict-{'explain' if explain else 'plain'}",
            )
            for explain in (True, False)
        }
        self._store = MicroBatcher(
            self._write, max_batch=256, max_wait_s=MAX_WAIT_S, name="predict-store"
        )

    def predict(
        self, parameters: JobParameters, *, explain: bool
    ) -> tuple[TradeoffPrediction, float]:
        """The prediction and the milliseconds its batch spent in the surrogate. Raises what
        the surrogate raised (``NoSurrogate`` when none is trained)."""
        return self._evaluate[explain](parameters)

    def submit(self, parameters: JobParameters, *, explain: bool) -> Future[Answer]:
        return self._evaluate[explain].submit(parameters)

    def record(self, record: PredictionRecord) -> None:
        """Stored (committed) when this returns, with the others of its batch."""
        self._store(record)

    def submit_record(self, record: PredictionRecord) -> Future[None]:
        return self._store.submit(record)

    def _answer(self, batch: Sequence[JobParameters], *, explain: bool) -> list[Answer]:
        surrogate = self.services.production_surrogate()
        started = time.perf_counter()
        found = surrogate.evaluate_batch(list(batch), explain=explain)
        elapsed_ms = 1000.0 * (time.perf_counter() - started)
        return [(prediction, elapsed_ms) for prediction in found]

    def _write(self, records: Sequence[PredictionRecord]) -> list[None]:
        with self.services.uow() as uow:
            uow.actor = "predict"
            for record in records:
                uow.records.add_prediction(record)
            uow.commit()
        return [None] * len(records)


def predictor_of(state: Any, services: ApiServices) -> BatchedPredictor:
    """The app's one predictor, made on first use."""
    found = getattr(state, "predictor", None)
    if found is None:
        with _LOCK:
            found = getattr(state, "predictor", None)
            if found is None:
                found = state.predictor = BatchedPredictor(services)
    return found


__all__ = ["BatchedPredictor", "predictor_of"]
