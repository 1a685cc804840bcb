"""The surrogate's lifecycle: candidate → offline gate → shadow → promote (or discard), and
rollback.

- ``submit`` registers a trained surrogate as a candidate, runs the offline gate against the
  champion, and makes it the ``challenger`` when it passes (the gate's answer is kept on the
  version either way).
- In **shadow**, the challenger predicts beside the champion on live jobs (``ShadowEvaluator``):
  its answers are logged, never returned, so no decision changes.
- ``promote`` swaps the aliases: the champion becomes ``previous_champion`` (kept 30 days for
  rollback), the challenger the ``champion``. It needs the gate passed and ``shadow_jobs``
  shadowed jobs (none for a first champion, which has nothing to be compared with), unless an
  engineer overrides with a reason, which is recorded on the version.
- ``rollback`` restores the previous champion in one call.

Each step records a domain event (``ModelTrained``, ``ModelPromoted``, ``ModelRolledBack``) in
``events`` for the job pipeline to publish.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from lto.atlas.contracts import JobParameters, TradeoffPrediction
from lto.atlas.events import DomainEvent, ModelPromoted, ModelRolledBack, ModelTrained
from lto.metis.registry import (
    CHALLENGER,
    CHAMPION,
    MODEL_NAME,
    PREVIOUS_CHAMPION,
    GateDecision,
    GatePolicy,
    ModelRegistry,
    ModelVersion,
    RegistryError,
    offline_gate,
)

SHADOW_JOBS = 200
ROLLBACK_DAYS = 30
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ShadowRecord:
    """One live job answered by the champion, with the challenger's answer beside it."""

    challenger: str
    champion: str
    job: dict[str, Any]
    champion_scores: dict[str, float]
    challenger_scores: dict[str, float]
    at: str


class ShadowLog(Protocol):
    def append(self, record: ShadowRecord) -> None: ...

    def records(self, challenger: str) -> list[ShadowRecord]: ...


class Predictor(Protocol):
    def evaluate(
        self, parameters: JobParameters, *, explain: bool = False
    ) -> TradeoffPrediction: ...

    def evaluate_batch(
        self, batch: Sequence[JobParameters], *, explain: bool = False
    ) -> list[TradeoffPrediction]: ...


