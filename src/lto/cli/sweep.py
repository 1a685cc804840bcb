"""``lto sweep``: the physics at each value of one parameter, as a table, a CSV and a plot.

The classic questions (how does the window shrink through pitch? what does a larger σ buy?)
need the same job run at many values of one parameter. Each point is a full simulation; a point
that is invalid or cannot image is kept in the table with the reason, so a forbidden pitch shows
up as a gap, not as a crash. The command exits 4 when no point images at all.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lto.cli.errors import CannotImage, CliError, ExitCode
from lto.cli.formatting import MISSING, metric
from lto.cli.inputs import customised, job_values, physics_settings
from lto.cli.preflight import (
    check_can_image,
    check_memory,
    check_writable,
    profile_for,
)
from lto.cli.progress import progress_bar

if TYPE_CHECKING:
    from rich.console import Console

    from lto.atlas.contracts import JobParameters, SimulationResult
    from lto.matrix.ports import SimulatorPort

# --vary NAME -> JobParameters field
VARIABLES = {
    "pitch": "pitch_nm", "cd": "target_cd_nm", "na": "na", "sigma": "sigma",
    "sigma_inner": "sigma_inner", "dose": "dose_mj_cm2", "focus": "focus_nm",
}  # fmt: skip
MAX_POINTS = 200
COLUMNS = (
    ("CD (nm)", "cd_nm", 1),
    ("dose to size (mJ/cm²)", "dose_to_size_mj_cm2", 1),
    ("EL (%)", "exposure_latitude_pct", 1),
    ("DoF (nm)", "depth_of_focus_nm", 0),
    ("NILS", "nils", 2),
)


@dataclass(frozen=True)
class Variation:
    """The swept parameter: its flag name, the job field it sets, and its values."""

    name: str
    field: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Point:
    """One row of the sweep: the value, and either a result or the reason there is none."""

    value: float
    result: SimulationResult | None = None
    reason: str | None = None


def parse_vary(text: str) -> Variation:
    """``pitch=60:200:10`` → pitch 60, 70, …, 200 (the stop included when the steps reach it)."""
    name, sep, span = text.partition("=")
    name = name.strip().lower().replace("-", "_")
    if not sep or name not in VARIABLES:
        raise CliError(
            f"--vary {text!r}: write NAME=START:STOP:STEP with NAME one of {', '.join(VARIABLES)}",
            ExitCode.BAD_INPUT,
        )
    try:
        start, stop, step = (float(p) for p in span.split(":"))
    except ValueError:
        raise CliError(
            f"--vary {text!r}: START:STOP:STEP must be three numbers, like 60:200:10",
            ExitCode.BAD_INPUT,
        ) from None
    if not all(map(math.isfinite, (start, stop, step))) or step <= 0 or stop < start:
        raise CliError(f"--vary {text!r}: need START ≤ STOP and STEP > 0", ExitCode.BAD_INPUT)
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_POINTS:
        raise CliError(
            f"--vary {text!r}: {count} points; at most {MAX_POINTS} (use a larger STEP)",
            ExitCode.BAD_INPUT,
        )
    values = tuple(round(start + i * step, 12) for i in range(count))
    return Variation(name, VARIABLES[name], values)


def run(options: dict[str, Any]) -> None:
    """Sweep one parameter; ``options`` are the command's flags by parameter name."""
    from rich.console import Console

    from lto.bootstrap import bootstrap

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    variation = parse_vary(options["vary"])
    base = job_values(options.get("params_file"), options)
    plot, csv_dir = options.get("plot"), options.get("csv_dir")
    check_writable(plot, folder=True, flag="--plot")
    check_writable(csv_dir, folder=True, flag="--csv")
    app = bootstrap(create_dirs=False)
    physics = physics_settings(options)
    if app.builtin_simulator:
        simulator = app.simulator_with(physics)
    else:
        if customised(options):
            raise CliError(
                f"{', '.join(customised(options))} need the built-in physics, but "
                "LTO_SIMULATOR=external",
                ExitCode.BAD_INPUT,
            )
        simulator = app.simulator
    jobs = [_job_at(base, variation, value) for value in variation.values]
    for job in jobs:
        if isinstance(job, str) or not app.builtin_simulator:
            continue
        check_memory(job, physics.focus_points)
    points = _run_points(simulator, variation, jobs, console)
    print_table(variation, points)
    _write_outputs(variation, points, plot, csv_dir, console)
    if not any(p.result is not None and p.result.dose_to_size_mj_cm2 is not None for p in points):
        raise CannotImage(f"no value of {variation.name} images: see the table for why")


def _job_at(base: dict[str, Any], variation: Variation, value: float) -> JobParameters | str:
    """The job at one value, or why there is none (invalid, or it cannot image)."""
    from pydantic import ValidationError

    from lto.atlas import JobParameters

    try:
        job = JobParameters(**{**base, variation.field: value})
        profile_for(job)
        check_can_image(job)
    except ValidationError as exc:
        return "invalid: " + "; ".join(
            _where(e) + str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()
        )
    except CliError as exc:
        return exc.format_message()
    return job


def _where(error: Any) -> str:
    location = ".".join(map(str, error["loc"]))
    return f"{location}: " if location else ""


