"""``lto simulate``: run the physics for one job from flags or a JSON file.

The order matters to the person waiting: everything that can be refused without the physics
(bad input, a profile or NA that does not exist, a job that cannot image, an output that cannot
be written, a grid too large for memory) is refused first, in a second; then the simulator the
settings choose (``lto.bootstrap``) runs with a progress bar; then the JSON, pictures and tables
are written. Failures become one-line messages and exit codes in ``lto.cli.errors``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lto.cli.errors import CannotImage, CliError, ExitCode
from lto.cli.export import resist_summary, result_document, write_tables
from lto.cli.formatting import signed, summary
from lto.cli.inputs import customised, physics_settings, read_job
from lto.cli.preflight import check_can_image, check_memory, check_writable, profile_for
from lto.cli.progress import with_progress

if TYPE_CHECKING:
    from rich.console import Console

    from lto.atlas.contracts import JobParameters, SimulationResult
    from lto.bootstrap import Application
    from lto.matrix.adapters.physics import PhysicsSettings, PhysicsSimulator, Setup, Simulation

T = TypeVar("T")


def run(options: dict[str, Any]) -> None:
    """Simulate one job; ``options`` are the command's flags by parameter name."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    job = read_job(options.get("params_file"), options)
    out, plot, csv_dir = options.get("out"), options.get("plot"), options.get("csv_dir")
    app, physics = prepare(job, options, console, outputs=(out, plot, csv_dir))
    if app.builtin_simulator:
        simulation = simulate_builtin(app, physics, job, console)
        result, reason = simulation.result, why_nothing_prints(simulation, job)
        document = result_document(
            job, result, setup=simulation.setup, physics=physics, reason=reason
        )
        artifacts = _write_pictures_and_tables(simulation, job, plot, csv_dir, console)
        document["artifacts"] = {p.name: str(p) for p in artifacts}
    else:
        result = with_progress(console, lambda report: app.simulator.run(_new_id(), job, report))
        reason = _no_metrics_reason(result)
        document = result_document(job, result, reason=reason)
    write_json(document, out, console)
    console.print(summary(result), markup=False)
    reversal = image_reversal(simulation, job) if app.builtin_simulator else None
    if reversal is not None:  # said first: it explains what follows
        console.print(f"[yellow]warning[/yellow] {escape(reversal)}")
    if result.cd_nm is None and result.dose_to_size_mj_cm2 is not None:
        console.print(
            f"[yellow]warning[/yellow] the target line does not print at {job.dose_mj_cm2:g} "
            f"mJ/cm² and focus {job.focus_nm:g} nm; the process prints it at "
            f"{result.dose_to_size_mj_cm2:.1f} mJ/cm² (--dose) and best focus "
            f"{signed(result.best_focus_nm or 0.0)} nm (--focus)"
        )
    if reason is not None:
        raise CannotImage(reason)


def prepare(
    job: JobParameters,
    options: dict[str, Any],
    console: Console,
    *,
    outputs: tuple[Path | None, Path | None, Path | None],
) -> tuple[Application, PhysicsSettings]:
    """Every check that needs no physics, then the wired application and the engine settings."""
    from rich.markup import escape

    from lto.atlas import check_job
    from lto.bootstrap import bootstrap

    profile_for(job)
    check_can_image(job)
    for violation in check_job(job):
        console.print(
            f"[yellow]warning[/yellow] {escape(str(violation))} (the physics runs anyway)"
        )
    out, plot, csv_dir = outputs
    check_writable(out, folder=False, flag="--out")
    check_writable(plot, folder=True, flag="--plot")
    check_writable(csv_dir, folder=True, flag="--csv")
    app = bootstrap(create_dirs=False)  # simulate stores nothing in LTO_DATA_DIR
    physics = physics_settings(options)
    if app.builtin_simulator:
        check_memory(job, physics.focus_points)
    else:
        _refuse_builtin_only(options, plot, csv_dir)
    return app, physics


def _refuse_builtin_only(options: dict[str, Any], plot: Path | None, csv_dir: Path | None) -> None:
    """The external contract carries the job's parameters only: say what it cannot honour."""
    flags = customised(options)
    if plot is not None:
        flags.append("--plot")
    if csv_dir is not None:
        flags.append("--csv")
    if flags:
        raise CliError(
            f"{', '.join(flags)} need the built-in physics, but LTO_SIMULATOR=external "
            "(the external simulator receives the job's parameters only)",
            ExitCode.BAD_INPUT,
        )


def simulate_builtin(
    app: Application, physics: PhysicsSettings, job: JobParameters, console: Console
) -> Simulation:
    """The built-in physics, keeping what the pictures and tables need."""
    from rich.markup import escape

    simulator: PhysicsSimulator = app.simulator_with(physics)  # type: ignore[assignment]
    setup = checked_setup(simulator, job)
    console.print(escape(resist_summary(setup.resist)))
    job_id = _new_id()
    return with_progress(console, lambda report: simulator.simulate(job_id, job, report))


