"""The ensemble surrogate: member models combined, intervals calibrated, doubts flagged.

Mean: the members' weighted mean (XGBoost 0.35, MLP 0.40, GP 0.25 by default), where a score is
not gated at its floor or ceiling (``lto.daedalus.saturation``). Spread: the GP's
predictive variance and the MC-dropout variance, averaged, plus the members' disagreement (the
weighted variance of their means). Split-conformal quantiles per score, fitted on a calibration
split the members never saw, scale the spread into intervals with the stated coverage.

Each prediction is flagged *out of distribution* when any parameter lies outside the domain it
was trained on or its features lie beyond the training set's 99th-percentile Mahalanobis
distance, and *high uncertainty* when its mean interval width exceeds a threshold tuned on the
calibration split. ``surrogate_reliability`` is not learned: athena's formula from the interval
width, the OOD distance and the current drift. ``overall_health`` is recomputed from the other
five with the job's profile weights, its interval from the others' bounds (it is monotone in
each).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lto.athena import tradeoffs
from lto.atlas.contracts import (
    SIGNAL_NAMES,
    JobParameters,
    ScoreInterval,
    TradeoffPrediction,
    UncertaintyFlags,
)
from lto.atlas.policies import DEFAULT_HEALTH_WEIGHTS, PROFILES
from lto.daedalus.columns import LEARNED, LEARNED_INDEX, row_from_job
from lto.daedalus.domain import SurrogateDomain, Table
from lto.daedalus.dose_prior import FEATURE as DOSE_FEATURE
from lto.daedalus.dose_prior import DosePrior
from lto.daedalus.features import FEATURES, FeatureScaler, feature_matrix
from lto.daedalus.ood import MahalanobisOOD
from lto.daedalus.ports import Regressor, SurrogatePort
from lto.daedalus.saturation import SaturationGate

DEFAULT_WEIGHTS: Mapping[str, float] = {"xgboost": 0.35, "mlp": 0.40, "gp": 0.25}
CONFIDENCE = 0.95
TOP_ATTRIBUTIONS = 8
_SCALE_FLOOR = 1e-4
_OOD_SCALE = 3.0  # surrogate_reliability halves at 1 + 1 = twice the 99th-percentile distance


@dataclass(frozen=True)
class Calibration:
    """What the calibration split taught: conformal quantiles per learned score and the
    interval width beyond which a prediction is flagged as highly uncertain."""

    quantiles: np.ndarray  # (k,) q̂ per LEARNED score
    width_threshold: float = float("inf")
    confidence: float = CONFIDENCE

    def to_json(self) -> dict[str, Any]:
        return {
            "quantiles": dict(zip(LEARNED, self.quantiles.tolist(), strict=True)),
            "width_threshold": self.width_threshold if np.isfinite(self.width_threshold) else None,
            "confidence": self.confidence,
        }

    def __post_init__(self) -> None:
        if not np.all(np.isfinite(self.quantiles)) or np.any(self.quantiles <= 0):
            raise ValueError("calibration: the conformal quantiles must be finite and > 0")
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"calibration: confidence must lie in (0, 1) (got {self.confidence})")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Calibration:
        quantiles = data["quantiles"]
        return cls(
            np.asarray([float(quantiles[name]) for name in LEARNED]),
            float("inf") if data["width_threshold"] is None else float(data["width_threshold"]),
            float(data["confidence"]),
        )


@dataclass(frozen=True)
class Spread:
    """The members combined, before calibration: mean and scale, (n, k) each."""

    mean: np.ndarray
    scale: np.ndarray
    members: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchPrediction:
    """Vectorised predictions for n jobs: all six signals, in ``SIGNAL_NAMES`` order."""

    mean: np.ndarray  # (n, 6)
    lower: np.ndarray  # (n, 6)
    upper: np.ndarray  # (n, 6)
    ood_ratio: np.ndarray  # (n,) Mahalanobis distance / the training 99th percentile
    outside: list[list[str]]  # per job, why it lies outside the domain (empty: inside)
    high_uncertainty: np.ndarray  # (n,) bool
    attributions: list[dict[str, dict[str, float]]] | None = None

    @property
    def out_of_distribution(self) -> np.ndarray:
        return np.asarray([bool(reasons) for reasons in self.outside]) | (self.ood_ratio > 1.0)


class EnsembleSurrogate(SurrogatePort):
    def __init__(
        self,
        *,
        members: Mapping[str, Regressor],
        weights: Mapping[str, float],
        scaler: FeatureScaler,
        ood: MahalanobisOOD,
        calibration: Calibration,
        domain: SurrogateDomain,
        version: str,
        metrics: Mapping[str, Any] | None = None,
        drift_psi: float = 0.0,
        dose_prior: DosePrior | None = None,
        saturation: SaturationGate | None = None,
    ) -> None:
        unknown = set(weights) ^ set(members)
        if unknown or not members:
            raise ValueError(
                f"weights: need one per member of the ensemble (unmatched: {sorted(unknown)})"
            )
        total = sum(weights.get(name, 0.0) for name in members)
        if total <= 0 or any(w < 0 for w in weights.values()):
            raise ValueError("weights: must be ≥ 0 with a positive sum")
        self.members = dict(members)
        self.weights = {name: weights.get(name, 0.0) / total for name in members}
        self.scaler = scaler
        self.ood = ood
        self.calibration = calibration
        self._domain = domain
        self._version = version
        self.metrics: dict[str, Any] = dict(metrics or {})
        self.drift_psi = drift_psi
        self.dose_prior = dose_prior
        self.saturation = saturation

    # --- the port ------------------------------------------------------------------------------

    @property
    def version(self) -> str:
        return self._version

    @property
    def domain(self) -> SurrogateDomain:
        return self._domain

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "surrogate": "ensemble",
            "version": self._version,
            "members": {name: round(w, 4) for name, w in self.weights.items()},
            "drift_psi": self.drift_psi,
        }

    def evaluate(self, parameters: JobParameters, *, explain: bool = False) -> TradeoffPrediction:
        return self.evaluate_batch([parameters], explain=explain)[0]

    def evaluate_batch(
        self, batch: Sequence[JobParameters], *, explain: bool = False
    ) -> list[TradeoffPrediction]:
        """One prediction per job; ``explain`` adds the XGBoost member's TreeSHAP attributions
        (exact TreeSHAP costs ~10 ms a job: asked for, not paid on every pre-flight)."""
        started = time.perf_counter()
        if not batch:
            return []
        rows = [row_from_job(job) for job in batch]
        table = {column: np.asarray([row[column] for row in rows]) for column in rows[0]}
        found = self.predict_frame(table, attributions=explain)
        per_job_ms = 1000.0 * (time.perf_counter() - started) / len(batch)
        return [self._prediction(found, i, per_job_ms) for i in range(len(batch))]

    def save(self, path: Path) -> Path:
        from lto.daedalus.adapters.artifact import save_surrogate

        return save_surrogate(self, path)

    # --- vectorised ----------------------------------------------------------------------------

    @property
    def feature_names(self) -> tuple[str, ...]:
        return FEATURES + ((DOSE_FEATURE,) if self.dose_prior is not None else ())

    def features(self, frame: Table) -> np.ndarray:
        """The scaled features the members see: the process's, then (with a dose prior) the
        log of the dose over the predicted dose to size."""
        return with_dose_feature(feature_matrix(frame), frame, self.scaler, self.dose_prior)

    def spread(self, features: np.ndarray) -> Spread:
        """Every member's prediction combined: weighted mean (each score the saturation gate
        finds at its floor or ceiling set there); scale from the GP and dropout variances and
        the members' disagreement."""
        means: dict[str, np.ndarray] = {}
        variances: list[np.ndarray] = []
        for name, member in self.members.items():
            answer = member.predict(features)
            means[name] = answer.mean
            if answer.std is not None:
                variances.append(np.square(answer.std))
        mean = sum(self.weights[name] * m for name, m in means.items())
        assert isinstance(mean, np.ndarray)
        disagreement = sum(self.weights[name] * np.square(m - mean) for name, m in means.items())
        own = np.mean(variances, axis=0) if variances else np.zeros_like(mean)
        scale = np.sqrt(own + disagreement)
        mean = np.clip(mean, 0.0, 1.0)
        if self.saturation is not None:
            mean = self.saturation.apply(mean, features)
        return Spread(mean, np.maximum(scale, _SCALE_FLOOR), means)

    def predict_frame(self, frame: Table, *, attributions: bool = False) -> BatchPrediction:
        """All six signals for each row of ``frame`` (``columns.PARAMETERS``: a frame, or a
        mapping of arrays), with flags."""
        features = self.features(frame)
        n = features.shape[0]
        spread = self.spread(features)
        q = self.calibration.quantiles
        lower = np.clip(spread.mean - q * spread.scale, 0.0, 1.0)
        upper = np.clip(spread.mean + q * spread.scale, 0.0, 1.0)
        width = np.mean(upper - lower, axis=1)
        ratio = self.ood.ratio(features)
        outside = self._domain.violations(frame)
        excess = _OOD_SCALE * np.maximum(ratio - 1.0, 0.0)
        outside_any = np.asarray([bool(reasons) for reasons in outside])
        excess = np.where(outside_any, np.maximum(excess, _OOD_SCALE), excess)
        reliability = tradeoffs.surrogate_reliability(width, excess, self.drift_psi)
        profiles = np.asarray(frame["profile"]).astype(str)
        mean6, lower6, upper6 = (np.empty((n, len(SIGNAL_NAMES))) for _ in range(3))
        learned = list(LEARNED_INDEX)
        mean6[:, learned], lower6[:, learned], upper6[:, learned] = spread.mean, lower, upper
        rel = SIGNAL_NAMES.index("surrogate_reliability")
        mean6[:, rel] = lower6[:, rel] = upper6[:, rel] = reliability
        health = SIGNAL_NAMES.index("overall_health")
        corners = np.vstack([mean6, _risk_opposed(lower6, upper6), _risk_opposed(upper6, lower6)])
        together = _health(corners, np.tile(profiles, 3))  # one call for the three
        mean6[:, health], lower6[:, health], upper6[:, health] = together.reshape(3, n)
        return BatchPrediction(
            mean=mean6,
            lower=np.minimum(lower6, mean6),
            upper=np.maximum(upper6, mean6),
            ood_ratio=ratio,
            outside=outside,
            high_uncertainty=width > self.calibration.width_threshold,
            attributions=self._attributions(features) if attributions else None,
        )

    def with_calibration(self, calibration: Calibration) -> EnsembleSurrogate:
        twin = EnsembleSurrogate(
            members=self.members, weights=self.weights, scaler=self.scaler, ood=self.ood,
            calibration=calibration, domain=self._domain, version=self._version,
            metrics=self.metrics, drift_psi=self.drift_psi, dose_prior=self.dose_prior,
            saturation=self.saturation,
        )  # fmt: skip
        return twin

    def with_metrics(self, metrics: Mapping[str, Any]) -> EnsembleSurrogate:
        twin = self.with_calibration(self.calibration)
        twin.metrics = dict(metrics)
        return twin

    # --- helpers -------------------------------------------------------------------------------

    def _attributions(self, features: np.ndarray) -> list[dict[str, dict[str, float]]] | None:
        """Per job and learned score, the XGBoost member's TreeSHAP contributions of the
        features with the largest magnitude (``pred_contribs``); None without that member."""
        member = self.members.get("xgboost")
        contributions = getattr(member, "contributions", None)
        if contributions is None:
            return None
        names = self.feature_names
        values = np.asarray(contributions(features))[..., : len(names)]  # drop the bias
        found: list[dict[str, dict[str, float]]] = []
        for row in values:
            per_score: dict[str, dict[str, float]] = {}
            for k, name in enumerate(LEARNED):
                top = np.argsort(-np.abs(row[k]))[:TOP_ATTRIBUTIONS]
                per_score[name] = {names[i]: float(row[k, i]) for i in top}
            found.append(per_score)
        return found

    def _prediction(self, found: BatchPrediction, i: int, per_job_ms: float) -> TradeoffPrediction:
        scores = {
            name: ScoreInterval.model_construct(
                mean=float(found.mean[i, j]),
                lower=float(found.lower[i, j]),
                upper=float(found.upper[i, j]),
            )
            for j, name in enumerate(SIGNAL_NAMES)
        }
        flags = UncertaintyFlags(
            high_uncertainty=bool(found.high_uncertainty[i]),
            out_of_distribution=bool(found.outside[i]) or bool(found.ood_ratio[i] > 1.0),
            drift_detected=self.drift_psi > 0.2,
            ood_distance=float(found.ood_ratio[i]),
        )
        attributions = found.attributions[i] if found.attributions else {}
        return TradeoffPrediction.model_construct(
            scores=scores,
            flags=flags,
            attributions=attributions,
            model_version=self._version,
            inference_time_ms=per_job_ms,
            confidence_level=self.calibration.confidence,
        )


