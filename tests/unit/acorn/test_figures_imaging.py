"""The job's pictures: drawn from plot data shaped like the API's, with the conventions
(nm axes at equal aspect, focus sign stated, the tolerance band, best focus, DoF and EL) held."""

from __future__ import annotations

import json
import math

import numpy as np
import plotly.graph_objects as go
import pytest

from lto.acorn.figures import DOSE_TITLE, FOCUS_TITLE, INTENSITY_TITLE, NO_DATA
from lto.acorn.figures.imaging import (
    aerial_heatmap,
    block_average,
    bossung,
    bossung_overlay,
    cutline_profile,
    process_window,
    resist_contour,
    window_text,
)
from tests.unit.acorn import plot_data


def annotations(figure: go.Figure) -> list[str]:
    return [a.text for a in figure.layout.annotations]


def says_no_data(figure: go.Figure) -> bool:
    return any(text.startswith(NO_DATA) for text in annotations(figure))


def traces(figure: go.Figure, kind: str) -> list:
    return [t for t in figure.data if t.type == kind]


def equal_aspect(figure: go.Figure) -> bool:
    return figure.layout.yaxis.scaleanchor == "x" and figure.layout.yaxis.scaleratio == 1


# --- aerial image -------------------------------------------------------------------------------


def test_aerial_heatmap_has_nm_axes_equal_aspect_and_hover_values() -> None:
    data = plot_data.aerial()
    figure = aerial_heatmap(data)
    (heat,) = traces(figure, "heatmap")
    assert np.asarray(heat.z).shape == (48, 64)
    assert list(heat.x) == data["x_nm"]
    assert list(heat.y) == data["y_nm"]
    assert heat.z[0][0] == data["intensity"][0][0]
    assert "%{z" in heat.hovertemplate
    assert "nm" in heat.hovertemplate
    assert figure.layout.xaxis.title.text == "x (nm)"
    assert figure.layout.yaxis.title.text == "y (nm)"
    assert heat.colorbar.title.text == INTENSITY_TITLE
    assert equal_aspect(figure)
    assert "-20 nm" in figure.layout.title.text
    assert "36 mJ/cm²" in figure.layout.title.text
    (threshold,) = traces(figure, "contour")
    assert threshold.contours.start == threshold.contours.end == 0.45


def test_a_big_aerial_image_is_block_averaged_to_at_most_512_pixels() -> None:
    n = 1100
    data = {
        "x_nm": [i + 0.5 for i in range(n)],
        "y_nm": [j + 0.5 for j in range(n)],
        "intensity": np.tile(np.linspace(0.0, 1.0, n), (n, 1)).tolist(),
        "print_threshold": None,
        "focus_nm": 0.0,
        "dose_mj_cm2": 30.0,
    }
    figure = aerial_heatmap(data)
    (heat,) = traces(figure, "heatmap")
    z = np.asarray(heat.z, dtype=float)
    assert max(z.shape) <= 512
    assert z.shape == (len(heat.y), len(heat.x))
    # averaging keeps the mean and the coordinates' span (within a block)
    assert np.nanmean(z) == pytest.approx(0.5, abs=2e-3)
    assert z.shape == (367, 367)  # blocks of 3 × 3: ceil(1100 / 512)
    assert heat.x[0] == pytest.approx(1.5)
    assert heat.x[-1] == pytest.approx(1099.0)
    assert not traces(figure, "contour")  # no threshold known: no contour


def test_block_average_keeps_edge_pixels_that_do_not_fill_a_block() -> None:
    z = np.arange(5 * 5, dtype=float).reshape(5, 5)
    x = y = np.arange(5, dtype=float)
    averaged, ax, ay = block_average(z, x, y, max_px=3)
    assert averaged.shape == (3, 3)
    assert averaged[2, 2] == z[4, 4]
    assert ax[2] == 4.0
    assert ay[0] == 0.5
    assert averaged[0, 0] == pytest.approx(np.mean([0, 1, 5, 6]))


def test_a_one_row_image_of_lines_is_drawn_as_tall_as_wide() -> None:
    data = plot_data.aerial(nx=90, ny=1, pixel_nm=1.0)
    figure = aerial_heatmap(data)
    (heat,) = traces(figure, "heatmap")
    assert len(heat.y) == 2
    assert heat.y[1] - heat.y[0] == pytest.approx(89.0)
    assert heat.z[0] == heat.z[1]
    assert "lines" in figure.layout.title.text


