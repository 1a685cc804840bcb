"""Athena: LTO's stateless analytics. Pure, vectorised functions over numpy arrays and pandas
frames; imports no other lto package (evidently only inside ``drift.drift_report``).

Modules: ``tradeoffs`` (the six scores), ``process_window`` (Bossung, EL, DoF, overlap, NILS,
MEEF), ``drift`` (PSI, evidently report), ``calibration`` (coverage, interval score,
split-conformal), ``accuracy`` (share within tolerance), ``economics`` (cost, yield loss, savings).
"""

from lto.athena.accuracy import AccuracyReport, accuracy_report, within_tolerance
from lto.athena.calibration import (
    ConformalCalibrator,
    coverage,
    interval_score,
    mean_width,
    split_conformal,
)
from lto.athena.drift import PsiReference, band, drift_report, psi, psi_frame
from lto.athena.economics import (
    Prices,
    compute_cost,
    economics_table,
    expected_yield_loss,
    preflight_savings,
)
from lto.athena.process_window import (
    DoseWindow,
    WindowFit,
    best_focus,
    bossung_fits,
    dose_to_size,
    dose_window,
    el_dof_curve,
    elliptical_window,
    meef,
    nils,
    overlap,
    rectangular_window,
)
from lto.athena.tradeoffs import (
    HEALTH_WEIGHTS,
    cost_vs_fidelity,
    overall_health,
    resolution_vs_dof,
    speed_vs_accuracy,
    surrogate_reliability,
    yield_risk,
)

__all__ = [
    "HEALTH_WEIGHTS",
    "AccuracyReport",
    "ConformalCalibrator",
    "DoseWindow",
    "Prices",
    "PsiReference",
    "WindowFit",
    "accuracy_report",
    "band",
    "best_focus",
    "bossung_fits",
    "compute_cost",
    "cost_vs_fidelity",
    "coverage",
    "dose_to_size",
    "dose_window",
    "drift_report",
    "economics_table",
    "el_dof_curve",
    "elliptical_window",
    "expected_yield_loss",
    "interval_score",
    "mean_width",
    "meef",
    "nils",
    "overall_health",
    "overlap",
    "preflight_savings",
    "psi",
    "psi_frame",
    "rectangular_window",
    "resolution_vs_dof",
    "speed_vs_accuracy",
    "split_conformal",
    "surrogate_reliability",
    "within_tolerance",
    "yield_risk",
]