def with_dose_feature(
    base: np.ndarray,
    frame: pd.DataFrame | Mapping[str, Any],
    scaler: FeatureScaler,
    prior: DosePrior | None,
    log_dose_to_size: np.ndarray | None = None,
) -> np.ndarray:
    """``base`` features scaled, with the dose feature appended (and scaled) when there is a
    prior; ``log_dose_to_size`` replaces the prior's prediction (out-of-fold, in training)."""
    d = base.shape[1]
    scaled = (base - scaler.mean[:d]) / scaler.scale[:d]
    if prior is None:
        return scaled
    if log_dose_to_size is None:
        log_dose_to_size = prior.log_dose_to_size(scaled)
    relative = np.log(np.asarray(frame["dose_mj_cm2"], float)) - log_dose_to_size
    return np.c_[scaled, (relative - scaler.mean[d]) / scaler.scale[d]]


def _health_weights(profile: str) -> Mapping[str, float]:
    known = PROFILES.get(profile)
    return known.health_weights if known is not None else DEFAULT_HEALTH_WEIGHTS


def _risk_opposed(scores_at: np.ndarray, risk_at: np.ndarray) -> np.ndarray:
    """Every score from ``scores_at`` but yield risk (higher is worse) from ``risk_at``: the
    corner of the intervals where overall_health is lowest (lower bounds, risk's upper) or
    highest."""
    chosen = scores_at.copy()
    risk = SIGNAL_NAMES.index("yield_risk")
    chosen[:, risk] = risk_at[:, risk]
    return chosen


def _health(scores: np.ndarray, profiles: np.ndarray) -> np.ndarray:
    """overall_health per row, from the first five signals, with each row's profile weights
    (one vectorised call per profile present)."""
    out = np.empty(scores.shape[0])
    for profile in np.unique(profiles):
        rows = profiles == profile
        columns = {name: scores[rows, j] for j, name in enumerate(SIGNAL_NAMES[:5])}
        out[rows] = tradeoffs.overall_health(**columns, weights=_health_weights(str(profile)))
    return out


__all__ = ["DEFAULT_WEIGHTS", "BatchPrediction", "Calibration", "EnsembleSurrogate"]
