"""``SurrogateDomain``: sampling, membership with reasons, and the JSON round trip."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from lto.atlas.policies import PROFILES, check_job
from lto.daedalus.columns import PARAMETERS, job_from_row
from lto.daedalus.domain import SurrogateDomain, default_domain
from lto.matrix.adapters.physics import clip_for


@pytest.fixture(scope="module")
def domain() -> SurrogateDomain:
    return default_domain()


@pytest.fixture(scope="module")
def sample(domain: SurrogateDomain) -> pd.DataFrame:
    """500 sampled jobs, each at the middle of its profile's dose range."""
    frame = domain.sample(500, seed=7)
    frame["dose_mj_cm2"] = [float(np.mean(domain.profile(p).dose_mj_cm2)) for p in frame.profile]
    return frame


def test_the_sample_has_the_parameters_and_the_dose_ratio(domain: SurrogateDomain) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Sobol balance warning for n not a power of 2
        frame = domain.sample(37, seed=1)
    assert list(frame.columns) == [*PARAMETERS, "dose_ratio"]
    assert len(frame) == 37
    assert frame["dose_mj_cm2"].isna().all()
    assert frame["dose_ratio"].between(0.75, 1.25).all()


def test_a_seed_reproduces_its_sample_and_another_seed_differs(domain: SurrogateDomain) -> None:
    pd.testing.assert_frame_equal(domain.sample(64, seed=3), domain.sample(64, seed=3))
    assert not domain.sample(64, seed=3).equals(domain.sample(64, seed=4))


def test_every_sampled_job_is_inside_valid_and_drawable(
    domain: SurrogateDomain, sample: pd.DataFrame
) -> None:
    assert domain.inside(sample).all()
    assert domain.violations(sample) == [[] for _ in range(len(sample))]
    for row in sample.to_dict("records"):
        job = job_from_row(row)
        # the policy's only rule a sampled job may break: EUV's thinnest resist (15 nm) on a
        # CD under 5 nm exceeds the aspect ratio 3; everywhere else thickness is capped at 3 × CD
        broken = [v for v in check_job(job) if v.field != "resist_thickness_nm"]
        assert broken == [], (row, broken)
        if job.resist_thickness_nm > PROFILES[row["profile"]].max_aspect_ratio * job.target_cd_nm:
            assert row["profile"] == "EUV"
            assert job.resist_thickness_nm == pytest.approx(15.0)
        clip_for(job)  # the engine can draw it: the periods fit the grid


def test_the_sample_covers_every_level(sample: pd.DataFrame) -> None:
    assert set(sample.profile) == {"EUV", "ArF-immersion", "ArF-dry", "KrF"}
    assert set(sample.illumination) == {"conventional", "annular", "dipole", "quadrupole"}
    assert set(sample.pattern) == {"line_space", "contact_array", "line_end"}
    assert (sample.job_class == "critical").mean() == pytest.approx(0.2, abs=0.03)
    conventional = sample.illumination == "conventional"
    assert (sample.sigma_inner[conventional] == 0).all()
    fraction = sample.sigma_inner[~conventional] / sample.sigma[~conventional]
    assert fraction.between(0.5, 0.8).all()


def test_the_grid_fits_the_pitch_and_the_cd(sample: pd.DataFrame) -> None:
    pixels = sample.pitch_nm / sample.grid_size_nm
    assert np.allclose(pixels, np.round(pixels), rtol=0, atol=1e-9)
    assert pixels.between(8, 96).all()
    assert pixels.min() < 12  # log-uniform over the range
    assert pixels.max() > 64
    cd_pixels = sample.target_cd_nm / sample.grid_size_nm
    assert np.allclose(cd_pixels, np.round(cd_pixels), rtol=0, atol=1e-9)
    duty = sample.target_cd_nm / sample.pitch_nm
    assert duty.between(0.3 - 1e-12, 0.6 + 1e-12).all()
    nyquist = sample.wavelength_nm / (4 * sample.na)
    assert (sample.grid_size_nm <= nyquist * (1 + 1e-9)).all()


def _row(domain: SurrogateDomain, **changes: object) -> pd.DataFrame:
    """One sampled ArF-immersion job at mid-range dose, with ``changes``."""
    frame = domain.sample(64, seed=0)
    row = frame[frame.profile == "ArF-immersion"].head(1).copy()
    row["dose_mj_cm2"] = 50.0
    for column, value in changes.items():
        row[column] = value
    return row.reset_index(drop=True)


def test_an_na_too_high_is_named_with_the_profiles_range(domain: SurrogateDomain) -> None:
    (reasons,) = domain.violations(_row(domain, na=1.5))
    assert "na 1.5 outside ArF-immersion's 0.85–1.35" in reasons


