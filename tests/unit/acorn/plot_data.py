"""Plot data shaped like ``GET /api/v1/jobs/{id}/plot-data`` (the contract the endpoint
answers), built from small analytic images so the tests know every value."""

from __future__ import annotations

import math
from typing import Any


def aerial(nx: int = 64, ny: int = 48, pixel_nm: float = 2.0) -> dict[str, Any]:
    x = [(i + 0.5) * pixel_nm for i in range(nx)]
    y = [(j + 0.5) * pixel_nm for j in range(ny)]
    period = nx * pixel_nm
    intensity = [[round(0.5 + 0.4 * math.cos(2 * math.pi * xi / period), 4) for xi in x] for _ in y]
    return {
        "x_nm": x,
        "y_nm": y,
        "intensity": intensity,
        "print_threshold": 0.45,
        "focus_nm": -20.0,
        "dose_mj_cm2": 36.0,
    }


def cutline() -> dict[str, Any]:
    x = [float(i) for i in range(0, 90)]
    intensity = [0.5 + 0.4 * math.cos(2 * math.pi * xi / 90) for xi in x]
    return {
        "x_nm": x,
        "intensity": intensity,
        "latent": [0.5 + 0.35 * math.cos(2 * math.pi * xi / 90) for xi in x],
        "threshold": 0.45,
        "edges_nm": [24.4, 65.6],
        "axis": "x",
        "at_nm": 45.0,
    }


def resist(nx: int = 64, ny: int = 48, pixel_nm: float = 2.0) -> dict[str, Any]:
    x = [(i + 0.5) * pixel_nm for i in range(nx)]
    y = [(j + 0.5) * pixel_nm for j in range(ny)]
    remaining = [[1 if 40 <= xi <= 88 else 0 for xi in x] for _ in y]
    return {"x_nm": x, "y_nm": y, "remaining": remaining}


def target() -> dict[str, Any]:
    return {"polygons": [[[40.0, 0.0], [88.0, 0.0], [88.0, 96.0], [40.0, 96.0]]]}


FOCUS = [-120.0, -80.0, -40.0, 0.0, 40.0, 80.0, 120.0]
DOSES = [32.0, 34.0, 36.0, 38.0, 40.0]


def fem(best_focus: float = 10.0, to_size: float = 36.0) -> dict[str, Any]:
    """CD = 45 − 1.5 (dose − 36) − 0.0004 (focus − best)²; nothing prints at the lowest dose
    far out of focus (None)."""
    cd: list[list[float | None]] = []
    for dose in DOSES:
        row: list[float | None] = []
        for focus in FOCUS:
            value = 45.0 - 1.5 * (dose - 36.0) - 0.0004 * (focus - best_focus) ** 2
            row.append(None if dose == DOSES[0] and abs(focus) > 100 else round(value, 4))
        cd.append(row)
    return {
        "focus_nm": FOCUS,
        "dose_mj_cm2": DOSES,
        "cd_nm": cd,
        "best_focus_nm": best_focus,
        "dose_to_size_mj_cm2": to_size,
        "window": {
            "dof_nm": 160.0,
            "el_pct": 9.5,
            "dof_is_bound": True,
            "rectangle": {
                "focus_low_nm": -70.0,
                "focus_high_nm": 90.0,
                "dose_low_mj_cm2": 35.0,
                "dose_high_mj_cm2": 37.0,
            },
        },
    }


def plot_data(job_id: str = "job_1", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "job_id": job_id,
        "state": "completed",
        "available": True,
        "note": None,
        "target_cd_nm": 45.0,
        "cd_tolerance_fraction": 0.1,
        "required_exposure_latitude": 0.05,
        "aerial": aerial(),
        "cutline": cutline(),
        "resist": resist(),
        "target": target(),
        "fem": fem(),
    }
    data.update(changes)
    return data
