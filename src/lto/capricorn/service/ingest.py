"""Simulation results run elsewhere: what LTO refuses in them, how it scores them, and how they
reach the surrogate's training data.

A result another simulator (or a fab's PROLITH runs) reports is checked against what physics
allows beside what its contract already says (``result_problems``). One sent without the six
tradeoff scores is scored here (``reported_signals``) with athena's functions and the job's
constraint profile, as ``PhysicsSimulator`` scores its own results, except where the physics
scores from what only its own run holds:

- ``yield_risk`` is athena's ``yield_risk`` over a CD surface rebuilt from the reported window,
  not over a measured focus-exposure matrix: in spec where the dose lies within dose to size ×
  (1 ± w(f)), w narrowing as a parabola in defocus from EL/2 at best focus to half the
  profile's required EL at best focus ± DoF/2 (the DoF at the required EL), leaving spec
  linearly outside; an estimate of the window's shape from its three numbers;
- ``speed_vs_accuracy`` takes the result as converged (image error 0): LTO cannot measure
  another simulator's discretisation error; the speed part is its reported wall time;
- ``cost_vs_fidelity`` prices the wall time on one core (the sender's cores are unknown).

``surrogate_reliability`` is 1, as for every physics result (it is ground truth to the
surrogate), and ``overall_health`` weighs the five with the profile's weights.

Ingested results cannot enter the training buffer (its rows belong to jobs); ``training_rows``
gives the buffer's rows and the ingested results' together, each made by the same row builder.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from lto.atlas.contracts import JobParameters, SimulationResult, TradeoffSignals
from lto.atlas.errors import UnknownName
from lto.atlas.policies import ConstraintProfile, constraint_profile, infer_profile_name
from lto.atlas.technology import resolution_limit_pitch_nm
from lto.capricorn.repositories import IngestedResult
from lto.capricorn.service.unit_of_work import UnitOfWork

# PhysicsSettings' defaults (lto.matrix.adapters.physics), which score the pipeline's results
TIME_BUDGET_S = 60.0
COST_BUDGET = 0.01
NO_WINDOW = ("no_window", "nothing_prints")

TrainingRow = Callable[[JobParameters, SimulationResult], dict[str, Any]]
Problems = list[tuple[str, str]]  # (field, rule): "parameters.na", "result.cd_nm"


def profile_of(parameters: JobParameters) -> tuple[ConstraintProfile | None, Problems]:
    """The job's constraint profile (named, or inferred from λ and NA), or why there is none."""
    name = parameters.constraint_profile or infer_profile_name(
        parameters.wavelength_nm, parameters.na
    )
    if name is None:
        return None, [("parameters.wavelength_nm", "no exposure technology at this wavelength")]
    try:
        return constraint_profile(name), []
    except UnknownName as exc:
        known = ", ".join(exc.known)
        return None, [("parameters.constraint_profile", f"unknown profile; known: {known}")]


