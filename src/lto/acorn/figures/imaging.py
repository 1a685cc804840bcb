"""A job's pictures from ``GET /api/v1/jobs/{id}/plot-data``: the aerial image, its cut line,
the resist contour over the mask, the Bossung curves, the process window, and the Bossung
curves of several jobs overlaid.

Each function takes the matching part of the plot-data JSON (``aerial``, ``cutline``,
``resist`` and ``target``, ``fem``) as the API returns it and answers a figure; a part that is
missing (None, or empty lists) gives a "no data" figure with its axes titled.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from lto.acorn.figures import (
    CD_TITLE,
    DOSE_TITLE,
    FOCUS_TITLE,
    INTENSITY_TITLE,
    MAX_IMAGE_PX,
    base_figure,
    equal_aspect,
    finite,
    no_data,
    signed,
)

Json = Mapping[str, Any]
SCENARIO_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf")
DOSE_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
BAND_COLOUR = "rgba(44, 160, 44, 0.15)"


# --- arrays -------------------------------------------------------------------------------------


def as_array(values: Any) -> np.ndarray:
    """Nested lists (None where the API has no number) as floats, NaN for None."""
    return np.array(
        [[np.nan if v is None else v for v in row] for row in values]
        if values and isinstance(values[0], list | tuple)
        else [np.nan if v is None else v for v in (values or [])],
        dtype=np.float64,
    )


def block_average(
    z: np.ndarray, x: np.ndarray, y: np.ndarray, max_px: int = MAX_IMAGE_PX
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``z`` (rows follow ``y``) averaged over square blocks until neither side exceeds
    ``max_px``; the coordinates averaged alike. Edges that do not fill a block are averaged
    over the pixels they have (NaN padding), so no pixel is dropped."""
    factor = max(1, math.ceil(max(z.shape) / max_px))
    if factor == 1:
        return z, x, y
    ny, nx = z.shape
    rows, cols = math.ceil(ny / factor), math.ceil(nx / factor)
    padded = np.full((rows * factor, cols * factor), np.nan)
    padded[:ny, :nx] = z
    blocks = padded.reshape(rows, factor, cols, factor)
    with warnings.catch_warnings():  # an all-NaN block stays NaN, without a warning
        warnings.simplefilter("ignore", category=RuntimeWarning)
        averaged = np.nanmean(blocks, axis=(1, 3))
    return averaged, _average_axis(x, factor, cols), _average_axis(y, factor, rows)


def _average_axis(values: np.ndarray, factor: int, size: int) -> np.ndarray:
    padded = np.full(size * factor, np.nan)
    padded[: len(values)] = values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return np.nanmean(padded.reshape(size, factor), axis=1)  # type: ignore[no-any-return]


def _image(
    values: Any, x_nm: Any, y_nm: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool] | None:
    """The image block-averaged to the page's limit, with its pixel centres. A one-row image
    (a 1-D grating, invariant along y) is drawn as tall as it is wide; the flag says so."""
    z = as_array(values)
    if z.ndim != 2 or z.size == 0 or not np.isfinite(z).any():
        return None
    x, y = as_array(x_nm), as_array(y_nm)
    if len(x) != z.shape[1] or len(y) != z.shape[0]:
        return None
    z, x, y = block_average(z, x, y)
    lines = z.shape[0] == 1
    if lines:
        width = float(x[-1] - x[0]) if len(x) > 1 else 1.0
        centre = float(y[0])
        z = np.repeat(z, 2, axis=0)
        y = np.array([centre - width / 2, centre + width / 2])
    return z, x, y, lines


def _nan_to_none(z: np.ndarray) -> list[list[float | None]]:
    return [[None if not math.isfinite(v) else float(v) for v in row] for row in z.tolist()]


# --- aerial image -------------------------------------------------------------------------------


