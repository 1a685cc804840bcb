from __future__ import annotations

import numpy as np
import pytest

from lto.athena.calibration import (
    coverage,
    coverage_standard_error,
    interval_score,
    mean_width,
    split_conformal,
)

Z95 = 1.959964


def test_coverage_width_and_interval_score_by_hand() -> None:
    y = np.array([0.5, 0.9, 0.1])
    lower, upper = np.array([0.4, 0.5, 0.2]), np.array([0.6, 0.7, 0.3])
    assert coverage(y, lower, upper) == pytest.approx(1 / 3)
    assert mean_width(lower, upper) == pytest.approx(0.16666666)
    # widths 0.2, 0.2, 0.1; misses 0.2 above and 0.1 below, charged 2/0.05 = 40 each
    assert interval_score(y, lower, upper) == pytest.approx((0.5 + 40 * 0.2 + 40 * 0.1) / 3)


def test_coverage_is_per_column_for_several_signals() -> None:
    y = np.zeros((4, 2))
    lower = np.array([[-1, 1], [-1, 1], [-1, -1], [-1, -1]], dtype=float)
    assert coverage(y, lower, lower + 2).tolist() == [1.0, 0.5]


def test_inverted_intervals_are_refused() -> None:
    with pytest.raises(ValueError, match="lower: must not exceed upper"):
        coverage([0.5], [0.6], [0.4])


@pytest.mark.parametrize("claimed_scale", [0.5, 1.0, 3.0])
def test_split_conformal_reaches_the_target_whatever_the_model_claims(claimed_scale: float) -> None:
    """The model's σ is off by a factor; after calibration coverage is 95% on fresh data."""
    rng = np.random.default_rng(11)
    true_sigma = rng.uniform(0.02, 0.1, size=4000)
    y = rng.normal(0.5, true_sigma)
    sigma = claimed_scale * true_sigma
    calibrator = split_conformal(y[:2000], np.full(2000, 0.5), sigma[:2000])
    lower, upper = calibrator.interval(np.full(2000, 0.5), sigma[2000:])
    assert coverage(y[2000:], lower, upper) == pytest.approx(
        0.95, abs=3 * coverage_standard_error(0.95, 2000)
    )
    assert calibrator.quantile == pytest.approx(Z95 / claimed_scale, rel=0.08)
    raw = coverage(y[2000:], 0.5 - Z95 * sigma[2000:], 0.5 + Z95 * sigma[2000:])
    if claimed_scale < 1:
        assert raw < 0.9  # under-covering intervals were widened
    if claimed_scale > 1:
        assert raw > 0.99  # over-covering intervals were narrowed


def test_conformal_intervals_can_be_clipped_to_the_score_range() -> None:
    calibrator = split_conformal(np.linspace(0, 1, 99), np.full(99, 0.5), np.full(99, 0.1))
    lower, upper = calibrator.interval([0.02, 0.98], [0.1, 0.1], bounds=(0.0, 1.0))
    assert lower.min() >= 0.0
    assert upper.max() <= 1.0


def test_too_few_calibration_points_are_refused() -> None:
    with pytest.raises(ValueError, match="need at least 19 calibration points"):
        split_conformal(np.zeros(10), np.zeros(10), np.ones(10))
