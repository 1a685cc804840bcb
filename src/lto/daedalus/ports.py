"""``SurrogatePort``: what the pipeline, Metis and the interfaces ask of a surrogate, and
``Regressor``: what the ensemble asks of each of its member models.

A surrogate is an ``Evaluator`` like the simulators (``evaluate``, ``evaluate_batch``), so the
optimiser and the job pipeline can swap one for the other.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Self

import numpy as np

from lto.atlas.contracts import JobParameters, TradeoffPrediction


class SurrogateError(RuntimeError):
    """A surrogate cannot answer (no model, a damaged or foreign artifact); the message says why."""


@dataclass(frozen=True)
class MemberPrediction:
    """A member model's answer for n rows and k outputs: the mean, and its predictive standard
    deviation where the model has one (None for XGBoost)."""

    mean: np.ndarray  # (n, k)
    std: np.ndarray | None = None  # (n, k)


class Regressor(Protocol):
    """A member of the ensemble, in scikit-learn's conventions: the constructor stores its
    keyword arguments and nothing else, ``fit`` returns ``self``, learned state ends in ``_``.

    Inputs are the scaled feature matrix (n, d); targets are scores in [0, 1], shape (n, k).
    ``save`` writes the model in its library's own format into an existing, empty directory;
    ``load`` reads it back so that ``predict`` gives identical answers.
    """

    name: str

    def fit(self, features: np.ndarray, targets: np.ndarray) -> Self: ...

    def predict(self, features: np.ndarray) -> MemberPrediction: ...

    def save(self, directory: Path) -> None: ...

    @classmethod
    def load(cls, directory: Path) -> Self: ...


class SurrogatePort(ABC):
    """A trained surrogate: six tradeoff scores with intervals, flags and attributions.

    Contract: ``evaluate`` answers in milliseconds; ``evaluate_batch`` is vectorised (one call
    per member model for the whole batch) and returns one prediction per job, in order.
    ``domain`` is the process space the surrogate was trained on; ``version`` names the model.
    """

    @property
    @abstractmethod
    def version(self) -> str: ...

    @property
    @abstractmethod
    def domain(self) -> Any: ...

    @abstractmethod
    def evaluate(self, parameters: JobParameters, *, explain: bool = False) -> TradeoffPrediction:
        """``explain``: also the per-feature attributions (slower: asked for, not default)."""

    @abstractmethod
    def evaluate_batch(
        self, batch: Sequence[JobParameters], *, explain: bool = False
    ) -> list[TradeoffPrediction]: ...

    @abstractmethod
    def health(self) -> dict[str, Any]:
        """``{"status": "ok" | "unavailable", ...}`` and whatever explains it."""

    @abstractmethod
    def save(self, path: Path) -> Path:
        """Write the artifact directory at ``path``; returns it."""
