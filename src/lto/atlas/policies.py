"""Constraint profiles: what a process on a given exposure technology is allowed to ask for.

A profile is a callable that returns every ``Violation`` a job commits, not just the first, so
that an engineer fixes all of them in one go. The profile also holds the process assumptions
the scores use (CD tolerance, required exposure latitude and depth of focus, the dose and focus
variation of the line, and the weights of the overall health score).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING

from lto.atlas.errors import UnknownName
from lto.atlas.technology import (
    ARF_DRY,
    ARF_IMMERSION,
    EUV,
    I_LINE,
    KRF,
    ExposureTechnology,
    resolution_limit_pitch_nm,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lto.atlas.contracts import JobParameters


@dataclass(frozen=True)
class Violation:
    """One broken rule: the field it concerns, the rule in words, and the offending value."""

    field: str
    rule: str
    value: object = None

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}" + (
            "" if self.value is None else f" (got {self.value!r})"
        )


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    unit: str = ""

    def check(self, field: str, value: float) -> Violation | None:
        if self.low <= value <= self.high:
            return None
        unit = f" {self.unit}" if self.unit else ""
        return Violation(
            field, f"must lie in [{self.low:g}, {self.high:g}]{unit} for this profile", value
        )


DEFAULT_HEALTH_WEIGHTS = MappingProxyType(
    {
        "resolution_vs_dof": 0.30,
        "yield_risk": 0.30,
        "speed_vs_accuracy": 0.10,
        "cost_vs_fidelity": 0.10,
        "surrogate_reliability": 0.20,
    }
)


@dataclass(frozen=True)
class ConstraintProfile:
    name: str
    technology: ExposureTechnology
    na: Range
    sigma: Range
    dose_mj_cm2: Range
    resist_thickness_nm: Range
    required_dof_nm: float
    focus_sigma_nm: float
    dose_sigma_fraction: float = 0.015
    cd_tolerance_fraction: float = 0.10
    required_exposure_latitude: float = 0.05
    max_aspect_ratio: float = 3.0  # resist thickness / CD; taller lines collapse
    # what a surrogate must show on this technology's held-out jobs to be promoted: the share
    # of jobs with every learned score within 0.05 of the physics (the seed's targets)
    surrogate_accuracy: float = 0.975
    surrogate_critical_accuracy: float = 0.985
    health_weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_HEALTH_WEIGHTS)

    def __call__(self, job: JobParameters) -> list[Violation]:
        """Every rule of this profile that ``job`` breaks (empty when it complies)."""
        tech = self.technology
        found = [
            self.na.check("na", job.na),
            self.sigma.check("sigma", job.sigma),
            self.dose_mj_cm2.check("dose_mj_cm2", job.dose_mj_cm2),
            self.resist_thickness_nm.check("resist_thickness_nm", job.resist_thickness_nm),
        ]
        if abs(job.wavelength_nm - tech.wavelength_nm) > 0.5:
            found.append(
                Violation(
                    "wavelength_nm",
                    f"{self.name} exposes at {tech.wavelength_nm:g} nm",
                    job.wavelength_nm,
                )
            )
        if job.na > tech.max_na.value:
            found.append(
                Violation(
                    "na", f"{tech.name} optics reach at most NA {tech.max_na.value:g}", job.na
                )
            )
        limit = resolution_limit_pitch_nm(job.wavelength_nm, job.na, job.sigma)
        if job.pitch_nm <= limit:
            found.append(
                Violation(
                    "pitch_nm",
                    f"must exceed the resolution limit λ/(NA(1+σ)) = {limit:.1f} nm; nothing below it images",
                    job.pitch_nm,
                )
            )
        nyquist = job.wavelength_nm / (4.0 * job.na)
        if job.grid_size_nm > nyquist:
            found.append(
                Violation(
                    "grid_size_nm",
                    f"must be at most λ/(4·NA) = {nyquist:.2f} nm to sample the aerial image without aliasing",
                    job.grid_size_nm,
                )
            )
        aspect = job.resist_thickness_nm / job.target_cd_nm
        if aspect > self.max_aspect_ratio:
            found.append(
                Violation(
                    "resist_thickness_nm",
                    f"aspect ratio thickness/CD = {aspect:.1f} exceeds {self.max_aspect_ratio:g}; lines this tall collapse",
                    job.resist_thickness_nm,
                )
            )
        return [v for v in found if v is not None]


PROFILES: Mapping[str, ConstraintProfile] = MappingProxyType(
    {
        profile.name: profile
        for profile in (
            ConstraintProfile(
                "EUV",
                EUV,
                Range(0.25, 0.55),
                Range(0.0, 1.0),
                Range(10, 150, "mJ/cm²"),
                Range(15, 100, "nm"),
                required_dof_nm=60.0,
                focus_sigma_nm=10.0,
                dose_sigma_fraction=0.02,
            ),
            ConstraintProfile(
                "ArF-immersion",
                ARF_IMMERSION,
                Range(0.85, 1.35),
                Range(0.0, 1.0),
                Range(5, 100, "mJ/cm²"),
                Range(40, 250, "nm"),
                required_dof_nm=80.0,
                focus_sigma_nm=15.0,
            ),
            ConstraintProfile(
                "ArF-dry",
                ARF_DRY,
                Range(0.5, 0.93),
                Range(0.0, 1.0),
                Range(5, 100, "mJ/cm²"),
                Range(80, 400, "nm"),
                required_dof_nm=150.0,
                focus_sigma_nm=25.0,
            ),
            ConstraintProfile(
                "KrF",
                KRF,
                Range(0.4, 0.93),
                Range(0.0, 1.0),
                Range(5, 150, "mJ/cm²"),
                Range(100, 1500, "nm"),
                required_dof_nm=300.0,
                focus_sigma_nm=40.0,
            ),
            ConstraintProfile(
                "i-line",
                I_LINE,
                Range(0.3, 0.65),
                Range(0.0, 1.0),
                Range(50, 500, "mJ/cm²"),
                Range(300, 5000, "nm"),
                required_dof_nm=600.0,
                focus_sigma_nm=80.0,
            ),
        )
    }
)


def constraint_profile(name: str) -> ConstraintProfile:
    """Look a profile up by name, forgiving case."""
    for profile in PROFILES.values():
        if profile.name.lower() == name.strip().lower():
            return profile
    raise UnknownName("constraint profile", name, list(PROFILES))


@lru_cache(maxsize=4096)
def infer_profile_name(wavelength_nm: float, na: float) -> str | None:
    """The default profile for a wavelength: the technology at that λ whose NA range fits
    (cached: the profiles are constants, and every job view asks)."""
    fitting = sorted(
        (p for p in PROFILES.values() if abs(p.technology.wavelength_nm - wavelength_nm) <= 0.5),
        key=lambda p: p.technology.medium_index,  # a dry tool where a dry lens suffices
    )
    for profile in fitting:
        if profile.na.low <= na <= profile.na.high:
            return profile.name
    return fitting[0].name if fitting else None


def check_job(job: JobParameters) -> list[Violation]:
    """All violations of the job's constraint profile (named, or inferred from λ and NA)."""
    name = job.constraint_profile or infer_profile_name(job.wavelength_nm, job.na)
    if name is None:
        known = ", ".join(
            dict.fromkeys(f"{t.technology.wavelength_nm:g} nm" for t in PROFILES.values())
        )
        return [
            Violation(
                "wavelength_nm",
                f"no exposure technology at this wavelength; known: {known}",
                job.wavelength_nm,
            )
        ]
    try:
        profile = constraint_profile(name)
    except UnknownName as exc:
        return [
            Violation("constraint_profile", f"unknown profile; known: {', '.join(exc.known)}", name)
        ]
    return profile(job)
