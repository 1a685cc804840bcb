"""Resist: from the aerial image to what stays on the wafer, and the CD measured on it.

What is modelled (docs/physics.md, "Resist"):

- **Exposure.** The intensity at depth z in the film is I(x, y)·A(z): A is Beer-Lambert
  e^(−αz) (α the resist's absorption), or, with a reflecting substrate, the thin-film standing
  wave (:func:`lto.matrix.development.film_intensity`). The aerial image itself is taken at the
  job's focus throughout the film (defocus through the film's thickness is not modelled).
- **Post-exposure bake.** The acid diffuses: a Gaussian of the diffusion length L (σ = L) along
  x and y (Fourier, the clip is periodic) and along z (reflecting at the film's top and bottom).
  The Gaussian is separable, so the latent image is exactly blur_xy(I)(x, y)·blur_z(A)(z).
- **Development**, two options:

  - ``threshold`` (depth-blind, the classic model): the resist clears where the laterally
    blurred dose at the film's bottom, dose·I·e^(−αt), reaches E0 (``dose_to_clear_mj_cm2``, the
    material's absorbed clearing dose). An open frame of thickness t clears at E0·e^(αt). It has
    vertical sidewalls and loses no thickness by construction.
  - ``mack``: the inhibitor left is m = exp(−C·dose·latent(x, z)); the Mack rate
    r(m) = r_max (a+1)(1−m)^n / (a + (1−m)^n) + r_min sets the local dissolution speed, and the
    developer front leaves the top surface at t = 0 and moves through the (x, z) film by fast
    marching (|∇T| = 1/r), sideways as well as down. What is left after ``develop_time_s`` is the
    resist profile: CD at top, middle and bottom, sidewall angle, top loss.
    A cut line (1-D latent row) marches in (x, z), exact for lines; a 2-D latent image marches
    in (x, y, z), as contacts and line ends need.

  The develop time is a process fact (default 60 s, a single TMAH puddle); E0 is what an open
  frame needs *in that time*. So C is calibrated once per film so that a non-reflecting open frame
  clears exactly at E0·e^(αt) in ``develop_time_s``: both models share the open-frame dose to
  clear and differ in how the film responds around an edge. A reflecting substrate then moves
  the open-frame dose to clear with thickness (the swing curve), which the model reports.

Both give a *margin*, positive where the resist has cleared to the substrate; the printed edge
is where it is zero. Validation follows the domain's rule: a bad number raises ``ValueError``
naming the parameter and the rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
from scipy import fft as sfft

from lto.atlas.errors import InvalidValue
from lto.atlas.materials import ResistFormulation
from lto.matrix import development as dev

Development = Literal["threshold", "mack"]
Feature = Literal["resist", "space"]

TOP_HEIGHT = 0.9  # CD "top" at 90% of the remaining line height, "middle" at 50%
MIDDLE_HEIGHT = 0.5
SIDEWALL_HEIGHTS = (0.1, 0.9)  # the sidewall angle spans 10%–90%: clear of footing and rounding
MAX_MARCH_NODES = 2_000_000  # the largest (z, …lateral) grid one development may march


def _finite(field: str, value: float, *, minimum: float, inclusive: bool, unit: str = "") -> None:
    """Raise ``InvalidValue`` unless ``value`` is a finite number above ``minimum``."""
    number = float(value)
    above = number >= minimum if inclusive else number > minimum
    if not (math.isfinite(number) and above):
        relation = "≥" if inclusive else ">"
        rule = f"must be a finite number {relation} {minimum:g}{' ' + unit if unit else ''}"
        raise InvalidValue(f"resist.{field}", rule, value)


@dataclass(frozen=True)
class ResistModel:
    """A coated resist film and how it develops (see the module docstring for the physics)."""

    thickness_nm: float
    absorption_per_um: float
    diffusion_length_nm: float
    dose_to_clear_mj_cm2: float
    development: Development = "threshold"
    # Mack development (used when development == "mack")
    r_max_nm_s: float = 100.0
    r_min_nm_s: float = 0.05
    mack_n: float = 5.0
    threshold_inhibitor: float = 0.5
    develop_time_s: float = 60.0
    depth_step_nm: float | None = None  # the (x, z) grid's depth step; None: see depth_nm
    # The film stack, for standing waves (Mack only; 0 = an ideal bottom anti-reflection coating)
    substrate_reflectivity: float = 0.0
    reflection_phase_deg: float = 180.0
    refractive_index: float = 1.7
    cover_index: float = 1.0
    wavelength_nm: float | None = None

    def __post_init__(self) -> None:
        if self.development not in ("threshold", "mack"):
            raise InvalidValue(
                "resist.development", "must be 'threshold' or 'mack'", self.development
            )
        _finite("thickness_nm", self.thickness_nm, minimum=0, inclusive=False, unit="nm")
        _finite("absorption_per_um", self.absorption_per_um, minimum=0, inclusive=True, unit="1/µm")
        _finite(
            "diffusion_length_nm", self.diffusion_length_nm, minimum=0, inclusive=True, unit="nm"
        )
        _finite(
            "dose_to_clear_mj_cm2",
            self.dose_to_clear_mj_cm2,
            minimum=0,
            inclusive=False,
            unit="mJ/cm²",
        )
        _finite("r_max_nm_s", self.r_max_nm_s, minimum=0, inclusive=False, unit="nm/s")
        _finite("r_min_nm_s", self.r_min_nm_s, minimum=0, inclusive=True, unit="nm/s")
        _finite("mack_n", self.mack_n, minimum=1, inclusive=False)
        _finite("develop_time_s", self.develop_time_s, minimum=0, inclusive=False, unit="s")
        if self.depth_step_nm is not None:
            _finite("depth_step_nm", self.depth_step_nm, minimum=0, inclusive=False, unit="nm")
        _finite("refractive_index", self.refractive_index, minimum=0, inclusive=False)
        _finite("cover_index", self.cover_index, minimum=0, inclusive=False)
        if not math.isfinite(self.reflection_phase_deg):
            raise InvalidValue(
                "resist.reflection_phase_deg", "must be a finite angle", self.reflection_phase_deg
            )
        if not 0 < self.threshold_inhibitor < 1:
            raise InvalidValue(
                "resist.threshold_inhibitor", "must lie in (0, 1)", self.threshold_inhibitor
            )
        if not 0 <= self.substrate_reflectivity < 1:
            raise InvalidValue(
                "resist.substrate_reflectivity", "must lie in [0, 1) (an intensity reflectance)",
                self.substrate_reflectivity,
            )  # fmt: skip
        if self.substrate_reflectivity > 0:
            if self.wavelength_nm is None:
                raise InvalidValue(
                    "resist.wavelength_nm",
                    "is needed for standing waves (substrate_reflectivity > 0)",
                )
            _finite("wavelength_nm", self.wavelength_nm, minimum=0, inclusive=False, unit="nm")
        if self.development == "mack":
            self._check_develop_time()

    def _check_develop_time(self) -> None:
        """The develop time must lie between a fully exposed and an unexposed film's clear times."""
        fastest = self.thickness_nm / (self.r_max_nm_s + self.r_min_nm_s)
        if self.develop_time_s <= fastest:
            raise InvalidValue(
                "resist.develop_time_s",
                f"must exceed the {fastest:.3g} s a fully exposed film takes to dissolve "
                "(thickness / (r_max + r_min))",
                self.develop_time_s,
            )
        if self.r_min_nm_s * self.develop_time_s >= self.thickness_nm:
            raise InvalidValue(
                "resist.develop_time_s",
                "dissolves the unexposed film too (r_min × develop time ≥ thickness): nothing "
                "would stay on the wafer",
                self.develop_time_s,
            )

    @classmethod
    def from_formulation(
        cls, resist: ResistFormulation, thickness_nm: float, **options: Any
    ) -> ResistModel:
        return cls(
            thickness_nm=thickness_nm,
            absorption_per_um=resist.absorption_per_um,
            diffusion_length_nm=resist.diffusion_length_nm,
            dose_to_clear_mj_cm2=resist.dose_to_clear_mj_cm2,
            **options,
        )

    # --- the open frame ----------------------------------------------------------------------

    @property
    def bottom_absorption(self) -> float:
        """e^(−αt): the share of the surface dose that reaches the film's bottom (no reflection)."""
        return float(np.exp(-self.absorption_per_um * self.thickness_nm / 1000.0))

    @cached_property
    def open_frame_dose_to_clear(self) -> float:
        """The surface dose that just clears an unpatterned film in the develop time.

        E0·e^(αt) for the threshold model and, by calibration, for Mack on a non-reflecting
        stack; with a reflecting substrate Mack finds it on the standing-wave film.
        """
        reference = self.dose_to_clear_mj_cm2 / self.bottom_absorption
        if self.development == "threshold" or self.substrate_reflectivity == 0:
            return reference
        from scipy.optimize import brentq  # only the reflecting Mack film needs a root

        log_target = math.log(self.develop_time_s)

        def log_time(log_dose: float) -> float:
            return float(np.log(self._open_frame_clear_time(math.exp(log_dose), self.dill_c)))

        low, high = _bracket(log_time, math.log(reference), log_target=log_target)
        return math.exp(brentq(lambda v: log_time(v) - log_target, low, high, xtol=1e-13))

    @property
    def develop_time(self) -> float:
        return self.develop_time_s

    # --- the latent image --------------------------------------------------------------------

    def latent_image(self, intensity: np.ndarray, pixel_nm: float) -> np.ndarray:
        """The lateral acid image per unit dose: the aerial image (1-D row or 2-D) blurred in x, y.

        The depth dependence multiplies it (:attr:`depth_exposure`): diffusion is separable.
        """
        _finite("pixel_nm", pixel_nm, minimum=0, inclusive=False, unit="nm")
        values = np.asarray(intensity, dtype=np.float64)
        if self.diffusion_length_nm == 0:
            return values
        axes = tuple(range(-min(values.ndim, 2), 0))
        shape = [values.shape[a] for a in axes]
        frequencies = np.meshgrid(
            *[sfft.fftfreq(n, d=pixel_nm) for n in shape[:-1]],
            sfft.rfftfreq(shape[-1], d=pixel_nm),
            indexing="ij",
        )  # fmt: skip
        squared = sum(f**2 for f in frequencies)
        blur = np.exp(-2.0 * np.pi**2 * self.diffusion_length_nm**2 * squared)
        return np.asarray(sfft.irfftn(sfft.rfftn(values, axes=axes) * blur, s=shape, axes=axes))

    @cached_property
    def depth_nm(self) -> np.ndarray:
        """Depths of the (x, z) grid's rows: the top surface (0) to the substrate (t).

        By default the step is 3 nm (a CD moves < 0.01 nm and the sidewall angle ≤ 0.1° against
        1 nm on the tests' lines: without reflection the latent image is smooth in z), at most a
        tenth of the film, and a twelfth of the standing wave's period λ/2n when there is one.
        """
        step = self.depth_step_nm
        if step is None:
            step = min(3.0, self.thickness_nm / 10)
            if self.substrate_reflectivity > 0 and self.wavelength_nm is not None:
                step = min(step, self.wavelength_nm / (2 * self.refractive_index) / 12)
        rows = max(math.ceil(self.thickness_nm / step), 8)
        return np.linspace(0.0, self.thickness_nm, rows + 1)

    def _depth_exposure(self, reflectivity: float) -> np.ndarray:
        intensity = dev.film_intensity(
            self.depth_nm, thickness_nm=self.thickness_nm, absorption_per_um=self.absorption_per_um,
            wavelength_nm=self.wavelength_nm, refractive_index=self.refractive_index,
            cover_index=self.cover_index, substrate_reflectivity=reflectivity,
            reflection_phase_deg=self.reflection_phase_deg,
        )  # fmt: skip
        step = float(self.depth_nm[1])
        return dev.diffuse_depth(intensity, step, self.diffusion_length_nm)

    @cached_property
    def depth_exposure(self) -> np.ndarray:
        """A(z) after the bake's diffusion in z: the latent image's depth factor, per row."""
        return self._depth_exposure(self.substrate_reflectivity)

    # --- Mack development --------------------------------------------------------------------

    @cached_property
    def dill_c(self) -> float:
        """C (cm²/mJ): a non-reflecting open frame at E0·e^(αt) clears in the develop time."""
        from scipy.optimize import brentq  # imported on first use: keeps `import` cheap

        reference = self._depth_exposure(0.0)
        dose = self.dose_to_clear_mj_cm2 / self.bottom_absorption
        log_target = math.log(self.develop_time_s)

        def log_time(log_c: float) -> float:
            return float(np.log(self._column_clear_time(math.exp(log_c) * dose * reference)))

        start = math.log(-math.log(self.threshold_inhibitor) / self.dose_to_clear_mj_cm2)
        low, high = _bracket(log_time, start, log_target=log_target)
        return math.exp(brentq(lambda v: log_time(v) - log_target, low, high, xtol=1e-13))

    def _rate(self, exposure: np.ndarray) -> np.ndarray:
        """Mack's rate (nm/s) where the film received ``exposure`` = C·dose·latent."""
        return dev.mack_rate(
            np.exp(-exposure), r_max=self.r_max_nm_s, r_min=self.r_min_nm_s, n=self.mack_n,
            threshold_inhibitor=self.threshold_inhibitor,
        )  # fmt: skip

    def _column_clear_time(self, exposure: np.ndarray) -> float:
        step = float(self.depth_nm[1])
        return float(dev.arrival_times(self._rate(exposure), depth_step_nm=step, pixel_nm=1.0)[-1])

    def _open_frame_clear_time(self, dose: float, dill_c: float) -> float:
        return self._column_clear_time(dill_c * dose * self.depth_exposure)

    def arrival_times(
        self, latent: np.ndarray, dose_mj_cm2: float, *, pixel_nm: float
    ) -> np.ndarray:
        """Seconds until the developer reaches each (z, …lateral) node (z: :attr:`depth_nm`)."""
        _check_dose(dose_mj_cm2)
        _finite("pixel_nm", pixel_nm, minimum=0, inclusive=False, unit="nm")
        lateral = np.asarray(latent, dtype=np.float64)
        if not np.all(np.isfinite(lateral)):
            raise InvalidValue("latent", "must be finite (NaN or inf in the image)")
        nodes = lateral.size * self.depth_nm.size
        if nodes > MAX_MARCH_NODES:  # ~5 µs a node in 3-D: refuse before the wait, say why
            raise InvalidValue(
                "latent",
                f"Mack development of a {'×'.join(map(str, lateral.shape))} image marches "
                f"{nodes:,} nodes (at most {MAX_MARCH_NODES:,}, ~10 s): develop a cut line "
                "(one row) or use coarser pixels",
            )
        depth = self.depth_exposure.reshape((-1,) + (1,) * lateral.ndim)
        exposure = self.dill_c * dose_mj_cm2 * depth * lateral[None, ...]
        return dev.arrival_times(
            self._rate(exposure), depth_step_nm=float(self.depth_nm[1]), pixel_nm=pixel_nm
        )

    # --- what the focus-exposure matrix uses -------------------------------------------------

    def clearing_margin(
        self, latent: np.ndarray, dose_mj_cm2: float, *, pixel_nm: float | None = None
    ) -> np.ndarray:
        """Positive where the resist has cleared to the substrate, zero at the printed edge.

        Threshold: dose·e^(−αt)·latent/E0 − 1. Mack: ln(develop time / arrival time at the
        substrate), the developer front marched through the (x, z) film; it needs the lateral
        grid step ``pixel_nm`` because the front moves sideways too.
        """
        _check_dose(dose_mj_cm2)
        latent = np.asarray(latent, dtype=np.float64)
        if not np.all(np.isfinite(latent)):
            raise InvalidValue("latent", "must be finite (NaN or inf in the image)")
        if self.development == "threshold":
            return dose_mj_cm2 * self.bottom_absorption * latent / self.dose_to_clear_mj_cm2 - 1.0
        if pixel_nm is None:
            raise InvalidValue(
                "pixel_nm", "Mack development moves sideways: give the lateral grid step (nm)"
            )
        bottom = self.arrival_times(latent, dose_mj_cm2, pixel_nm=pixel_nm)[-1]
        return np.asarray(np.log(self.develop_time_s / bottom))

    def profile(
        self,
        latent_row: np.ndarray,
        dose_mj_cm2: float,
        *,
        pixel_nm: float,
        center_nm: float,
        feature: Feature = "resist",
    ) -> ResistProfile:
        """The resist left on a cut line: its (x, z) map, CDs at three heights, SWA, top loss.

        ``latent_row`` is the cut line's row of :meth:`latent_image` (as the focus-exposure
        matrix uses it); ``center_nm`` and ``feature`` say which feature's CD to measure.
        """
        row = np.asarray(latent_row, dtype=np.float64)
        if row.ndim != 1:
            raise InvalidValue("latent_row", "must be one row (a cut line)", row.shape)
        margin, film, arrival = self._develop_row(row, dose_mj_cm2, pixel_nm)
        top_loss = float(self.thickness_nm - film.max())
        line_height = self.thickness_nm - top_loss

        def cd(height_nm: float) -> float:
            depth = self.thickness_nm - height_nm
            return measure_cd(
                _row_at(margin, self.depth_nm, depth), pixel_nm, center_nm, feature=feature
            )

        heights = (TOP_HEIGHT * line_height, MIDDLE_HEIGHT * line_height, 0.0)
        low, high = (fraction * line_height for fraction in SIDEWALL_HEIGHTS)
        return ResistProfile(
            x_nm=np.arange(row.size) * pixel_nm, depth_nm=self.depth_nm, margin=margin,
            arrival_s=arrival, height_nm=film, thickness_nm=self.thickness_nm,
            dose_mj_cm2=float(dose_mj_cm2),
            develop_time_s=self.develop_time_s if arrival is not None else None,
            center_nm=center_nm, feature=feature, development=self.development,
            cd_heights_nm=heights, cd_top_nm=cd(heights[0]), cd_middle_nm=cd(heights[1]),
            cd_bottom_nm=cd(0.0),
            sidewall_angle_deg=_sidewall_angle(cd(low), cd(high), high - low, feature),
            top_loss_nm=top_loss,
        )  # fmt: skip

    def _develop_row(
        self, row: np.ndarray, dose_mj_cm2: float, pixel_nm: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The margin on every (z, x) node, the film left in each column, and arrival times."""
        if self.development == "threshold":  # depth-blind: vertical sidewalls, no loss on top
            bottom = self.clearing_margin(row, dose_mj_cm2)
            film = np.where(bottom < 0, self.thickness_nm, 0.0)
            return np.broadcast_to(bottom, (self.depth_nm.size, row.size)), film, None
        arrival = self.arrival_times(row, dose_mj_cm2, pixel_nm=pixel_nm)
        time = self.develop_time_s
        margin = np.log(time / np.maximum(arrival, 1e-12 * time))  # the top row is reached at 0
        film = self.thickness_nm - _front_depth(arrival, time, self.depth_nm)
        return margin, film, arrival


@dataclass(frozen=True, eq=False)
class ResistProfile:
    """The resist left on a cut line after development, and what a cross-section SEM measures.

    ``height_nm`` is the film left in each column (the first arrival past the develop time from
    the top); CDs are at ``cd_heights_nm`` above the substrate: 90% and 50% of the line's
    remaining height, and the substrate (the CD the focus-exposure matrix reports). The sidewall
    angle is the resist's wall against the substrate between 10% and 90% height (90° vertical,
    below 90° a line wider at its foot, above 90° undercut); NaN where the feature does not print.
    """

    x_nm: np.ndarray  # (Nx,)
    depth_nm: np.ndarray  # (Nz,), 0 the film's top
    margin: np.ndarray  # (Nz, Nx), positive where the developer has been by the develop time
    arrival_s: np.ndarray | None  # (Nz, Nx), Mack only
    height_nm: np.ndarray  # (Nx,) film left in each column
    thickness_nm: float
    dose_mj_cm2: float
    develop_time_s: float | None
    center_nm: float
    feature: Feature
    development: Development
    cd_heights_nm: tuple[float, float, float]
    cd_top_nm: float
    cd_middle_nm: float
    cd_bottom_nm: float
    sidewall_angle_deg: float
    top_loss_nm: float

    def edges_at(self, height_nm: float) -> tuple[float, float]:
        """The feature's left and right edges (nm) at ``height_nm`` above the substrate."""
        row = _row_at(self.margin, self.depth_nm, self.thickness_nm - height_nm)
        pixel = float(self.x_nm[1] - self.x_nm[0])
        return feature_edges(row, pixel, self.center_nm, feature=self.feature)

    def summary(self) -> dict[str, Any]:
        """The scalars, NaN as None: the fields of ``lto.atlas.contracts.ResistProfileSummary``."""
        values = {
            "cd_top_nm": self.cd_top_nm, "cd_middle_nm": self.cd_middle_nm,
            "cd_bottom_nm": self.cd_bottom_nm, "sidewall_angle_deg": self.sidewall_angle_deg,
            "top_loss_nm": self.top_loss_nm,
        }  # fmt: skip
        scalars = {name: float(v) if math.isfinite(v) else None for name, v in values.items()}
        return {"development": self.development, **scalars, "develop_time_s": self.develop_time_s}


