from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.stats import norm

from lto.athena.tradeoffs import (
    HEALTH_WEIGHTS,
    cost_vs_fidelity,
    epe_limit_nm,
    overall_health,
    resolution_margin,
    resolution_vs_dof,
    speed_vs_accuracy,
    surrogate_reliability,
    yield_risk,
)

unit = st.floats(0.0, 1.0)
positive = st.floats(1e-3, 1e4)


# --- resolution_vs_dof -------------------------------------------------------------------


def test_resolution_vs_dof_hand_values() -> None:
    # 193 nm, NA 1.35, σ 0.9: limit 75.24 nm; pitch 94.05 nm is 25% above it
    limit = 193 / (1.35 * 1.9)
    assert resolution_margin(limit * 1.25, 193, 1.35, 0.9) == pytest.approx(0.25)
    score = resolution_vs_dof(limit * 1.25, 193, 1.35, 0.9, dof_nm=40, required_dof_nm=80)
    assert score == pytest.approx(np.sqrt((1 - np.exp(-1)) * 0.5))


def test_resolution_vs_dof_is_zero_at_the_limit_and_one_far_above_with_enough_dof() -> None:
    limit = 193 / (1.35 * 1.9)
    assert resolution_vs_dof(
        limit, 193, 1.35, 0.9, dof_nm=200, required_dof_nm=80
    ) == pytest.approx(0.0, abs=1e-6)
    assert resolution_vs_dof(limit * 0.8, 193, 1.35, 0.9, dof_nm=200, required_dof_nm=80) == 0.0
    assert resolution_vs_dof(
        limit * 10, 193, 1.35, 0.9, dof_nm=200, required_dof_nm=80
    ) == pytest.approx(1.0)


@given(st.floats(20, 500), st.floats(20, 500), st.floats(0, 300), st.floats(0, 300))
def test_resolution_vs_dof_grows_with_pitch_and_dof(p1, p2, d1, d2) -> None:
    def score(p: float, d: float) -> float:
        return float(resolution_vs_dof(p, 193, 1.35, 0.5, dof_nm=d, required_dof_nm=100))

    lo_p, hi_p, lo_d, hi_d = min(p1, p2), max(p1, p2), min(d1, d2), max(d1, d2)
    assert 0.0 <= score(lo_p, lo_d) <= score(hi_p, lo_d) <= score(hi_p, hi_d) <= 1.0


def test_scores_are_vectorised_over_jobs() -> None:
    pitches = np.array([60.0, 80.0, 120.0])
    scores = resolution_vs_dof(
        pitches, 193, 1.35, 0.9, dof_nm=np.array([50, 100, 150]), required_dof_nm=80
    )
    assert scores.shape == (3,)
    assert np.all(np.diff(scores) > 0)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [("pitch_nm", {"pitch_nm": -1}), ("na", {"na": 0}), ("dof_nm", {"dof_nm": np.nan})],
)
def test_bad_inputs_name_their_field(field, kwargs) -> None:
    args = {
        "pitch_nm": 80,
        "wavelength_nm": 193,
        "na": 1.35,
        "sigma": 0.9,
        "dof_nm": 90,
        "required_dof_nm": 80,
        **kwargs,
    }
    with pytest.raises(ValueError, match=f"^{field}:"):
        resolution_vs_dof(**args)


# --- yield_risk --------------------------------------------------------------------------

FOCUS = np.linspace(-200, 200, 41)
DOSE = np.linspace(25, 35, 21)
TARGET = 40.0


def risk(cd: np.ndarray, **kwargs) -> float:
    args = {
        "target_cd_nm": TARGET,
        "focus_mean_nm": 0.0,
        "focus_sigma_nm": 30.0,
        "dose_mean": 30.0,
        "dose_sigma_fraction": 0.02,
    }
    return float(yield_risk(cd, FOCUS, DOSE, **{**args, **kwargs}))


@pytest.mark.parametrize("focus_sigma", [15.0, 30.0, 50.0])
def test_yield_risk_matches_the_closed_form_for_a_parabolic_bossung(focus_sigma: float) -> None:
    """CD = T + a f²: out of spec when |f| > √(0.1 T / a), so P = 2 Φ(−√(0.1 T/a) / σ_f)."""
    a = 0.002
    cd = TARGET + a * FOCUS[:, None] ** 2 + 0 * DOSE[None, :]
    exact = 2 * norm.cdf(-np.sqrt(0.1 * TARGET / a) / focus_sigma)
    assert risk(cd, focus_sigma_nm=focus_sigma) == pytest.approx(exact, abs=2e-4)


