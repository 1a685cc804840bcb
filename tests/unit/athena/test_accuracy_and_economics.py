from __future__ import annotations

import numpy as np
import pytest

from lto.athena.accuracy import accuracy_report, within_tolerance
from lto.athena.economics import (
    Prices,
    compute_cost,
    economics_table,
    expected_yield_loss,
    preflight_savings,
)


def test_a_job_is_within_tolerance_only_if_every_signal_is() -> None:
    actual = np.full((3, 6), 0.5)
    predicted = actual.copy()
    predicted[1, 2] += 0.049
    predicted[2, 4] += 0.051
    assert within_tolerance(predicted, actual).tolist() == [True, True, False]


def test_accuracy_report_checks_the_seed_targets() -> None:
    actual = np.full((1000, 6), 0.5)
    predicted = actual.copy()
    predicted[:20, 0] += 0.2  # 2% of jobs miss: 98% overall
    critical = np.zeros(1000, bool)
    critical[:100] = True  # all 20 misses are critical: 80% on critical jobs
    report = accuracy_report(predicted, actual, critical=critical)
    assert report.overall == pytest.approx(0.98)
    assert report.critical == pytest.approx(0.80)
    assert report.per_signal[0] == pytest.approx(0.98)
    assert report.per_signal[1] == 1.0
    assert not report.meets_targets
    critical[:100], critical[500:600] = False, True
    assert accuracy_report(predicted, actual, critical=critical).meets_targets


def test_accuracy_report_refuses_mismatched_inputs() -> None:
    with pytest.raises(ValueError, match="critical: needs one flag per job"):
        accuracy_report(np.zeros((5, 6)), np.zeros((5, 6)), critical=[True])
    with pytest.raises(ValueError, match="shapes differ"):
        accuracy_report(np.zeros((5, 6)), np.zeros((4, 6)))


def test_compute_cost_by_hand() -> None:
    prices = Prices(cpu_core_hour=0.05, gpu_hour=3.0)
    assert compute_cost(3600, cores=2, prices=prices) == pytest.approx(0.10)
    assert compute_cost(1800, cores=0, gpus=1, prices=prices) == pytest.approx(1.5)
    np.testing.assert_allclose(compute_cost([0, 3600], prices=prices), [0.0, 0.05])
    with pytest.raises(ValueError, match="wall_time_s: must be ≥ 0"):
        compute_cost(-1)


def test_expected_yield_loss_is_risk_times_value() -> None:
    assert expected_yield_loss(0.02, wafer_value=10_000, wafers=25) == pytest.approx(5_000)
    with pytest.raises(ValueError, match="yield_risk: must lie in"):
        expected_yield_loss(1.2, wafer_value=1)


def test_preflight_saves_the_blocked_physics_minus_the_surrogate() -> None:
    result = preflight_savings(
        1000, block_rate=0.1, physics_cost_per_job=0.50, surrogate_cost_per_job=0.001
    )
    assert result.blocked == 100
    assert result.saving == pytest.approx(100 * 0.50 - 1000 * 0.001)
    assert (
        preflight_savings(
            1000, block_rate=0.0, physics_cost_per_job=0.5, surrogate_cost_per_job=0.01
        ).saving
        < 0
    )
    with pytest.raises(ValueError, match="block_rate"):
        preflight_savings(10, block_rate=1.5, physics_cost_per_job=1, surrogate_cost_per_job=0)


def test_economics_table_shows_both_strategies_and_the_difference() -> None:
    table = economics_table(jobs=1000, block_rate=0.12, physics_seconds=90.0, surrogate_ms=4.0)
    assert list(table["strategy"]) == [
        "physics for every job",
        "surrogate pre-flight, physics for the rest",
        "difference",
    ]
    cost = table["compute cost (USD)"]
    assert cost.iloc[2] == pytest.approx(cost.iloc[1] - cost.iloc[0])
    assert table["physics runs"].tolist() == [1000, 880, -120]