@pytest.mark.parametrize("empty", [None, {}, {"x_nm": [], "y_nm": [], "intensity": []}])
def test_aerial_heatmap_without_an_image_says_no_data(empty: dict | None) -> None:
    figure = aerial_heatmap(empty)
    assert says_no_data(figure)
    assert not figure.data
    assert figure.layout.xaxis.title.text == "x (nm)"


# --- cut line -----------------------------------------------------------------------------------


def test_cutline_shows_intensity_latent_threshold_and_edges() -> None:
    data = plot_data.cutline()
    figure = cutline_profile(data)
    names = [t.name for t in figure.data]
    assert names == [
        "aerial image",
        "after the bake (latent image)",
        "threshold 0.450",
        "resist edges",
    ]
    threshold = figure.data[2]
    assert list(threshold.y) == [0.45, 0.45]
    assert list(threshold.x) == [data["x_nm"][0], data["x_nm"][-1]]
    edges = figure.data[3]
    assert list(edges.x) == data["edges_nm"]
    assert list(edges.y) == [0.45, 0.45]
    assert sorted(s.x0 for s in figure.layout.shapes) == data["edges_nm"]
    assert figure.layout.xaxis.title.text == "x (nm) along the cut line"
    assert figure.layout.yaxis.title.text == INTENSITY_TITLE
    assert "y = 45 nm" in figure.layout.title.text


def test_cutline_without_data_says_no_data() -> None:
    assert says_no_data(cutline_profile(None))
    assert says_no_data(cutline_profile({"x_nm": [], "intensity": [], "axis": "y"}))


# --- resist contour over the target -------------------------------------------------------------


def test_resist_contour_over_target_polygons_at_equal_aspect() -> None:
    figure = resist_contour(plot_data.resist(), plot_data.target())
    (edge,) = traces(figure, "contour")
    assert edge.contours.start == edge.contours.end == 0.5
    assert edge.name == "resist edge"
    (mask,) = [t for t in figure.data if t.name == "target (mask)"]
    assert mask.fill == "toself"
    assert list(mask.x) == [40.0, 88.0, 88.0, 40.0, 40.0, None]
    assert list(mask.y) == [0.0, 0.0, 96.0, 96.0, 0.0, None]
    assert equal_aspect(figure)
    assert figure.layout.xaxis.title.text == "x (nm)"
    assert figure.layout.yaxis.title.text == "y (nm)"


def test_resist_contour_without_anything_says_no_data() -> None:
    assert says_no_data(resist_contour(None, None))
    # the target alone still shows
    figure = resist_contour(None, plot_data.target())
    assert not says_no_data(figure)
    assert len(figure.data) == 1


# --- Bossung curves -----------------------------------------------------------------------------


def test_bossung_one_curve_per_dose_band_and_best_focus() -> None:
    fem = plot_data.fem(best_focus=10.0)
    figure = bossung(fem, 45.0, 0.1)
    curves = [t for t in figure.data if t.name.endswith("mJ/cm²")]
    assert len(curves) == len(plot_data.DOSES)
    assert [c.name for c in curves] == [f"{d:.1f} mJ/cm²" for d in plot_data.DOSES]
    assert list(curves[0].y) == fem["cd_nm"][0]  # None where nothing prints: a gap
    assert curves[0].y[0] is None
    assert curves[0].connectgaps is False
    band = [s for s in figure.layout.shapes if s.type == "rect"]
    assert len(band) == 1
    assert band[0].y0 == pytest.approx(45.0 * 0.9)
    assert band[0].y1 == pytest.approx(45.0 * 1.1)
    (best,) = [t for t in figure.data if t.name.startswith("best focus")]
    assert list(best.x) == [10.0]
    # on the curve of the dose to size (36): CD at focus 10 between the matrix points 0 and 40
    assert best.y[0] == pytest.approx(np.interp(10.0, [0.0, 40.0], [44.96, 44.64]), abs=1e-6)
    assert best.name == "best focus +10 nm"
    assert any(s.type == "line" and s.x0 == 10.0 for s in figure.layout.shapes)
    assert figure.layout.xaxis.title.text == FOCUS_TITLE == "focus (nm, + into the resist)"
    assert figure.layout.yaxis.title.text == "CD (nm)"


def test_bossung_without_a_matrix_or_where_nothing_prints_says_no_data() -> None:
    assert says_no_data(bossung(None, 45.0, 0.1))
    empty = plot_data.fem()
    empty["cd_nm"] = [[None] * len(plot_data.FOCUS) for _ in plot_data.DOSES]
    figure = bossung(empty, 45.0, 0.1)
    assert says_no_data(figure)
    assert any("nothing prints" in text for text in annotations(figure))