def test_a_profile_outside_the_domain_is_named(domain: SurrogateDomain) -> None:
    frame = _row(domain, profile="i-line", wavelength_nm=365.0)
    (reasons,) = domain.violations(frame)
    assert "profile 'i-line' is not in the domain (EUV, ArF-immersion, ArF-dry, KrF)" in reasons
    assert not domain.inside(frame)[0]


def test_a_pitch_near_the_resolution_limit_is_named(domain: SurrogateDomain) -> None:
    row = _row(domain)
    limit = 193.0 / (row.na[0] * (1 + row.sigma[0]))
    row["pitch_nm"] = 1.02 * limit
    row["target_cd_nm"] = 0.45 * row.pitch_nm
    row["grid_size_nm"] = row.pitch_nm / 20
    (reasons,) = domain.violations(row)
    assert reasons == [
        f"pitch_nm {1.02 * limit:g} is 1.02× the resolution limit; the domain covers 1.1–4×"
    ]


def test_focus_beyond_the_required_dof_is_named(domain: SurrogateDomain) -> None:
    (reasons,) = domain.violations(_row(domain, focus_nm=-120.0))
    assert reasons == ["focus_nm -120 is beyond ±80 nm (ArF-immersion's required DoF)"]


def test_other_fields_outside_are_named(domain: SurrogateDomain) -> None:
    row = _row(domain)
    row["grid_size_nm"] = row.pitch_nm / 4
    row["dose_mj_cm2"] = 500.0
    row["illumination"] = "pixelated"
    row["polarization"] = "TE"
    reasons = " | ".join(domain.violations(row)[0])
    assert "pixels per pitch; the domain covers 8–96" in reasons
    assert "dose_mj_cm2 500 outside ArF-immersion's 5–100 mJ/cm²" in reasons
    assert "illumination 'pixelated' is not in the domain" in reasons
    assert "polarization 'TE' is not ArF-immersion's default 'azimuthal'" in reasons


def test_the_default_polarization_or_none_is_inside(domain: SurrogateDomain) -> None:
    frame = pd.concat([_row(domain, polarization="azimuthal"), _row(domain, polarization=None)])
    assert domain.inside(frame).all()


def test_a_missing_value_is_outside(domain: SurrogateDomain) -> None:
    (reasons,) = domain.violations(_row(domain, dose_mj_cm2=np.nan))
    assert reasons == ["dose_mj_cm2 is missing (NaN)"]


def test_membership_of_many_rows_at_once(domain: SurrogateDomain, sample: pd.DataFrame) -> None:
    # one vectorised pass over a 10,000-row batch (its speed is bench_daedalus's to measure:
    # no timing limits in tests)
    big = pd.concat([sample] * 20, ignore_index=True)
    inside = domain.inside(big)
    reasons = domain.violations(big)
    assert inside.all()
    assert len(reasons) == 10_000
    assert not any(reasons)


def test_observed_doses_narrow_each_profiles_range(
    domain: SurrogateDomain, sample: pd.DataFrame
) -> None:
    frame = sample.copy()
    frame.loc[frame.profile == "KrF", "dose_mj_cm2"] = np.linspace(
        20, 40, int((frame.profile == "KrF").sum())
    )
    frame.loc[frame.profile == "EUV", "dose_mj_cm2"] = np.nan
    observed = domain.with_observed_doses(frame)
    assert observed.profile("KrF").dose_mj_cm2 == (20.0, 40.0)
    assert observed.profile("EUV").dose_mj_cm2 == domain.profile("EUV").dose_mj_cm2  # none seen
    assert observed.inside(frame[frame.profile == "KrF"]).all()


def test_the_domain_round_trips_through_json(domain: SurrogateDomain) -> None:
    narrowed = replace(domain, dose_ratio=(0.8, 1.2))
    text = json.dumps(narrowed.to_json())
    assert json.loads(text)["schema"] == 1
    assert SurrogateDomain.from_json(json.loads(text)) == narrowed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("garbage", "expected a JSON object"),
        ({"schema": 1}, "missing 'profiles'"),
        ({"schema": 2, "profiles": []}, "schema 2"),
        ({**default_domain().to_json(), "sigma": "wide"}, "sigma: expected [low, high]"),
    ],
)
def test_from_json_of_garbage_says_what_is_wrong(data: object, message: str) -> None:
    with pytest.raises(ValueError, match="surrogate domain") as error:
        SurrogateDomain.from_json(data)
    assert message in str(error.value)


def test_from_json_names_a_missing_profile_field() -> None:
    data = default_domain().to_json()
    del data["profiles"][1]["na"]
    with pytest.raises(ValueError, match="'ArF-immersion': missing 'na'"):
        SurrogateDomain.from_json(data)
