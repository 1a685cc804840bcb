"""LTO's pictures of a simulation, drawn to its plot conventions (DESIGN.md section 7): pure
functions from a simulation to a matplotlib figure, shared by the CLI's PNGs (``lto simulate
--plot``, lto.cli.plots) and the API's job report (lto.capricorn.api.report).

Focus in nm, + into the resist (stated on the axis); dose in mJ/cm²; CD in nm with the target
±tolerance band shaded; one Bossung curve per dose (a sequential colormap with a colour bar, so
neighbouring doses differ and no legend covers the curves) with best focus marked; the
focus-exposure window between the CD-upper and CD-lower contours with its largest rectangle and
ellipse and the DoF at the required EL, drawn only where they exist; the aerial image normalised
to the clear field beside the latent image after the bake, with the printing threshold where the
resist actually prints and the edges the resist actually has; images at equal aspect with nm
axes, a periodic clip shown as 2×2 periods with one period outlined; the source in sigma
coordinates inside the unit circle. A plot with nothing to show says so.

matplotlib is imported inside the functions (``pyplot()`` selects the non-interactive Agg
backend). pyplot keeps global state: callers drawing from several threads hold ``DRAWING``.
"""

from __future__ import annotations

import io
import threading
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from lto.athena import process_window as pw
from lto.matrix.resist import edge_positions

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lto.atlas.contracts import JobParameters, SimulationResult
    from lto.matrix.fem import FocusExposureMatrix

FOCUS_LABEL = "focus (nm, + into the resist)"
DOSE_LABEL = "dose (mJ/cm²)"
NOTHING_PRINTS = "nothing prints"
_NOTE = {"ha": "center", "va": "center", "fontsize": "large", "color": "tab:red"}
DRAWING = threading.Lock()  # pyplot is not thread-safe: one drawing at a time per process


class Pictured(Protocol):
    """What the pictures need of a simulation (``lto.matrix.adapters.physics.Simulation``, or
    one rebuilt from what the job pipeline stored): the result, the setup it ran with (profile,
    clip, cut line, optics, resist), the focus-exposure matrix and the nominal aerial image."""

    @property
    def result(self) -> SimulationResult: ...

    @property
    def setup(self) -> Any: ...

    @property
    def fem(self) -> FocusExposureMatrix: ...

    @property
    def nominal_image(self) -> np.ndarray: ...


def signed(value: float, digits: int = 1) -> str:
    """``+12.3`` / ``-4.0`` / ``0.0``: never ``-0.0``, which reads as a different focus."""
    text = f"{value:+.{digits}f}"
    return f"{0.0:.{digits}f}" if float(text) == 0 else text


def bound_mark(result: Any, field: str) -> str:
    """``≥ `` when the process-window search reports ``field`` as a lower bound (the window did
    not close inside the largest matrix tried), else nothing."""
    stem = field.rsplit("_", 1)[0] if field.endswith(("_nm", "_pct")) else field
    for name in (f"{field}_is_bound", f"{stem}_is_bound"):
        if getattr(result, name, False):
            return "≥ "
    return ""


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png(figure: Any, *, dpi: int = 110) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    plt = pyplot()
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=dpi)
    finally:
        plt.close(figure)
    return buffer.getvalue()


# --- helpers ----------------------------------------------------------------------------------


def _note(axes: Any, text: str) -> None:
    """A message in the middle of an axes that has nothing (or something wrong) to show."""
    axes.text(0.5, 0.5, text, transform=axes.transAxes, wrap=True, **_NOTE)


def _periodic_view(values: np.ndarray, pixel_nm: float) -> tuple[np.ndarray, list[float]]:
    """2×2 periods of a periodic clip (a 1-D grating drawn as lines along y, as tall as two
    periods are wide): a feature split by the clip's border, such as a line-end gap, shows
    whole, and the picture fills its frame."""
    ny, nx = values.shape
    if ny == 1:
        tiled = np.repeat(np.tile(values, (1, 2)), 2 * nx, axis=0)
        return tiled, [0.0, 2 * nx * pixel_nm, 0.0, 2 * nx * pixel_nm]
    return np.tile(values, (2, 2)), [0.0, 2 * nx * pixel_nm, 0.0, 2 * ny * pixel_nm]