class ShadowEvaluator:
    """The champion's answers, with the challenger's logged beside them (never returned, so
    shadow mode cannot change a decision; a challenger that fails is logged as nothing)."""

    def __init__(
        self,
        champion: Predictor,
        challenger: Predictor,
        log: ShadowLog,
        *,
        champion_version: str,
        challenger_version: str,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.champion = champion
        self.challenger = challenger
        self.log = log
        self.champion_version = champion_version
        self.challenger_version = challenger_version
        self.clock = clock

    def evaluate(self, parameters: JobParameters, *, explain: bool = False) -> TradeoffPrediction:
        answer = self.champion.evaluate(parameters, explain=explain)
        try:
            shadow = self.challenger.evaluate(parameters)
        except Exception:  # the challenger's failure is its own problem, never the job's
            return answer
        self._record(parameters, answer, shadow)
        return answer

    def evaluate_batch(
        self, batch: Sequence[JobParameters], *, explain: bool = False
    ) -> list[TradeoffPrediction]:
        answers = self.champion.evaluate_batch(batch, explain=explain)
        try:
            shadows = self.challenger.evaluate_batch(batch)
        except Exception:
            return answers
        for parameters, answer, shadow in zip(batch, answers, shadows, strict=True):
            self._record(parameters, answer, shadow)
        return answers

    def __getattr__(self, name: str) -> Any:
        """Everything else (domain, version, metrics …) is the champion's: it is the model."""
        if name == "champion":  # not set yet (copying, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.champion, name)

    def _record(
        self, parameters: JobParameters, answer: TradeoffPrediction, shadow: TradeoffPrediction
    ) -> None:
        self.log.append(
            ShadowRecord(
                challenger=self.challenger_version,
                champion=self.champion_version,
                job=parameters.model_dump(mode="json"),
                champion_scores=_means(answer),
                challenger_scores=_means(shadow),
                at=self.clock().isoformat(),
            )
        )


def _means(prediction: TradeoffPrediction) -> dict[str, float]:
    return {name: float(interval.mean) for name, interval in prediction.scores.items()}


@dataclass
class ModelLifecycle:
    registry: ModelRegistry
    shadow_log: ShadowLog
    policy: GatePolicy = field(default_factory=GatePolicy)
    shadow_jobs: int = SHADOW_JOBS
    rollback_days: int = ROLLBACK_DAYS
    clock: Clock = field(default=lambda: datetime.now(UTC))
    events: list[DomainEvent] = field(default_factory=list)

    def submit(
        self,
        artifact: Path,
        metrics: Mapping[str, Any],
        *,
        surrogate_version: str,
        dataset: Mapping[str, str] | None = None,
        figures: Mapping[str, bytes] | None = None,
    ) -> tuple[ModelVersion, GateDecision]:
        """Register ``artifact`` as a candidate and gate it; challenger when it passes."""
        champion = self.registry.by_alias(CHAMPION)
        decision = offline_gate(metrics, champion.metrics if champion else None, self.policy)
        tags = {
            "surrogate_version": surrogate_version,
            "gate": "passed" if decision.passed else "refused",
            "gate_reasons": "; ".join(decision.reasons)[:4000],
            "gated_against": champion.version if champion else "",
            **{f"dataset.{k}": str(v) for k, v in (dataset or {}).items()},
        }
        version = self.registry.register(artifact, metrics=metrics, tags=tags, figures=figures)
        if decision.passed:
            self.registry.set_alias(CHALLENGER, version.version)
        self.events.append(
            ModelTrained(model_name=MODEL_NAME, version=version.version, metrics=_summary(metrics))
        )
        return self.registry.get(version.version), decision

    def shadow_count(self, version: str) -> int:
        return len(self.shadow_log.records(version))

    def promote(self, version: str | None = None, *, override: str | None = None) -> ModelPromoted:
        """Make ``version`` (the challenger by default) the champion."""
        target = self._target(version)
        champion = self.registry.by_alias(CHAMPION)
        if champion is not None and champion.version == target.version:
            raise RegistryError(f"version {target.version} is already the champion")
        if override is not None and not override.strip():
            raise RegistryError("override: give the reason the checks are set aside")
        if target.tags.get("discarded"):  # no override: discarding is the final word
            raise RegistryError(
                f"version {target.version} was discarded: {target.tags['discarded']}"
            )
        if override is None:
            self._check_promotable(target, champion)
        now = self.clock().isoformat()
        if champion is not None:
            self.registry.set_alias(PREVIOUS_CHAMPION, champion.version)
            self.registry.set_tag(champion.version, "retired_at", now)
        self.registry.set_alias(CHAMPION, target.version)
        challenger = self.registry.by_alias(CHALLENGER)
        if challenger is not None and challenger.version == target.version:
            self.registry.clear_alias(CHALLENGER)
        self.registry.set_tag(target.version, "promoted_at", now)
        if override is not None:
            self.registry.set_tag(target.version, "promoted_by_override", override.strip())
        event = ModelPromoted(
            model_name=MODEL_NAME,
            version=target.version,
            previous_version=champion.version if champion else None,
        )
        self.events.append(event)
        return event

    def rollback(self) -> ModelRolledBack:
        """The previous champion back as champion, in one call."""
        previous = self.registry.by_alias(PREVIOUS_CHAMPION)
        champion = self.registry.by_alias(CHAMPION)
        if previous is None or champion is None:
            raise RegistryError("nothing to roll back to: no previous champion is kept")
        retired = previous.tags.get("retired_at")
        if retired and self.clock() - datetime.fromisoformat(retired) > timedelta(
            days=self.rollback_days
        ):
            raise RegistryError(
                f"version {previous.version} retired on {retired[:10]}: previous champions are "
                f"kept for rollback for {self.rollback_days} days"
            )
        self.registry.set_alias(CHAMPION, previous.version)
        self.registry.clear_alias(PREVIOUS_CHAMPION)
        self.registry.set_tag(champion.version, "rolled_back_at", self.clock().isoformat())
        event = ModelRolledBack(
            model_name=MODEL_NAME, from_version=champion.version, to_version=previous.version
        )
        self.events.append(event)
        return event

    def discard(self, version: str, reason: str) -> None:
        if not reason.strip():
            raise RegistryError("discard: give the reason")
        found = self.registry.get(version)
        champion = self.registry.by_alias(CHAMPION)
        if champion is not None and champion.version == found.version:
            raise RegistryError(
                f"version {found.version} is the champion: `lto models rollback` or promote "
                "another version first, then discard it"
            )
        if found.tags.get("discarded"):
            raise RegistryError(
                f"version {found.version} is already discarded: {found.tags['discarded']}"
            )
        self.registry.set_tag(found.version, "discarded", reason.strip())
        challenger = self.registry.by_alias(CHALLENGER)
        if challenger is not None and challenger.version == found.version:
            self.registry.clear_alias(CHALLENGER)

    # --- helpers --------------------------------------------------------------------------

    def _target(self, version: str | None) -> ModelVersion:
        if version is not None:
            return self.registry.get(version)
        challenger = self.registry.by_alias(CHALLENGER)
        if challenger is None:
            raise RegistryError(
                "no challenger to promote: no candidate has passed the offline gate (name a "
                "version to promote it with --override REASON)"
            )
        return challenger

    def _check_promotable(self, target: ModelVersion, champion: ModelVersion | None) -> None:
        if target.tags.get("gate") != "passed":
            raise RegistryError(
                f"version {target.version} did not pass the offline gate "
                f"({target.tags.get('gate_reasons') or 'not gated'}); promote it only with "
                "--override REASON"
            )
        if champion is not None:
            shadowed = self.shadow_count(target.version)
            if shadowed < self.shadow_jobs:
                raise RegistryError(
                    f"version {target.version} has shadowed {shadowed} of the {self.shadow_jobs} "
                    "live jobs promotion needs (or --override REASON)"
                )


def _summary(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The headline figures for the ModelTrained event."""
    accuracy = metrics.get("accuracy") or {}
    return {
        "accuracy": accuracy.get("overall"),
        "critical_accuracy": accuracy.get("critical"),
        "coverage": dict(metrics.get("coverage") or {}),
    }


__all__ = [
    "ROLLBACK_DAYS",
    "SHADOW_JOBS",
    "ModelLifecycle",
    "ShadowEvaluator",
    "ShadowLog",
    "ShadowRecord",
]
