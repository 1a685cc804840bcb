"""The surrogate registry's vocabulary and its offline gate (pure; MLflow is an adapter).

A trained surrogate becomes a registered *version* (its artifact, held-out metrics, dataset
identity). Aliases say what each version is for: ``champion`` answers pre-flight,
``challenger`` has passed the offline gate and predicts in shadow, ``previous_champion`` is kept
for rollback. Stages are not used (deprecated in MLflow 3).

The offline gate compares a candidate's held-out measurements with the policy's thresholds and
with the champion's: accuracy (all jobs, critical jobs), interval coverage inside the band for
every learned score, out-of-distribution detection, and no regression beyond a margin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

CHAMPION = "champion"
CHALLENGER = "challenger"
PREVIOUS_CHAMPION = "previous_champion"
ALIASES = (CHAMPION, CHALLENGER, PREVIOUS_CHAMPION)
MODEL_NAME = "lto-surrogate"


class RegistryError(RuntimeError):
    """A registry operation cannot be done (no such version, no champion, store unreachable)."""


@dataclass(frozen=True)
class ModelVersion:
    version: str
    run_id: str
    metrics: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    created_at: str = ""

    @property
    def surrogate_version(self) -> str:
        return self.tags.get("surrogate_version", "")


class ModelRegistry(Protocol):
    def register(
        self,
        artifact: Path,
        *,
        metrics: Mapping[str, Any],
        tags: Mapping[str, str],
        figures: Mapping[str, bytes] | None = None,
    ) -> ModelVersion:
        """Log ``artifact`` (a surrogate directory) with its metrics and figures (PNG bytes by
        file name); a new version."""
        ...

    def get(self, version: str) -> ModelVersion: ...

    def versions(self) -> list[ModelVersion]: ...

    def by_alias(self, alias: str) -> ModelVersion | None: ...

    def set_alias(self, alias: str, version: str) -> None: ...

    def clear_alias(self, alias: str) -> None: ...

    def set_tag(self, version: str, key: str, value: str) -> None: ...

    def download(self, version: str) -> Path:
        """A local directory holding the version's surrogate artifact."""
        ...


@dataclass(frozen=True)
class GatePolicy:
    """What a candidate must show on its held-out test split to become a challenger. Besides
    the overall figures, each technology's jobs must meet that constraint profile's own
    ``surrogate_accuracy`` and ``surrogate_critical_accuracy`` (``per_profile``)."""

    min_accuracy: float = 0.975  # share of jobs with all learned scores within 0.05
    min_critical_accuracy: float = 0.985
    per_profile: bool = True
    coverage_band: tuple[float, float] = (0.93, 0.97)
    min_ood_flagged: float = 0.95  # of probe jobs just outside the domain
    max_in_domain_flagged: float = 0.05
    max_regression: float = 0.01  # accuracy or coverage error may not worsen by more


@dataclass(frozen=True)
class GateDecision:
    passed: bool
    reasons: tuple[str, ...]  # every check that failed, in words

    def summary(self) -> str:
        return "passed" if self.passed else "refused: " + "; ".join(self.reasons)


def offline_gate(
    candidate: Mapping[str, Any],
    champion: Mapping[str, Any] | None,
    policy: GatePolicy | None = None,
) -> GateDecision:
    """Every check on the candidate's held-out metrics (``EnsembleSurrogate.metrics``) and
    against the champion's; a metric that is missing fails its check."""
    policy = policy or GatePolicy()
    reasons: list[str] = []
    accuracy = _number(candidate, "accuracy", "overall")
    critical = _number(candidate, "accuracy", "critical")
    _at_least(reasons, "held-out accuracy", accuracy, policy.min_accuracy)
    _at_least(reasons, "critical-job accuracy", critical, policy.min_critical_accuracy)
    low, high = policy.coverage_band
    coverage = candidate.get("coverage") or {}
    if not coverage:
        reasons.append("interval coverage: not measured")
    for name, value in sorted(coverage.items()):
        if not (isinstance(value, int | float) and low <= value <= high):
            reasons.append(f"{name} coverage {_pct(value)} outside {_pct(low)}–{_pct(high)}")
    _at_least(
        reasons,
        "out-of-domain jobs flagged",
        _number(candidate, "ood", "outside_flagged"),
        policy.min_ood_flagged,
    )
    flagged = _number(candidate, "ood", "in_domain_flagged")
    if flagged is None or flagged > policy.max_in_domain_flagged:
        reasons.append(
            f"in-domain jobs flagged {_pct(flagged)} above {_pct(policy.max_in_domain_flagged)}"
        )
    if policy.per_profile:
        reasons += _profile_shortfalls(candidate)
    if champion is not None:
        reasons += _regressions(candidate, champion, policy.max_regression)
    return GateDecision(not reasons, tuple(reasons))


def _profile_shortfalls(candidate: Mapping[str, Any]) -> list[str]:
    """Each technology's held-out accuracy against its constraint profile's targets."""
    from lto.atlas.policies import PROFILES

    found: list[str] = []
    measured = (candidate.get("accuracy") or {}).get("profiles") or {}
    for name, figures in sorted(measured.items()):
        profile = PROFILES.get(name)
        if profile is None or not isinstance(figures, Mapping):
            continue
        _at_least(
            found, f"{name} accuracy", _number(figures, "overall"), profile.surrogate_accuracy
        )
        if figures.get("critical") is not None:
            _at_least(
                found, f"{name} critical-job accuracy", _number(figures, "critical"),
                profile.surrogate_critical_accuracy,
            )  # fmt: skip
    return found


def _regressions(
    candidate: Mapping[str, Any], champion: Mapping[str, Any], margin: float
) -> list[str]:
    found = []
    for key, label in (("overall", "held-out accuracy"), ("critical", "critical-job accuracy")):
        new, old = _number(candidate, "accuracy", key), _number(champion, "accuracy", key)
        if new is not None and old is not None and new < old - margin:
            found.append(f"{label} {_pct(new)} regresses from the champion's {_pct(old)}")
    new_cov, old_cov = candidate.get("coverage") or {}, champion.get("coverage") or {}
    for name in sorted(set(new_cov) & set(old_cov)):
        if abs(new_cov[name] - 0.95) > abs(old_cov[name] - 0.95) + margin:
            found.append(
                f"{name} coverage {_pct(new_cov[name])} further from 95% than the champion's "
                f"{_pct(old_cov[name])}"
            )
    return found


def _at_least(reasons: list[str], label: str, value: float | None, floor: float) -> None:
    if value is None or value < floor:
        reasons.append(f"{label} {_pct(value)} below {_pct(floor)}")


def _number(metrics: Mapping[str, Any], *path: str) -> float | None:
    value: Any = metrics
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _pct(value: object) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, int | float) else "not measured"


__all__ = [
    "ALIASES",
    "CHALLENGER",
    "CHAMPION",
    "MODEL_NAME",
    "PREVIOUS_CHAMPION",
    "GateDecision",
    "GatePolicy",
    "ModelRegistry",
    "ModelVersion",
    "RegistryError",
    "offline_gate",
]