def _outline_period(axes: Any, simulation: Pictured) -> None:
    from matplotlib.patches import Rectangle

    clip = simulation.setup.clip
    height, width = clip.size_nm
    if clip.shape[0] == 1:
        height = 2 * width
    axes.add_patch(
        Rectangle((0, 0), width, height, fill=False, color="white", linestyle=":", linewidth=1)
    )


def _mask_outline(axes: Any, simulation: Pictured) -> None:
    """The drawn mask polygons, repeated over the 2×2 periods shown."""
    clip = simulation.setup.clip
    drawing = clip.drawing
    if drawing is None:
        return
    height, width = clip.size_nm
    for polygon in drawing.polygons:
        points = np.asarray(polygon, dtype=np.float64)
        if clip.shape[0] == 1:  # a grating's line runs the full height
            x0, x1 = points[:, 0].min(), points[:, 0].max()
            points = np.array([[x0, 0], [x0, 2 * width], [x1, 2 * width], [x1, 0]])
            shifts = [(0.0, 0.0), (width, 0.0)]
        else:
            shifts = [(dx, dy) for dx in (0.0, width) for dy in (0.0, height)]
        for dx, dy in shifts:
            closed = np.vstack([points, points[:1]]) + np.array([dx, dy])
            axes.plot(closed[:, 0], closed[:, 1], color="tab:green", linewidth=0.8)


def _row_positions(size: int, pixel_nm: float) -> np.ndarray:
    return (np.arange(size) + 0.5) * pixel_nm  # pixel centres


# --- aerial image -----------------------------------------------------------------------------


def aerial_figure(simulation: Pictured, job: JobParameters) -> Figure:
    plt = pyplot()

    figure, (left, right) = plt.subplots(
        1, 2, figsize=(13, 6), gridspec_kw={"width_ratios": [1, 1.4]}, layout="constrained"
    )
    _aerial_map(figure, left, simulation, job)
    _aerial_cut(right, simulation, job)
    return figure


def _aerial_map(figure: Any, axes: Any, simulation: Pictured, job: JobParameters) -> None:
    setup = simulation.setup
    view, extent = _periodic_view(simulation.nominal_image, setup.clip.pixel_nm)
    shown = axes.imshow(view, origin="lower", extent=extent, cmap="inferno", aspect="equal")
    figure.colorbar(
        shown, ax=axes, label="intensity (clear field = 1)", location="bottom", shrink=0.8
    )
    _outline_period(axes, simulation)
    if setup.clip.shape[0] > 1:  # the cut line, in both periods shown
        row = float(np.mean(setup.cut.rows)) + 0.5
        for y in (row * setup.clip.pixel_nm, row * setup.clip.pixel_nm + setup.clip.size_nm[0]):
            axes.axhline(y, color="cyan", linestyle="--", linewidth=0.8)
    axes.set(
        xlabel="x (nm)",
        ylabel="y (nm)",
        title=f"aerial image at focus {signed(job.focus_nm, 0)} nm (dotted: one period)",
    )


