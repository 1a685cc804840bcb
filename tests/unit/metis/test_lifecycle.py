"""The surrogate's lifecycle on an in-memory registry: the gate refuses a worse model and passes
a better one, shadow mode never changes an answer, promotion and rollback swap the aliases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lto.atlas.contracts import ScoreInterval, TradeoffPrediction, UncertaintyFlags
from lto.atlas.events import ModelPromoted, ModelRolledBack, ModelTrained
from lto.metis.lifecycle import ModelLifecycle, ShadowEvaluator
from lto.metis.registry import (
    CHALLENGER,
    CHAMPION,
    PREVIOUS_CHAMPION,
    GatePolicy,
    RegistryError,
    offline_gate,
)
from tests.unit.metis.fakes import MemoryRegistry, MemoryShadowLog, metrics
from tests.unit.metis.test_problem import lines


@pytest.fixture
def lifecycle() -> ModelLifecycle:
    return ModelLifecycle(MemoryRegistry(), MemoryShadowLog(), shadow_jobs=3)


def submit(lifecycle: ModelLifecycle, **figures: float):
    return lifecycle.submit(Path("/models/x"), metrics(**figures), surrogate_version="s")


def test_the_gate_names_every_check_a_candidate_fails() -> None:
    assert offline_gate(metrics(), None).passed
    decision = offline_gate(metrics(accuracy=0.5, critical=0.4, coverage=0.90), None)
    assert not decision.passed
    text = decision.summary()
    assert "held-out accuracy 50.0% below 97.5%" in text
    assert "critical-job accuracy 40.0% below 98.5%" in text
    assert "yield_risk coverage 90.0% outside 93.0%–97.0%" in text
    missing = offline_gate({}, None)
    assert "held-out accuracy not measured below 97.5%" in missing.reasons
    assert "interval coverage: not measured" in missing.reasons


def test_the_gate_refuses_a_regression_against_the_champion() -> None:
    champion = metrics(accuracy=0.995)
    worse = offline_gate(metrics(accuracy=0.98), champion)
    assert not worse.passed
    assert worse.reasons == ("held-out accuracy 98.0% regresses from the champion's 99.5%",)
    assert offline_gate(metrics(accuracy=0.99), champion).passed  # within the 1% margin
    lenient = GatePolicy(min_accuracy=0.0, min_critical_accuracy=0.0)
    assert offline_gate(metrics(accuracy=0.10, critical=0.1), None, lenient).passed


def test_a_first_candidate_that_passes_becomes_challenger_then_champion(
    lifecycle: ModelLifecycle,
) -> None:
    version, decision = submit(lifecycle)
    assert decision.passed
    assert version.aliases == (CHALLENGER,)
    assert version.tags["gate"] == "passed"
    event = lifecycle.promote()  # a first champion has nothing to shadow
    assert event == ModelPromoted(
        model_name="lto-surrogate", version="1", previous_version=None,
        event_id=event.event_id, occurred_at=event.occurred_at,
    )  # fmt: skip
    registry = lifecycle.registry
    assert registry.by_alias(CHAMPION).version == "1"
    assert registry.by_alias(CHALLENGER) is None
    assert [type(e) for e in lifecycle.events] == [ModelTrained, ModelPromoted]


def test_a_worse_model_is_refused_and_cannot_be_promoted_without_a_reason(
    lifecycle: ModelLifecycle,
) -> None:
    submit(lifecycle)
    lifecycle.promote()
    worse, decision = submit(lifecycle, accuracy=0.90)
    assert not decision.passed
    assert worse.tags["gate"] == "refused"
    assert lifecycle.registry.by_alias(CHALLENGER) is None
    with pytest.raises(RegistryError, match="no challenger to promote"):
        lifecycle.promote()
    with pytest.raises(RegistryError, match="did not pass the offline gate"):
        lifecycle.promote(worse.version)
    with pytest.raises(RegistryError, match="give the reason"):
        lifecycle.promote(worse.version, override="  ")
    lifecycle.promote(worse.version, override="line-end model needed for tape-out, accepted by QA")
    assert lifecycle.registry.get(worse.version).tags["promoted_by_override"].startswith("line-end")


def test_a_better_model_needs_its_shadow_jobs_before_promotion(lifecycle: ModelLifecycle) -> None:
    submit(lifecycle)
    lifecycle.promote()
    better, decision = submit(lifecycle, accuracy=0.995)
    assert decision.passed
    with pytest.raises(RegistryError, match="shadowed 0 of the 3 live jobs"):
        lifecycle.promote()
    champion, challenger = Fixed(0.2), Fixed(0.7)
    shadow = ShadowEvaluator(
        champion, challenger, lifecycle.shadow_log, champion_version="1",
        challenger_version=better.version,
    )  # fmt: skip
    for dose in (30.0, 31.0, 32.0):
        answer = shadow.evaluate(lines(dose_mj_cm2=dose))
        assert answer is champion.last  # the decision is the champion's, never the challenger's
    assert lifecycle.shadow_count(better.version) == 3
    record = lifecycle.shadow_log.records(better.version)[0]
    assert (record.champion_scores["yield_risk"], record.challenger_scores["yield_risk"]) == (
        0.2,
        0.7,
    )
    event = lifecycle.promote()
    assert (event.version, event.previous_version) == (better.version, "1")
    assert lifecycle.registry.by_alias(PREVIOUS_CHAMPION).version == "1"


def test_shadow_survives_a_failing_challenger(lifecycle: ModelLifecycle) -> None:
    champion = Fixed(0.1)
    shadow = ShadowEvaluator(
        champion, Broken(), lifecycle.shadow_log, champion_version="1", challenger_version="2"
    )
    assert shadow.evaluate(lines()) is champion.last
    assert lifecycle.shadow_count("2") == 0


def test_rollback_restores_the_previous_champion_in_one_call(lifecycle: ModelLifecycle) -> None:
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        lifecycle.rollback()
    submit(lifecycle)
    lifecycle.promote()
    second, _ = submit(lifecycle, accuracy=0.995)
    lifecycle.promote(second.version, override="urgent fix, shadowed offline")
    event = lifecycle.rollback()
    assert isinstance(event, ModelRolledBack)
    assert (event.from_version, event.to_version) == (second.version, "1")
    assert lifecycle.registry.by_alias(CHAMPION).version == "1"
    assert lifecycle.registry.by_alias(PREVIOUS_CHAMPION) is None
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        lifecycle.rollback()


def test_previous_champions_are_kept_for_rollback_for_30_days() -> None:
    now = [datetime(2026, 12, 1, tzinfo=UTC)]
    lifecycle = ModelLifecycle(MemoryRegistry(), MemoryShadowLog(), clock=lambda: now[0])
    submit(lifecycle)
    lifecycle.promote()
    second, _ = submit(lifecycle)
    lifecycle.promote(second.version, override="test")
    now[0] += timedelta(days=31)
    with pytest.raises(RegistryError, match="kept for rollback for 30 days"):
        lifecycle.rollback()


def test_a_discarded_candidate_loses_its_challenger_alias(lifecycle: ModelLifecycle) -> None:
    version, _ = submit(lifecycle)
    lifecycle.discard(version.version, "trained on a dataset with a bad resist file")
    assert lifecycle.registry.by_alias(CHALLENGER) is None
    with pytest.raises(RegistryError, match="was discarded"):
        lifecycle.promote(version.version)


class Fixed:
    """A predictor whose yield_risk is always ``risk``; it keeps its last answer."""

    def __init__(self, risk: float) -> None:
        self.risk = risk
        self.last: TradeoffPrediction | None = None

    def evaluate(self, parameters, *, explain: bool = False) -> TradeoffPrediction:
        interval = ScoreInterval(mean=self.risk, lower=self.risk, upper=self.risk)
        self.last = TradeoffPrediction.model_construct(
            scores={"yield_risk": interval}, flags=UncertaintyFlags(), attributions={},
            model_version="fixed", inference_time_ms=0.0, confidence_level=0.95,
        )  # fmt: skip
        return self.last


class Broken:
    def evaluate(self, parameters, *, explain: bool = False) -> TradeoffPrediction:
        raise RuntimeError("challenger crashed")


def test_a_discarded_version_stays_discarded_even_with_an_override(
    lifecycle: ModelLifecycle,
) -> None:
    version, _ = submit(lifecycle)
    lifecycle.discard(version.version, "bad resist file")
    with pytest.raises(RegistryError, match="was discarded: bad resist file"):
        lifecycle.promote(version.version, override="I insist")


def test_the_champion_cannot_be_discarded(lifecycle: ModelLifecycle) -> None:
    version, _ = submit(lifecycle)
    lifecycle.promote()
    with pytest.raises(RegistryError, match="is the champion: `lto models rollback`"):
        lifecycle.discard(version.version, "oops")
    assert lifecycle.registry.by_alias(CHAMPION).version == version.version


def test_each_technology_must_meet_its_profiles_accuracy() -> None:
    figures = metrics()
    figures["accuracy"]["profiles"] = {
        "EUV": {"overall": 0.99, "critical": 0.99, "jobs": 150},
        "KrF": {"overall": 0.90, "critical": None, "jobs": 150},
    }
    decision = offline_gate(figures, None)
    assert decision.reasons == ("KrF accuracy 90.0% below 97.5%",)
    assert offline_gate(figures, None, GatePolicy(per_profile=False)).passed
