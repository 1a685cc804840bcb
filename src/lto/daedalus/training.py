"""Training the ensemble: split, fit, calibrate, and measure on data the models never saw.

The test split is taken off first (seeded) and touched only to measure. The rest is split into
the training rows (scaler, OOD reference and every member fitted there) and a calibration split
(conformal quantiles and the high-uncertainty threshold).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from lto.athena import accuracy_report, coverage, mean_width, split_conformal
from lto.athena.accuracy import OVERALL_TARGET, within_tolerance
from lto.atlas.technology import resolution_limit_pitch_nm
from lto.daedalus.columns import LEARNED, LEARNED_INDEX
from lto.daedalus.domain import SurrogateDomain
from lto.daedalus.dose_prior import DosePrior
from lto.daedalus.ensemble import (
    CONFIDENCE,
    DEFAULT_WEIGHTS,
    Calibration,
    EnsembleSurrogate,
    with_dose_feature,
)
from lto.daedalus.features import FeatureScaler, feature_matrix
from lto.daedalus.ood import MahalanobisOOD
from lto.daedalus.ports import Regressor
from lto.daedalus.saturation import SaturationGate

Progress = Callable[[float, str], None]
MIN_ROWS = 80
# the numeric parameters whose distribution drift monitoring follows
DRIFT_INPUTS: tuple[str, ...] = (
    "na", "sigma", "pitch_nm", "target_cd_nm", "grid_size_nm", "resist_thickness_nm",
    "focus_nm", "dose_mj_cm2",
)  # fmt: skip
MIN_CALIBRATION = 20  # split conformal's 95% quantile needs ⌈(n+1)·0.95⌉ ≤ n


@dataclass(frozen=True)
class Split:
    train: np.ndarray
    calibration: np.ndarray
    test: np.ndarray


def split_rows(n: int, *, seed: int, test: float = 0.2, calibration: float = 0.15) -> Split:
    """Seeded, disjoint index sets; the test set is drawn first so that changing the
    calibration share never moves a row into or out of it."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = round(test * n)
    n_cal = max(round(calibration * n), min(MIN_CALIBRATION, n - n_test))
    return Split(
        train=np.sort(order[n_test + n_cal :]),
        calibration=np.sort(order[n_test : n_test + n_cal]),
        test=np.sort(order[:n_test]),
    )


