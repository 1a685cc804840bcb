"""The pictures follow DESIGN.md's plot conventions and never show what is not there."""

from __future__ import annotations

import itertools
from dataclasses import replace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.contour import ContourSet
from matplotlib.patches import Ellipse, Rectangle

from lto.atlas import JobParameters
from lto.cli import plots
from lto.cli.formatting import bound_mark, signed
from lto.matrix.adapters.physics import PhysicsSettings, PhysicsSimulator, Simulation
from lto.matrix.fem import FocusExposureMatrix

JOB = JobParameters(na=1.35, wavelength_nm=193, dose_mj_cm2=42, sigma=0.9, sigma_inner=0.6, illumination="annular",
                    resist_thickness_nm=90, grid_size_nm=1, target_cd_nm=60, pitch_nm=120, submitted_by="test")  # fmt: skip


@pytest.fixture(scope="module")
def simulation() -> Simulation:
    return PhysicsSimulator(PhysicsSettings(focus_points=5, dose_points=5)).simulate("t", JOB)


def _texts(figure: plt.Figure) -> str:
    return " ".join(t.get_text() for axes in figure.axes for t in axes.texts)


def _with_cd(simulation: Simulation, cd: np.ndarray) -> Simulation:
    fem = simulation.fem
    return replace(
        simulation,
        fem=FocusExposureMatrix(fem.focus_nm, fem.dose_mj_cm2, cd, fem.images),
        result=simulation.result.model_copy(
            update={"best_focus_nm": None, "depth_of_focus_nm": 0.0}
        ),
    )


def test_signed_never_writes_minus_zero() -> None:
    assert signed(-0.04) == "0.0"
    assert signed(-0.0, 0) == "0"
    assert signed(12.34) == "+12.3"
    assert signed(-4.0) == "-4.0"


def test_a_bound_is_marked_as_a_bound(simulation: Simulation) -> None:
    assert bound_mark(simulation.result, "depth_of_focus_nm") == ""

    class Bounded:
        depth_of_focus_is_bound = True

    assert bound_mark(Bounded(), "depth_of_focus_nm") == "≥ "  # type: ignore[arg-type]


def test_the_window_never_contours_nan_as_zero(simulation: Simulation) -> None:
    cd = np.full_like(simulation.fem.cd_nm, JOB.target_cd_nm)  # in spec everywhere...
    cd[:2, :2] = np.nan  # ...but for a corner where nothing prints
    figure = plots.window_figure(_with_cd(simulation, cd), JOB)
    lines = [c for c in figure.axes[0].collections if isinstance(c, ContourSet) and not c.filled]
    assert lines == []  # NaN as 0 would draw a CD-lower contour around the corner
    assert "nothing prints" in [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    plt.close(figure)


def test_no_window_is_drawn_where_nothing_prints(simulation: Simulation) -> None:
    figure = plots.window_figure(
        _with_cd(simulation, np.full_like(simulation.fem.cd_nm, np.nan)), JOB
    )
    patches = [p for p in figure.axes[0].patches if isinstance(p, Rectangle | Ellipse)]
    assert patches == []
    assert "nothing prints" in _texts(figure)
    plt.close(figure)
    figure = plots.bossung_figure(
        _with_cd(simulation, np.full_like(simulation.fem.cd_nm, np.nan)), JOB
    )
    assert "nothing prints" in _texts(figure)
    plt.close(figure)


def test_the_bossung_legend_is_off_the_curves_and_doses_differ_in_colour(
    simulation: Simulation,
) -> None:
    figure = plots.bossung_figure(simulation, JOB)
    figure.canvas.draw()
    axes = figure.axes[0]
    legend = axes.get_legend().get_window_extent()
    assert not legend.overlaps(axes.get_window_extent())
    colours = [tuple(line.get_color()) for line in axes.lines if line.get_marker() == "o"]
    assert len(colours) == len(simulation.fem.dose_mj_cm2)
    assert all(a != b for a, b in itertools.pairwise(colours))
    plt.close(figure)


def test_the_threshold_sits_where_the_resist_prints(simulation: Simulation) -> None:
    figure = plots.aerial_figure(simulation, JOB)
    cut = figure.axes[1]
    edges = next(line for line in cut.lines if line.get_label() == "resist edges")
    x = np.sort(edges.get_xdata())
    assert x.size == 2
    assert simulation.result.cd_nm is not None
    assert abs((x[1] - x[0]) - simulation.result.cd_nm) < 0.5  # the resist line between them
    latent = next(line for line in cut.lines if "after the bake" in str(line.get_label()))
    level = float(edges.get_ydata()[0])
    assert np.interp(x, latent.get_xdata(), latent.get_ydata()) == pytest.approx(level, abs=1e-3)
    plt.close(figure)


def test_no_edges_are_marked_when_nothing_prints() -> None:
    job = JOB.model_copy(update={"dose_mj_cm2": 2.0})
    underexposed = PhysicsSimulator(PhysicsSettings(focus_points=3, dose_points=3)).simulate(
        "t", job
    )
    figure = plots.aerial_figure(underexposed, job)
    assert [line for line in figure.axes[1].lines if line.get_label() == "resist edges"] == []
    assert "nothing prints: the resist clears nowhere" in _texts(figure)
    plt.close(figure)


def test_a_line_end_clip_fills_its_frame() -> None:
    job = JOB.model_copy(
        update={"pattern": "line_end", "pitch_nm": 120, "target_cd_nm": 60, "grid_size_nm": 2}
    )
    line_end = PhysicsSimulator(PhysicsSettings(focus_points=3, dose_points=3)).simulate("t", job)
    figure = plots.resist_figure(line_end, job)
    axes = figure.axes[0]
    height, width = line_end.setup.clip.size_nm
    assert axes.get_xlim() == (0.0, 2 * width)
    assert axes.get_ylim() == (0.0, 2 * height)
    image = axes.images[0].get_array()
    assert image.shape == (2 * line_end.setup.clip.shape[0], 2 * line_end.setup.clip.shape[1])
    plt.close(figure)
