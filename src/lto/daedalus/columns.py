"""The dataset's columns, and the conversion between a job and one row of it.

One row is one job: the process parameters an engineer types (``PARAMETERS``), the six scores
physics gave it (``SCORES``; the surrogate learns the four in ``LEARNED``) and the raw physics
outputs (``RAW``). Training frames, Parquet files and prediction batches share these names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lto.atlas.contracts import SIGNAL_NAMES, JobParameters, SignalName
from lto.atlas.policies import infer_profile_name

# profile: the constraint profile's name; sigma_inner is 0 for conventional illumination
PARAMETERS: tuple[str, ...] = (
    "profile",
    "wavelength_nm",
    "na",
    "sigma",
    "sigma_inner",
    "illumination",
    "pattern",
    "pitch_nm",
    "target_cd_nm",
    "grid_size_nm",
    "resist_thickness_nm",
    "focus_nm",
    "dose_mj_cm2",
    "job_class",
)
SCORES: tuple[SignalName, ...] = SIGNAL_NAMES
# surrogate_reliability is the surrogate's own and overall_health is recomputed from the others
LEARNED: tuple[SignalName, ...] = (
    "resolution_vs_dof",
    "yield_risk",
    "speed_vs_accuracy",
    "cost_vs_fidelity",
)
# where each LEARNED score sits among the six (SIGNAL_NAMES order, as predictions hold them)
LEARNED_INDEX: tuple[int, ...] = tuple(SIGNAL_NAMES.index(name) for name in LEARNED)
RAW: tuple[str, ...] = (
    "cd_nm",
    "depth_of_focus_nm",
    "exposure_latitude_pct",
    "nils",
    "edge_placement_error_nm",
    "dose_to_size_mj_cm2",
    "best_focus_nm",
)


def profile_name(job: JobParameters) -> str:
    """The job's constraint profile: named, or inferred from λ and NA ("" where none fits)."""
    return job.constraint_profile or infer_profile_name(job.wavelength_nm, job.na) or ""


def row_from_job(job: JobParameters) -> dict[str, Any]:
    """The ``PARAMETERS`` of ``job`` as a row (plain Python values), and its polarisation."""
    return {
        "profile": profile_name(job),
        "wavelength_nm": job.wavelength_nm,
        "na": job.na,
        "sigma": job.sigma,
        "sigma_inner": job.sigma_inner or 0.0,
        "illumination": str(job.illumination),
        "pattern": str(job.pattern),
        "pitch_nm": job.pitch_nm,
        "target_cd_nm": job.target_cd_nm,
        "grid_size_nm": job.grid_size_nm,
        "resist_thickness_nm": job.resist_thickness_nm,
        "focus_nm": job.focus_nm,
        "dose_mj_cm2": job.dose_mj_cm2,
        "job_class": str(job.job_class),
        # not a feature: the domain holds the technology's default only, and flags the rest
        "polarization": None if job.polarization is None else str(job.polarization),
    }


def job_from_row(row: Mapping[str, Any], *, submitted_by: str = "lto-dataset") -> JobParameters:
    """The job a row describes (the inverse of ``row_from_job``)."""
    conventional = str(row["illumination"]) == "conventional"
    return JobParameters(
        constraint_profile=str(row["profile"]) or None,
        wavelength_nm=float(row["wavelength_nm"]),
        na=float(row["na"]),
        sigma=float(row["sigma"]),
        sigma_inner=None if conventional else float(row["sigma_inner"]),
        illumination=str(row["illumination"]),  # type: ignore[arg-type]
        pattern=str(row["pattern"]),  # type: ignore[arg-type]
        pitch_nm=float(row["pitch_nm"]),
        target_cd_nm=float(row["target_cd_nm"]),
        grid_size_nm=float(row["grid_size_nm"]),
        resist_thickness_nm=float(row["resist_thickness_nm"]),
        focus_nm=float(row["focus_nm"]),
        dose_mj_cm2=float(row["dose_mj_cm2"]),
        job_class=str(row.get("job_class", "standard")),  # type: ignore[arg-type]
        submitted_by=submitted_by,
    )
