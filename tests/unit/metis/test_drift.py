"""Drift of live jobs against the surrogate's training distribution: none for the same process
mix, significant (with events) when the tools move, and refusals when it cannot be judged."""

from __future__ import annotations

import numpy as np
import pytest

from lto.athena.drift import PsiReference
from lto.metis.drift import DriftError, DriftReport, check_drift
from tests.unit.metis.test_lifecycle import Fixed
from tests.unit.metis.test_problem import lines

rng = np.random.default_rng(3)


def jobs(count: int, na_shift: float = 0.0) -> list:
    return [
        lines(na=float(np.clip(rng.uniform(0.7, 0.9) + na_shift, 0.5, 0.93)),
              dose_mj_cm2=float(rng.uniform(28, 34)))
        for _ in range(count)
    ]  # fmt: skip


def distribution(training: list) -> dict:
    return {
        "inputs": {
            "na": PsiReference.fit([j.na for j in training]).to_json(),
            "dose_mj_cm2": PsiReference.fit([j.dose_mj_cm2 for j in training]).to_json(),
        },
        "predictions": {"yield_risk": PsiReference.fit(rng.uniform(0.0, 0.3, 2000)).to_json()},
        "input_rows": len(training),
        "prediction_rows": 2000,
    }


def test_the_same_process_mix_does_not_drift() -> None:
    reference = distribution(jobs(3000))
    live = jobs(400)
    report = check_drift(
        reference,
        live,
        [Fixed(r).evaluate(j) for r, j in zip(rng.uniform(0, 0.3, 400), live, strict=True)],
        model_version="v1",
    )
    assert report.worst < 0.1
    assert not report.needs_retraining
    assert report.events() == []


def test_moved_tools_and_predictions_drift_with_events() -> None:
    reference = distribution(jobs(3000))
    live = jobs(300, na_shift=0.1)
    report = check_drift(
        reference, live, [Fixed(0.8).evaluate(j) for j in live], model_version="v1"
    )
    assert report.needs_retraining
    names = {(f.kind, f.name) for f in report.drifted}
    assert ("input", "na") in names
    assert ("prediction", "yield_risk") in names
    assert ("input", "dose_mj_cm2") not in names
    events = report.events()
    assert {e.feature for e in events} >= {"input:na", "prediction:yield_risk"}
    assert all(e.psi > 0.2 and e.band == "significant" for e in events)
    assert DriftReport.from_json(report.to_json()) == report


def test_the_noise_of_small_samples_is_not_drift() -> None:
    reference = distribution(jobs(300))
    live = jobs(100)  # the same mix: raw PSI ~ 9·(1/100 + 1/300) from sampling alone
    report = check_drift(
        reference,
        live,
        [Fixed(r).evaluate(j) for r, j in zip(rng.uniform(0, 0.3, 100), live, strict=True)],
        model_version="v1",
    )
    assert max(f.raw_psi for f in report.findings) > 0.0
    assert not report.needs_retraining


def test_drift_cannot_be_judged_on_few_jobs_or_without_a_distribution() -> None:
    live = jobs(10)
    with pytest.raises(DriftError, match="at least 100 recent jobs"):
        check_drift(
            distribution(jobs(100)), live, [Fixed(0.1).evaluate(j) for j in live], model_version="v"
        )
    with pytest.raises(DriftError, match="holds no training distribution"):
        check_drift(None, live, [], model_version="v")