def test_yield_risk_matches_the_closed_form_for_a_plane_in_focus_and_dose() -> None:
    """CD − T = k_f f + k_d (d − d0) is Gaussian with σ = √((k_f σ_f)² + (k_d σ_d)²)."""
    k_f, k_d = 0.05, -2.0
    cd = TARGET + k_f * FOCUS[:, None] + k_d * (DOSE[None, :] - 30.0)
    sigma = np.hypot(k_f * 30.0, k_d * 0.02 * 30.0)
    assert risk(cd) == pytest.approx(2 * norm.cdf(-0.1 * TARGET / sigma), abs=5e-4)


# An 11 × 11 focus-exposure matrix as the simulator measures it: focus ± 1.5 × the required DoF
# and dose ± 15%, variation as the EUV, ArF and KrF profiles set it (focus sigma 10, 15, 40 nm).
COARSE_CASES = [(90.0, 10.0, 0.02), (120.0, 15.0, 0.015), (450.0, 40.0, 0.015)]


def coarse_risk(
    cd: np.ndarray, focus: np.ndarray, dose: np.ndarray, sigma_f: float, sigma_d: float
) -> float:
    return float(
        yield_risk(
            cd, focus, dose, target_cd_nm=TARGET, focus_mean_nm=0.0, focus_sigma_nm=sigma_f,
            dose_mean=30.0, dose_sigma_fraction=sigma_d,
        )
    )  # fmt: skip


@pytest.mark.parametrize(("span", "sigma_f", "sigma_d"), COARSE_CASES)
@pytest.mark.parametrize("k", [1.5, 2.0, 2.5])
def test_yield_risk_on_a_coarse_11_by_11_matrix_matches_the_closed_form(
    span: float, sigma_f: float, sigma_d: float, k: float
) -> None:
    """CD = T + a f² leaves spec at |f| = k σ_f: P = 2 Φ(−k). On an 11 × 11 grid the spec edge
    falls inside a coarse cell where the Gaussian is steep; splitting cells by mass, refined
    until converged, gets it to 0.5% (splitting by length was 3–5% high)."""
    focus, dose = np.linspace(-span, span, 11), 30.0 * np.linspace(0.85, 1.15, 11)
    a = 0.1 * TARGET / (k * sigma_f) ** 2
    cd = TARGET + a * focus[:, None] ** 2 + 0 * dose[None, :]
    exact = 2 * norm.cdf(-k)
    assert coarse_risk(cd, focus, dose, sigma_f, sigma_d) == pytest.approx(exact, rel=5e-3)


@pytest.mark.parametrize(("span", "sigma_f", "sigma_d"), COARSE_CASES)
def test_yield_risk_on_a_coarse_matrix_with_focus_and_dose_matches_the_integral(
    span: float, sigma_f: float, sigma_d: float
) -> None:
    """CD = T + a f² − s (d − d0): in spec for dose in [(a f² − 0.1T)/s, (a f² + 0.1T)/s]
    around d0, so P(in spec) = ∫ φ(f) [Φ(hi(f)/σ_d) − Φ(lo(f)/σ_d)] df, a 1-D integral."""
    focus, dose = np.linspace(-span, span, 11), 30.0 * np.linspace(0.85, 1.15, 11)
    slope, a = 2.0, 0.1 * TARGET / (2.5 * sigma_f) ** 2
    cd = TARGET + a * focus[:, None] ** 2 - slope * (dose[None, :] - 30.0)
    sd = sigma_d * 30.0

    def in_spec(f: float) -> float:
        low, high = (a * f * f - 0.1 * TARGET) / slope, (a * f * f + 0.1 * TARGET) / slope
        return float(norm.cdf(high / sd) - norm.cdf(low / sd))

    exact = 1 - quad(lambda f: in_spec(f) * norm.pdf(f / sigma_f) / sigma_f, -10 * sigma_f, 10 * sigma_f, limit=200)[0]  # fmt: skip
    assert coarse_risk(cd, focus, dose, sigma_f, sigma_d) == pytest.approx(exact, rel=5e-3)