def result_problems(parameters: JobParameters, result: SimulationResult) -> Problems:
    """What the result claims that its parameters, or physics, make impossible."""
    profile, found = profile_of(parameters)
    if profile is not None:
        technology = profile.technology
        if abs(parameters.wavelength_nm - technology.wavelength_nm) > 0.5:
            found.append(
                (
                    "parameters.wavelength_nm",
                    f"{profile.name} exposes at {technology.wavelength_nm:g} nm",
                )
            )
        if parameters.na > technology.max_na.value:
            found.append(
                (
                    "parameters.na",
                    f"{technology.name} optics reach at most NA {technology.max_na.value:g}",
                )
            )
    pitch = parameters.pitch_nm
    if result.cd_nm is not None and result.cd_nm >= pitch:
        found.append(
            ("result.cd_nm", f"a printed CD must be smaller than the pitch ({pitch:g} nm)")
        )
    limit = resolution_limit_pitch_nm(parameters.wavelength_nm, parameters.na, parameters.sigma)
    prints = result.cd_nm is not None or (result.depth_of_focus_nm or 0.0) > 0.0
    if pitch <= limit and prints:
        found.append(
            (
                "result.cd_nm" if result.cd_nm is not None else "result.depth_of_focus_nm",
                f"nothing images at a pitch below the resolution limit λ/(NA(1+σ)) = "
                f"{limit:.1f} nm",
            )
        )
    if result.window_status == "nothing_prints" and result.cd_nm is not None:
        found.append(("result.cd_nm", "must be absent where window_status is nothing_prints"))
    if result.window_status in NO_WINDOW:
        for name in ("depth_of_focus_nm", "exposure_latitude_pct"):
            if (getattr(result, name) or 0.0) > 0.0:
                found.append((f"result.{name}", f"must be 0 where window_status is {result.window_status}"))  # fmt: skip
    if result.edge_placement_error_nm is not None and result.edge_placement_error_nm > pitch:
        found.append(("result.edge_placement_error_nm", f"cannot exceed the pitch ({pitch:g} nm)"))
    for name in ("dose_range_mj_cm2", "focus_range_nm"):
        span = getattr(result, name)
        if span is not None and not span[0] < span[1]:
            found.append((f"result.{name}", "must be (low, high) with low < high"))
    if result.created_at.tzinfo is None:
        found.append(("result.created_at", "must include a time zone"))
    if result.signals is None and profile is not None:
        found.extend(_unscorable(result))
    return found


def _window(result: SimulationResult) -> tuple[float, float]:
    """Depth of focus (nm) and exposure latitude (%) as scoring reads them: 0 without a window."""
    if result.window_status in NO_WINDOW:
        return 0.0, 0.0
    return result.depth_of_focus_nm or 0.0, result.exposure_latitude_pct or 0.0


def _unscorable(result: SimulationResult) -> Problems:
    """The numbers the scores need that a result sent without ``signals`` lacks."""
    needed = [] if result.window_status in NO_WINDOW else ["depth_of_focus_nm", "exposure_latitude_pct"]  # fmt: skip
    dof, el = _window(result)
    if dof > 0.0 and el > 0.0:
        needed += ["best_focus_nm", "dose_to_size_mj_cm2"]
    return [
        (f"result.{name}", "is needed to score a result sent without signals")
        for name in needed
        if getattr(result, name) is None
    ]


def reported_signals(parameters: JobParameters, result: SimulationResult) -> TradeoffSignals:
    """The six scores of a result sent without them (see the module's docstring for how they
    differ from the physics' own). ``result_problems`` must have found nothing."""
    import numpy as np

    from lto.athena import tradeoffs
    from lto.athena.economics import Prices, compute_cost

    profile, problems = profile_of(parameters)
    if profile is None:
        raise ValueError(problems[0][1])
    dof, el = _window(result)
    resolution = float(
        tradeoffs.resolution_vs_dof(
            parameters.pitch_nm, parameters.wavelength_nm, parameters.na, parameters.sigma,
            dof_nm=dof, required_dof_nm=profile.required_dof_nm,
        )
    )  # fmt: skip
    risk = _yield_risk(parameters, profile, result, dof, el)
    wall = result.compute.wall_time_s
    speed = float(tradeoffs.speed_vs_accuracy(0.0, wall, time_budget_s=TIME_BUDGET_S))
    target = parameters.target_cd_nm
    epe = result.edge_placement_error_nm
    if epe is None:  # as the physics measures it: half the CD error, half the CD unprinted
        epe = target / 2 if result.cd_nm is None else abs(result.cd_nm - target) / 2
    cost = float(compute_cost(wall, cores=1, prices=Prices()))
    fidelity = float(
        tradeoffs.cost_vs_fidelity(
            epe, cost, epe_limit=tradeoffs.epe_limit_nm(target, profile.cd_tolerance_fraction),
            cost_budget=COST_BUDGET,
        )
    )  # fmt: skip
    health = float(
        tradeoffs.overall_health(
            resolution, risk, speed, fidelity, 1.0, weights=profile.health_weights
        )
    )
    scores = {
        "resolution_vs_dof": resolution, "yield_risk": risk, "speed_vs_accuracy": speed,
        "cost_vs_fidelity": fidelity, "surrogate_reliability": 1.0, "overall_health": health,
    }  # fmt: skip
    return TradeoffSignals(**{k: float(np.clip(v, 0.0, 1.0)) for k, v in scores.items()})


