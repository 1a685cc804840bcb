from __future__ import annotations

import pytest
from pydantic import ValidationError

from lto.atlas import (
    SIGNAL_NAMES,
    ComputeStats,
    JobParameters,
    ScoreInterval,
    SimulationResult,
    TradeoffPrediction,
    TradeoffSignals,
)

BASE = {
    "na": 1.35,
    "wavelength_nm": 193,
    "dose_mj_cm2": 30,
    "sigma": 0.9,
    "sigma_inner": 0.6,
    "illumination": "annular",
    "resist_thickness_nm": 90,
    "grid_size_nm": 1,
    "target_cd_nm": 40,
    "pitch_nm": 80,
    "submitted_by": "ana",
}


def params(**changes) -> JobParameters:
    return JobParameters(**{**BASE, **changes})


def error_fields(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.errors()}


def test_typed_quantities_are_accepted_at_the_boundary() -> None:
    job = params(
        wavelength_nm="0.193 um", dose_mj_cm2="300 J/m^2", pitch_nm="80nm", focus_nm="-0.03 um"
    )
    assert (job.wavelength_nm, job.dose_mj_cm2, job.pitch_nm, job.focus_nm) == (
        193.0,
        30.0,
        80.0,
        -30.0,
    )


def test_a_wrong_unit_names_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        params(wavelength_nm="30 mJ/cm^2")
    assert error_fields(info.value) == {"wavelength_nm"}
    assert "is a unit of dose (energy per area), not of length" in str(info.value)


def test_every_range_error_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as info:
        params(na=0, sigma=1.3, dose_mj_cm2=-1, priority=11)
    assert error_fields(info.value) == {"na", "sigma", "dose_mj_cm2", "priority"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("na", 1e-300), ("na", 0.009), ("grid_size_nm", 5e-324), ("target_cd_nm", 5e-324)],
)
def test_na_pixel_and_cd_just_above_zero_are_refused(field: str, value: float) -> None:
    """What is computed from them (λ/NA², pitch over pixel, thickness over CD) would overflow."""
    with pytest.raises(ValidationError) as info:
        params(**{field: value})
    assert error_fields(info.value) == {field}
    assert params(na=0.01, grid_size_nm=0.01, target_cd_nm=0.01).na == 0.01


def test_typos_are_not_silently_ignored() -> None:
    with pytest.raises(ValidationError) as info:
        params(dose_mj=30)
    assert error_fields(info.value) == {"dose_mj"}
    assert "Extra inputs are not permitted" in str(info.value)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_numbers_are_refused(bad: float) -> None:
    with pytest.raises(ValidationError):
        params(na=bad)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"target_cd_nm": 80}, "target_cd_nm (80) must be smaller than pitch_nm (80)"),
        ({"sigma_inner": None}, "sigma_inner is required for annular"),
        ({"sigma_inner": 0.95}, "sigma_inner (0.95) must be smaller than sigma (0.9)"),
        ({"illumination": "conventional"}, "sigma_inner applies to annular"),
        ({"illumination": "pixelated"}, "illumination"),
        ({"submitted_by": "   "}, "submitted_by"),
    ],
)
def test_cross_field_rules(changes, message) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        params(**changes)


def test_job_parameters_are_frozen_and_round_trip_through_json() -> None:
    job = params(metadata={"lot": "A17", "wafer": 3})
    with pytest.raises(ValidationError):
        job.na = 1.2  # type: ignore[misc]
    assert JobParameters.model_validate_json(job.model_dump_json()) == job


def test_defaults_are_what_an_engineer_expects() -> None:
    job = JobParameters(
        **{k: v for k, v in BASE.items() if k not in {"sigma_inner", "illumination"}}
    )
    assert job.illumination == "conventional"
    assert job.focus_nm == 0.0
    assert job.priority == 5
    assert job.use_ai_surrogate
    assert job.job_class == "standard"
    assert job.constraint_profile is None


def signals(**changes: float) -> TradeoffSignals:
    return TradeoffSignals(**{**dict.fromkeys(SIGNAL_NAMES, 0.5), **changes})


def test_signals_are_bounded_to_the_unit_interval() -> None:
    assert signals().as_dict()["yield_risk"] == 0.5
    with pytest.raises(ValidationError):
        signals(yield_risk=1.01)
    with pytest.raises(ValidationError):
        signals(overall_health=-0.1)


def test_score_intervals_must_contain_their_mean() -> None:
    assert ScoreInterval(mean=0.5, lower=0.4, upper=0.7).width == pytest.approx(0.3)
    with pytest.raises(ValidationError, match="lower ≤ mean ≤ upper"):
        ScoreInterval(mean=0.8, lower=0.4, upper=0.7)


def prediction(**changes) -> TradeoffPrediction:
    scores = {name: ScoreInterval(mean=0.6, lower=0.5, upper=0.7) for name in SIGNAL_NAMES}
    return TradeoffPrediction(
        **{"scores": scores, "model_version": "ens-1", "inference_time_ms": 2.5, **changes}
    )


def test_a_prediction_covers_every_signal() -> None:
    assert prediction().point() == signals(**dict.fromkeys(SIGNAL_NAMES, 0.6))
    partial = {"yield_risk": ScoreInterval(mean=0.1, lower=0.0, upper=0.2)}
    with pytest.raises(ValidationError, match="missing resolution_vs_dof"):
        prediction(scores=partial)


def test_any_distrust_flag_recommends_the_physics() -> None:
    assert prediction().flags.recommend_physics is False
    flagged = prediction(flags={"out_of_distribution": True, "ood_distance": 4.2})
    assert flagged.flags.recommend_physics is True
    assert flagged.model_dump()["flags"]["recommend_physics"] is True


def test_simulation_results_carry_outputs_and_compute_stats() -> None:
    result = SimulationResult(
        job_id="job-1",
        cd_nm=41.2,
        depth_of_focus_nm=95.0,
        nils=2.1,
        signals=signals(),
        compute=ComputeStats(
            simulator="builtin",
            method="hopkins",
            wall_time_s=0.8,
            grid_shape=(512, 512),
            kernels=24,
            energy_captured=0.999,
        ),
    )
    assert SimulationResult.model_validate_json(result.model_dump_json()) == result
    with pytest.raises(ValidationError):
        SimulationResult(job_id="j", cd_nm=-1, compute=ComputeStats(simulator="x", wall_time_s=0))