def test_a_fixed_refinement_is_honoured_and_refine_must_be_positive() -> None:
    cd = TARGET + 0.002 * FOCUS[:, None] ** 2 + 0 * DOSE[None, :]
    coarse, adaptive = risk(cd, refine=1), risk(cd)
    assert coarse != adaptive
    assert adaptive == pytest.approx(2 * norm.cdf(-np.sqrt(0.1 * TARGET / 0.002) / 30.0), rel=1e-3)
    with pytest.raises(ValueError, match="refine: must be ≥ 1 or None for adaptive"):
        risk(cd, refine=0)


def test_yield_risk_is_zero_for_a_flat_surface_in_spec_and_one_out_of_spec() -> None:
    assert risk(np.full((41, 21), TARGET)) == pytest.approx(0.0, abs=1e-12)
    assert risk(np.full((41, 21), TARGET * 1.2)) == pytest.approx(1.0)


def test_nothing_printed_counts_as_out_of_spec() -> None:
    cd = np.full((41, 21), TARGET)
    cd[:, DOSE > 30.0] = np.nan  # above nominal dose the line vanishes (grid step 0.5)
    # all dose above the next grid node is lost; where between the nodes it vanishes is unknown
    assert norm.sf(0.5 / 0.6) < risk(cd) <= 0.5 + 1e-9


def test_yield_risk_grows_with_process_variation() -> None:
    cd = TARGET + 0.002 * FOCUS[:, None] ** 2 - 1.0 * (DOSE[None, :] - 30.0)
    risks = [risk(cd, focus_sigma_nm=s) for s in (5, 15, 30, 60)]
    assert np.all(np.diff(risks) > 0)
    doses = [risk(cd, dose_sigma_fraction=f) for f in (0.0, 0.01, 0.03)]
    assert np.all(np.diff(doses) > 0)


def test_yield_risk_is_vectorised_over_jobs_with_their_own_variation() -> None:
    cd = TARGET + 0.002 * FOCUS[:, None] ** 2 + 0 * DOSE[None, :]
    batch = np.stack([cd, cd, cd])
    sigmas = np.array([15.0, 30.0, 50.0])
    vectorised = yield_risk(
        batch,
        FOCUS,
        DOSE,
        target_cd_nm=TARGET,
        focus_mean_nm=0.0,
        focus_sigma_nm=sigmas,
        dose_mean=30.0,
        dose_sigma_fraction=0.02,
    )
    one_by_one = [risk(cd, focus_sigma_nm=s) for s in sigmas]
    np.testing.assert_allclose(vectorised, one_by_one, rtol=1e-12)


def test_yield_risk_rejects_a_surface_of_the_wrong_shape() -> None:
    with pytest.raises(ValueError, match=r"cd_nm: last two axes must be \(focus, dose\)"):
        risk(np.zeros((21, 41)))
    with pytest.raises(ValueError, match="focus_nm: must be strictly increasing"):
        yield_risk(
            np.zeros((3, 2)),
            [0, 0, 1],
            [1, 2],
            target_cd_nm=1,
            focus_mean_nm=0,
            focus_sigma_nm=1,
            dose_mean=1,
            dose_sigma_fraction=0.1,
        )


# --- speed, cost, reliability, health -------------------------------------------------------


def test_speed_vs_accuracy_hand_values() -> None:
    # error half the tolerance -> accuracy 0.5; time = budget -> speed 0.5; harmonic mean 0.5
    assert speed_vs_accuracy(0.01, 60.0, error_tolerance=0.02, time_budget_s=60.0) == pytest.approx(
        0.5
    )
    assert speed_vs_accuracy(0.0, 0.0) == pytest.approx(1.0)
    assert speed_vs_accuracy(0.05, 0.0, error_tolerance=0.02) == 0.0  # useless however fast


@given(st.floats(0, 0.1), st.floats(0, 0.1), st.floats(0, 1e4), st.floats(0, 1e4))
def test_speed_vs_accuracy_falls_with_error_and_time(e1, e2, t1, t2) -> None:
    lo_e, hi_e, lo_t, hi_t = min(e1, e2), max(e1, e2), min(t1, t2), max(t1, t2)
    best, worse_error, worst = (
        float(speed_vs_accuracy(e, t)) for e, t in ((lo_e, lo_t), (hi_e, lo_t), (hi_e, hi_t))
    )
    assert 1.0 >= best >= worse_error >= worst >= 0.0