def aerial_heatmap(aerial: Json | None) -> go.Figure:
    """The aerial image (clear field = 1) at nm axes and equal aspect, values on hover, and the
    print threshold as a contour where it is known."""
    title = "aerial image"
    if not aerial:
        return no_data(title, "x (nm)", "y (nm)")
    found = _image(aerial.get("intensity"), aerial.get("x_nm"), aerial.get("y_nm"))
    if found is None:
        return no_data(title, "x (nm)", "y (nm)")
    z, x, y, lines = found
    focus, dose = finite(aerial.get("focus_nm")), finite(aerial.get("dose_mj_cm2"))
    where = []
    if focus is not None:
        where.append(f"focus {signed(focus)} nm")
    if dose is not None:
        where.append(f"{dose:g} mJ/cm²")
    if where:
        title += " at " + ", ".join(where)
    if lines:
        title += " (lines: the same along y)"
    figure = base_figure(title, "x (nm)", "y (nm)")
    figure.add_trace(
        go.Heatmap(
            x=x.tolist(),
            y=y.tolist(),
            z=_nan_to_none(z),
            colorscale="Viridis",
            colorbar={"title": {"text": INTENSITY_TITLE, "side": "right"}},
            hovertemplate="x %{x:.1f} nm<br>y %{y:.1f} nm<br>intensity %{z:.4f}<extra></extra>",
            name="aerial image",
        )
    )
    threshold = finite(aerial.get("print_threshold"))
    if threshold is not None and np.nanmin(z) < threshold < np.nanmax(z):
        figure.add_trace(
            go.Contour(
                x=x.tolist(),
                y=y.tolist(),
                z=_nan_to_none(z),
                contours={"start": threshold, "end": threshold, "size": 1.0, "coloring": "none"},
                line={"color": "white", "width": 2},
                showscale=False,
                hoverinfo="skip",
                name=f"prints at {threshold:.3f}",
                showlegend=True,
            )
        )
        figure.update_layout(legend={"orientation": "h", "x": 0.0, "y": -0.18})
    return equal_aspect(figure)


# --- cut line -----------------------------------------------------------------------------------


def cutline_profile(cutline: Json | None) -> go.Figure:
    """The intensity along the cut line, the latent image after the bake where known, the
    threshold where the resist prints and the edges where the image crosses it."""
    axis = str((cutline or {}).get("axis") or "x")
    x_title = f"{axis} (nm) along the cut line"
    title = "cross-section at the cut line"
    if not cutline:
        return no_data(title, x_title, INTENSITY_TITLE)
    x = as_array(cutline.get("x_nm"))
    intensity = as_array(cutline.get("intensity"))
    if x.size == 0 or x.size != intensity.size or not np.isfinite(intensity).any():
        return no_data(title, x_title, INTENSITY_TITLE)
    at = finite(cutline.get("at_nm"))
    if at is not None:
        other = "y" if axis == "x" else "x"
        title += f" ({other} = {at:g} nm)"
    figure = base_figure(title, x_title, INTENSITY_TITLE)
    figure.add_trace(
        go.Scatter(
            x=x.tolist(),
            y=_list(intensity),
            mode="lines",
            name="aerial image",
            line={"color": "black"},
            hovertemplate="%{x:.1f} nm: %{y:.4f}<extra>aerial</extra>",
        )
    )
    latent = cutline.get("latent")
    if latent:
        latent_values = as_array(latent)
        if latent_values.size == x.size:
            figure.add_trace(
                go.Scatter(
                    x=x.tolist(),
                    y=_list(latent_values),
                    mode="lines",
                    name="after the bake (latent image)",
                    line={"color": "#1f77b4", "dash": "dash"},
                )
            )
    threshold = finite(cutline.get("threshold"))
    if threshold is not None:
        figure.add_trace(
            go.Scatter(
                x=[float(x[0]), float(x[-1])],
                y=[threshold, threshold],
                mode="lines",
                name=f"threshold {threshold:.3f}",
                line={"color": "#d62728", "dash": "dot"},
            )
        )
    edges = [e for e in (finite(v) for v in cutline.get("edges_nm") or []) if e is not None]
    if edges:
        level = threshold if threshold is not None else float(np.interp(edges[0], x, intensity))
        figure.add_trace(
            go.Scatter(
                x=edges,
                y=[level] * len(edges),
                mode="markers",
                name="resist edges",
                marker={"color": "#d62728", "size": 9, "symbol": "circle"},
                hovertemplate="edge at %{x:.2f} nm<extra></extra>",
            )
        )
        for edge in edges:
            figure.add_vline(x=edge, line={"color": "#d62728", "width": 1, "dash": "dot"})
    return figure