def _check_dose(dose_mj_cm2: float) -> None:
    number = float(dose_mj_cm2)
    if not (math.isfinite(number) and number >= 0):
        raise InvalidValue("dose_mj_cm2", "must be a finite number ≥ 0 mJ/cm²", dose_mj_cm2)


def _bracket(log_time: Any, start: float, *, log_target: float) -> tuple[float, float]:
    """An interval of a log-exposure around ``start`` where ``log_time`` crosses the target.

    ``log_time`` falls as its argument grows (more exposure dissolves faster); the caller has
    checked that the target lies between the fully exposed and the unexposed film's times.
    """
    here = log_time(start) - log_target
    step = 1.0 if here > 0 else -1.0  # too slow: expose more
    for _ in range(100):
        there = log_time(start + step) - log_target
        if here * there <= 0:
            return min(start, start + step), max(start, start + step)
        start, here = start + step, there
    raise InvalidValue("resist", "no exposure clears an open frame in the develop time")


def _front_depth(arrival: np.ndarray, develop_time_s: float, depth_nm: np.ndarray) -> np.ndarray:
    """Depth of the developer front in each column at the develop time (T linear between rows)."""
    reached = arrival <= develop_time_s
    first_left = np.argmin(reached, axis=0)  # the first row the front has not reached
    cleared = np.all(reached, axis=0)
    below = np.clip(first_left, 1, arrival.shape[0] - 1)
    columns = np.arange(arrival.shape[1])
    t_above, t_below = arrival[below - 1, columns], arrival[below, columns]
    fraction = (develop_time_s - t_above) / (t_below - t_above)
    step = depth_nm[1] - depth_nm[0]
    depth = depth_nm[below - 1] + np.clip(fraction, 0.0, 1.0) * step
    return np.asarray(np.where(cleared, depth_nm[-1], depth))


