"""The process-window search on an image with a known answer.

A two-beam image of lines, I(x, f) = ½ + ½·m(f)·cos(2πx/p) (dark at x = p/2), with a modulation m that falls
away from a best focus f0 like a Gaussian, printed by a threshold resist without blur: the
window is symmetric about f0, and on every focus row the line edge sits where
½ + ½·m·cos(2πx/p) = E/dose (E the open-frame dose to clear), so dose to size and the window's
edges are closed forms.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lto.matrix.fem import CutLine, Gauge
from lto.matrix.resist import ResistModel
from lto.matrix.window_search import WindowSearch, WindowSpec

PITCH, PIXEL, TARGET, WIDTH = 100.0, 0.5, 50.0, 150.0
RESIST = ResistModel(
    thickness_nm=50.0, absorption_per_um=0.0, diffusion_length_nm=0.0, dose_to_clear_mj_cm2=10.0
)
GAUGE = Gauge(RESIST, PIXEL, CutLine((0,), PITCH / 2, "resist"))
X = np.arange(int(PITCH / PIXEL)) * PIXEL


def modulation(focus: float, best: float) -> float:
    return 0.8 * math.exp(-(((focus - best) / WIDTH) ** 2))


def image_at(best: float, calls: list[float] | None = None):
    def image(focus: float) -> np.ndarray:
        if calls is not None:
            calls.append(focus)
        # the line (dark) is centred at PITCH/2, where the cosine is −1
        return (0.5 + 0.5 * modulation(focus, best) * np.cos(2 * np.pi * X / PITCH))[None, :]

    return image


def dose_for(cd: float, m: float) -> float:
    """The dose printing a line of width ``cd``: I at the edge x = (p − cd)/2 equals E/dose."""
    intensity = 0.5 + 0.5 * m * math.cos(2 * math.pi * (PITCH - cd) / 2 / PITCH)
    return RESIST.dose_to_clear_mj_cm2 / intensity


def spec(**overrides: object) -> WindowSpec:
    base = {
        "target_cd_nm": TARGET, "tolerance": 0.10, "required_el": 0.05, "focus_step_nm": 60.0,
        "max_focus_nm": 1000.0, "dose_bracket": (2.0, 1000.0), "fallback_dose": 20.0,
    }  # fmt: skip
    return WindowSpec(**{**base, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize("best", [0.0, 37.0, -140.0])
def test_best_focus_dose_to_size_and_el_match_the_closed_forms(best: float) -> None:
    found = WindowSearch(GAUGE, image_at(best), spec()).run()
    assert found.status == "ok"
    assert found.best_focus_nm == pytest.approx(best, abs=0.5)
    # at best focus m = 0.8; 50% duty prints at I = ½ whatever the modulation: dose 2E
    assert found.dose_to_size == pytest.approx(dose_for(TARGET, 0.8), rel=1e-6)
    low, high = dose_for(TARGET * 1.1, 0.8), dose_for(TARGET * 0.9, 0.8)
    assert found.exposure_latitude == pytest.approx(2 * (high - low) / (high + low), rel=1e-4)
    assert not found.exposure_latitude_is_bound


def test_the_dof_is_where_the_rows_el_falls_to_the_required_el() -> None:
    """EL(f) of this image: the window at m(f) is [dose_for(55, m), dose_for(45, m)]; the DoF at
    5% is twice the defocus where EL(m) = 5%, from m(f) = 0.8·exp(−(f/W)²)."""
    found = WindowSearch(GAUGE, image_at(0.0), spec()).run()

    def latitude(m: float) -> float:
        low, high = dose_for(TARGET * 1.1, m), dose_for(TARGET * 0.9, m)
        return 2 * (high - low) / (high + low)

    from scipy.optimize import brentq

    m5 = brentq(lambda m: latitude(m) - 0.05, 1e-3, 0.8)
    exact = 2 * WIDTH * math.sqrt(math.log(0.8 / m5))
    # low(f) rises and high(f) falls away from best focus, so the rectangle's dose range is the
    # window at its ends; rows 60 nm apart, splined, place those ends to a few tenths of a %
    assert found.fit.dof_nm == pytest.approx(exact, rel=5e-3)
    assert not found.depth_of_focus_is_bound
    # the matrix was widened until the window closed on both sides, and no further than needed
    assert found.focus_range_nm[0] < -exact / 2
    assert found.focus_range_nm[1] > exact / 2
    assert found.window.exposure_latitude[0] < 0.05
    assert found.window.exposure_latitude[-1] < 0.05


def test_rows_sit_on_a_lattice_anchored_at_zero_plus_one_at_best_focus() -> None:
    """Rows never depend on a job's focus: k · step (halved where refined) from focus 0, and
    best focus itself; each costs one image."""
    calls: list[float] = []
    found = WindowSearch(GAUGE, image_at(37.0, calls), spec()).run()
    assert len(calls) == len(set(calls)) == len(found.rows)
    steps = np.asarray(found.matrix.focus_nm) / 60.0
    off_lattice = np.abs(steps * 8 - np.round(steps * 8)) > 1e-9
    np.testing.assert_allclose(found.matrix.focus_nm[off_lattice], [found.best_focus_nm])


def test_a_window_wider_than_the_search_may_go_is_a_bound() -> None:
    found = WindowSearch(GAUGE, image_at(0.0), spec(max_focus_nm=120.0)).run()
    assert found.depth_of_focus_is_bound
    assert found.fit.dof_nm == pytest.approx(240.0, rel=1e-6)


def test_given_ranges_replace_the_search_and_cut_the_window_as_bounds() -> None:
    rows = spec(focus_range=(-50.0, 50.0), focus_points=5, dose_range=(19.0, 21.0))
    found = WindowSearch(GAUGE, image_at(0.0), rows).run()
    np.testing.assert_allclose(found.matrix.focus_nm, [-50, -25, 0, 25, 50])
    assert found.dose_range_mj_cm2 == (19.0, 21.0)
    assert found.exposure_latitude_is_bound  # the window at best focus is wider than 19–21
    assert found.exposure_latitude == pytest.approx(2 * 2 / 40)
    assert found.depth_of_focus_is_bound


def test_a_flat_image_prints_nothing_and_says_so() -> None:
    flat = WindowSearch(GAUGE, lambda focus: np.full((1, X.size), 0.5), spec()).run()
    assert flat.status == "nothing_prints"
    assert flat.reason is not None
    assert "does not print" in flat.reason
    assert flat.fit.dof_nm == 0.0
    assert flat.exposure_latitude == 0.0
    assert math.isnan(flat.dose_to_size)


def test_a_line_that_never_reaches_the_target_has_no_window() -> None:
    """Below 2E the threshold intensity exceeds ½: the lines are wider than half the pitch at
    every focus (defocus only widens them), so 20 nm ± 10% is never printed."""
    found = WindowSearch(GAUGE, image_at(0.0), spec(target_cd_nm=20.0, dose_range=(2.0, 19.5)))
    result = found.run()
    assert result.status == "no_window"
    assert result.reason is not None
    assert "never within 20 nm" in result.reason


def test_bad_specs_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="dose_range: must be two finite numbers, low < high"):
        spec(dose_range=(30.0, 20.0))
    with pytest.raises(ValueError, match="focus_step_nm: must be a finite number > 0"):
        spec(focus_step_nm=0.0)
    with pytest.raises(ValueError, match="dose_bracket: doses must be > 0"):
        spec(dose_bracket=(-1.0, 10.0))
