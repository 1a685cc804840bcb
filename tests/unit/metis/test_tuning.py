"""Tuning with Optuna: the default settings run first, bad settings are pruned by step, and the
best settings carry the step they were best at."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from lto.metis.adapters.optuna_tuning import tune
from lto.metis.tuning import TuningResult, validation_error


class Curve:
    """A model whose validation error falls with the steps towards |rate − 0.1|: slow rates
    are worse at every step, so the median pruner can stop them."""

    name = "curve"
    step_name = "steps"
    space: ClassVar[dict] = {
        "rate": ("log", 0.01, 1.0), "depth": ("int", 1, 4), "kind": ("choice", "a", "b"),
    }  # fmt: skip

    def __init__(self) -> None:
        self.steps_run = 0

    def fit(self, params, x, y, report) -> None:
        for step in range(1, 11):
            self.steps_run += 1
            error = abs(params["rate"] - 0.1) + 0.5 / step
            report(step, lambda features, e=error: np.full((len(features), 1), 0.5 + min(e, 0.5)))


def test_tuning_prunes_bad_settings_and_beats_the_defaults() -> None:
    x, y = np.zeros((20, 2)), np.full((20, 1), 0.5)
    target = Curve()
    result = tune(
        target, x, y, x, y, trials=24, seed=0, defaults={"rate": 0.9, "depth": 2, "kind": "a"}
    )
    assert isinstance(result, TuningResult)
    assert result.history[0]["params"]["rate"] == 0.9  # the defaults ran first
    assert result.default_error is not None
    assert result.best_error < result.default_error
    assert result.improvement > 0
    assert result.pruned > 0
    assert target.steps_run < 24 * 10  # pruned trials stopped early
    assert result.best_params["steps"] == 10
    assert abs(result.best_params["rate"] - 0.1) < 0.1


def test_validation_error_clips_as_predictions_are_served() -> None:
    assert validation_error(np.array([[1.2, -0.1]]), np.array([[1.0, 0.0]])) == pytest.approx(0.0)