def checked_setup(simulator: PhysicsSimulator, job: JobParameters) -> Setup:
    """Build the clip, optics and resist now: a parameter the physics refuses (a Zernike index
    it lacks, a resist value out of range) is bad input, not a failed simulation."""
    from lto.matrix.ports import SimulationError

    try:
        return simulator.setup(job)
    except (ValueError, SimulationError) as exc:
        raise CliError(str(exc), ExitCode.BAD_INPUT) from exc


def why_nothing_prints(simulation: Simulation, job: JobParameters) -> str | None:
    """None when the feature prints somewhere in the matrix; else the reason, with the doses
    at which it would appear (from the darkest and brightest points of the latent image)."""
    result = simulation.result
    if result.cd_nm is not None or result.dose_to_size_mj_cm2 is not None:
        return None
    setup = simulation.setup
    try:
        latent = setup.cut.profile(
            setup.resist.latent_image(simulation.nominal_image, setup.clip.pixel_nm)
        )
        clear = float(setup.resist.open_frame_dose_to_clear)
    except (AttributeError, TypeError, ValueError):  # a resist model without a 2-D latent image
        return f"nothing prints at {job.dose_mj_cm2:g} mJ/cm² nor anywhere in the matrix"
    darkest, brightest = float(latent.min()), float(latent.max())
    if brightest <= 0 or brightest - darkest < 1e-6 * brightest:
        return "the latent image is flat: no pattern survives the optics and the bake's diffusion"
    low, high = clear / brightest, clear / max(darkest, 1e-12)
    where = "clears everywhere" if job.dose_mj_cm2 >= high else "clears nowhere"
    return (
        f"nothing prints at {job.dose_mj_cm2:g} mJ/cm² nor anywhere in the matrix: the resist "
        f"{where}; the pattern appears only between {low:.3g} and {high:.3g} mJ/cm² (image "
        f"contrast after diffusion {(brightest - darkest) / (brightest + darkest):.2f})"
    )


_TM_LIKE = {"TM", "x", "radial"}  # for lines along y, the field in the plane of the orders


def image_reversal(simulation: Simulation, job: JobParameters) -> str | None:
    """Why the numbers look odd when the aerial image at the job's focus is the mask's negative
    (bright where the mask is dark along the cut line), or None. Two beams polarised in their
    plane of incidence interfere with cos 2θ, negative when they meet at more than 90° in the
    resist: TM imaging of a dense pitch prints lines as spaces there."""
    import numpy as np

    setup = simulation.setup
    mask = setup.cut.profile(np.abs(np.asarray(setup.clip.transmission)) ** 2)
    image = setup.cut.profile(simulation.nominal_image)
    if np.ptp(mask) <= 0 or np.ptp(image) <= 1e-6 * max(float(image.max()), 1e-300):
        return None
    correlation = float(np.corrcoef(mask, image)[0, 1])
    if correlation >= -0.5:
        return None
    text = (
        f"the aerial image at focus {job.focus_nm:g} nm is reversed: bright where the mask "
        f"is dark (correlation {correlation:.2f} with the mask along the cut line)"
    )
    polarization = setup.optics.polarization
    if polarization in _TM_LIKE:
        sine = job.wavelength_nm / (2 * job.pitch_nm * setup.optics.medium_index)
        if sine < 1:
            text += (
                f"; {polarization} polarisation at this pitch: the two beams meet at 2θ = "
                f"{2 * np.degrees(np.arcsin(sine)):.0f}° in the resist and interfere with "
                f"cos 2θ = {1 - 2 * sine**2:.2f}, so lines image as spaces (TE or azimuthal "
                "polarisation images them as lines)"
            )
    return text


def _no_metrics_reason(result: SimulationResult) -> str | None:
    if result.cd_nm is None and result.dose_to_size_mj_cm2 is None:
        return "the simulator reports neither a CD nor a dose to size: nothing prints"
    return None


def _write_pictures_and_tables(
    simulation: Simulation,
    job: JobParameters,
    plot: Path | None,
    csv_dir: Path | None,
    console: Console,
) -> list[Path]:
    written: list[Path] = []
    if plot is not None:
        from lto.cli.plots import write_pictures

        written += write_pictures(simulation, job, plot)
    for folder in dict.fromkeys(f for f in (csv_dir, plot) if f is not None):
        written += write_tables(simulation.fem, folder)
    if written:
        folders = ", ".join(sorted({str(p.parent) for p in written}))
        console.print(f"wrote {len(written)} files into {folders}", markup=False)
    return written


def write_json(document: dict[str, Any], out: Path | None, console: Console) -> None:
    import json

    text = json.dumps(document, indent=2, ensure_ascii=False)
    if out is None:
        sys.stdout.write(text + "\n")
        return
    out.write_text(text + "\n")
    console.print(f"result written to {out}", markup=False)


def _new_id() -> str:
    from lto.atlas.identity import new_id

    return new_id("job")