def _aerial_cut(axes: Any, simulation: Pictured, job: JobParameters) -> None:
    """Aerial and latent cross-sections; the threshold on the latent curve, where it prints."""
    setup = simulation.setup
    pixel = setup.clip.pixel_nm
    aerial = setup.cut.profile(simulation.nominal_image)
    latent = setup.cut.profile(setup.resist.latent_image(simulation.nominal_image, pixel))
    x = _row_positions(aerial.size, pixel)
    margin = setup.resist.clearing_margin(latent, job.dose_mj_cm2, pixel_nm=pixel)
    edges = edge_positions(margin, pixel) + 0.5 * pixel if np.any(np.diff(np.sign(margin))) else []
    axes.plot(x, aerial, color="black", label="aerial image")
    axes.plot(
        x,
        latent,
        color="tab:blue",
        linestyle="--",
        label=f"after the bake (diffusion {setup.resist.diffusion_length_nm:g} nm)",
    )
    level = _printing_level(latent, margin, x, edges, setup.resist, job)
    axes.axhline(
        level,
        color="tab:red",
        linestyle=":",
        label=f"resist prints at {level:.3f} of the latent image ({job.dose_mj_cm2:g} mJ/cm²)",
    )
    if len(edges):
        axes.plot(edges, np.full(len(edges), level), "o", color="tab:red", label="resist edges")
    else:
        clears = bool(np.all(margin > 0))
        _note(axes, f"{NOTHING_PRINTS}: the resist clears {'everywhere' if clears else 'nowhere'}")
    axes.set(
        xlabel="x (nm) along the cut line",
        ylabel="intensity (clear field = 1)",
        title="cross-section at the cut line",
    )
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize="small")


def _printing_level(
    latent: np.ndarray,
    margin: np.ndarray,
    x: np.ndarray,
    edges: Any,
    resist: Any,
    job: JobParameters,
) -> float:
    """The latent-image level at the printed edges (the threshold for a threshold resist, the
    effective one for Mack); without edges, the open-frame clearing level."""
    if len(edges):
        period = x[-1] + (x[1] - x[0] if x.size > 1 else 0.0)
        return float(np.mean(np.interp(edges, x, latent, period=period)))
    return float(resist.open_frame_dose_to_clear / job.dose_mj_cm2)


# --- resist -----------------------------------------------------------------------------------


def resist_figure(simulation: Pictured, job: JobParameters) -> Figure:
    plt = pyplot()
    from matplotlib.colors import ListedColormap

    setup = simulation.setup
    latent = setup.resist.latent_image(simulation.nominal_image, setup.clip.pixel_nm)
    margin = setup.resist.clearing_margin(latent, job.dose_mj_cm2, pixel_nm=setup.clip.pixel_nm)
    view, extent = _periodic_view(margin, setup.clip.pixel_nm)
    figure, axes = plt.subplots(figsize=(7, 7), layout="constrained")
    axes.imshow(
        view < 0,
        origin="lower",
        extent=extent,
        cmap=ListedColormap(["white", "#9a9a9a"]),
        aspect="equal",
        vmin=0,
        vmax=1,
        interpolation="nearest",
    )
    ys = np.linspace(extent[2], extent[3], view.shape[0])
    xs = _row_positions(view.shape[1], setup.clip.pixel_nm)
    if view.min() < 0 < view.max():
        axes.contour(xs, ys, view, levels=[0.0], colors="tab:blue", linewidths=1.2)
    else:
        _note(
            axes,
            f"{NOTHING_PRINTS}: the resist clears {'everywhere' if view.min() >= 0 else 'nowhere'}",
        )
    _mask_outline(axes, simulation)
    _outline_period(axes, simulation)
    axes.set_xlim(extent[0], extent[1])
    axes.set_ylim(extent[2], extent[3])
    cd = simulation.result.cd_nm
    axes.set(
        xlabel="x (nm)",
        ylabel="y (nm)",
        title=f"resist left (grey), its edge (blue), the mask (green) at {job.dose_mj_cm2:g} "
        f"mJ/cm²\nCD {'— (' + NOTHING_PRINTS + ')' if cd is None else f'{cd:.1f} nm'}",
    )
    return figure


# --- Bossung ----------------------------------------------------------------------------------


