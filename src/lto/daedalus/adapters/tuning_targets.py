"""The members' hyperparameters as tuning targets: a search space, and a fit that reports the
validation error as training proceeds (boosting rounds, epochs) so a pruner can stop bad
settings early. Used by Metis's tuner (``lto tune``) through ``lto.metis.tuning.TuningTarget``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lto.daedalus.adapters.members import member_class

Report = Callable[[int, Callable[[np.ndarray], np.ndarray]], None]
ROUND_STAGES = tuple(range(25, 401, 25))


class XGBoostTarget:
    """Tree depth, learning rate, leaf weight, sampling and L2; the rounds are the steps (the
    best step found becomes ``n_estimators``)."""

    name = "xgboost"
    step_name = "n_estimators"
    space: Mapping[str, tuple[Any, ...]] = {
        "max_depth": ("int", 3, 10),
        "learning_rate": ("log", 0.02, 0.3),
        "min_child_weight": ("log", 0.5, 10.0),
        "subsample": ("float", 0.6, 1.0),
        "colsample_bytree": ("float", 0.5, 1.0),
        "reg_lambda": ("log", 0.1, 10.0),
    }

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def fit(self, params: Mapping[str, Any], x: np.ndarray, y: np.ndarray, report: Report) -> None:
        model = member_class("xgboost")(random_state=self.seed, **params)
        for rounds, fitted in model.fit_stages(x, y, ROUND_STAGES):
            report(rounds, lambda features, m=fitted: m.raw_predict(features))


class MLPTarget:
    """Learning rate, weight decay, dropout and batch size; the epochs are the steps (the best
    step found becomes ``max_epochs``)."""

    name = "mlp"
    step_name = "max_epochs"
    space: Mapping[str, tuple[Any, ...]] = {
        "learning_rate": ("log", 3e-4, 1e-2),
        "weight_decay": ("log", 1e-6, 1e-3),
        "dropout": ("float", 0.1, 0.5),
        "batch_size": ("choice", 64, 128, 256),
    }

    def __init__(self, seed: int, max_epochs: int = 60) -> None:
        self.seed = seed
        self.max_epochs = max_epochs

    def fit(self, params: Mapping[str, Any], x: np.ndarray, y: np.ndarray, report: Report) -> None:
        from lto.daedalus.adapters.mlp_member import fit_with_epoch_hook

        model = member_class("mlp")(random_state=self.seed, max_epochs=self.max_epochs, **params)
        fit_with_epoch_hook(model, x, y, report)


def tuning_targets(seed: int) -> dict[str, Any]:
    return {"xgboost": XGBoostTarget(seed), "mlp": MLPTarget(seed)}


__all__ = ["MLPTarget", "XGBoostTarget", "tuning_targets"]
