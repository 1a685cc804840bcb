"""PNG pictures of a simulation, drawn to LTO's plot conventions (DESIGN.md section 7).

Focus in nm, + into the resist (stated on the axis); dose in mJ/cm²; CD in nm with the target
±tolerance band shaded; one Bossung curve per dose with best focus marked; the focus-exposure
window between the CD-upper and CD-lower contours with its largest rectangle and ellipse and the
DoF at the required EL; intensity normalised to the clear field with the threshold and edges;
images at equal aspect with nm axes; the source in sigma coordinates inside the unit circle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lto.athena import process_window as pw
from lto.atlas.contracts import JobParameters
from lto.matrix.adapters.physics import Simulation

FOCUS_LABEL = "focus (nm, + into the resist)"
DOSE_LABEL = "dose (mJ/cm²)"


def write_pictures(simulation: Simulation, job: JobParameters, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    folder.mkdir(parents=True, exist_ok=True)
    drawings = (
        ("aerial_image.png", _aerial),
        ("resist_contour.png", _resist),
        ("bossung.png", _bossung),
        ("process_window.png", _window),
        ("source.png", _source),
    )
    written = []
    for name, draw in drawings:
        path = folder / name
        draw(simulation, job, path)
        written.append(path)
    return written


def _save(figure: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _extent(simulation: Simulation) -> list[float]:
    height, width = simulation.setup.clip.size_nm
    return [0.0, width, 0.0, height]


def _threshold(simulation: Simulation, job: JobParameters) -> float:
    return simulation.setup.resist.open_frame_dose_to_clear / job.dose_mj_cm2


def _aerial(simulation: Simulation, job: JobParameters, path: Path) -> None:
    import matplotlib.pyplot as plt

    clip, cut = simulation.setup.clip, simulation.setup.cut
    image = simulation.nominal_image
    extent = _extent(simulation)
    if image.shape[0] == 1:  # a 1-D grating: show a square of it, lines along y
        image = np.repeat(image, max(2, image.shape[1]), axis=0)
        extent = [0.0, extent[1], 0.0, extent[1]]
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(7, 8), gridspec_kw={"height_ratios": [2, 1]}
    )
    shown = top.imshow(image, origin="lower", extent=extent, cmap="inferno", aspect="equal")
    figure.colorbar(shown, ax=top, label="intensity (clear field = 1)")
    top.set(xlabel="x (nm)", ylabel="y (nm)", title=f"aerial image at focus {job.focus_nm:+g} nm")
    row = cut.profile(simulation.nominal_image)
    x = (np.arange(row.size) + 0.5) * clip.pixel_nm
    threshold = _threshold(simulation, job)
    bottom.plot(x, row, color="black", label="intensity")
    bottom.axhline(
        threshold, color="tab:red", linestyle="--", label=f"printing threshold {threshold:.3f}"
    )
    edges = (
        pw.edge_crossings(x, row, threshold) if row.min() < threshold < row.max() else np.array([])
    )
    bottom.plot(edges, np.full(edges.size, threshold), "o", color="tab:red", label="edges")
    bottom.set(
        xlabel="x (nm)", ylabel="intensity (clear field = 1)", title="cross-section at the cut line"
    )
    bottom.legend(loc="best", fontsize="small")
    _save(figure, path)


def _resist(simulation: Simulation, job: JobParameters, path: Path) -> None:
    import matplotlib.pyplot as plt

    setup = simulation.setup
    latent = setup.resist.latent_image(simulation.nominal_image, setup.clip.pixel_nm)
    margin = setup.resist.clearing_margin(latent, job.dose_mj_cm2)
    figure, axes = plt.subplots(figsize=(7, 5))
    height, width = setup.clip.size_nm
    if margin.shape[0] == 1:  # a 1-D grating: show it as lines along y
        margin = np.repeat(margin, 2, axis=0)
        height = width
    axes.imshow(
        margin < 0,
        origin="lower",
        extent=[0, width, 0, height],
        cmap="Greys",
        aspect="equal",
        vmin=0,
        vmax=2,
    )
    ys = np.linspace(0, height, margin.shape[0])
    xs = (np.arange(margin.shape[1]) + 0.5) * setup.clip.pixel_nm
    axes.contour(xs, ys, margin, levels=[0.0], colors="tab:blue")
    cd = simulation.result.cd_nm
    axes.set(
        xlabel="x (nm)",
        ylabel="y (nm)",
        title=f"resist (grey) and its contour at {job.dose_mj_cm2:g} mJ/cm²; CD {'—' if cd is None else f'{cd:.1f} nm'}",
    )
    _save(figure, path)


def _bossung(simulation: Simulation, job: JobParameters, path: Path) -> None:
    import matplotlib.pyplot as plt

    fem, profile = simulation.fem, simulation.setup.profile
    tolerance = profile.cd_tolerance_fraction
    figure, axes = plt.subplots(figsize=(8, 5))
    axes.axhspan(
        job.target_cd_nm * (1 - tolerance),
        job.target_cd_nm * (1 + tolerance),
        color="tab:green",
        alpha=0.15,
        label=f"target {job.target_cd_nm:g} nm ±{tolerance:.0%}",
    )
    colours = plt.cm.viridis(np.linspace(0, 1, len(fem.dose_mj_cm2)))
    for colour, (dose, curve) in zip(colours, fem.bossung(), strict=True):
        axes.plot(fem.focus_nm, curve, "o-", color=colour, markersize=3, label=f"{dose:.1f}")
    best = simulation.result.best_focus_nm
    if best is not None:
        axes.axvline(best, color="black", linestyle=":", label=f"best focus {best:+.1f} nm")
    axes.set(xlabel=FOCUS_LABEL, ylabel="CD (nm)", title="Bossung curves (one per dose, mJ/cm²)")
    axes.legend(fontsize="x-small", ncol=2, loc="best")
    _save(figure, path)


def _window(simulation: Simulation, job: JobParameters, path: Path) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.patches import Ellipse, Rectangle

    fem, profile = simulation.fem, simulation.setup.profile
    tolerance, el = profile.cd_tolerance_fraction, profile.required_exposure_latitude
    figure, axes = plt.subplots(figsize=(8, 5))
    focus, dose = np.meshgrid(fem.focus_nm, fem.dose_mj_cm2, indexing="ij")
    cd = np.where(np.isfinite(fem.cd_nm), fem.cd_nm, 0.0)
    upper, lower = job.target_cd_nm * (1 + tolerance), job.target_cd_nm * (1 - tolerance)
    axes.contour(focus, dose, cd, levels=[upper], colors="tab:red")
    axes.contour(focus, dose, cd, levels=[lower], colors="tab:blue")
    axes.plot([], [], color="tab:red", label=f"CD = {upper:.1f} nm (upper)")
    axes.plot([], [], color="tab:blue", label=f"CD = {lower:.1f} nm (lower)")
    window = pw.dose_window(
        fem.cd_nm, fem.focus_nm, fem.dose_mj_cm2, target_cd_nm=job.target_cd_nm, tolerance=tolerance
    )
    rectangle = pw.rectangular_window(window, required_el=el)
    ellipse = pw.elliptical_window(window, required_el=el)
    if rectangle.dof_nm > 0:
        (f0, f1), (d0, d1) = rectangle.focus_range_nm, rectangle.dose_range
        axes.add_patch(
            Rectangle(
                (f0, d0),
                f1 - f0,
                d1 - d0,
                fill=False,
                color="black",
                label=f"largest rectangle: DoF {rectangle.dof_nm:.0f} nm, EL {rectangle.exposure_latitude:.1%} (≥ {el:.0%})",
            )
        )
    if ellipse.dof_nm > 0:
        axes.add_patch(
            Ellipse(
                (ellipse.focus_center_nm, ellipse.dose_center),
                ellipse.dof_nm,
                el * ellipse.dose_center,
                fill=False,
                color="tab:purple",
                label=f"largest ellipse: DoF {ellipse.dof_nm:.0f} nm at EL {el:.0%}",
            )
        )
    axes.set(xlabel=FOCUS_LABEL, ylabel=DOSE_LABEL, title="focus-exposure process window")
    axes.legend(fontsize="small", loc="best")
    _save(figure, path)


def _source(simulation: Simulation, job: JobParameters, path: Path) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle

    source = simulation.setup.optics.source
    figure, axes = plt.subplots(figsize=(5, 5))
    axes.add_patch(Circle((0, 0), 1.0, fill=False, color="grey"))
    axes.scatter(
        source.sx,
        source.sy,
        s=2000 * source.weights / source.weights.max() / max(source.size, 1) ** 0.5,
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
    _save(figure, path)
