"""The figures logged with tracked runs draw from plain data (PNG bytes, the right panels)."""

from __future__ import annotations

import numpy as np

from lto.metis.adapters.optuna_study import OptunaStudyEngine
from lto.metis.problem import Objective
from lto.metis.run_figures import accuracy_figure, study_figures
from tests.unit.metis.fakes import Bowl, journal
from tests.unit.metis.test_study import SIGMA, bowl_problem

PNG = b"\x89PNG"


def test_the_held_out_figure_is_a_png_per_score_panel() -> None:
    rng = np.random.default_rng(0)
    actual = rng.uniform(size=(50, 2))
    predicted = np.clip(actual + rng.normal(0, 0.03, actual.shape), 0, 1)
    data = accuracy_figure(predicted, actual, predicted - 0.1, predicted + 0.1, ["a", "b"])
    assert data.startswith(PNG)


def test_study_figures_draw_the_history_and_the_front(tmp_path) -> None:
    engine = OptunaStudyEngine(journal(tmp_path))
    one = engine.optimize(bowl_problem(), Bowl(), study_name="one", trials=8, seed=0)
    assert set(study_figures(one)) == {"history.png"}
    two = engine.optimize(
        bowl_problem(free=(SIGMA,), objectives=(Objective("yield_risk", "minimize"), Objective("resolution_vs_dof", "maximize"))),
        Bowl(), study_name="two", trials=8, seed=0,
    )  # fmt: skip
    figures = study_figures(two)
    assert set(figures) == {"history.png", "pareto.png"}
    assert all(png.startswith(PNG) for png in figures.values())
