"""Figures logged with the tracked runs: a surrogate's held-out predictions against the physics,
and an optimisation's history (and Pareto front). Pure functions from data to PNG bytes, so
tests call them directly; matplotlib is imported inside, with the non-interactive backend."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from lto.metis.results import OptimizationResult

TOLERANCE = 0.05


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return buffer.getvalue()


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def accuracy_figure(
    predicted: np.ndarray, actual: np.ndarray, lower: np.ndarray, upper: np.ndarray,
    names: Sequence[str],
) -> bytes:  # fmt: skip
    """One panel per score: prediction against physics on the held-out split, the ±0.05 band of
    the accuracy target shaded, the 95% intervals as faint bars."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 4.2), squeeze=False)
    line = np.linspace(0.0, 1.0, 2)
    for k, (ax, name) in enumerate(zip(axes[0], names, strict=True)):
        ax.fill_between(
            line, line - TOLERANCE, line + TOLERANCE, color="tab:green", alpha=0.15, label="±0.05"
        )
        ax.plot(line, line, color="tab:green", lw=1)
        ax.vlines(actual[:, k], lower[:, k], upper[:, k], color="tab:blue", alpha=0.08, lw=1)
        ax.scatter(actual[:, k], predicted[:, k], s=6, color="tab:blue", label="held-out jobs")
        within = float(np.mean(np.abs(predicted[:, k] - actual[:, k]) <= TOLERANCE))
        covered = float(np.mean((actual[:, k] >= lower[:, k]) & (actual[:, k] <= upper[:, k])))
        ax.set_title(
            f"{name}\n{within:.0%} within ±0.05, {covered:.0%} in the 95% interval", fontsize=9
        )
        ax.set_xlabel("physics")
        ax.set_ylabel("surrogate")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_aspect("equal")
    axes[0][0].legend(loc="upper left", fontsize=8)
    return _png(figure)


def study_figures(result: OptimizationResult) -> Mapping[str, bytes]:
    """``history.png`` (each objective per trial, best so far, infeasible trials marked) and,
    with two objectives or more, ``pareto.png`` (the first two, the front highlighted)."""
    plt = _pyplot()
    objectives = result.problem.objectives
    figure, axes = plt.subplots(
        len(objectives), 1, figsize=(7, 2.6 * len(objectives)), squeeze=False
    )
    numbers = np.array([t.number for t in result.trials])
    feasible = np.array([t.feasible for t in result.trials], dtype=bool)
    for i, (ax, objective) in enumerate(zip(axes[:, 0], objectives, strict=True)):
        values = np.array([t.values[i] for t in result.trials])
        ax.scatter(numbers[feasible], values[feasible], s=10, label="feasible")
        ax.scatter(
            numbers[~feasible],
            values[~feasible],
            s=10,
            marker="x",
            color="tab:red",
            label="infeasible",
        )
        if feasible.any():
            pick = (
                np.maximum.accumulate
                if objective.direction == "maximize"
                else np.minimum.accumulate
            )
            shown = np.where(feasible, values, np.nan)
            order = np.argsort(numbers)
            best = pick(
                np.nan_to_num(
                    shown[order], nan=-np.inf if objective.direction == "maximize" else np.inf
                )
            )
            ax.step(numbers[order], best, where="post", color="black", lw=1, label="best so far")
        ax.set_ylabel(f"{objective.name}\n({objective.direction})", fontsize=8)
        ax.legend(fontsize=7, loc="best")
    axes[-1, 0].set_xlabel("trial")
    figures = {"history.png": _png(figure)}
    if len(objectives) >= 2 and result.feasible:
        figure, ax = plt.subplots(figsize=(5, 4.5))
        x = np.array([t.values[0] for t in result.feasible])
        y = np.array([t.values[1] for t in result.feasible])
        ax.scatter(x, y, s=10, color="tab:gray", label="feasible trials")
        front = result.best
        ax.scatter(
            [t.values[0] for t in front],
            [t.values[1] for t in front],
            s=24,
            color="tab:orange",
            label="Pareto front",
        )
        ax.set_xlabel(f"{objectives[0].name} ({objectives[0].direction})")
        ax.set_ylabel(f"{objectives[1].name} ({objectives[1].direction})")
        ax.legend(fontsize=8)
        figures["pareto.png"] = _png(figure)
    return figures


__all__ = ["accuracy_figure", "study_figures"]