def usable_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows physics answered (status ok, every learned score present)."""
    ok = frame["status"].eq("ok") if "status" in frame else pd.Series(True, index=frame.index)
    complete = frame[list(LEARNED)].notna().all(axis=1)
    return frame[ok & complete].reset_index(drop=True)


def train_surrogate(
    frame: pd.DataFrame,
    domain: SurrogateDomain,
    *,
    members: Mapping[str, Regressor],
    seed: int,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    version: str | None = None,
    progress: Progress | None = None,
    dataset: Mapping[str, Any] | None = None,
    dose_model: Callable[[], Regressor] | None = None,
    gate_model: Callable[[], Regressor] | None = None,
) -> EnsembleSurrogate:
    """Fit every member on the training split, calibrate, measure on the test split; the
    returned surrogate carries the measurements in ``metrics``. ``dose_model`` makes the
    regressor of the dose-to-size prior (``dose_prior``); None leaves the feature out.
    ``gate_model`` makes the classifier of the saturation gate (``saturation``), fitted on the
    training split too; None leaves the mean ungated."""
    report = progress or (lambda fraction, message: None)
    rows = usable_rows(frame)
    if len(rows) < MIN_ROWS:
        raise ValueError(
            f"dataset: {len(rows)} usable rows; training needs at least {MIN_ROWS} (build more samples)"
        )
    split = split_rows(len(rows), seed=seed)
    targets = rows[list(LEARNED)].to_numpy(float)
    report(0.02, "fitting the dose-to-size prior" if dose_model else "scaling the features")
    scaler, prior, x = training_features(rows, split.train, dose_model, seed)
    fitted: dict[str, Regressor] = {}
    seconds: dict[str, float] = {}
    for i, (name, member) in enumerate(members.items()):
        report(0.05 + 0.8 * i / len(members), f"fitting {name} on {split.train.size} rows")
        started = time.perf_counter()
        fitted[name] = member.fit(x[split.train], targets[split.train])
        seconds[name] = time.perf_counter() - started
    gate = None
    if gate_model is not None:
        report(0.85, "fitting the saturation gate")
        started = time.perf_counter()
        gate = SaturationGate.fit(gate_model, x[split.train], targets[split.train])
        seconds["saturation_gate"] = time.perf_counter() - started
    report(0.87, "calibrating the intervals")
    surrogate = EnsembleSurrogate(
        members=fitted,
        weights=weights,
        scaler=scaler,
        ood=MahalanobisOOD.fit(x[split.train]),
        calibration=Calibration(np.full(len(LEARNED), 1.959964)),
        domain=domain,
        version=version or f"surrogate-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-s{seed}",
        dose_prior=prior,
        saturation=gate,
    )
    surrogate = surrogate.with_calibration(calibrate(surrogate, rows.iloc[split.calibration]))
    report(0.93, "measuring on the held-out test split")
    metrics = measure(surrogate, rows, split)
    unseen = np.concatenate([split.calibration, split.test])
    metrics["training_distribution"] = training_distribution(
        surrogate, rows.iloc[split.train], rows.iloc[unseen]
    )
    metrics["fit_seconds"] = seconds
    metrics["dataset"] = dict(dataset or {})
    report(1.0, "trained")
    return surrogate.with_metrics(metrics)


def training_features(
    rows: pd.DataFrame,
    train: np.ndarray,
    dose_model: Callable[[], Regressor] | None,
    seed: int,
) -> tuple[FeatureScaler, DosePrior | None, np.ndarray]:
    """The scaler, the dose prior and the scaled features of every row. Training rows carry
    the prior's out-of-fold dose to size; the others its prediction, as in use."""
    base = feature_matrix(rows)
    if dose_model is None:
        scaler = FeatureScaler.fit(base[train])
        return scaler, None, scaler.transform(base)
    base_scaled = FeatureScaler.fit(base[train]).transform(base)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_size = np.log(rows["dose_to_size_mj_cm2"].to_numpy(float))
    prior, out_of_fold = DosePrior.fit(dose_model, base_scaled[train], log_size[train], seed=seed)
    predicted = prior.log_dose_to_size(base_scaled)
    predicted[train] = out_of_fold
    relative = np.log(rows["dose_mj_cm2"].to_numpy(float)) - predicted
    scaler = FeatureScaler.fit(np.c_[base, relative][train])
    return scaler, prior, with_dose_feature(base, rows, scaler, prior, predicted)


def calibrate(surrogate: EnsembleSurrogate, rows: pd.DataFrame) -> Calibration:
    """Split-conformal quantiles per score, then the width threshold: the largest of the
    calibration split's width quantiles (5th–99th) below which the predictions meet the
    accuracy target. Where none does, the narrowest width: every prediction is then flagged as
    uncertain, which is what a model below its targets should say."""
    spread = surrogate.spread(surrogate.features(rows))
    actual = rows[list(LEARNED)].to_numpy(float)
    conformal = split_conformal(actual, spread.mean, spread.scale, target=CONFIDENCE)
    calibration = Calibration(np.asarray(conformal.quantile, float))
    found = surrogate.with_calibration(calibration).predict_frame(rows)
    learned = list(LEARNED_INDEX)
    width = np.mean(found.upper[:, learned] - found.lower[:, learned], axis=1)
    hits = within_tolerance(found.mean[:, learned], actual)
    threshold = float(np.min(width)) * (1.0 - 1e-9)
    for q in np.linspace(0.05, 0.99, 95):
        candidate = float(np.quantile(width, q))
        kept = width <= candidate
        if kept.any() and hits[kept].mean() >= OVERALL_TARGET:
            threshold = candidate
    return Calibration(calibration.quantiles, threshold, CONFIDENCE)


