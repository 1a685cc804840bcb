"""From flags to the objects the physics runs on: the job and the built-in engine's settings.

Input errors are raised as ``CliError(…, BAD_INPUT)`` naming the flag, so that an engineer
sees which of twenty flags to fix.
"""

from __future__ import annotations

import json
from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lto.cli.errors import CliError, ExitCode

if TYPE_CHECKING:
    from lto.atlas.contracts import JobParameters
    from lto.matrix.adapters.physics import PhysicsSettings
    from lto.matrix.sources import Source

# flag name -> JobParameters field
JOB_FLAGS = {
    "na": "na", "wavelength": "wavelength_nm", "dose": "dose_mj_cm2", "sigma": "sigma",
    "sigma_inner": "sigma_inner", "illumination": "illumination", "thickness": "resist_thickness_nm",
    "grid": "grid_size_nm", "cd": "target_cd_nm", "pitch": "pitch_nm", "focus": "focus_nm",
    "pattern": "pattern", "polarization": "polarization", "profile": "constraint_profile", "submitted_by": "submitted_by",
}  # fmt: skip

# flag name -> (ResistModel field, canonical unit or None for a plain number)
RESIST_FLAGS = {
    "resist_diffusion": ("diffusion_length_nm", "nm"),
    "resist_absorption": ("absorption_per_um", None),
    "dose_to_clear": ("dose_to_clear_mj_cm2", "mJ/cm^2"),
    "mack_n": ("mack_n", None),
}

# flag name -> PhysicsSettings field (set only where this build of the physics has the field)
RANGE_FLAGS = {"dose_range": "dose_range", "focus_range": "focus_range"}

PHYSICS_FLAGS = (
    "focus_points", "dose_points", "method", "development", "zernikes", "mask_kind",
    "mask_transmission", "source_map", *RESIST_FLAGS, *RANGE_FLAGS,
)  # fmt: skip


def job_values(params_file: Path | None, flags: dict[str, Any]) -> dict[str, Any]:
    """The job's parameters: the JSON file's, then the flags given on top."""
    values: dict[str, Any] = {}
    if params_file is not None:
        try:
            values = json.loads(params_file.read_text())
        except UnicodeDecodeError as exc:
            raise CliError(
                f"--params {params_file}: not a text file of JSON ({exc.reason} at byte {exc.start})",
                ExitCode.BAD_INPUT,
            ) from exc
        except json.JSONDecodeError as exc:
            raise CliError(
                f"--params {params_file}: not valid JSON ({exc.msg} at line {exc.lineno})",
                ExitCode.BAD_INPUT,
            ) from exc
        if not isinstance(values, dict):
            raise CliError(
                f"--params {params_file}: must hold a JSON object of job parameters",
                ExitCode.BAD_INPUT,
            )
    values.update({JOB_FLAGS[k]: v for k, v in flags.items() if k in JOB_FLAGS and v is not None})
    values.setdefault("submitted_by", "cli")
    return values


def read_job(params_file: Path | None, flags: dict[str, Any]) -> JobParameters:
    from lto.atlas import JobParameters

    if (
        flags.get("source_map") is not None
        and flags.get("sigma_inner") is not None
        and flags.get("illumination") is None
    ):
        raise CliError(
            "--sigma-inner: --source-map gives the source's whole shape, so an inner σ has "
            "nothing to describe; drop --sigma-inner (--sigma stays the map's outer σ for the "
            "resolution limit), or name the --illumination the map stands for",
            ExitCode.BAD_INPUT,
        )
    return JobParameters(**job_values(params_file, flags))


def customised(options: dict[str, Any]) -> list[str]:
    """The flags given that only the built-in physics understands (the external contract is
    the job's parameters alone)."""
    given = [
        ("--zernike", bool(options.get("zernikes"))),
        ("--mask", options.get("mask_kind", "binary") != "binary"),
        ("--mask-transmission", options.get("mask_transmission") is not None),
        ("--source-map", options.get("source_map") is not None),
        ("--development", options.get("development", "threshold") != "threshold"),
        ("--method", options.get("method", "hopkins") != "hopkins"),
        ("--layout", options.get("layout") is not None),
        *((f"--{k.replace('_', '-')}", options.get(k) is not None) for k in RESIST_FLAGS),
        *((f"--{k.replace('_', '-')}", options.get(k) is not None) for k in RANGE_FLAGS),
    ]
    return [flag for flag, present in given if present]


def physics_settings(options: dict[str, Any]) -> PhysicsSettings:
    """The built-in engine's settings from the physics flags (see ``options.physics_options``)."""
    from lto.cli.layout import layout_clips_from
    from lto.matrix.adapters.physics import PhysicsSettings

    kind = "attenuated" if options.get("mask_kind") == "att-psm" else "binary"
    if options.get("mask_transmission") is not None and kind == "binary":
        raise CliError("--mask-transmission applies to --mask att-psm only", ExitCode.BAD_INPUT)
    settings = PhysicsSettings(
        focus_points=options.get("focus_points", 11),
        dose_points=options.get("dose_points", 11),
        method=options.get("method", "hopkins"),
        development=options.get("development", "threshold"),
        aberrations=tuple(options.get("zernikes") or ()),
        mask_kind=kind,
        mask_transmission=options.get("mask_transmission") or 0.06,
        source=_source_map(options.get("source_map")),
        resist_overrides=resist_overrides(options),
        clips=layout_clips_from(options),  # None unless --layout: the job's drawn pattern
    )
    return replace(settings, **_ranges(settings, options))


def _ranges(settings: PhysicsSettings, options: dict[str, Any]) -> dict[str, Any]:
    known = {f.name for f in fields(settings)}
    chosen = {}
    for flag, name in RANGE_FLAGS.items():
        if options.get(flag) is None:
            continue
        if name not in known:
            raise CliError(
                f"--{flag.replace('_', '-')}: this build's physics centres the matrix itself",
                ExitCode.BAD_INPUT,
            )
        chosen[name] = tuple(options[flag])
    return chosen


def resist_overrides(options: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    """ResistModel fields the flags replace, each checked to be a finite number in its unit."""
    from lto.atlas.units import parse_quantity
    from lto.matrix.resist import ResistModel

    known = {f.name for f in fields(ResistModel)}
    chosen = []
    for flag, (name, unit) in RESIST_FLAGS.items():
        value = options.get(flag)
        if value is None:
            continue
        label = f"--{flag.replace('_', '-')}"
        if name not in known:
            raise CliError(f"{label}: the resist model has no {name}", ExitCode.BAD_INPUT)
        number = parse_quantity(value, unit=unit or "dimensionless", field=label, example="5")
        chosen.append((name, number))
    return tuple(chosen)


def _source_map(path: Path | None) -> Source | None:
    """A pixelated source from a .npy file (or a whitespace/comma separated text grid)."""
    if path is None:
        return None
    import numpy as np

    from lto.matrix import sources

    try:
        if path.suffix.lower() == ".npy":
            grid = np.load(path, allow_pickle=False)
        else:
            grid = np.loadtxt(path, delimiter="," if path.suffix.lower() == ".csv" else None)
        return sources.pixelated(grid)
    except (ValueError, OSError) as exc:
        raise CliError(f"--source-map {path}: {exc}", ExitCode.BAD_INPUT) from exc
