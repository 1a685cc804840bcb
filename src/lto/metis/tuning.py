"""Hyperparameter tuning of the surrogate's members: what a target is, and what tuning found.

A ``TuningTarget`` (one per member, in ``lto.daedalus.adapters.tuning_targets``) has a search
space and a fit that reports the validation error after every step of its training (boosting
rounds, epochs), so that the pruner stops settings that fall behind. The data are the
surrogate's own features on its training rows, split again into fitting and validation rows:
the held-out test split is never seen, so the accuracy ``lto train`` reports stays honest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

Report = Callable[[int, Callable[[np.ndarray], np.ndarray]], None]


class TuningTarget(Protocol):
    name: str
    step_name: str  # the hyperparameter the best step becomes (n_estimators, max_epochs)
    space: Mapping[
        str, tuple[Any, ...]
    ]  # name → ("int"|"float"|"log", low, high) or ("choice", *values)

    def fit(
        self, params: Mapping[str, Any], x: np.ndarray, y: np.ndarray, report: Report
    ) -> None: ...


@dataclass(frozen=True)
class TuningResult:
    member: str
    best_params: dict[str, Any]  # the step included
    best_error: float  # validation mean absolute error over the learned scores
    default_error: float | None  # the same error at the default settings
    trials: int
    pruned: int
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def improvement(self) -> float | None:
        if self.default_error is None or self.default_error <= 0:
            return None
        return 1.0 - self.best_error / self.default_error

    def to_json(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "best_params": self.best_params,
            "best_error": self.best_error,
            "default_error": self.default_error,
            "improvement": self.improvement,
            "trials": self.trials,
            "pruned": self.pruned,
            "history": self.history,
        }


def validation_error(predicted: np.ndarray, actual: np.ndarray) -> float:
    """Mean absolute error over all learned scores (their [0, 1] scale, clipped as served)."""
    return float(np.mean(np.abs(np.clip(predicted, 0.0, 1.0) - actual)))


__all__ = ["TuningResult", "TuningTarget", "validation_error"]
