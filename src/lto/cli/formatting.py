"""Numbers as an engineer reads them: signs that mean something, bounds marked as bounds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lto.matrix.figures import bound_mark, signed

if TYPE_CHECKING:
    from lto.atlas.contracts import SimulationResult

MISSING = "—"


def metric(result: SimulationResult, field: str, digits: int = 1) -> str:
    """A result field as text: ``—`` when absent, ``≥ x`` when it is a bound."""
    value = getattr(result, field, None)
    if value is None:
        return MISSING
    return f"{bound_mark(result, field)}{value:.{digits}f}"


def _with_unit(text: str, unit: str) -> str:
    return text if text == MISSING else f"{text} {unit}"


def summary(result: SimulationResult) -> str:
    """One line of the headline metrics, for the terminal (the JSON has them all)."""
    risk = MISSING if result.signals is None else f"{result.signals.yield_risk:.3f}"
    best = MISSING if result.best_focus_nm is None else f"{signed(result.best_focus_nm)} nm"
    return (
        f"CD {_with_unit(metric(result, 'cd_nm'), 'nm')} · dose to size "
        f"{_with_unit(metric(result, 'dose_to_size_mj_cm2'), 'mJ/cm²')} · EL "
        f"{_with_unit(metric(result, 'exposure_latitude_pct'), '%')} · DoF "
        f"{_with_unit(metric(result, 'depth_of_focus_nm', 0), 'nm')} · best focus {best} · "
        f"NILS {metric(result, 'nils', 2)} · yield risk {risk}"
    )
