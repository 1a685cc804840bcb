"""What ``lto simulate`` writes: the result JSON, and the focus-exposure matrix as CSV.

The JSON stands on its own: it echoes the job's parameters, its id, the LTO version, the
physics settings and the resist actually used, so a file found next month says what produced it.
"""

from __future__ import annotations

import csv
import math
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lto import __version__

if TYPE_CHECKING:
    from lto.atlas.contracts import JobParameters, SimulationResult
    from lto.matrix.adapters.physics import PhysicsSettings, Setup
    from lto.matrix.fem import FocusExposureMatrix
    from lto.matrix.resist import ResistModel

FEM_CSV = "focus_exposure_matrix.csv"
BOSSUNG_CSV = "bossung.csv"


def result_document(
    job: JobParameters,
    result: SimulationResult,
    *,
    setup: Setup | None = None,
    physics: PhysicsSettings | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """The result JSON: status first, then the metrics, then what they were computed from."""
    document: dict[str, Any] = {
        "job_id": result.job_id,
        "lto_version": __version__,
        "status": "ok" if reason is None else "cannot image",
        "reason": reason,
    }
    document.update(result.model_dump(mode="json", exclude={"job_id"}))
    document["job"] = job.model_dump(mode="json")
    if physics is not None:
        document["physics"] = physics_description(physics)
    if setup is not None:
        document["resist"] = resist_parameters(setup.resist)
        document["constraint_profile"] = setup.profile.name
        document["imaging"] = {
            "polarization": setup.optics.polarization or "scalar",  # what was used
            "medium_index": setup.optics.medium_index,
            "source": setup.optics.source.description,
        }
    return document


def physics_description(physics: PhysicsSettings) -> dict[str, Any]:
    """The settings that change the numbers, in plain JSON."""
    source = physics.source
    return {
        "method": physics.method,
        "focus_points": physics.focus_points,
        "dose_points": physics.dose_points,
        "development": physics.development,
        "aberrations_waves": {str(i): w for i, w in physics.aberrations},
        "mask": physics.mask_kind,
        "mask_transmission": physics.mask_transmission if physics.mask_kind != "binary" else None,
        "source": None if source is None else getattr(source, "description", "custom"),
        "resist_overrides": dict(physics.resist_overrides),
        "dose_range_mj_cm2": getattr(physics, "dose_range", None),
        "focus_range_nm": getattr(physics, "focus_range", None),
    }


def resist_parameters(resist: ResistModel) -> dict[str, Any]:
    """The resist model's numeric and named parameters, plus the open-frame dose to clear."""
    values = asdict(resist) if is_dataclass(resist) else dict(vars(resist))
    shown: dict[str, Any] = {
        k: v for k, v in values.items() if isinstance(v, str | int | float | bool) or v is None
    }
    shown["open_frame_dose_to_clear_mj_cm2"] = float(resist.open_frame_dose_to_clear)
    return shown


def resist_summary(resist: ResistModel) -> str:
    """One line an engineer can check against the resist's data sheet."""
    return (
        f"resist: {resist.thickness_nm:g} nm, absorption {resist.absorption_per_um:g}/µm, "
        f"bake diffusion {resist.diffusion_length_nm:g} nm, E0 {resist.dose_to_clear_mj_cm2:g} "
        f"mJ/cm² (open frame {resist.open_frame_dose_to_clear:.3g}), "
        f"{resist.development} development"
    )


def _cell(value: float) -> str:
    return "" if not math.isfinite(value) else f"{value:.6g}"


def write_tables(fem: FocusExposureMatrix, folder: Path) -> list[Path]:
    """The matrix as a long table (one row per focus and dose; CD empty where nothing prints)
    and the Bossung curves as a wide one (focus, then CD at each dose)."""
    folder.mkdir(parents=True, exist_ok=True)
    long_path, wide_path = folder / FEM_CSV, folder / BOSSUNG_CSV
    with long_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["focus_nm", "dose_mj_cm2", "cd_nm"])
        for i, focus in enumerate(fem.focus_nm):
            for j, dose in enumerate(fem.dose_mj_cm2):
                writer.writerow([_cell(focus), _cell(dose), _cell(fem.cd_nm[i, j])])
    with wide_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["focus_nm", *(f"cd_nm@{_cell(d)}mJ/cm2" for d in fem.dose_mj_cm2)])
        for i, focus in enumerate(fem.focus_nm):
            writer.writerow([_cell(focus), *(_cell(cd) for cd in fem.cd_nm[i])])
    return [long_path, wide_path]