def _list(values: np.ndarray) -> list[float | None]:
    return [None if not math.isfinite(v) else float(v) for v in values.tolist()]


# --- resist contour over the target -------------------------------------------------------------


def resist_contour(resist: Json | None, target: Json | None) -> go.Figure:
    """The edge of the resist left after development (the 0.5 contour of "remaining") over the
    mask's target polygons, at nm axes and equal aspect."""
    title = "resist contour (blue) over the target (orange)"
    polygons = _polygons(target)
    found = (
        _image(
            (resist or {}).get("remaining"), (resist or {}).get("x_nm"), (resist or {}).get("y_nm")
        )
        if resist
        else None
    )
    if found is None and not polygons:
        return no_data(title, "x (nm)", "y (nm)")
    figure = base_figure(title, "x (nm)", "y (nm)")
    if found is not None:
        z, x, y, lines = found
        figure.add_trace(
            go.Heatmap(
                x=x.tolist(),
                y=y.tolist(),
                z=_nan_to_none(z),
                showscale=False,
                colorscale=[[0.0, "rgba(255,255,255,0)"], [1.0, "rgba(120,120,120,0.35)"]],
                zmin=0.0,
                zmax=1.0,
                name="resist left",
                hoverinfo="skip",
            )
        )
        figure.add_trace(
            go.Contour(
                x=x.tolist(),
                y=y.tolist(),
                z=_nan_to_none(z),
                showscale=False,
                contours={"start": 0.5, "end": 0.5, "size": 1.0, "coloring": "none"},
                line={"color": "#1f77b4", "width": 2},
                name="resist edge",
                showlegend=True,
                hoverinfo="skip",
            )
        )
        if lines:
            figure.update_layout(title_text=title + " (lines: the same along y)")
        left = z[np.isfinite(z)]
        if left.size and (left.min() >= 0.5 or left.max() < 0.5):
            figure.add_annotation(
                text="no resist edge: resist left everywhere"
                if left.min() >= 0.5
                else "no resist edge: the resist cleared everywhere",
                xref="paper",
                yref="paper",
                x=0.5,
                y=1.0,
                yanchor="bottom",
                showarrow=False,
                font={"size": 12, "color": "#d62728"},
            )
    if polygons:
        xs: list[float | None] = []
        ys: list[float | None] = []
        for polygon in polygons:
            closed = [*polygon, polygon[0]]
            xs += [p[0] for p in closed] + [None]
            ys += [p[1] for p in closed] + [None]
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                fill="toself",
                name="target (mask)",
                line={"color": "#ff7f0e", "width": 1.5},
                fillcolor="rgba(255, 127, 14, 0.15)",
                hoverinfo="skip",
            )
        )
    return equal_aspect(figure)


def _polygons(target: Json | None) -> list[list[tuple[float, float]]]:
    found = []
    for polygon in (target or {}).get("polygons") or []:
        points = [
            (float(p[0]), float(p[1]))
            for p in polygon
            if len(p) >= 2 and finite(p[0]) is not None and finite(p[1]) is not None
        ]
        if len(points) >= 3:
            found.append(points)
    return found


# --- Bossung curves -----------------------------------------------------------------------------


