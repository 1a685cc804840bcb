"""``PhysicsSimulator``: the built-in imaging + resist engine behind ``SimulatorPort``.

A job becomes a clip (its pattern at its pitch and target CD, pixels of ``grid_size_nm``), a
source (its illumination), the optics of its technology (immersion index included) and the
technology's reference resist at the job's thickness. The simulator finds dose to size, best
focus and the process window wherever they lie (``lto.matrix.window_search``: the matrix is
centred on the window and widened until it closes, never placed around the job's focus and dose),
measures the job's own CD at its focus and dose, and scores the result.

A job whose feature cannot be printed in spec is not an error: the result says so in
``window_status`` ("no_window": it prints, never within target ± tolerance; "nothing_prints":
no focus or dose searched prints it) with ``window_reason`` in words, and EL = DoF = 0.
``SimulationError`` is raised only where the physics cannot run (no technology at the
wavelength, a parameter it cannot honour).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol, cast

import numpy as np

from lto.athena import process_window as pw
from lto.athena import tradeoffs
from lto.athena.economics import Prices, compute_cost
from lto.atlas.contracts import (
    ComputeStats,
    JobParameters,
    Pattern,
    ResistProfileSummary,
    SimulationResult,
    TradeoffSignals,
)
from lto.atlas.materials import ARF_CAR, EUV_CAR, I_LINE_DNQ, KRF_CAR, ResistFormulation
from lto.atlas.policies import ConstraintProfile, constraint_profile, infer_profile_name
from lto.atlas.technology import ExposureTechnology, IlluminationShape
from lto.matrix import sources
from lto.matrix.backend import get_backend
from lto.matrix.fem import CutLine, FocusExposureMatrix, Gauge, Optics, cd_at, image
from lto.matrix.imaging import Method, SocsKernels, hopkins_kernels
from lto.matrix.masks import Clip, contact_array, line_end, line_space
from lto.matrix.polarization import Polarization
from lto.matrix.ports import ProgressCallback, SimulationError, SimulatorPort
from lto.matrix.resist import ResistModel, ResistProfile
from lto.matrix.window_search import ProcessWindow, WindowSearch, WindowSpec

VERSION = "1"
RESISTS: dict[str, ResistFormulation] = {
    "EUV": EUV_CAR, "ArF-dry": ARF_CAR, "ArF-immersion": ARF_CAR, "KrF": KRF_CAR,
    "i-line": I_LINE_DNQ,
}  # fmt: skip


class ClipSource(Protocol):
    """Draws the mask a job images and says where its CD is measured; ``cd_nm`` (None: the
    job's target) is the mask CD, biased for the MEEF measurement."""

    def __call__(
        self, job: JobParameters, cd_nm: float | None = None, *, kind: str, transmission: float
    ) -> tuple[Clip, CutLine]: ...


@dataclass(frozen=True)
class PhysicsSettings:
    # The process window is searched for, not assumed around the job (lto.matrix.window_search):
    # focus rows start on a lattice of step 2·focus_span·DoF / (focus_points − 1) (DoF: the
    # profile's required DoF) anchored at focus 0 and widen up to ± max_focus_span · DoF until
    # the window closes; doses are solved on each row inside dose_bracket × the open-frame dose
    # to clear; dose_points doses make the matrix's CD table. dose_range / focus_range (mJ/cm²,
    # nm; `lto simulate --dose-range/--focus-range`) replace the search's: focus_points rows
    # evenly over focus_range, roots only inside dose_range (what lies outside is a bound).
    focus_points: int = 11
    dose_points: int = 11
    dose_span: float = 0.15  # the CD table's dose margin where no window was found
    focus_span: float = 1.5
    max_focus_span: float = 6.0
    dose_bracket: tuple[float, float] = (0.25, 200.0)
    dose_range: tuple[float, float] | None = None
    focus_range: tuple[float, float] | None = None
    method: Method = "hopkins"
    development: Literal["threshold", "mack"] = "threshold"
    source_step: float = 0.1  # the grid the source is drawn on; its integration is exact anyway
    mask_bias_nm: float = 1.0  # for MEEF: mask CD ± this (wafer scale)
    time_budget_s: float = 60.0
    cost_budget: float = 0.01
    backend: str = "numpy"
    # What a job's parameters do not say, set per run (the CLI's --zernike, --mask, --source-map,
    # --resist-* flags): Fringe Zernike (index, waves) pairs; the mask's absorber ("binary" or
    # "attenuated", of intensity transmission mask_transmission); a source used instead of the
    # job's illumination; ResistModel fields to replace the technology's reference resist's.
    aberrations: tuple[tuple[int, float], ...] = ()
    mask_kind: str = "binary"
    mask_transmission: float = 0.06
    source: sources.Source | None = None
    resist_overrides: tuple[tuple[str, Any], ...] = ()
    # where the mask comes from: None draws the job's pattern (clip_for); a layout clip
    # (lto.cli.layout.LayoutClips, `lto simulate --layout`) is any callable of clip_for's shape
    clips: ClipSource | None = None


@dataclass(frozen=True, eq=False)
class Simulation:
    """A result with what it was computed from, for pictures and inspection."""

    result: SimulationResult
    setup: Setup
    fem: FocusExposureMatrix
    nominal_image: np.ndarray
    window: ProcessWindow | None = None  # the search's rows, exact window edges and bounds
    profile: ResistProfile | None = None  # the resist cross-section at the job's dose and focus


@dataclass(frozen=True)
class Setup:
    profile: ConstraintProfile
    clip: Clip
    cut: CutLine
    optics: Optics
    resist: ResistModel


def imaging_polarization(job: JobParameters, technology: ExposureTechnology) -> Polarization | None:
    """The job's imaging model: None (scalar) or the polarisation of the vector model; a job
    that names none gets its technology's default."""
    chosen = str(job.polarization or technology.default_polarization)
    return None if chosen == "scalar" else cast(Polarization, chosen)


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


def clip_for(
    job: JobParameters,
    cd_nm: float | None = None,
    *,
    kind: str = "binary",
    transmission: float = 0.06,
) -> tuple[Clip, CutLine]:
    """The job's pattern as a clip, and where its CD is measured."""
    cd = cd_nm if cd_nm is not None else job.target_cd_nm
    pitch, pixel = job.pitch_nm, job.grid_size_nm
    if job.pattern == Pattern.LINE_SPACE:
        clip = line_space(pitch, cd, pixel_nm=pixel, rows=1, kind=kind, transmission=transmission)
        return clip, CutLine((0,), pitch / 2, "resist")
    if job.pattern == Pattern.CONTACT_ARRAY:
        clip = contact_array(
            pitch, pitch, cd, cd, pixel_nm=pixel, kind=kind, transmission=transmission
        )
        ny = clip.shape[0]
        rows = (ny // 2,) if ny % 2 else (ny // 2 - 1, ny // 2)
        return clip, CutLine(rows, pitch / 2, "space")
    # the tip-to-tip gap is the job's target CD; a biased mask CD (MEEF) widens the lines only,
    # so the y period (and the grid that fits it) stays the job's
    length, gap = 2 * pitch, job.target_cd_nm
    clip = line_end(
        pitch,
        cd,
        gap_nm=gap,
        length_nm=length,
        pixel_nm=pixel,
        kind=kind,
        transmission=transmission,
    )
    middle = int((gap / 2 + length / 2) / clip.pixel_nm)
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
        clip, cut = self._clips(job, None, **self._absorber())
        optics = Optics(
            job.wavelength_nm,
            job.na,
            self.settings.source or illumination(job, self.settings.source_step),
            profile.technology.medium_index,
            dict(self.settings.aberrations) or None,
            imaging_polarization(job, profile.technology),
        )
        resist = replace(
            ResistModel.from_formulation(
                RESISTS[profile.technology.name],
                job.resist_thickness_nm,
                development=self.settings.development,
                wavelength_nm=job.wavelength_nm,  # for standing waves, when reflectivity is set
                cover_index=profile.technology.medium_index,
            ),
            **dict(self.settings.resist_overrides),
        )
        return Setup(profile, clip, cut, optics, resist)

    @property
    def _clips(self) -> ClipSource:
        return self.settings.clips or clip_for

    def _absorber(self) -> dict[str, Any]:
        return {"kind": self.settings.mask_kind, "transmission": self.settings.mask_transmission}

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
            found = self._search(parameters, setup, report)
            nominal = found.matrix.images.get(float(parameters.focus_nm))
            if nominal is None:
                nominal = self._image(setup.clip, setup, parameters.focus_nm)
            outputs = self._measure(parameters, setup, found, nominal)
            profile = self._resist_profile(parameters, setup, nominal)
            wall = time.perf_counter() - started
            signals = self._signals(parameters, setup, found, outputs, nominal, wall)
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
        result = SimulationResult(
            job_id=job_id, signals=signals, compute=compute,
            resist_profile=ResistProfileSummary(**profile.summary()), **outputs,
        )  # fmt: skip
        return Simulation(result, setup, found.matrix, nominal, found, profile)

    def dose_to_size(self, parameters: JobParameters) -> float | None:
        """The dose (mJ/cm²) that prints the job's target CD at the job's own focus, from one
        image and a root-find over the dose range the window search uses; at focus 0 where it
        does not print at the job's focus; None where it prints at neither. Where the job's
        focus is the process's best focus it is the ``dose_to_size_mj_cm2`` of ``run``. The
        job's own dose plays no part."""
        try:
            setup = self.setup(parameters)
            search = self._window_search(parameters, setup, lambda fraction, message: None)
            for focus in (float(parameters.focus_nm), 0.0):
                size = search.row(focus).size_dose
                if np.isfinite(size):
                    return float(size)
        except SimulationError:
            raise
        except ValueError as exc:  # a parameter the physics cannot honour: say which
            raise SimulationError(f"physics simulation failed: {exc}") from exc
        return None

    def _resist_profile(
        self, job: JobParameters, setup: Setup, nominal: np.ndarray
    ) -> ResistProfile:
        """The film left on the cut line at the job's own dose and focus."""
        pixel = setup.clip.pixel_nm
        latent = setup.cut.profile(setup.resist.latent_image(nominal, pixel))
        return setup.resist.profile(
            latent, job.dose_mj_cm2, pixel_nm=pixel, center_nm=setup.cut.center_nm,
            feature=setup.cut.feature,
        )  # fmt: skip

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
            aberrations=optics.aberrations, polarization=optics.polarization,
        )  # fmt: skip

    def _search(self, job: JobParameters, setup: Setup, report: ProgressCallback) -> ProcessWindow:
        """Dose to size, best focus and the window, found wherever they lie (window_search)."""
        return self._window_search(job, setup, report).run()

    def _window_search(
        self, job: JobParameters, setup: Setup, report: ProgressCallback
    ) -> WindowSearch:
        """The search ``_search`` runs (``dose_to_size`` asks it for single rows)."""
        settings, profile = self.settings, setup.profile
        dof = profile.required_dof_nm
        clear = setup.resist.open_frame_dose_to_clear
        spec = WindowSpec(
            target_cd_nm=job.target_cd_nm,
            tolerance=profile.cd_tolerance_fraction,
            required_el=profile.required_exposure_latitude,
            focus_step_nm=2.0 * settings.focus_span * dof / max(settings.focus_points - 1, 1),
            max_focus_nm=settings.max_focus_span * dof,
            dose_bracket=(settings.dose_bracket[0] * clear, settings.dose_bracket[1] * clear),
            fallback_dose=job.dose_mj_cm2,
            coarse_after=max((settings.focus_points - 1) // 2, 1),
            focus_points=settings.focus_points,
            dose_points=settings.dose_points,
            focus_range=settings.focus_range,
            dose_range=settings.dose_range,
        )
        return WindowSearch(
            Gauge(setup.resist, setup.clip.pixel_nm, setup.cut),
            lambda focus: self._image(setup.clip, setup, focus),
            spec,
            progress=lambda fraction, message: report(0.8 * fraction, message),
        )

    def _measure(
        self, job: JobParameters, setup: Setup, found: ProcessWindow, nominal: np.ndarray
    ) -> dict[str, Any]:
        """The result's numbers. CD and EPE are the job's own (its focus and dose); the window
        is the process's, wherever it lies; NILS, contrast and MEEF are measured where the
        process prints the target (best focus, dose to size), so that a job typed at a dose
        that prints nothing still learns its image quality. Without a window they fall back to
        the job's focus and dose."""
        cd = cd_at(setup.clip, nominal, setup.resist, job.dose_mj_cm2, setup.cut)
        focus, dose = job.focus_nm, job.dose_mj_cm2
        if found.status == "ok" and np.isfinite(found.dose_to_size):
            focus, dose = found.best_focus_nm, found.dose_to_size
        return {
            "cd_nm": None if np.isnan(cd) else cd,
            "edge_placement_error_nm": job.target_cd_nm / 2
            if np.isnan(cd)
            else abs(cd - job.target_cd_nm) / 2,
            **self._window_outputs(found),
            **self._image_outputs(job, setup, found, focus, dose),
            "meef": self._meef(job, setup, focus, dose),
        }

    @staticmethod
    def _window_outputs(found: ProcessWindow) -> dict[str, Any]:
        ok = found.status == "ok"
        return {
            "best_focus_nm": found.best_focus_nm + 0.0 if ok else None,  # + 0.0: never "-0.0"
            "dose_to_size_mj_cm2": found.dose_to_size
            if ok and np.isfinite(found.dose_to_size)
            else None,
            "exposure_latitude_pct": 100.0 * found.exposure_latitude,
            "depth_of_focus_nm": found.fit.dof_nm,
            "depth_of_focus_is_bound": found.depth_of_focus_is_bound,
            "exposure_latitude_is_bound": found.exposure_latitude_is_bound,
            "dose_range_mj_cm2": found.dose_range_mj_cm2,
            "focus_range_nm": found.focus_range_nm,
            "window_status": found.status,
            "window_reason": found.reason,
        }

    def _image_outputs(
        self, job: JobParameters, setup: Setup, found: ProcessWindow, focus: float, dose: float
    ) -> dict[str, Any]:
        """NILS at the printing threshold and the contrast of the image at ``focus``."""
        intensity = self._image_near(setup, found, focus)
        row = setup.cut.profile(intensity)
        x = np.arange(row.size) * setup.clip.pixel_nm
        printing_intensity = setup.resist.open_frame_dose_to_clear / dose
        nils = pw.nils(x, row, threshold=printing_intensity, cd_nm=job.target_cd_nm)
        contrast = (
            float((row.max() - row.min()) / (row.max() + row.min())) if row.max() > 0 else 0.0
        )
        return {
            "nils": None if np.isnan(nils) else nils,
            "image_contrast": min(max(contrast, 0.0), 1.0),
        }

    def _image_near(self, setup: Setup, found: ProcessWindow, focus: float) -> np.ndarray:
        """The matrix's image at ``focus`` if a row lies there (to 1e-6 nm), else a new one."""
        images = found.matrix.images
        nearest = min(images, key=lambda f: abs(f - focus), default=None)
        if nearest is not None and abs(nearest - focus) <= 1e-6:
            return images[nearest]
        return self._image(setup.clip, setup, focus)

    def _meef(self, job: JobParameters, setup: Setup, focus: float, dose: float) -> float | None:
        """d(wafer CD)/d(mask CD) from mask CDs ± ``mask_bias_nm``, at ``focus`` and ``dose``."""
        bias = self.settings.mask_bias_nm
        cds = []
        for mask_cd in (job.target_cd_nm - bias, job.target_cd_nm + bias):
            if not 0 < mask_cd < job.pitch_nm:
                return None
            clip, cut = self._clips(job, mask_cd, **self._absorber())
            intensity = self._image(clip, setup, focus)
            cds.append(cd_at(clip, intensity, setup.resist, dose, cut))
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

    @staticmethod
    def _yield_risk(
        job: JobParameters, profile: ConstraintProfile, found: ProcessWindow, nominal: np.ndarray
    ) -> float:
        """P(CD out of spec) at the job's focus and dose under the profile's variation.

        Integrated on its own dose grid (± 6 sigma around the job's dose, developments only, no
        images) over every focus row plus the job's own image, so a job far from the matrix's
        doses is still integrated where it runs.
        """
        sigma = max(profile.dose_sigma_fraction, 1e-3)
        doses = job.dose_mj_cm2 * (1.0 + sigma * np.linspace(-6.0, 6.0, 13))
        focus, cd = found.cd_surface(doses, extra={float(job.focus_nm): nominal})
        return float(
            tradeoffs.yield_risk(
                cd, focus, doses, target_cd_nm=job.target_cd_nm, focus_mean_nm=job.focus_nm,
                focus_sigma_nm=profile.focus_sigma_nm, dose_mean=job.dose_mj_cm2,
                dose_sigma_fraction=profile.dose_sigma_fraction, tolerance=profile.cd_tolerance_fraction,
            )
        )  # fmt: skip

    def _signals(
        self,
        job: JobParameters,
        setup: Setup,
        found: ProcessWindow,
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
        risk = self._yield_risk(job, profile, found, nominal)
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