def measure(surrogate: EnsembleSurrogate, rows: pd.DataFrame, split: Split) -> dict[str, Any]:
    """Accuracy (seed's sense), coverage and OOD rates on the test split."""
    test = rows.iloc[split.test].reset_index(drop=True)
    found = surrogate.predict_frame(test)
    learned = list(LEARNED_INDEX)
    actual = test[list(LEARNED)].to_numpy(float)
    predicted = found.mean[:, learned]
    critical = test["job_class"].astype(str).eq("critical").to_numpy()
    accuracy = accuracy_report(predicted, actual, critical=critical)
    profiles = test["profile"].astype(str).to_numpy()
    by_profile = {
        str(name): accuracy_report(predicted[rows], actual[rows], critical=critical[rows])
        for name in np.unique(profiles)
        if (rows := profiles == name).any()
    }
    covered = coverage(actual, found.lower[:, learned], found.upper[:, learned])
    widths = mean_width(found.lower[:, learned], found.upper[:, learned])
    members = surrogate.spread(surrogate.features(test)).members
    probes = ood_probes(test, surrogate.domain)
    probe_found = surrogate.predict_frame(probes)
    return {
        "rows": {
            "train": int(split.train.size),
            "calibration": int(split.calibration.size),
            "test": int(split.test.size),
        },
        "accuracy": {
            "overall": accuracy.overall,
            "critical": accuracy.critical,
            "critical_jobs": accuracy.critical_jobs,
            "per_score": dict(zip(LEARNED, accuracy.per_signal, strict=True)),
            "tolerance": accuracy.tolerance,
            "profiles": {
                name: {"overall": r.overall, "critical": r.critical, "jobs": r.jobs}
                for name, r in by_profile.items()
            },
            "members": {
                name: dict(
                    zip(LEARNED, np.mean(np.abs(m - actual) <= 0.05, axis=0).tolist(), strict=True)
                )
                for name, m in members.items()
            },
        },
        "coverage": dict(zip(LEARNED, np.atleast_1d(covered).tolist(), strict=True)),
        "mean_width": dict(zip(LEARNED, np.atleast_1d(widths).tolist(), strict=True)),
        "high_uncertainty_share": float(found.high_uncertainty.mean()),
        "ood": {
            "in_domain_flagged": float(found.out_of_distribution.mean()),
            "outside_flagged": float(probe_found.out_of_distribution.mean()),
            "outside_flagged_by_distance": float((probe_found.ood_ratio > 1.0).mean()),
            "outside_jobs": len(probes),
        },
        "quantiles": surrogate.calibration.to_json()["quantiles"],
        "width_threshold": surrogate.calibration.width_threshold,
    }


def training_distribution(
    surrogate: EnsembleSurrogate, trained: pd.DataFrame, unseen: pd.DataFrame
) -> dict[str, Any]:
    """The reference drift monitoring compares live jobs with (``lto.metis.drift``): PSI buckets
    of the training rows' numeric parameters, and of the surrogate's predictions on rows it
    never saw (on its own training rows they are sharper than on any live job, which would
    read as drift), with the sample sizes that set PSI's noise."""
    from lto.athena.drift import PsiReference

    found = surrogate.predict_frame(unseen)
    inputs = {
        name: PsiReference.fit(trained[name].to_numpy(float)).to_json() for name in DRIFT_INPUTS
    }
    predictions = {
        name: PsiReference.fit(found.mean[:, j]).to_json()
        for name, j in zip(LEARNED, LEARNED_INDEX, strict=True)
    }
    return {
        "inputs": inputs,
        "predictions": predictions,
        "input_rows": len(trained),
        "prediction_rows": len(unseen),
    }


def ood_probes(test: pd.DataFrame, domain: SurrogateDomain) -> pd.DataFrame:
    """Jobs just outside the domain, made from test rows: NA 8% above the profile's range,
    the same job on an i-line tool, and the pitch at 1.02× the resolution limit."""
    high_na = test.copy()
    high_na["na"] = [domain.profile(p).na[1] * 1.08 for p in test["profile"]]
    i_line = test.copy()
    i_line["profile"], i_line["wavelength_nm"] = "i-line", 365.0
    i_line["pitch_nm"] *= 365.0 / test["wavelength_nm"]
    i_line["target_cd_nm"] *= 365.0 / test["wavelength_nm"]
    i_line["grid_size_nm"] *= 365.0 / test["wavelength_nm"]
    tight = test.copy()
    limit = resolution_limit_pitch_nm(test["wavelength_nm"], test["na"], test["sigma"])
    scale = 1.02 * limit / test["pitch_nm"]
    for column in ("pitch_nm", "target_cd_nm", "grid_size_nm"):
        tight[column] = test[column] * scale
    return pd.concat([high_na, i_line, tight], ignore_index=True)