def bossung_figure(simulation: Pictured, job: JobParameters) -> Figure:
    plt = pyplot()
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import ListedColormap, Normalize

    fem, result = simulation.fem, simulation.result
    tolerance = simulation.setup.profile.cd_tolerance_fraction
    figure, axes = plt.subplots(figsize=(9, 6.5), layout="constrained")
    axes.axhspan(
        job.target_cd_nm * (1 - tolerance),
        job.target_cd_nm * (1 + tolerance),
        color="tab:green",
        alpha=0.15,
        label=f"target {job.target_cd_nm:g} nm ±{tolerance:.0%}",
    )
    doses = np.asarray(fem.dose_mj_cm2, dtype=np.float64)
    # sequential, stopping before plasma's pale yellow end, which vanishes on white
    colormap = ListedColormap(plt.get_cmap("plasma")(np.linspace(0.0, 0.88, 256)))
    norm = Normalize(float(doses.min()), float(doses.max()))
    for dose, curve in fem.bossung():
        axes.plot(fem.focus_nm, curve, "o-", color=colormap(norm(dose)), markersize=3)
    bar = figure.colorbar(ScalarMappable(norm=norm, cmap=colormap), ax=axes)
    bar.set_label("dose (mJ/cm², one curve each)")
    if result.best_focus_nm is not None:
        axes.axvline(
            result.best_focus_nm,
            color="black",
            linestyle=":",
            label=f"best focus {signed(result.best_focus_nm)} nm",
        )
    if not np.any(np.isfinite(fem.cd_nm)):
        _note(axes, f"{NOTHING_PRINTS} at any focus and dose of the matrix")
    axes.set(xlabel=FOCUS_LABEL, ylabel="CD (nm)", title="Bossung curves")
    axes.set_xlim(float(np.min(fem.focus_nm)), float(np.max(fem.focus_nm)))
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize="small")
    return figure


# --- process window ---------------------------------------------------------------------------


def window_figure(simulation: Pictured, job: JobParameters) -> Figure:
    plt = pyplot()

    fem, profile = simulation.fem, simulation.setup.profile
    figure, axes = plt.subplots(figsize=(9, 6.5), layout="constrained")
    focus, dose = np.meshgrid(fem.focus_nm, fem.dose_mj_cm2, indexing="ij")
    cd = np.ma.masked_invalid(np.asarray(fem.cd_nm, dtype=np.float64))
    axes.plot(focus.ravel(), dose.ravel(), ".", color="0.75", markersize=2, label="matrix points")
    if cd.count() == 0:
        _note(axes, f"{NOTHING_PRINTS} at any focus and dose of the matrix: no process window")
    else:
        _window_contours(axes, focus, dose, cd, job, profile.cd_tolerance_fraction)
        _window_fits(axes, simulation, job)
    axes.set(xlabel=FOCUS_LABEL, ylabel=DOSE_LABEL, title=_window_title(simulation.result, profile))
    axes.set_xlim(float(focus.min()), float(focus.max()))
    axes.set_ylim(float(dose.min()), float(dose.max()))
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize="small")
    return figure


def _window_title(result: SimulationResult, profile: Any) -> str:
    el = profile.required_exposure_latitude
    if result.depth_of_focus_nm is None or result.depth_of_focus_nm <= 0:
        return f"focus-exposure process window: none at EL {el:.0%}"
    return (
        f"focus-exposure process window: DoF {bound_mark(result, 'depth_of_focus_nm')}"
        f"{result.depth_of_focus_nm:.0f} nm at EL {el:.0%}"
    )


def _window_contours(
    axes: Any,
    focus: np.ndarray,
    dose: np.ndarray,
    cd: np.ma.MaskedArray,
    job: JobParameters,
    tolerance: float,
) -> None:
    """The in-spec region shaded, hatched where nothing prints, and the two CD contours that
    bound it (only where the CD surface reaches them: NaN is never contoured as 0)."""
    upper, lower = job.target_cd_nm * (1 + tolerance), job.target_cd_nm * (1 - tolerance)
    if cd.min() <= upper and cd.max() >= lower:
        # the same interpolation as the contour lines, so the shading meets them exactly
        axes.contourf(focus, dose, cd, levels=[lower, upper], colors=["tab:green"], alpha=0.2)
        axes.fill_between([], [], color="tab:green", alpha=0.2, label="CD in spec")
    if cd.mask.any():
        axes.contourf(
            focus, dose, cd.mask.astype(float), levels=[0.5, 1.5], colors="none", hatches=["//"]
        )
        axes.fill_between([], [], facecolor="none", hatch="//", label=NOTHING_PRINTS)
    for level, colour, name in ((upper, "tab:red", "upper"), (lower, "tab:blue", "lower")):
        if cd.min() < level < cd.max():
            axes.contour(focus, dose, cd, levels=[level], colors=colour)
            axes.plot(
                [], [], color=colour, label=f"CD = {level:.1f} nm (the CD spec's {name} limit)"
            )