def _row_at(margin: np.ndarray, depth_nm: np.ndarray, depth: float) -> np.ndarray:
    """The margin along x at ``depth``, linear between the grid's rows."""
    position = float(np.clip(depth / (depth_nm[1] - depth_nm[0]), 0.0, depth_nm.size - 1))
    above = min(int(position), depth_nm.size - 2)
    weight = position - above
    return np.asarray((1 - weight) * margin[above] + weight * margin[above + 1])


def _sidewall_angle(cd_low: float, cd_high: float, rise_nm: float, feature: Feature) -> float:
    """The wall's angle to the substrate from the feature's widths at two heights."""
    run = (cd_low - cd_high) / 2 if feature == "resist" else (cd_high - cd_low) / 2
    if not (math.isfinite(run) and rise_nm > 0):
        return float("nan")
    return math.degrees(math.atan2(rise_nm, run))


def edge_positions(margin_row: np.ndarray, pixel_nm: float) -> np.ndarray:
    """Sub-pixel x positions (nm) where a periodic row's margin changes sign."""
    following = np.roll(margin_row, -1)
    crossing = np.flatnonzero(np.signbit(margin_row) != np.signbit(following))
    fraction = margin_row[crossing] / (margin_row[crossing] - following[crossing])
    return np.asarray((crossing + fraction) * pixel_nm)