def test_cost_vs_fidelity_hand_values() -> None:
    limit = epe_limit_nm(40.0)  # ±10% CD, both edges: 2 nm per edge
    assert limit == pytest.approx(2.0)
    assert cost_vs_fidelity(1.0, 0.10, epe_limit=limit, cost_budget=0.10) == pytest.approx(0.5)
    assert cost_vs_fidelity(2.5, 0.0, epe_limit=limit, cost_budget=0.10) == 0.0


@given(st.floats(0, 5), st.floats(0, 5), st.floats(0, 10), st.floats(0, 10))
def test_cost_vs_fidelity_falls_with_epe_and_cost(e1, e2, c1, c2) -> None:
    def score(e: float, c: float) -> float:
        return float(cost_vs_fidelity(e, c, epe_limit=2.0, cost_budget=1.0))

    assert (
        1.0
        >= score(min(e1, e2), min(c1, c2))
        >= score(max(e1, e2), min(c1, c2))
        >= score(max(e1, e2), max(c1, c2))
        >= 0.0
    )


def test_surrogate_reliability_hand_values_and_penalties() -> None:
    assert surrogate_reliability(0.1) == pytest.approx(0.9)
    assert surrogate_reliability(0.1, ood_distance=3.0) == pytest.approx(0.45)
    assert surrogate_reliability(0.1, drift_psi=0.2) == pytest.approx(0.45)
    assert surrogate_reliability(1.5) == 0.0


@given(unit, unit, st.floats(0, 20), st.floats(0, 20), st.floats(0, 2), st.floats(0, 2))
def test_surrogate_reliability_falls_with_uncertainty_distance_and_drift(
    w1, w2, d1, d2, p1, p2
) -> None:
    def score(w: float, d: float, p: float) -> float:
        return float(surrogate_reliability(w, d, p))

    lo = (min(w1, w2), min(d1, d2), min(p1, p2))
    assert (
        1.0
        >= score(*lo)
        >= score(max(w1, w2), lo[1], lo[2])
        >= score(max(w1, w2), max(d1, d2), lo[2])
        >= score(max(w1, w2), max(d1, d2), max(p1, p2))
        >= 0.0
    )


def test_overall_health_inverts_yield_risk_and_weights_the_rest() -> None:
    assert overall_health(1, 0, 1, 1, 1) == pytest.approx(1.0)
    assert overall_health(0, 1, 0, 0, 0) == pytest.approx(0.0)
    assert overall_health(1, 1, 1, 1, 1) == pytest.approx(1 - HEALTH_WEIGHTS["yield_risk"])
    only_yield = {k: (1.0 if k == "yield_risk" else 0.0) for k in HEALTH_WEIGHTS}
    assert overall_health(0.2, 0.3, 0.4, 0.5, 0.6, weights=only_yield) == pytest.approx(0.7)


@given(unit, unit, unit, unit, unit, unit)
def test_overall_health_is_bounded_and_falls_with_yield_risk(a, r1, c, d, e, r2) -> None:
    low, high = sorted((r1, r2))
    assert 0.0 <= overall_health(a, high, c, d, e) <= overall_health(a, low, c, d, e) <= 1.0


def test_overall_health_checks_its_inputs() -> None:
    with pytest.raises(ValueError, match="yield_risk: scores must lie"):
        overall_health(0.5, 1.5, 0.5, 0.5, 0.5)
    with pytest.raises(ValueError, match="weights: missing"):
        overall_health(0.5, 0.5, 0.5, 0.5, 0.5, weights={"yield_risk": 1.0})


@given(st.lists(st.tuples(positive, unit, st.floats(0, 300)), min_size=1, max_size=20))
def test_every_score_stays_in_the_unit_interval(rows) -> None:
    pitch, width, dof = map(np.array, zip(*rows, strict=True))
    for values in (
        resolution_vs_dof(pitch, 193, 1.35, 0.9, dof_nm=dof, required_dof_nm=80),
        speed_vs_accuracy(width / 10, dof),
        cost_vs_fidelity(width, dof, epe_limit=1.0, cost_budget=10.0),
        surrogate_reliability(width, dof / 10, width),
    ):
        assert np.all((values >= 0) & (values <= 1))