# --- process window -----------------------------------------------------------------------------


def test_process_window_contours_rectangle_and_annotated_dof_el() -> None:
    fem = plot_data.fem()
    figure = process_window(fem, 45.0, 0.1, 0.05)
    upper, lower = traces(figure, "contour")
    assert upper.contours.start == pytest.approx(49.5)
    assert lower.contours.start == pytest.approx(40.5)
    assert upper.name.startswith("CD upper")
    assert lower.name.startswith("CD lower")
    assert np.asarray(upper.z, dtype=object).shape == (len(plot_data.DOSES), len(plot_data.FOCUS))
    assert list(upper.x) == plot_data.FOCUS
    assert list(upper.y) == plot_data.DOSES
    (rectangle,) = [t for t in figure.data if t.name == "largest rectangle"]
    assert list(rectangle.x) == [-70.0, 90.0, 90.0, -70.0, -70.0]
    assert list(rectangle.y) == [35.0, 35.0, 37.0, 37.0, 35.0]
    (text,) = annotations(figure)
    assert text == "DoF ≥ 160 nm at 5% EL<br>EL 9.5%"
    assert figure.layout.xaxis.title.text == FOCUS_TITLE
    assert figure.layout.yaxis.title.text == DOSE_TITLE == "dose (mJ/cm²)"


def test_window_text_marks_only_a_bound_dof() -> None:
    assert window_text({"dof_nm": 120.4, "el_pct": 7.25, "dof_is_bound": False}, 0.05) == (
        "DoF 120 nm at 5% EL<br>EL 7.2%"
    )
    assert window_text({"dof_nm": None, "el_pct": None, "dof_is_bound": False}, 0.05) == (
        "no window at 5% EL"
    )


def test_process_window_without_a_matrix_says_no_data() -> None:
    figure = process_window(None, 45.0, 0.1)
    assert says_no_data(figure)
    assert figure.layout.xaxis.title.text == FOCUS_TITLE


# --- Bossung overlay ----------------------------------------------------------------------------


def test_bossung_overlay_one_colour_per_scenario_doses_by_dash() -> None:
    scenarios = [
        {
            "label": "A",
            "fem": plot_data.fem(best_focus=0.0),
            "target_cd_nm": 45.0,
            "cd_tolerance_fraction": 0.1,
        },
        {
            "label": "B",
            "fem": plot_data.fem(best_focus=20.0, to_size=38.0),
            "target_cd_nm": 45.0,
            "cd_tolerance_fraction": 0.1,
        },
    ]
    figure = bossung_overlay(scenarios, doses_per_scenario=3)
    curves = [t for t in figure.data if "mJ/cm²" in t.name]
    assert len(curves) == 6
    a = [c for c in curves if c.legendgroup == "A"]
    b = [c for c in curves if c.legendgroup == "B"]
    assert [c.name for c in a] == ["A: 34.0 mJ/cm²", "A: 36.0 mJ/cm²", "A: 38.0 mJ/cm²"]
    assert [c.name for c in b] == ["B: 36.0 mJ/cm²", "B: 38.0 mJ/cm²", "B: 40.0 mJ/cm²"]
    assert len({c.line.color for c in a}) == 1
    assert len({c.line.color for c in b}) == 1
    assert a[0].line.color != b[0].line.color
    assert len({c.line.dash for c in a}) == 3
    stars = [t for t in figure.data if "best focus" in t.name]
    assert [list(s.x) for s in stars] == [[0.0], [20.0]]
    bands = [s for s in figure.layout.shapes if s.type == "rect"]
    assert len(bands) == 1  # the same target and tolerance: one band
    assert figure.layout.xaxis.title.text == FOCUS_TITLE


def test_bossung_overlay_with_nothing_says_no_data() -> None:
    assert says_no_data(bossung_overlay([]))
    assert says_no_data(bossung_overlay([{"label": "A", "fem": None}]))


def test_figures_serialise_to_json_without_nan() -> None:
    data = plot_data.plot_data()
    for figure in (
        aerial_heatmap(data["aerial"]),
        resist_contour(data["resist"], data["target"]),
        bossung(data["fem"], 45.0, 0.1),
        process_window(data["fem"], 45.0, 0.1, 0.05),
    ):
        text = figure.to_json()
        assert "NaN" not in text
        json.loads(text)
    assert math.isfinite(len(text))
