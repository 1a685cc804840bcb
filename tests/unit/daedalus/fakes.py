"""Fakes for the ensemble's tests: a ridge-regression member and synthetic physics scores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Self

import numpy as np
import pandas as pd

from lto.daedalus.columns import LEARNED
from lto.daedalus.domain import SurrogateDomain
from lto.daedalus.features import physics_features
from lto.daedalus.ports import MemberPrediction


class RidgeMember:
    """A linear member with a constant predictive spread: fast, deterministic, saveable."""

    name = "ridge"

    def __init__(self, *, alpha: float = 1e-3, with_std: bool = True) -> None:
        self.alpha = alpha
        self.with_std = with_std

    def fit(self, features: np.ndarray, targets: np.ndarray) -> Self:
        x = np.c_[features, np.ones(len(features))]
        gram = x.T @ x + self.alpha * np.eye(x.shape[1])
        self.coef_ = np.linalg.solve(gram, x.T @ targets)
        self.residual_std_ = np.std(targets - x @ self.coef_, axis=0) + 1e-6
        return self

    def predict(self, features: np.ndarray) -> MemberPrediction:
        mean = np.clip(np.c_[features, np.ones(len(features))] @ self.coef_, 0.0, 1.0)
        std = np.broadcast_to(self.residual_std_, mean.shape).copy() if self.with_std else None
        return MemberPrediction(mean, std)

    def save(self, directory: Path) -> None:
        np.save(directory / "coef.npy", self.coef_)
        np.save(directory / "std.npy", self.residual_std_)
        (directory / "params.json").write_text(
            json.dumps({"alpha": self.alpha, "with_std": self.with_std})
        )

    @classmethod
    def load(cls, directory: Path) -> Self:
        member = cls(**json.loads((directory / "params.json").read_text()))
        member.coef_ = np.load(directory / "coef.npy")
        member.residual_std_ = np.load(directory / "std.npy")
        return member


def synthetic_frame(domain: SurrogateDomain, n: int, *, seed: int = 0) -> pd.DataFrame:
    """Domain samples with smooth 'physics' scores plus noise: what the members can learn."""
    frame = domain.sample(n, seed)
    rng = np.random.default_rng(seed)
    features = physics_features(frame)
    frame["dose_to_size_mj_cm2"] = 20.0 * (1.0 + 2.0 * features["duty"])
    frame["dose_mj_cm2"] = frame["dose_to_size_mj_cm2"] * frame["dose_ratio"]
    features = physics_features(frame)
    signal = {
        "resolution_vs_dof": 0.2 + 0.15 * features["pitch_over_limit"],
        "yield_risk": 0.5
        + 0.2 * np.tanh(features["focus_over_rayleigh"])
        + 0.2 * np.tanh(8 * np.log(frame["dose_ratio"])),
        "speed_vs_accuracy": 0.9 - 0.002 * features["pixels_per_pitch"],
        "cost_vs_fidelity": 0.5 + 0.4 * (features["duty"] - 0.45),
    }
    for name in LEARNED:
        noisy = signal[name] + rng.normal(0.0, 0.02, n)
        frame[name] = np.clip(noisy, 0.0, 1.0)
    frame["status"] = "ok"
    return frame
