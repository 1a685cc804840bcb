from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lto.athena.drift import band, psi, psi_frame

rng = np.random.default_rng(7)


def test_identical_samples_do_not_drift() -> None:
    sample = rng.normal(size=10_000)
    assert psi(sample, sample) == pytest.approx(0.0, abs=1e-12)
    assert psi(sample, rng.normal(size=10_000)) < 0.01


def test_psi_matches_the_hand_computed_value() -> None:
    # reference quartile buckets hold 25% each; current holds 10/20/30/40%
    reference = np.arange(1, 401, dtype=float)
    current = np.concatenate(
        [np.full(10, 50.0), np.full(20, 150.0), np.full(30, 250.0), np.full(40, 350.0)]
    )
    shares = np.array([0.1, 0.2, 0.3, 0.4])
    expected = float(np.sum((shares - 0.25) * np.log(shares / 0.25)))
    assert psi(reference, current, buckets=4) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("shift", "expected_band"), [(0.0, "none"), (0.4, "moderate"), (1.0, "significant")]
)
def test_a_mean_shift_lands_in_the_right_band(shift: float, expected_band: str) -> None:
    reference, current = rng.normal(size=20_000), rng.normal(loc=shift, size=20_000)
    assert band(psi(reference, current)) == expected_band


def test_band_edges_follow_the_seed() -> None:
    assert [band(v) for v in (0.0, 0.0999, 0.1, 0.2, 0.2001, 5.0)] == [
        "none",
        "none",
        "moderate",
        "moderate",
        "significant",
        "significant",
    ]


def test_empty_buckets_and_constant_columns_stay_finite() -> None:
    reference = rng.normal(size=1000)
    far_away = np.full(500, 100.0)  # every current value in the top bucket
    assert np.isfinite(psi(reference, far_away))
    assert psi(reference, far_away) > 1.0
    assert psi(np.ones(100), np.ones(40)) == 0.0
    assert psi(np.ones(100), np.full(40, 2.0)) > 1.0
    assert psi(np.ones(100), np.full(40, 0.5)) > 1.0
    assert psi(np.ones(100), rng.normal(size=40)) > 1.0


def test_missing_values_are_dropped_and_empty_input_is_refused() -> None:
    values = rng.normal(size=1000)
    with_gaps = values.copy()
    with_gaps[::10] = np.nan
    assert psi(values, with_gaps) < 0.01
    with pytest.raises(ValueError, match="current: has no finite values"):
        psi(values, [np.nan, np.nan])
    with pytest.raises(ValueError, match="reference: has no finite values"):
        psi([], values)
    with pytest.raises(ValueError, match="buckets: must be ≥ 2"):
        psi(values, values, buckets=1)


@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=200),
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=200),
)
def test_psi_is_never_negative_or_nan(reference, current) -> None:
    value = psi(reference, current)
    assert np.isfinite(value)
    assert value >= -1e-12


def test_psi_frame_reports_every_numeric_column_worst_first() -> None:
    reference = pd.DataFrame(
        {
            "na": rng.normal(1.2, 0.05, 2000),
            "dose": rng.normal(30, 2, 2000),
            "tool": ["a"] * 2000,
            "constant": 1.0,
        }
    )
    current = pd.DataFrame(
        {
            "na": rng.normal(1.3, 0.05, 800),
            "dose": rng.normal(30, 2, 800),
            "tool": ["b"] * 800,
            "constant": 1.0,
        }
    )
    frame = psi_frame(reference, current)
    assert set(frame["column"]) == {"na", "dose", "constant"}  # the text column is skipped
    assert frame["column"].iloc[0] == "na"
    assert frame.set_index("column").loc["na", "band"] == "significant"
    assert frame.set_index("column").loc["constant", "psi"] == 0.0
    assert not frame["psi"].isna().any()
    with pytest.raises(ValueError, match="missing from reference or current: sigma"):
        psi_frame(reference, current, columns=["na", "sigma"])


def test_a_prepared_reference_round_trips_through_json() -> None:
    import json

    from lto.athena.drift import PsiReference

    rng = np.random.default_rng(0)
    reference = PsiReference.fit(rng.normal(size=2000))
    again = PsiReference.from_json(json.loads(json.dumps(reference.to_json())))
    current = rng.normal(0.5, 1.0, size=500)
    assert again.psi(current) == reference.psi(current)
    with pytest.raises(ValueError, match="one more share than edges"):
        PsiReference.from_json({"edges": [0.0, 1.0], "shares": [0.5, 0.5]})