def _fem_arrays(fem: Json | None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(focus, dose, CD[dose][focus]) or None when the matrix is missing or prints nothing."""
    if not fem:
        return None
    focus, dose = as_array(fem.get("focus_nm")), as_array(fem.get("dose_mj_cm2"))
    cd = as_array(fem.get("cd_nm"))
    if cd.ndim != 2 or cd.shape != (dose.size, focus.size) or not np.isfinite(cd).any():
        return None
    return focus, dose, cd


def tolerance_band(
    figure: go.Figure, target_cd_nm: float | None, tolerance: float | None, *, label: str = ""
) -> None:
    """The target ± tolerance band shaded, and the target as a dashed line."""
    if target_cd_nm is None or tolerance is None:
        return
    low, high = target_cd_nm * (1 - tolerance), target_cd_nm * (1 + tolerance)
    figure.add_hrect(
        y0=low,
        y1=high,
        fillcolor=BAND_COLOUR,
        line_width=0,
        layer="below",
        annotation_text=f"{label}target {target_cd_nm:g} nm ±{tolerance:.0%}",
        annotation_position="top left",
        annotation_font_size=11,
    )
    figure.add_hline(y=target_cd_nm, line={"color": "#2ca02c", "width": 1, "dash": "dash"})


def _cd_at(focus: np.ndarray, curve: np.ndarray, at: float) -> float | None:
    """The curve's CD at focus ``at`` (linear between matrix points; None off the curve)."""
    ok = np.isfinite(curve)
    if ok.sum() == 0 or at < focus[ok].min() or at > focus[ok].max():
        return None
    return float(np.interp(at, focus[ok], curve[ok]))


def _nearest_dose(dose: np.ndarray, to: float | None) -> int:
    if to is None:
        return int(dose.size // 2)
    return int(np.argmin(np.abs(dose - to)))


def bossung(fem: Json | None, target_cd_nm: float | None, tolerance: float | None) -> go.Figure:
    """CD against focus, one curve per dose (gaps where nothing prints), the target ± tolerance
    band shaded and best focus marked (on the curve of the dose nearest the dose to size)."""
    title = "Bossung curves: CD against focus, one curve per dose"
    found = _fem_arrays(fem)
    if found is None:
        why = "nothing prints at any focus and dose" if fem else None
        return no_data(title, FOCUS_TITLE, CD_TITLE, why)
    assert fem is not None
    focus, dose, cd = found
    figure = base_figure(title, FOCUS_TITLE, CD_TITLE)
    tolerance_band(figure, finite(target_cd_nm), finite(tolerance))
    low, high = float(np.nanmin(dose)), float(np.nanmax(dose))
    for row, value in enumerate(dose.tolist()):
        figure.add_trace(
            go.Scatter(
                x=focus.tolist(),
                y=_list(cd[row]),
                mode="lines+markers",
                name=f"{value:.1f} mJ/cm²",
                connectgaps=False,
                line={"color": _sequential(value, low, high)},
                marker={"size": 5},
                hovertemplate=f"{value:.2f} mJ/cm²<br>focus %{{x:+.0f}} nm<br>CD %{{y:.2f}} nm"
                "<extra></extra>",
            )
        )
    best = finite(fem.get("best_focus_nm"))
    if best is not None:
        row = _nearest_dose(dose, finite(fem.get("dose_to_size_mj_cm2")))
        at = _cd_at(focus, cd[row], best)
        figure.add_vline(x=best, line={"color": "black", "width": 1, "dash": "dot"})
        figure.add_trace(
            go.Scatter(
                x=[best],
                y=[at if at is not None else finite(target_cd_nm)],
                mode="markers",
                name=f"best focus {signed(best)} nm",
                marker={"symbol": "star", "size": 14, "color": "black"},
                hovertemplate="best focus %{x:+.0f} nm<extra></extra>",
            )
        )
    figure.update_layout(legend_title_text="dose")
    return figure


def _sequential(value: float, low: float, high: float) -> str:
    """Plasma-like colour of a dose in its matrix (dark: low, orange: high)."""
    from plotly.colors import sample_colorscale

    share = 0.5 if high <= low else (value - low) / (high - low)
    return str(sample_colorscale("Plasma", [0.88 * share])[0])


# --- process window -----------------------------------------------------------------------------


def process_window(
    fem: Json | None,
    target_cd_nm: float | None,
    tolerance: float | None,
    required_el: float | None = None,
) -> go.Figure:
    """The focus-exposure window between the CD-upper and CD-lower contours, the largest
    rectangle at the required EL, and its DoF and EL annotated ("≥" where the window was
    still open at the edge of the matrix)."""
    title = "focus-exposure process window"
    found = _fem_arrays(fem)
    if found is None:
        why = "nothing prints at any focus and dose" if fem else None
        return no_data(title, FOCUS_TITLE, DOSE_TITLE, why)
    assert fem is not None
    focus, dose, cd = found
    figure = base_figure(title, FOCUS_TITLE, DOSE_TITLE)
    target, tol = finite(target_cd_nm), finite(tolerance)
    z = _nan_to_none(cd)
    if target is not None and tol is not None:
        for level, colour, name in (
            (target * (1 + tol), "#d62728", "upper"),
            (target * (1 - tol), "#1f77b4", "lower"),
        ):
            figure.add_trace(
                go.Contour(
                    x=focus.tolist(),
                    y=dose.tolist(),
                    z=z,
                    showscale=False,
                    contours={
                        "start": level,
                        "end": level,
                        "size": 1.0,
                        "coloring": "none",
                        "showlabels": True,
                    },
                    line={"color": colour, "width": 2},
                    showlegend=True,
                    name=f"CD {name} limit {level:.1f} nm",
                    hovertemplate="focus %{x:+.0f} nm<br>%{y:.2f} mJ/cm²<br>CD %{z:.2f} nm"
                    "<extra></extra>",
                )
            )
    window = fem.get("window") or {}
    rectangle = window.get("rectangle")
    if rectangle:
        f0, f1 = rectangle["focus_low_nm"], rectangle["focus_high_nm"]
        d0, d1 = rectangle["dose_low_mj_cm2"], rectangle["dose_high_mj_cm2"]
        figure.add_trace(
            go.Scatter(
                x=[f0, f1, f1, f0, f0],
                y=[d0, d0, d1, d1, d0],
                mode="lines",
                name="largest rectangle",
                line={"color": "black", "width": 2},
            )
        )
    best, to_size = finite(fem.get("best_focus_nm")), finite(fem.get("dose_to_size_mj_cm2"))
    if best is not None and to_size is not None:
        figure.add_trace(
            go.Scatter(
                x=[best],
                y=[to_size],
                mode="markers",
                name="best focus, dose to size",
                marker={"symbol": "x", "size": 10, "color": "black"},
            )
        )
    text = window_text(window, required_el)
    if text:
        figure.add_annotation(
            text=text,
            xref="paper",
            yref="paper",
            x=0.01,
            y=0.99,
            xanchor="left",
            yanchor="top",
            showarrow=False,
            align="left",
            bgcolor="rgba(255,255,255,0.8)",
            font={"size": 12},
        )
    figure.update_xaxes(range=[float(focus.min()), float(focus.max())])
    figure.update_yaxes(range=[float(dose.min()), float(dose.max())])
    return figure


def window_text(window: Json, required_el: float | None) -> str:
    """ "DoF ≥ 240 nm at 5% EL<br>EL 16.5%": the window's numbers as the annotation says them."""
    parts = []
    dof = finite(window.get("dof_nm"))
    at = f" at {required_el:.0%} EL" if finite(required_el) is not None else ""
    if dof is not None:
        bound = "≥ " if window.get("dof_is_bound") else ""
        parts.append(f"DoF {bound}{dof:.0f} nm{at}")
    elif window:
        parts.append(f"no window{at}")
    el = finite(window.get("el_pct"))
    if el is not None:
        parts.append(f"EL {el:.1f}%")
    return "<br>".join(parts)


# --- Bossung curves of several jobs -------------------------------------------------------------


def bossung_overlay(scenarios: Sequence[Json], doses_per_scenario: int = 3) -> go.Figure:
    """The Bossung curves of several jobs on one plot: one colour per scenario, the doses of a
    scenario told apart by their dash (the ``doses_per_scenario`` nearest its dose to size),
    each scenario's best focus marked in its colour, and the tolerance bands shaded.

    Each scenario: ``{"label": str, "fem": plot-data fem | None, "target_cd_nm": float,
    "cd_tolerance_fraction": float}``."""
    title = "Bossung curves overlaid (one colour per scenario, dashes: doses)"
    drawn = [(s, _fem_arrays(s.get("fem"))) for s in scenarios]
    if not any(found is not None for _, found in drawn):
        return no_data(title, FOCUS_TITLE, CD_TITLE)
    figure = base_figure(title, FOCUS_TITLE, CD_TITLE)
    bands = {
        (finite(s.get("target_cd_nm")), finite(s.get("cd_tolerance_fraction")))
        for s, found in drawn
        if found is not None
    }
    for target, tol in sorted(bands, key=lambda b: (b[0] or 0.0, b[1] or 0.0)):
        tolerance_band(figure, target, tol)
    for index, (scenario, found) in enumerate(drawn):
        if found is None:
            continue
        colour = SCENARIO_COLOURS[index % len(SCENARIO_COLOURS)]
        label = str(scenario.get("label", f"scenario {index + 1}"))
        focus, dose, cd = found
        fem = scenario["fem"]
        rows = _doses_near(dose, finite(fem.get("dose_to_size_mj_cm2")), doses_per_scenario)
        for rank, row in enumerate(rows):
            value = float(dose[row])
            figure.add_trace(
                go.Scatter(
                    x=focus.tolist(),
                    y=_list(cd[row]),
                    mode="lines+markers",
                    name=f"{label}: {value:.1f} mJ/cm²",
                    legendgroup=label,
                    connectgaps=False,
                    line={"color": colour, "dash": DOSE_DASHES[rank % len(DOSE_DASHES)]},
                    marker={"size": 5, "color": colour},
                    hovertemplate=f"{label}<br>{value:.2f} mJ/cm²<br>focus %{{x:+.0f}} nm"
                    "<br>CD %{y:.2f} nm<extra></extra>",
                )
            )
        best = finite(fem.get("best_focus_nm"))
        if best is not None:
            figure.add_vline(x=best, line={"color": colour, "width": 1, "dash": "dot"})
            row = _nearest_dose(dose, finite(fem.get("dose_to_size_mj_cm2")))
            at = _cd_at(focus, cd[row], best)
            figure.add_trace(
                go.Scatter(
                    x=[best],
                    y=[at if at is not None else finite(scenario.get("target_cd_nm"))],
                    mode="markers",
                    name=f"{label}: best focus {signed(best)} nm",
                    legendgroup=label,
                    marker={"symbol": "star", "size": 13, "color": colour},
                )
            )
    return figure


def _doses_near(dose: np.ndarray, to_size: float | None, count: int) -> list[int]:
    """The rows of the ``count`` doses nearest the dose to size (the middle of the matrix
    without one), in increasing dose."""
    centre = to_size if to_size is not None else float(np.median(dose))
    order = np.argsort(np.abs(dose - centre), kind="stable")[: max(1, count)]
    return sorted(order.tolist(), key=lambda row: float(dose[row]))


__all__ = [
    "aerial_heatmap",
    "as_array",
    "block_average",
    "bossung",
    "bossung_overlay",
    "cutline_profile",
    "process_window",
    "resist_contour",
    "tolerance_band",
    "window_text",
]