def _yield_risk(
    parameters: JobParameters,
    profile: ConstraintProfile,
    result: SimulationResult,
    dof: float,
    el: float,
) -> float:
    """athena's P(CD out of spec) at the job's focus and dose under the profile's variation,
    over the CD surface the reported window implies."""
    import numpy as np

    from lto.athena import tradeoffs

    if dof <= 0.0 or el <= 0.0 or result.best_focus_nm is None:
        return 1.0
    center_dose = result.dose_to_size_mj_cm2
    if center_dose is None:
        return 1.0
    target, tolerance = parameters.target_cd_nm, profile.cd_tolerance_fraction
    focus_sigma = max(profile.focus_sigma_nm, 1e-3)
    dose_sigma = max(profile.dose_sigma_fraction, 1e-3)
    focus = parameters.focus_nm + focus_sigma * np.linspace(-6.0, 6.0, 49)
    doses = parameters.dose_mj_cm2 * (1.0 + dose_sigma * np.linspace(-6.0, 6.0, 49))
    # the window as Bossung curves draw it: its dose half-width is EL/2 at best focus and
    # narrows as a parabola in defocus to the required EL at ± DoF/2 (where DoF is measured)
    ratio = min(profile.required_exposure_latitude * 100.0 / el, 0.99)
    reach = (dof / 2.0) / math.sqrt(1.0 - ratio)  # where the window closes
    away_focus = ((focus - result.best_focus_nm) / reach) ** 2
    away_dose = np.abs(doses / center_dose - 1.0) / (el / 200.0)
    distance = away_focus[:, None] + away_dose[None, :]  # CD leaves spec exactly at 1
    cd = target * (1.0 - tolerance * distance)
    return float(
        tradeoffs.yield_risk(
            cd[None, :, :], focus, doses, target_cd_nm=target, focus_mean_nm=parameters.focus_nm,
            focus_sigma_nm=profile.focus_sigma_nm, dose_mean=parameters.dose_mj_cm2,
            dose_sigma_fraction=profile.dose_sigma_fraction, tolerance=tolerance,
            refine=2,  # the surface is smooth on this grid: to 2e-4 of adaptive, 40x faster
        )[0]
    )  # fmt: skip


@dataclass(frozen=True)
class TrainingRows:
    """The surrogate's training rows from history: the pipeline's buffer, then the ingested
    results; ``skipped`` counts ingested results today's contracts no longer read."""

    rows: list[dict[str, Any]]
    jobs: int
    ingested: int
    skipped: int = 0


def ingested_rows(
    records: Sequence[IngestedResult], training_row: TrainingRow
) -> tuple[list[dict[str, Any]], int]:
    """One training row per ingested result (``training_row``: the pipeline's row builder,
    ``lto.daedalus.dataset.result_row``), JSON-ready; and how many could not be read."""
    rows, skipped = [], 0
    for record in records:
        try:
            parameters = JobParameters.model_validate(record.parameters)
            result = SimulationResult.model_validate(record.result)
        except ValidationError:
            skipped += 1
            continue
        row = training_row(parameters, result)
        rows.append({k: None if _not_finite(v) else v for k, v in row.items()})
    return rows, skipped


def training_rows(
    uow: UnitOfWork, training_row: TrainingRow, *, include_ingested: bool = True
) -> TrainingRows:
    """Every training row LTO holds, read in ``uow`` (open)."""
    buffered = [row.row for row in uow.records.buffer()]
    if not include_ingested:
        return TrainingRows(buffered, len(buffered), 0)
    extra, skipped = ingested_rows(uow.ingested.list(), training_row)
    return TrainingRows(buffered + extra, len(buffered), len(extra), skipped)


def _not_finite(value: object) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


__all__ = [
    "COST_BUDGET",
    "TIME_BUDGET_S",
    "TrainingRows",
    "ingested_rows",
    "profile_of",
    "reported_signals",
    "result_problems",
    "training_rows",
]