def _run_points(
    simulator: SimulatorPort,
    variation: Variation,
    jobs: list[JobParameters | str],
    console: Console,
) -> list[Point]:
    from lto.atlas.identity import new_id
    from lto.matrix.ports import SimulationError

    points = []
    with progress_bar(console, amount="{task.completed:.0f}/{task.total:.0f}") as bar:
        task = bar.add_task(f"sweeping {variation.name}", total=len(jobs))
        for i, (value, job) in enumerate(zip(variation.values, jobs, strict=True)):
            bar.update(task, completed=i, description=f"{variation.name} = {value:g}")
            if isinstance(job, str):
                points.append(Point(value, reason=job))
                continue
            try:
                result = simulator.run(
                    new_id("job"), job, lambda f, _m, i=i: bar.update(task, completed=i + f)
                )
            except (SimulationError, ValueError) as exc:
                points.append(Point(value, reason=f"failed: {exc}"))
                continue
            points.append(Point(value, result, _note(result, job)))
        bar.update(task, completed=len(jobs))
    return points


def _note(result: SimulationResult, job: JobParameters) -> str | None:
    """Why a row has gaps: nothing prints anywhere, or only not at the job's own dose/focus."""
    if result.cd_nm is not None:
        return None
    if result.dose_to_size_mj_cm2 is None:
        return "nothing prints"
    return (
        f"no CD at {job.dose_mj_cm2:g} mJ/cm², focus {job.focus_nm:g} nm "
        f"(dose to size {result.dose_to_size_mj_cm2:.1f})"
    )


def print_table(variation: Variation, points: list[Point]) -> None:
    """The sweep as a table on stdout (the progress and messages go to stderr)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(variation.name, *(c[0] for c in COLUMNS), "yield risk", "note")
    for point in points:
        cells = [_metric_cells(point.result)] if point.result else [[MISSING] * (len(COLUMNS) + 1)]
        table.add_row(f"{point.value:g}", *cells[0], escape(_short(point.reason)))
    console = Console(highlight=False)
    if not console.is_terminal:  # a file or a pipe: one line per row beats a narrow terminal's
        console.width = 160
    console.print(table)


def _short(reason: str | None) -> str:
    """The reason's first clause, for the table (the CSV has all of it)."""
    if reason is None:
        return ""
    head = reason.partition(": ")[0]
    return reason if head in ("invalid", "failed") else head


def _metric_cells(result: SimulationResult) -> list[str]:
    risk = MISSING if result.signals is None else f"{result.signals.yield_risk:.3f}"
    return [metric(result, field, digits) for _, field, digits in COLUMNS] + [risk]


def _write_outputs(
    variation: Variation,
    points: list[Point],
    plot: Path | None,
    csv_dir: Path | None,
    console: Console,
) -> None:
    written = [write_csv(variation, points, folder) for folder in dict.fromkeys(
        f for f in (csv_dir, plot) if f is not None
    )]  # fmt: skip
    if plot is not None:
        written.append(draw(variation, points, plot))
    for path in written:
        console.print(f"wrote {path}", markup=False)


def write_csv(variation: Variation, points: list[Point], folder: Path) -> Path:
    """One row per value; empty cells where a metric is absent; bounds flagged per metric."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"sweep_{variation.name}.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([variation.field, *(f for _, f, _ in COLUMNS), "yield_risk", "note"])
        for point in points:
            result = point.result
            values = [_raw(result, f) for _, f, _ in COLUMNS]
            risk = "" if result is None or result.signals is None else result.signals.yield_risk
            writer.writerow([point.value, *values, risk, point.reason or ""])
    return path


def _raw(result: SimulationResult | None, field: str) -> Any:
    value = None if result is None else getattr(result, field, None)
    return "" if value is None else value


def draw(variation: Variation, points: list[Point], folder: Path) -> Path:
    """Six panels against the swept value; absent points are gaps, with a note when a panel
    has nothing at all."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [p.value for p in points]
    series = [(label, field) for label, field, _ in COLUMNS] + [("yield risk", "yield_risk")]
    figure, grid = plt.subplots(2, 3, figsize=(13, 7), sharex=True, layout="constrained")
    for axes, (label, field) in zip(grid.ravel(), series, strict=True):
        y = [_value(p.result, field) for p in points]
        axes.plot(x, y, "o-", color="tab:blue", markersize=4)
        if all(math.isnan(v) for v in y):
            axes.text(0.5, 0.5, "nothing prints", transform=axes.transAxes, ha="center",
                      color="tab:red")  # fmt: skip
        axes.set(ylabel=label, title=label)
    for axes in grid[1]:
        axes.set_xlabel(_axis_label(variation))
    figure.suptitle(
        f"sweep of {variation.name} (gaps: no CD at the job's dose and focus, or no image)"
    )
    path = folder / f"sweep_{variation.name}.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _value(result: SimulationResult | None, field: str) -> float:
    if result is None:
        return math.nan
    if field == "yield_risk":
        return math.nan if result.signals is None else result.signals.yield_risk
    value = getattr(result, field, None)
    return math.nan if value is None else float(value)


def _axis_label(variation: Variation) -> str:
    units = {"pitch_nm": "nm", "target_cd_nm": "nm", "dose_mj_cm2": "mJ/cm²"}
    if variation.field == "focus_nm":
        return "focus (nm, + into the resist)"
    unit = units.get(variation.field)
    return f"{variation.name} ({unit})" if unit else variation.name
