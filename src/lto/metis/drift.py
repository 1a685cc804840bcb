"""Has the surrogate's world moved? PSI of live jobs and their predictions against training.

Every trained surrogate keeps the distribution of its training rows (``metrics
["training_distribution"]``: PSI buckets of the numeric parameters and of its own predictions,
``lto.daedalus.training``). ``check_drift`` scores a batch of recent jobs against it with
athena's PSI: above 0.2 ("significant") on any input or prediction, the report asks for
retraining and yields a ``DriftDetected`` event per drifted quantity. The worst PSI is also what
``surrogate_reliability`` discounts (``EnsembleSurrogate.drift_psi``).
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

MIN_JOBS = 30  # fewer make PSI over ten buckets mostly noise


class DriftError(ValueError):
    """Drift cannot be judged (too few jobs, a model without its training distribution)."""


@dataclass(frozen=True)
class DriftFinding:
    kind: str  # "input" or "prediction"
    name: str
    psi: float

    @property
    def band(self) -> str:
        return band(self.psi)


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
                {"kind": f.kind, "name": f.name, "psi": f.psi, "band": f.band}
                for f in self.findings
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DriftReport:
        return cls(
            model_version=str(data["model_version"]),
            jobs=int(data["jobs"]),
            findings=tuple(
                DriftFinding(str(f["kind"]), str(f["name"]), float(f["psi"]))
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
            f"jobs: {len(jobs)} given; drift needs at least {min_jobs} recent jobs to judge"
        )
    if len(predictions) != len(jobs):
        raise DriftError("predictions: need one per job")
    findings = []
    for name, reference in dict(distribution.get("inputs") or {}).items():
        values = np.asarray([float(getattr(job, name)) for job in jobs])
        findings.append(DriftFinding("input", name, PsiReference.from_json(reference).psi(values)))
    for name, reference in dict(distribution.get("predictions") or {}).items():
        means = np.asarray([float(p.scores[name].mean) for p in predictions if name in p.scores])
        if means.size:
            findings.append(
                DriftFinding("prediction", name, PsiReference.from_json(reference).psi(means))
            )
    ordered = tuple(sorted(findings, key=lambda f: -f.psi))
    return DriftReport(model_version=model_version, jobs=len(jobs), findings=ordered)


__all__ = ["MIN_JOBS", "DriftError", "DriftFinding", "DriftReport", "check_drift"]
