"""Has the surrogate's world moved? PSI of live jobs and their predictions against training.

Every trained surrogate keeps the distribution of its training rows (``metrics
["training_distribution"]``: PSI buckets of the numeric parameters, and of its predictions on
rows it never saw, ``lto.daedalus.training``). ``check_drift`` scores a batch of recent jobs
against it with athena's PSI. Two finite samples of one distribution do not give PSI 0: with B
buckets, n jobs and m reference rows its expected value is about (B − 1)(1/n + 1/m) (0.10 for
100 jobs against 1,000 rows). The judgement uses the PSI beyond that noise: above 0.2
("significant") on any input or prediction, the report asks for retraining and yields a
``DriftDetected`` event per drifted quantity. That excess is also what ``surrogate_reliability``
discounts (``EnsembleSurrogate.drift_psi``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from lto.athena.drift import SIGNIFICANT, PsiReference, band
from lto.atlas.contracts import JobParameters, TradeoffPrediction
from lto.atlas.events import DriftDetected
from lto.metis.registry import MODEL_NAME

MIN_JOBS = 100  # fewer leave PSI's noise (its standard deviation) near the 0.2 threshold


class DriftError(ValueError):
    """Drift cannot be judged (too few jobs, a model without its training distribution)."""


@dataclass(frozen=True)
class DriftFinding:
    kind: str  # "input" or "prediction"
    name: str
    psi: float  # beyond the sampling noise: what is judged
    raw_psi: float = 0.0  # as measured

    @property
    def band(self) -> str:
        return band(self.psi)


def _finding(
    kind: str, name: str, reference: PsiReference, values: np.ndarray, rows: int
) -> DriftFinding:
    raw = reference.psi(values)
    noise = (reference.shares.size - 1) * (1.0 / values.size + 1.0 / max(rows, 1))
    return DriftFinding(kind, name, max(raw - noise, 0.0), raw)


@dataclass(frozen=True)
class DriftReport:
    model_version: str
    jobs: int
    findings: tuple[DriftFinding, ...]  # worst first
    checked_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    threshold: float = SIGNIFICANT

    @property
    def worst(self) -> float:
        return max((f.psi for f in self.findings), default=0.0)

    @property
    def drifted(self) -> list[DriftFinding]:
        return [f for f in self.findings if f.psi > self.threshold]

    @property
    def needs_retraining(self) -> bool:
        return bool(self.drifted)

    def events(self) -> list[DriftDetected]:
        return [
            DriftDetected(
                model_name=MODEL_NAME, feature=f"{f.kind}:{f.name}", psi=f.psi, band=f.band
            )
            for f in self.drifted
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version,
            "jobs": self.jobs,
            "checked_at": self.checked_at,
            "threshold": self.threshold,
            "worst_psi": self.worst,
            "needs_retraining": self.needs_retraining,
            "findings": [
                {"kind": f.kind, "name": f.name, "psi": f.psi, "raw_psi": f.raw_psi, "band": f.band}
                for f in self.findings
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DriftReport:
        return cls(
            model_version=str(data["model_version"]),
            jobs=int(data["jobs"]),
            findings=tuple(
                DriftFinding(
                    str(f["kind"]),
                    str(f["name"]),
                    float(f["psi"]),
                    float(f.get("raw_psi", f["psi"])),
                )
                for f in data["findings"]
            ),
            checked_at=str(data["checked_at"]),
            threshold=float(data["threshold"]),
        )


def check_drift(
    distribution: Mapping[str, Any] | None,
    jobs: Sequence[JobParameters],
    predictions: Sequence[TradeoffPrediction],
    *,
    model_version: str,
    min_jobs: int = MIN_JOBS,
) -> DriftReport:
    """PSI of each followed parameter of ``jobs`` and of each learned score's predicted mean
    against the model's training ``distribution``."""
    if not distribution:
        raise DriftError(
            f"model {model_version} holds no training distribution (trained before drift "
            "monitoring): retrain it with `lto train`"
        )
    if len(jobs) < min_jobs:
        raise DriftError(
            f"--jobs: {len(jobs)} jobs given; drift needs at least {min_jobs} recent jobs to "
            "judge (fewer leave PSI mostly sampling noise)"
        )
    if len(predictions) != len(jobs):
        raise DriftError("predictions: need one per job")
    findings = []
    input_rows = int(distribution.get("input_rows", 0))
    prediction_rows = int(distribution.get("prediction_rows", 0))
    for name, reference in dict(distribution.get("inputs") or {}).items():
        values = np.asarray([float(getattr(job, name)) for job in jobs])
        findings.append(
            _finding("input", name, PsiReference.from_json(reference), values, input_rows)
        )
    for name, reference in dict(distribution.get("predictions") or {}).items():
        means = np.asarray([float(p.scores[name].mean) for p in predictions if name in p.scores])
        if means.size:
            findings.append(
                _finding(
                    "prediction", name, PsiReference.from_json(reference), means, prediction_rows
                )
            )
    ordered = tuple(sorted(findings, key=lambda f: -f.psi))
    return DriftReport(model_version=model_version, jobs=len(jobs), findings=ordered)


__all__ = ["MIN_JOBS", "DriftError", "DriftFinding", "DriftReport", "check_drift"]
