"""``lto simulate``: run the physics for one job from flags or a JSON file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

# flag name -> JobParameters field
FLAGS = {
    "na": "na", "wavelength": "wavelength_nm", "dose": "dose_mj_cm2", "sigma": "sigma",
    "sigma_inner": "sigma_inner", "illumination": "illumination", "thickness": "resist_thickness_nm",
    "grid": "grid_size_nm", "cd": "target_cd_nm", "pitch": "pitch_nm", "focus": "focus_nm",
    "pattern": "pattern", "profile": "constraint_profile", "submitted_by": "submitted_by",
}  # fmt: skip


def job_from(params_file: Path | None, flags: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if params_file is not None:
        try:
            values = json.loads(params_file.read_text())
        except json.JSONDecodeError as exc:
            raise click.UsageError(
                f"--params {params_file}: not valid JSON ({exc.msg} at line {exc.lineno})"
            ) from exc
        if not isinstance(values, dict):
            raise click.UsageError(
                f"--params {params_file}: must hold a JSON object of job parameters"
            )
    values.update({FLAGS[k]: v for k, v in flags.items() if v is not None})
    values.setdefault("submitted_by", "cli")
    return values


def run(
    params_file: Path | None,
    flags: dict[str, Any],
    *,
    out: Path | None,
    plot: Path | None,
    options: dict[str, Any],
) -> None:
    from pydantic import ValidationError
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from lto.atlas import JobParameters, check_job
    from lto.matrix.adapters.physics import PhysicsSettings, PhysicsSimulator
    from lto.matrix.ports import SimulationError

    errors = Console(stderr=True)
    try:
        job = JobParameters(**job_from(params_file, flags))
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "parameters"
            errors.print(f"[red]error[/red] {field}: {error['msg']}", markup=True, highlight=False)
        raise SystemExit(2) from None
    for violation in check_job(job):
        errors.print(
            f"[yellow]warning[/yellow] {violation} (the physics runs anyway)", highlight=False
        )
    from lto.bootstrap import bootstrap

    simulator = PhysicsSimulator(PhysicsSettings(backend=bootstrap().array_backend, **options))
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task("focus-exposure matrix", total=1.0)
        try:
            simulation = simulator.simulate(
                "cli",
                job,
                progress=lambda f, m: bar.update(task, completed=f, description=m or "simulating"),
            )
        except SimulationError as exc:
            errors.print(f"[red]error[/red] {exc}", highlight=False)
            raise SystemExit(1) from None
    result = simulation.result
    if plot is not None:
        from lto.cli.plots import write_pictures

        paths = write_pictures(simulation, job, plot)
        result = result.model_copy(update={"artifacts": {p.stem: str(p) for p in paths}})
    text = result.model_dump_json(indent=2)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        out.write_text(text + "\n")
        errors.print(f"result written to {out}")
