"""The saturation gate: on step-like scores it answers with the regime, not the mushy mean; it
leaves scores that never saturate alone; it survives a save and a load with the surrogate."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest

from lto.daedalus import load_surrogate
from lto.daedalus.adapters import members as registry
from lto.daedalus.adapters.xgboost_member import XGBoostRegressor
from lto.daedalus.columns import LEARNED
from lto.daedalus.domain import default_domain
from lto.daedalus.saturation import SaturationGate
from lto.daedalus.training import train_surrogate

from .fakes import RidgeMember, synthetic_frame

CLASSIFIER = partial(XGBoostRegressor, objective="reg:logistic", n_estimators=40, n_jobs=1)


def step_scores(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Score 0 a step of feature 0 (0 below, 1 above), score 1 never saturated (0.3–0.7)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    step = (x[:, 0] > 0).astype(float)
    middle = 0.5 + 0.2 * np.tanh(x[:, 1])
    return x, np.c_[step, middle]


def test_a_step_is_answered_with_its_regime_not_the_mean() -> None:
    x, y = step_scores(3000, seed=1)
    gate = SaturationGate.fit(CLASSIFIER, x, y)
    fresh_x, fresh_y = step_scores(2000, seed=2)
    mean = RidgeMember().fit(x, y).predict(fresh_x).mean
    gated = gate.apply(mean, fresh_x)
    ungated_hits = np.mean(np.abs(mean[:, 0] - fresh_y[:, 0]) <= 0.05)
    gated_hits = np.mean(np.abs(gated[:, 0] - fresh_y[:, 0]) <= 0.05)
    assert ungated_hits < 0.3  # a linear fit of a step is mush near it
    assert gated_hits > 0.95


def test_a_score_that_never_saturates_is_left_alone() -> None:
    x, y = step_scores(2000, seed=3)
    gate = SaturationGate.fit(CLASSIFIER, x, y)
    mean = np.c_[np.full(len(x), 0.5), y[:, 1]]
    np.testing.assert_array_equal(gate.apply(mean, x)[:, 1], y[:, 1])


def test_regime_values_are_the_training_medians_and_probabilities_are_probabilities() -> None:
    x, y = step_scores(1000, seed=4)
    y[:, 0] = np.where(y[:, 0] > 0.5, 0.98, 0.01)
    gate = SaturationGate.fit(CLASSIFIER, x, y)
    assert gate.floor[0] == pytest.approx(0.01)
    assert gate.ceiling[0] == pytest.approx(0.98)
    assert (gate.floor[1], gate.ceiling[1]) == (0.0, 1.0)  # no training row there: the bounds
    low, high = gate.probabilities(x)
    assert low.shape == high.shape == (1000, 2)
    assert np.all((low >= 0) & (low <= 1) & (high >= 0) & (high <= 1))


def test_a_gated_surrogate_saves_and_loads_with_identical_predictions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(registry.MEMBERS, "a", f"{RidgeMember.__module__}:RidgeMember")
    domain = default_domain()
    frame = synthetic_frame(domain, 600, seed=5)
    surrogate = train_surrogate(
        frame, domain, members={"a": RidgeMember()}, weights={"a": 1.0}, seed=2,
        gate_model=CLASSIFIER,
    )  # fmt: skip
    assert surrogate.saturation is not None
    assert "saturation_gate" in surrogate.metrics["fit_seconds"]
    loaded = load_surrogate(surrogate.save(tmp_path / "gated"))
    assert loaded.saturation is not None
    np.testing.assert_array_equal(loaded.saturation.floor, surrogate.saturation.floor)
    before, after = surrogate.predict_frame(frame), loaded.predict_frame(frame)
    np.testing.assert_array_equal(before.mean, after.mean)
    np.testing.assert_array_equal(before.upper, after.upper)
    assert len(LEARNED) == surrogate.saturation.floor.size
