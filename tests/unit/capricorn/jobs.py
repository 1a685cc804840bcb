"""Jobs for capricorn's tests: a valid ArF-dry line/space job by default."""

from __future__ import annotations

from typing import Any

from lto.atlas.contracts import JobParameters

ARF_DRY: dict[str, Any] = {
    "na": 0.85,
    "wavelength_nm": 193.0,
    "dose_mj_cm2": 30.0,
    "sigma": 0.7,
    "resist_thickness_nm": 100.0,
    "grid_size_nm": 4.0,
    "target_cd_nm": 90.0,
    "pitch_nm": 180.0,
    "submitted_by": "alice",
}


def job_fields(**changes: Any) -> dict[str, Any]:
    return {**ARF_DRY, **changes}


def a_job(**changes: Any) -> JobParameters:
    return JobParameters(**job_fields(**changes))
