"""``PhysicsSimulator``: the built-in imaging + resist engine behind ``SimulatorPort``.

A job becomes a clip (its pattern at its pitch and target CD, pixels of ``grid_size_nm``), a
source (its illumination), the optics of its technology (immersion index included) and the
technology's reference resist at the job's thickness. The simulator runs a focus-exposure matrix
around the job's focus and dose, measures the window with athena, and scores the result.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from lto.athena import process_window as pw
from lto.athena import tradeoffs
from lto.athena.economics import Prices, compute_cost
from lto.atlas.contracts import (
    ComputeStats,
    JobParameters,
    Pattern,
    SimulationResult,
    TradeoffSignals,
)
from lto.atlas.materials import ARF_CAR, EUV_CAR, KRF_CAR, ResistFormulation
from lto.atlas.policies import ConstraintProfile, constraint_profile, infer_profile_name
from lto.atlas.technology import IlluminationShape
from lto.matrix import sources
from lto.matrix.backend import get_backend
from lto.matrix.fem import CutLine, FocusExposureMatrix, Optics, cd_at, focus_exposure_matrix, image
from lto.matrix.imaging import Method, SocsKernels, hopkins_kernels
from lto.matrix.masks import Clip, contact_array, line_end, line_space
from lto.matrix.ports import ProgressCallback, SimulationError, SimulatorPort
from lto.matrix.resist import ResistModel

VERSION = "1"
RESISTS: dict[str, ResistFormulation] = {
    "EUV": EUV_CAR, "ArF-dry": ARF_CAR, "ArF-immersion": ARF_CAR, "KrF": KRF_CAR, "i-line": KRF_CAR,
}  # fmt: skip


@dataclass(frozen=True)
class PhysicsSettings:
    focus_points: int = 11
    dose_points: int = 11
    dose_span: float = 0.15  # the matrix covers the job's dose ± 15%
    focus_span: float = 1.5  # and its focus ± 1.5 × the profile's required DoF
    method: Method = "hopkins"
    development: Literal["threshold", "mack"] = "threshold"
    source_step: float = 0.1
    mask_bias_nm: float = 1.0  # for MEEF: mask CD ± this (wafer scale)
    time_budget_s: float = 60.0
    cost_budget: float = 0.01
    backend: str = "numpy"


@dataclass(frozen=True, eq=False)
class Simulation:
    """A result with what it was computed from, for pictures and inspection."""

    result: SimulationResult
    setup: Setup
    fem: FocusExposureMatrix
    nominal_image: np.ndarray


@dataclass(frozen=True)
class Setup:
    profile: ConstraintProfile
    clip: Clip
    cut: CutLine
    optics: Optics
    resist: ResistModel


def illumination(job: JobParameters, step: float) -> sources.Source:
    inner = job.sigma_inner or 0.0
    if job.illumination == IlluminationShape.CONVENTIONAL:
        return sources.conventional(job.sigma, step=step)
    if job.illumination == IlluminationShape.ANNULAR:
        return sources.annular(inner, job.sigma, step=step)
    center, radius = (inner + job.sigma) / 2, (job.sigma - inner) / 2
    if job.illumination == IlluminationShape.DIPOLE:
        return sources.dipole(center, radius, "x", step=min(step, radius))
    return sources.quadrupole(center, radius, 45.0, step=min(step, radius))


def clip_for(job: JobParameters, cd_nm: float | None = None) -> tuple[Clip, CutLine]:
    """The job's pattern as a clip, and where its CD is measured."""
    cd = cd_nm if cd_nm is not None else job.target_cd_nm
    pitch, pixel = job.pitch_nm, job.grid_size_nm
    if job.pattern == Pattern.LINE_SPACE:
        clip = line_space(pitch, cd, pixel_nm=pixel, rows=1)
        return clip, CutLine((0,), pitch / 2, "resist")
    if job.pattern == Pattern.CONTACT_ARRAY:
        clip = contact_array(pitch, pitch, cd, cd, pixel_nm=pixel)
        ny = clip.shape[0]
        rows = (ny // 2,) if ny % 2 else (ny // 2 - 1, ny // 2)
        return clip, CutLine(rows, pitch / 2, "space")
    length = 2 * pitch
    clip = line_end(pitch, cd, gap_nm=cd, length_nm=length, pixel_nm=pixel)
    middle = int((cd / 2 + length / 2) / clip.pixel_nm)
    return clip, CutLine((middle,), pitch / 2, "resist")


class PhysicsSimulator(SimulatorPort):
    name = "lto-physics"

    def __init__(self, settings: PhysicsSettings | None = None) -> None:
        self.settings = settings or PhysicsSettings()
        self._backend = get_backend(self.settings.backend)

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "simulator": self.name,
            "version": VERSION,
            "backend": self._backend.name,
            "device": self._backend.device,
        }

    def setup(self, job: JobParameters) -> Setup:
        name = job.constraint_profile or infer_profile_name(job.wavelength_nm, job.na)
        if name is None:
            raise SimulationError(f"no exposure technology at {job.wavelength_nm:g} nm")
        profile = constraint_profile(name)
        clip, cut = clip_for(job)
        optics = Optics(
            job.wavelength_nm,
            job.na,
            illumination(job, self.settings.source_step),
            profile.technology.medium_index,
        )
        resist = ResistModel.from_formulation(
            RESISTS[profile.technology.name],
            job.resist_thickness_nm,
            development=self.settings.development,
        )
        return Setup(profile, clip, cut, optics, resist)

    def run(
        self, job_id: str, parameters: JobParameters, progress: ProgressCallback | None = None
    ) -> SimulationResult:
        return self.simulate(job_id, parameters, progress).result

    def simulate(
        self, job_id: str, parameters: JobParameters, progress: ProgressCallback | None = None
    ) -> Simulation:
        """``run``, keeping the focus-exposure matrix and the nominal image for pictures."""
        started = time.perf_counter()
        report = progress or (lambda fraction, message: None)
        try:
            setup = self.setup(parameters)
            fem = self._matrix(parameters, setup, report)
            nominal = fem.images.get(float(parameters.focus_nm))
            if nominal is None:
                nominal = self._image(setup.clip, setup, parameters.focus_nm)
            outputs = self._measure(parameters, setup, fem, nominal)
            wall = time.perf_counter() - started
            signals = self._signals(parameters, setup, fem, outputs, nominal, wall)
        except SimulationError:
            raise
        except ValueError as exc:  # a parameter the physics cannot honour: say which
            raise SimulationError(f"physics simulation failed: {exc}") from exc
        kernels = self._kernels(parameters, setup)
        compute = ComputeStats(
            simulator=f"{self.name} {VERSION}",
            backend=self._backend.name,
            device=self._backend.device,
            method=self.settings.method,
            wall_time_s=time.perf_counter() - started,
            grid_shape=setup.clip.shape,
            kernels=kernels.count if kernels else None,
            energy_captured=min(kernels.energy_captured, 1.0) if kernels else None,
        )
        report(1.0, "done")
        result = SimulationResult(job_id=job_id, signals=signals, compute=compute, **outputs)
        return Simulation(result, setup, fem, nominal)

    # --- steps --------------------------------------------------------------------------------

    def _image(self, clip: Clip, setup: Setup, focus_nm: float) -> np.ndarray:
        return image(
            clip,
            setup.optics,
            defocus_nm=focus_nm,
            method=self.settings.method,
            backend=self._backend,
        )

    def _kernels(self, job: JobParameters, setup: Setup) -> SocsKernels | None:
        """The nominal focus's SOCS kernels (from the cache the matrix filled)."""
        if self.settings.method != "hopkins":
            return None
        optics = setup.optics
        return hopkins_kernels(
            setup.clip.shape, pixel_nm=setup.clip.pixel_nm, wavelength_nm=optics.wavelength_nm, na=optics.na,
            source=optics.source, defocus_nm=job.focus_nm, medium_index=optics.medium_index,
        )  # fmt: skip

    def _matrix(
        self, job: JobParameters, setup: Setup, report: ProgressCallback
    ) -> FocusExposureMatrix:
        span = self.settings.focus_span * setup.profile.required_dof_nm
        focus = job.focus_nm + np.linspace(-span, span, self.settings.focus_points)
        dose = job.dose_mj_cm2 * np.linspace(
            1 - self.settings.dose_span, 1 + self.settings.dose_span, self.settings.dose_points
        )
        return focus_exposure_matrix(
            setup.clip, setup.optics, setup.resist, setup.cut, focus_nm=focus, dose_mj_cm2=dose,
            method=self.settings.method, backend=self._backend,
            progress=lambda fraction, message: report(0.8 * fraction, message),
        )  # fmt: skip

    def _measure(
        self, job: JobParameters, setup: Setup, fem: FocusExposureMatrix, nominal: np.ndarray
    ) -> dict[str, Any]:
        profile, clip, cut = setup.profile, setup.clip, setup.cut
        cd = cd_at(clip, nominal, setup.resist, job.dose_mj_cm2, cut)
        window = pw.dose_window(
            fem.cd_nm,
            fem.focus_nm,
            fem.dose_mj_cm2,
            target_cd_nm=job.target_cd_nm,
            tolerance=profile.cd_tolerance_fraction,
        )
        fit = pw.rectangular_window(window, required_el=profile.required_exposure_latitude)
        middle = len(fem.focus_nm) // 2
        best = pw.best_focus(
            fem.cd_nm, fem.focus_nm, fem.dose_mj_cm2, target_cd_nm=job.target_cd_nm
        )
        size_dose = pw.dose_to_size(
            fem.cd_nm[middle], fem.dose_mj_cm2, target_cd_nm=job.target_cd_nm
        )
        row = cut.profile(nominal)
        x = np.arange(row.size) * clip.pixel_nm
        printing_intensity = setup.resist.open_frame_dose_to_clear / job.dose_mj_cm2
        nils = pw.nils(x, row, threshold=printing_intensity, cd_nm=job.target_cd_nm)
        contrast = (
            float((row.max() - row.min()) / (row.max() + row.min())) if row.max() > 0 else 0.0
        )
        return {
            "cd_nm": None if np.isnan(cd) else cd,
            "best_focus_nm": None if np.isnan(best) else best,
            "dose_to_size_mj_cm2": None if not np.isfinite(size_dose) else size_dose,
            "exposure_latitude_pct": 100.0 * float(window.exposure_latitude[middle]),
            "depth_of_focus_nm": fit.dof_nm,
            "nils": None if np.isnan(nils) else nils,
            "image_contrast": min(max(contrast, 0.0), 1.0),
            "meef": self._meef(job, setup),
            "edge_placement_error_nm": job.target_cd_nm / 2
            if np.isnan(cd)
            else abs(cd - job.target_cd_nm) / 2,
        }

    def _meef(self, job: JobParameters, setup: Setup) -> float | None:
        bias = self.settings.mask_bias_nm
        cds = []
        for mask_cd in (job.target_cd_nm - bias, job.target_cd_nm + bias):
            if not 0 < mask_cd < job.pitch_nm:
                return None
            clip, cut = clip_for(job, mask_cd)
            intensity = self._image(clip, setup, job.focus_nm)
            cds.append(cd_at(clip, intensity, setup.resist, job.dose_mj_cm2, cut))
        if not np.all(np.isfinite(cds)):
            return None
        return float((cds[1] - cds[0]) / (2 * bias))

    def _image_error(self, job: JobParameters, setup: Setup, coarse: np.ndarray) -> float:
        """Relative L2 error of the nominal image against the same clip on a grid twice as fine."""
        fine = self._image(setup.clip.refined(2), setup, job.focus_nm)
        # the coarse pixel i spans the fine pixels 2i and 2i+1: compare pixel averages
        ny, nx = coarse.shape
        averaged = fine.reshape(ny, 2, nx, 2).mean(axis=(1, 3))
        return float(np.linalg.norm(coarse - averaged) / max(np.linalg.norm(averaged), 1e-300))

    def _signals(
        self,
        job: JobParameters,
        setup: Setup,
        fem: FocusExposureMatrix,
        outputs: dict[str, Any],
        nominal: np.ndarray,
        wall: float,
    ) -> TradeoffSignals:
        profile = setup.profile
        sigma_outer = job.sigma
        resolution = float(
            tradeoffs.resolution_vs_dof(
                job.pitch_nm,
                job.wavelength_nm,
                job.na,
                sigma_outer,
                dof_nm=outputs["depth_of_focus_nm"],
                required_dof_nm=profile.required_dof_nm,
            )
        )
        risk = float(
            tradeoffs.yield_risk(
                fem.cd_nm, fem.focus_nm, fem.dose_mj_cm2, target_cd_nm=job.target_cd_nm, focus_mean_nm=job.focus_nm,
                focus_sigma_nm=profile.focus_sigma_nm, dose_mean=job.dose_mj_cm2,
                dose_sigma_fraction=profile.dose_sigma_fraction, tolerance=profile.cd_tolerance_fraction,
            )
        )  # fmt: skip
        error = self._image_error(job, setup, nominal)
        speed = float(
            tradeoffs.speed_vs_accuracy(error, wall, time_budget_s=self.settings.time_budget_s)
        )
        cost = float(compute_cost(wall, cores=os.cpu_count() or 1, prices=Prices()))
        fidelity = float(
            tradeoffs.cost_vs_fidelity(
                outputs["edge_placement_error_nm"], cost,
                epe_limit=tradeoffs.epe_limit_nm(job.target_cd_nm, profile.cd_tolerance_fraction),
                cost_budget=self.settings.cost_budget,
            )
        )  # fmt: skip
        reliability = 1.0  # a physics result is the ground truth the surrogates are judged by
        health = float(
            tradeoffs.overall_health(
                resolution, risk, speed, fidelity, reliability, weights=profile.health_weights
            )
        )
        return TradeoffSignals(
            resolution_vs_dof=resolution, yield_risk=risk, speed_vs_accuracy=speed, cost_vs_fidelity=fidelity,
            surrogate_reliability=reliability, overall_health=health,
        )  # fmt: skip