def _window_fits(axes: Any, simulation: Pictured, job: JobParameters) -> None:
    """The largest rectangle and ellipse at the required EL, where such a window exists."""
    from matplotlib.patches import Ellipse, Rectangle

    fem, profile, result = simulation.fem, simulation.setup.profile, simulation.result
    el = profile.required_exposure_latitude
    window = pw.dose_window(
        fem.cd_nm, fem.focus_nm, fem.dose_mj_cm2,
        target_cd_nm=job.target_cd_nm, tolerance=profile.cd_tolerance_fraction,
    )  # fmt: skip
    rectangle = pw.rectangular_window(window, required_el=el)
    ellipse = pw.elliptical_window(window, required_el=el)
    bound = bound_mark(result, "depth_of_focus_nm")
    if rectangle.dof_nm > 0 and rectangle.exposure_latitude >= el:
        (f0, f1), (d0, d1) = rectangle.focus_range_nm, rectangle.dose_range
        axes.add_patch(
            Rectangle(
                (f0, d0), f1 - f0, d1 - d0, fill=False, color="black",
                label=f"largest rectangle: DoF {bound}{rectangle.dof_nm:.0f} nm, "
                f"EL {rectangle.exposure_latitude:.1%} (≥ {el:.0%})",
            )
        )  # fmt: skip
    if ellipse.dof_nm > 0:
        # an ellipse that spans the matrix's whole focus range is cut by it: a lower bound
        span = float(fem.focus_nm[-1] - fem.focus_nm[0])
        clipped = ellipse.dof_nm >= span * (1 - 1e-6)
        ellipse_bound = "≥ " if clipped and not bound else bound
        axes.add_patch(
            Ellipse(
                (ellipse.focus_center_nm, ellipse.dose_center), ellipse.dof_nm,
                el * ellipse.dose_center, fill=False, color="tab:purple",
                label=f"largest ellipse: DoF {ellipse_bound}{ellipse.dof_nm:.0f} nm at EL {el:.0%}",
            )
        )  # fmt: skip
    if rectangle.dof_nm <= 0 and ellipse.dof_nm <= 0:
        _note(axes, f"no window reaches EL {el:.0%}")


# --- source -----------------------------------------------------------------------------------


def source_figure(simulation: Pictured, job: JobParameters) -> Figure:
    plt = pyplot()
    from matplotlib.patches import Circle

    source = simulation.setup.optics.source
    figure, axes = plt.subplots(figsize=(5.5, 5.5), layout="constrained")
    axes.add_patch(Circle((0, 0), 1.0, fill=False, color="grey", label="pupil edge (σ = 1)"))
    weights = np.asarray(source.weights, dtype=np.float64)
    axes.scatter(
        source.sx,
        source.sy,
        s=2000 * weights / weights.max() / max(source.size, 1) ** 0.5,
        color="tab:orange",
    )
    axes.set(
        xlim=(-1.05, 1.05),
        ylim=(-1.05, 1.05),
        aspect="equal",
        xlabel="σx",
        ylabel="σy",
        title=f"source: {source.description}",
    )
    return figure


__all__ = [
    "DOSE_LABEL",
    "DRAWING",
    "FOCUS_LABEL",
    "NOTHING_PRINTS",
    "Pictured",
    "aerial_figure",
    "bossung_figure",
    "bound_mark",
    "png",
    "pyplot",
    "resist_figure",
    "signed",
    "source_figure",
    "window_figure",
]
