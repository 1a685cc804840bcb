from __future__ import annotations

import pytest

from lto.atlas import PROFILES, JobParameters, UnknownName, check_job, constraint_profile
from lto.atlas.policies import infer_profile_name

ARF_I = {
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
EUV = {
    "na": 0.33,
    "wavelength_nm": 13.5,
    "dose_mj_cm2": 45,
    "sigma": 0.8,
    "resist_thickness_nm": 35,
    "grid_size_nm": 0.5,
    "target_cd_nm": 16,
    "pitch_nm": 32,
    "submitted_by": "ana",
}


def job(base: dict, **changes) -> JobParameters:
    return JobParameters(**{**base, **changes})


def test_real_arf_immersion_and_euv_jobs_comply() -> None:
    assert check_job(job(ARF_I)) == []
    assert check_job(job(EUV)) == []


def test_every_violation_is_returned_not_just_the_first() -> None:
    bad = job(
        ARF_I,
        na=1.45,
        sigma=0.5,
        sigma_inner=0.3,
        pitch_nm=60,
        target_cd_nm=30,
        resist_thickness_nm=300,
        grid_size_nm=50,
        constraint_profile="ArF-immersion",
    )
    fields = [v.field for v in check_job(bad)]
    assert sorted(set(fields)) == ["grid_size_nm", "na", "pitch_nm", "resist_thickness_nm"]
    assert len(fields) == 6


def test_the_resolution_limit_is_lambda_over_na_one_plus_sigma() -> None:
    limit = 193 / (1.35 * 1.9)  # 75.2 nm
    assert [v.field for v in check_job(job(ARF_I, pitch_nm=75, target_cd_nm=37))] == ["pitch_nm"]
    assert check_job(job(ARF_I, pitch_nm=limit + 0.5, target_cd_nm=37)) == []
    (violation,) = check_job(job(ARF_I, pitch_nm=75, target_cd_nm=37))
    assert "75.2 nm" in violation.rule


@pytest.mark.parametrize(
    ("technology", "na", "allowed"),
    [
        ("EUV", 0.55, True),
        ("EUV", 0.56, False),
        ("ArF-dry", 0.93, True),
        ("ArF-dry", 0.95, False),
        ("ArF-immersion", 1.35, True),
        ("ArF-immersion", 1.36, False),
        ("KrF", 0.93, True),
        ("KrF", 0.94, False),
    ],
)
def test_na_ceilings_per_technology(technology: str, na: float, allowed: bool) -> None:
    profile = constraint_profile(technology)
    base = {
        **(EUV if technology == "EUV" else ARF_I),
        "wavelength_nm": profile.technology.wavelength_nm,
        "constraint_profile": technology,
        "na": na,
        "pitch_nm": 400,
        "target_cd_nm": 200,
        "resist_thickness_nm": profile.resist_thickness_nm.low,
        "grid_size_nm": 0.5,
    }
    na_violations = [v for v in profile(JobParameters(**base)) if v.field == "na"]
    assert (na_violations == []) is allowed


def test_wavelength_must_match_the_named_profile() -> None:
    violations = check_job(job(ARF_I, constraint_profile="KrF", na=0.9))
    assert "KrF exposes at 248 nm" in next(v.rule for v in violations if v.field == "wavelength_nm")


def test_the_profile_is_inferred_from_wavelength_and_na() -> None:
    assert infer_profile_name(193, 1.2) == "ArF-immersion"
    assert infer_profile_name(193, 0.9) == "ArF-dry"
    assert infer_profile_name(13.5, 0.33) == "EUV"
    assert infer_profile_name(157, 0.8) is None
    (violation,) = check_job(job(ARF_I, wavelength_nm=157, constraint_profile=None))
    assert violation.field == "wavelength_nm"
    assert "no exposure technology" in violation.rule


def test_unknown_profiles_are_a_violation_that_lists_the_known_ones() -> None:
    (violation,) = check_job(job(ARF_I, constraint_profile="ArF-imersion"))
    assert violation.field == "constraint_profile"
    assert "ArF-immersion" in violation.rule
    with pytest.raises(UnknownName):
        constraint_profile("nope")


def test_profiles_hold_the_process_assumptions_of_the_scores() -> None:
    for profile in PROFILES.values():
        assert profile.cd_tolerance_fraction == 0.10
        assert profile.required_exposure_latitude == 0.05
        assert sum(profile.health_weights.values()) == pytest.approx(1.0)
        assert profile.na.high <= profile.technology.max_na.value
