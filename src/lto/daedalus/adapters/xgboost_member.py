"""XGBoost member of the surrogate ensemble: one booster for all k targets (hist trees).

xgboost is imported inside the methods, never when this module is imported.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from sklearn.base import BaseEstimator

from lto.daedalus.adapters.members import (
    check_directory,
    check_features,
    check_fit_inputs,
    not_fitted,
    read_params,
    require_file,
    write_params,
)
from lto.daedalus.ports import MemberPrediction

if TYPE_CHECKING:
    import xgboost

MODEL_FILE = "model.ubj"
WARM_UP_CALLS = 3
# Up to this many rows, predict on one thread: a parallel region costs more than it saves on a
# few rows, and on a busy machine each one waits for a time slice (~30 ms per row, measured).
SMALL_BATCH = 64


class XGBoostRegressor(BaseEstimator):
    """Gradient-boosted trees on all k targets at once; no predictive std (``std`` is None).

    ``multi_strategy="one_output_per_tree"`` grows one tree per target and round (and supports
    ``contributions``); ``"multi_output_tree"`` grows vector-leaf trees (k times fewer trees).
    ``objective="reg:logistic"`` on 0/1 targets makes it a multi-label classifier whose outputs
    are probabilities (the saturation gate's).
    """

    name = "xgboost"

    def __init__(
        self,
        *,
        n_estimators: int = 200,
        max_depth: int = 6,
        learning_rate: float = 0.1,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        min_child_weight: float = 1.0,
        reg_lambda: float = 1.0,
        multi_strategy: str = "one_output_per_tree",
        objective: str = "reg:squarederror",
        n_jobs: int = 2,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.multi_strategy = multi_strategy
        self.objective = objective
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _booster_params(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "tree_method": "hist",
            "multi_strategy": self.multi_strategy,
            "eta": self.learning_rate,
            "max_depth": self.max_depth,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "min_child_weight": self.min_child_weight,
            "lambda": self.reg_lambda,
            "nthread": self.n_jobs,
            "seed": self.random_state,
            "verbosity": 0,
        }

    def fit(self, features: np.ndarray, targets: np.ndarray) -> Self:
        import xgboost as xgb

        x, y = check_fit_inputs(features, targets)
        matrix = xgb.DMatrix(x, label=y, nthread=self.n_jobs)
        booster = xgb.train(self._booster_params(), matrix, num_boost_round=self.n_estimators)
        self._set_learned(booster, n_features=x.shape[1], n_outputs=y.shape[1])
        return self

    def fit_stages(
        self, features: np.ndarray, targets: np.ndarray, stages: Sequence[int]
    ) -> Iterator[tuple[int, Self]]:
        """Fit by stages: after each cumulative round count in ``stages`` (increasing), yield it
        and ``self`` fitted with that many rounds (for tuning, whose pruner may stop early)."""
        import xgboost as xgb

        x, y = check_fit_inputs(features, targets)
        matrix = xgb.DMatrix(x, label=y, nthread=self.n_jobs)
        booster, done = None, 0
        for rounds in stages:
            if rounds <= done:
                raise ValueError(f"stages must increase; got {list(stages)}")
            booster = xgb.train(
                self._booster_params(), matrix, num_boost_round=rounds - done, xgb_model=booster
            )
            done = rounds
            self._set_learned(booster, n_features=x.shape[1], n_outputs=y.shape[1])
            yield rounds, self

    def _set_learned(self, booster: xgboost.Booster, n_features: int, n_outputs: int) -> None:
        self.booster_ = booster
        self.small_batch_booster_ = booster.copy()  # the same trees, on one thread
        self.small_batch_booster_.set_param({"nthread": 1})
        self.n_features_in_ = n_features
        self.n_outputs_ = n_outputs
        # The first predictions of a booster are slow (lazy set-up): pay for them here.
        row = np.zeros((1, n_features), dtype=np.float32)
        for _ in range(WARM_UP_CALLS):
            booster.inplace_predict(row)
            self.small_batch_booster_.inplace_predict(row)

    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise not_fitted(self)

    def raw_predict(self, features: np.ndarray) -> np.ndarray:
        """The booster's (n, k) output before clipping to [0, 1]."""
        self._check_fitted()
        x = check_features(features, self.n_features_in_)
        # The trees compare float32 values (as DMatrix stores them), so float32 input gives the
        # same answers, and inplace_predict takes it faster than float64.
        booster = self.small_batch_booster_ if x.shape[0] <= SMALL_BATCH else self.booster_
        out = booster.inplace_predict(x.astype(np.float32), validate_features=False)
        return np.asarray(out, dtype=np.float64).reshape(x.shape[0], self.n_outputs_)

    def predict(self, features: np.ndarray) -> MemberPrediction:
        return MemberPrediction(mean=np.clip(self.raw_predict(features), 0.0, 1.0), std=None)

    def contributions(self, features: np.ndarray) -> np.ndarray:
        """SHAP contributions (n, k, d + 1): per feature, and the bias in the last column; they
        sum over the last axis to ``raw_predict`` (before clipping)."""
        import xgboost as xgb

        self._check_fitted()
        if self.multi_strategy != "one_output_per_tree":
            raise NotImplementedError(
                "contributions need multi_strategy='one_output_per_tree': XGBoost has no "
                "SHAP values for vector-leaf (multi_output_tree) boosters"
            )
        x = check_features(features, self.n_features_in_)
        matrix = xgb.DMatrix(x, nthread=self.n_jobs)
        out = self.booster_.predict(matrix, pred_contribs=True, validate_features=False)
        return np.asarray(out, dtype=np.float64).reshape(
            x.shape[0], self.n_outputs_, self.n_features_in_ + 1
        )

    def save(self, directory: Path) -> None:
        self._check_fitted()
        path = check_directory(directory)
        self.booster_.save_model(str(path / MODEL_FILE))
        write_params(
            path,
            self.name,
            self.get_params(),
            n_features_in=self.n_features_in_,
            n_outputs=self.n_outputs_,
        )

    @classmethod
    def load(cls, directory: Path) -> Self:
        import xgboost as xgb

        params, learned = read_params(directory, cls.name)
        model = cls(**params)
        booster = xgb.Booster()
        booster.load_model(str(require_file(directory, MODEL_FILE)))
        booster.set_param({"nthread": model.n_jobs})
        model._set_learned(
            booster, n_features=int(learned["n_features_in"]), n_outputs=int(learned["n_outputs"])
        )
        return model
