"""Drift between a reference sample (what a model was trained on) and current data.

PSI = Σ (c − r) · ln(c / r) over buckets holding equal shares of the reference (its quantiles);
r and c are the reference and current shares per bucket, floored at ``EPSILON`` so an empty
bucket is a large but finite penalty. Bands: < 0.1 none, 0.1–0.2 moderate, > 0.2 significant.
The evidently report is the second opinion and the picture for people; it is imported only when
asked for.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from lto.athena._arrays import FloatArray

EPSILON = 1e-4
MODERATE, SIGNIFICANT = 0.1, 0.2
Band = Literal["none", "moderate", "significant"]


def band(psi_value: float) -> Band:
    """The seed's reading of a PSI: < 0.1 none, 0.1–0.2 moderate, > 0.2 significant."""
    if psi_value < MODERATE:
        return "none"
    return "moderate" if psi_value <= SIGNIFICANT else "significant"


def _clean(values: ArrayLike, name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name}: must be a 1-D array, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name}: has no finite values")
    if not (np.isfinite(np.min(array)) and np.isfinite(np.max(array))):
        array = array[np.isfinite(array)]  # missing values say nothing about the distribution
        if array.size == 0:
            raise ValueError(f"{name}: has no finite values")
    return array


def bucket_edges(reference: FloatArray, buckets: int) -> FloatArray:
    """Interior edges at the reference's quantiles, duplicates removed (ties, constant columns).

    Bucket i holds the values in (edge[i-1], edge[i]].
    """
    if reference.min() == reference.max():  # constant: below, at and above its value
        value = reference[0]
        return np.array([np.nextafter(value, -np.inf), value])
    return np.unique(np.quantile(reference, np.linspace(0, 1, buckets + 1)[1:-1]))


def _shares(values: FloatArray, edges: FloatArray) -> FloatArray:
    """Share of ``values`` per bucket, floored at EPSILON. One counting pass per edge is far
    cheaper than locating every value (a binary search per value) for ten buckets."""
    at_or_below = [np.count_nonzero(values <= edge) for edge in edges]
    counts = np.diff(np.array([0, *at_or_below, values.size]))
    return np.maximum(counts / values.size, EPSILON)


@dataclass(frozen=True)
class PsiReference:
    """A reference distribution prepared once (its buckets and shares), to score many batches.

    Monitoring compares every new window of jobs against the same training data; fitting the
    quantiles once makes each comparison a few counting passes over the new data.
    """

    edges: FloatArray
    shares: FloatArray

    @classmethod
    def fit(cls, reference: ArrayLike, buckets: int = 10) -> PsiReference:
        if buckets < 2:
            raise ValueError(f"buckets: must be ≥ 2 (got {buckets})")
        ref = _clean(reference, "reference")
        edges = bucket_edges(ref, buckets)
        return cls(edges, _shares(ref, edges))

    def psi(self, current: ArrayLike) -> float:
        c = _shares(_clean(current, "current"), self.edges)
        return float(np.sum((c - self.shares) * np.log(c / self.shares)))

    def to_json(self) -> dict[str, list[float]]:
        return {"edges": self.edges.tolist(), "shares": self.shares.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PsiReference:
        edges = np.asarray(data["edges"], dtype=np.float64)
        shares = np.asarray(data["shares"], dtype=np.float64)
        if shares.size != edges.size + 1 or not np.all(np.isfinite(shares)):
            raise ValueError("PSI reference: needs one more share than edges, all finite")
        return cls(edges, shares)


def psi(reference: ArrayLike, current: ArrayLike, buckets: int = 10) -> float:
    """Population stability index of ``current`` against ``reference`` (NaNs dropped)."""
    return PsiReference.fit(reference, buckets).psi(current)


def psi_frame(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    buckets: int = 10,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """PSI and its band for every numeric column (or ``columns``), worst first."""
    names = (
        list(columns)
        if columns is not None
        else [c for c in reference.columns if pd.api.types.is_numeric_dtype(reference[c])]
    )
    missing = [c for c in names if c not in reference.columns or c not in current.columns]
    if missing:
        raise ValueError(
            f"columns missing from reference or current: {', '.join(map(str, missing))}"
        )
    rows = []
    for name in names:
        value = psi(
            reference[name].to_numpy(dtype=float), current[name].to_numpy(dtype=float), buckets
        )
        rows.append({"column": name, "psi": value, "band": band(value)})
    frame = pd.DataFrame(rows, columns=["column", "psi", "band"])
    return frame.sort_values("psi", ascending=False, ignore_index=True)


def drift_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    html_path: str | Path | None = None,
    method: str = "psi",
    threshold: float = MODERATE,
) -> dict[str, Any]:
    """Evidently's DataDriftPreset over the numeric columns; per-column results as a dict.

    The method is always explicit: without it evidently changes test with sample size. The HTML
    (several MB) is written only when ``html_path`` is given.
    """
    from evidently import Report
    from evidently.presets import DataDriftPreset

    columns = [
        c
        for c in reference.columns
        if pd.api.types.is_numeric_dtype(reference[c]) and c in current.columns
    ]
    if not columns:
        raise ValueError("reference: no numeric column shared with current")
    snapshot = Report(
        [DataDriftPreset(method=method, threshold=threshold)], include_tests=True
    ).run(current_data=current[columns], reference_data=reference[columns])
    result = json.loads(snapshot.json())
    per_column: dict[str, dict[str, Any]] = {}
    share = float("nan")
    for metric in result["metrics"]:
        config = metric["config"]
        if config["type"].endswith("ValueDrift"):
            score = float(metric["value"])
            per_column[config["column"]] = {
                "score": score,
                "method": method,
                "threshold": threshold,
                "drifted": score >= threshold,
            }
        elif config["type"].endswith("DriftedColumnsCount"):
            share = float(metric["value"]["share"])
    if html_path is not None:
        snapshot.save_html(str(html_path))
    return {"columns": per_column, "share_drifted": share, "method": method, "threshold": threshold}