def feature_edges(
    margin_row: np.ndarray,
    pixel_nm: float,
    center_nm: float,
    *,
    feature: Feature = "resist",
) -> tuple[float, float]:
    """The left and right edges (nm, the left one may be negative: the row is periodic) of the
    feature around ``center_nm``; NaN when it is absent at the centre or fills the period."""
    period = margin_row.size * pixel_nm
    index = int(np.floor(center_nm / pixel_nm)) % margin_row.size
    present = margin_row[index] < 0 if feature == "resist" else margin_row[index] > 0
    edges = edge_positions(margin_row, pixel_nm)
    if not present or edges.size < 2:
        return float("nan"), float("nan")
    right = float(np.min((edges - center_nm) % period))  # distance to the right, wrapping
    left = float(np.min((center_nm - edges) % period))
    return center_nm - left, center_nm + right


def measure_cd(
    margin_row: np.ndarray,
    pixel_nm: float,
    center_nm: float,
    *,
    feature: Feature = "resist",
) -> float:
    """Width of the feature around ``center_nm`` on a periodic cut line, with sub-pixel edges.

    ``resist``: the line of resist left (margin < 0) around the centre; ``space``: the cleared
    opening (margin > 0). NaN when the feature is absent at the centre or fills the whole period.
    """
    left, right = feature_edges(margin_row, pixel_nm, center_nm, feature=feature)
    return right - left
