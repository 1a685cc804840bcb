"""The resist-profile picture: the film left on the cut line after development, as a
cross-section SEM shows it, with the CDs at three heights, the sidewall angle and the top loss.

Drawn at equal aspect in nm, so a sidewall angle looks like the angle it is.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from lto.matrix.resist import ResistProfile


def write_resist_profile(
    profile: ResistProfile, path: Path | str, *, title: str | None = None
) -> Path:
    """Draw ``profile`` (from ``ResistModel.profile``) to ``path`` (PNG); return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(8, 5.5), layout="constrained")
    _draw_film(axes, profile)
    printed = _annotate_cds(axes, profile)
    _annotate_numbers(axes, profile, printed)
    axes.set(
        xlabel="x along the cut line (nm)",
        ylabel="height above the substrate (nm)",
        xlim=(float(profile.x_nm[0]), float(profile.x_nm[-1])),
        ylim=(0.0, 1.4 * profile.thickness_nm),
        title=title or _default_title(profile),
    )
    axes.set_aspect("equal")
    figure.savefig(target, dpi=110)
    plt.close(figure)
    return target


def _default_title(profile: ResistProfile) -> str:
    development = "Mack development" if profile.development == "mack" else "threshold model"
    return f"resist profile at {profile.dose_mj_cm2:g} mJ/cm² ({development})"


def _draw_film(axes: Any, profile: ResistProfile) -> None:
    """The resist left (grey, outlined where the margin crosses zero), the substrate, and where
    the film's top was before development."""
    height = profile.thickness_nm - profile.depth_nm
    margin = np.asarray(profile.margin, dtype=np.float64)
    if np.any(margin < 0):
        low = float(margin.min())
        axes.contourf(profile.x_nm, height, margin, levels=[low, 0.0], colors=["0.65"])
        axes.contour(profile.x_nm, height, margin, levels=[0.0], colors="black", linewidths=1)
    axes.axhspan(-0.05 * profile.thickness_nm, 0.0, color="0.3")
    axes.axhline(profile.thickness_nm, color="tab:blue", linestyle=":", linewidth=1)
    axes.text(
        float(profile.x_nm[-1]), profile.thickness_nm, "film top before development ",
        color="tab:blue", fontsize="small", ha="right", va="bottom",
    )  # fmt: skip


def _annotate_cds(axes: Any, profile: ResistProfile) -> bool:
    """Arrows across the feature at the three CD heights; False when the feature is absent."""
    names = ("top", "middle", "bottom")
    values = (profile.cd_top_nm, profile.cd_middle_nm, profile.cd_bottom_nm)
    printed = False
    for name, height, cd in zip(names, profile.cd_heights_nm, values, strict=True):
        left, right = profile.edges_at(height)
        if not math.isfinite(cd):
            continue
        printed = True
        y = max(height, 0.02 * profile.thickness_nm)
        axes.annotate(
            "",
            xy=(left, y),
            xytext=(right, y),
            arrowprops={"arrowstyle": "<->", "color": "tab:red"},
        )
        axes.text(
            right + 2.0, y, f"CD {name} {cd:.1f} nm", color="tab:red", fontsize="small", va="center"
        )
    return printed


def _annotate_numbers(axes: Any, profile: ResistProfile, printed: bool) -> None:
    lines = []
    if printed and math.isfinite(profile.sidewall_angle_deg):
        lines.append(f"sidewall angle {profile.sidewall_angle_deg:.1f}° (10–90% height)")
    lines.append(f"top loss {profile.top_loss_nm:.1f} nm")
    if profile.develop_time_s is not None:
        lines.append(f"develop {profile.develop_time_s:g} s")
    if not printed:
        lines.insert(0, f"the {profile.feature} does not print at this dose")
    elif not math.isfinite(profile.cd_bottom_nm):
        lines.insert(0, "no edge at the substrate: the film does not clear down to it")
    axes.text(
        0.02, 0.97, "\n".join(lines), transform=axes.transAxes, va="top", fontsize="small",
        bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "0.7"},
    )  # fmt: skip
