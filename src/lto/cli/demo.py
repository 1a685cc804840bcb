"""``lto demo``: LTO's main job on embedded defaults.

First a tour in the terminal: the domain model at work (typed quantities, the exposure
technologies and their limits, two real litho cells in a fab); the physics of two jobs; the
surrogate's pre-flight answer for the same jobs beside the physics (a small surrogate is trained
on the first run and kept); a short optimisation; three jobs through the real pipeline. Then
the product itself: the REST API with its worker and the web app, started as child processes
(``lto.cli.demo_serve``), with the URL and a ready-made API key printed; Ctrl-C stops them.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lto.atlas import (
    PROFILES,
    TECHNOLOGIES,
    Dose,
    JobParameters,
    Length,
)
from lto.atlas.examples import reference_fab
from lto.bootstrap import bootstrap
from lto.matrix import iccad

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lto.atlas.cell import LithoCell
    from lto.atlas.contracts import SimulationResult
    from lto.bootstrap import Application
    from lto.daedalus.ports import SurrogatePort

DEMO_SAMPLES = 600  # the first run's small surrogate: a few minutes of physics on two cores
DEMO_TRIALS = 20

ARF_JOB = JobParameters(
    na=1.35,
    wavelength_nm="193 nm",
    dose_mj_cm2="44 mJ/cm^2",
    sigma=0.9,
    sigma_inner=0.6,
    illumination="dipole",
    resist_thickness_nm=90,
    grid_size_nm=1,
    target_cd_nm=40,
    pitch_nm=80,
    submitted_by="demo",
)
EUV_JOB = JobParameters(
    na=0.33,
    wavelength_nm="13.5 nm",
    dose_mj_cm2="67.8 mJ/cm^2",
    sigma=0.8,
    sigma_inner=0.5,
    illumination="dipole",
    resist_thickness_nm=35,
    grid_size_nm=0.5,
    target_cd_nm=16,
    pitch_nm=32,
    job_class="critical",
    submitted_by="demo",
)
BAD_JOB = JobParameters(
    na=1.45,
    wavelength_nm=193,
    dose_mj_cm2=30,
    sigma=0.5,
    resist_thickness_nm=300,
    grid_size_nm=50,
    target_cd_nm=30,
    pitch_nm=60,
    constraint_profile="ArF-immersion",
    submitted_by="tired engineer",
)


def run_demo(
    console: Console | None = None,
    *,
    tour: bool = True,
    serve: bool = True,
    api_port: int = 8000,
    web_port: int = 8050,
    once: bool = False,
) -> None:
    console = console or Console()
    if serve:  # a taken port is said now, not after minutes of tour
        from lto.cli.demo_serve import check_ports

        check_ports("127.0.0.1", api_port, web_port)
    app = bootstrap()
    if not tour:
        app.engine  # noqa: B018 - migrate before the API and the web app start
        console.rule("[bold]LTO demo: the surrogate")
        demo_surrogate(app, console)
    else:
        show_tour(app, console)
    if serve:
        from lto.cli.demo_serve import serve_demo

        serve_demo(app, console, api_port=api_port, web_port=web_port, once=once)


def show_tour(app: Application, console: Console) -> None:
    app.engine  # noqa: B018 - a database that cannot be used is said now, not after training
    console.rule("[bold]LTO demo: embedded defaults")
    for port, adapter in app.components.items():
        console.print(f"  {port:<21} {adapter}", markup=False)
    console.print(f"  data dir         {app.settings.data_dir}", markup=False)

    console.rule("Typed quantities are parsed at the boundary")
    for text, kind in (("0.193 um", Length), ("193nm", Length), ("300 J/m^2", Dose)):
        console.print(f"  {text!r:>12} -> {kind.parse(text)}")

    console.rule("Exposure technologies and their constraint profiles")
    table = Table(
        "technology", "λ (nm)", "max NA", "medium n", "profile NA", "dose (mJ/cm²)", "resist (nm)"
    )
    for name, tech in TECHNOLOGIES.items():
        p = PROFILES[name]
        table.add_row(
            name,
            f"{tech.wavelength_nm:g}",
            f"{tech.max_na.value:g}",
            f"{tech.medium_index:g}",
            f"{p.na.low:g}–{p.na.high:g}",
            f"{p.dose_mj_cm2.low:g}–{p.dose_mj_cm2.high:g}",
            f"{p.resist_thickness_nm.low:g}–{p.resist_thickness_nm.high:g}",
        )
    console.print(table)

    console.rule("A fab of two litho cells")
    fab = reference_fab()
    for cell in fab.cells:
        console.print("\n".join(cell.describe()), markup=False, soft_wrap=True)
    console.print(f"{fab!r}; technology mix {dict(fab.technology_mix())}", markup=False)
    if keep_cells(app, fab.cells):
        console.print(
            "  kept in the database: the web app's Litho cell page draws them and the fab",
            markup=False,
        )

    console.rule("Physics: imaging, resist and the focus-exposure matrix (lto.matrix)")
    simulator = app.simulator  # the one LTO_SIMULATOR chooses, wired by lto.bootstrap
    table = Table(
        "job",
        "CD",
        "E size",
        "DoF",
        "EL%",
        "NILS",
        "MEEF",
        "risk",
        "health",
        "s",
        caption="CD and DoF (at 5% EL) in nm, dose to size in mJ/cm²; risk = yield risk",
    )
    physics = {}
    for label, params in (("ArF-i 40/80", ARF_JOB), ("EUV 16/32", EUV_JOB)):
        result = physics[label] = simulator.run(label, params)
        signals = result.signals
        assert signals is not None
        table.add_row(
            label,
            _num(result.cd_nm),
            _num(result.dose_to_size_mj_cm2),
            _num(result.depth_of_focus_nm, 0),
            _num(result.exposure_latitude_pct),
            _num(result.nils, 2),
            _num(result.meef, 2),
            f"{signals.yield_risk:.3f}",
            f"{signals.overall_health:.2f}",
            f"{result.compute.wall_time_s:.2f}",
        )
    console.print(table)
    clip = iccad.load_clip("M1_test1")
    started = time.perf_counter()
    peak = float(iccad.reference_image(clip).max())
    console.print(
        f"  ICCAD-2013 M1_test1 (2048² at 1 nm, 24 SOCS kernels): peak intensity {peak:.4f} "
        f"(community reference 0.4355) in {time.perf_counter() - started:.3f} s"
    )
    console.print("  pictures of any job: lto simulate ... --plot DIR")

    console.rule("Surrogate: the pre-flight answer in milliseconds (lto.daedalus)")
    surrogate = demo_surrogate(app, console)
    for label, params in (("ArF-i 40/80", ARF_JOB), ("EUV 16/32", EUV_JOB)):
        show_prediction(console, label, surrogate, params, physics[label])

    console.rule("Optimisation: dose and focus for the ArF-i job (lto.metis, Optuna)")
    show_optimisation(app, console)

    console.rule("The job pipeline: validate, pre-flight, queue, worker, evaluate (lto.capricorn)")
    show_pipeline(app, console)


def keep_cells(app: Application, cells: Iterable[LithoCell]) -> bool:
    """The tour's cells stored, where the database holds none yet (a second demo, or cells an
    engineer made, are left as they are); whether they were."""
    with app.uow() as uow:
        if uow.cells.list():
            return False
        for cell in cells:
            uow.cells.add(cell)
        uow.actor = "demo"
        uow.commit()
    return True


def demo_surrogate(app: Application, console: Console) -> SurrogatePort:
    """The current surrogate; on the first run, a small one trained here and kept."""
    from lto.cli.train import obtain_dataset, print_metrics, train
    from lto.daedalus import SurrogateError

    try:
        surrogate = app.model_store.load_current()
        console.print(f"  using the current model {surrogate.version}", markup=False)
        return surrogate
    except SurrogateError:
        pass
    console.print(
        f"  no surrogate yet: training a small one on {DEMO_SAMPLES} physics jobs (once; "
        "`lto train` makes the full 3,000-job model)",
        markup=False,
    )
    data = obtain_dataset(app, None, DEMO_SAMPLES, 0, 2, console)
    trained = train(app, data, 0, console)
    app.model_store.save(trained)
    print_metrics(trained, console)
    return trained


def show_optimisation(app: Application, console: Console) -> None:
    """A short physics study: the dose and focus with the least yield risk for the ArF job."""
    from lto.metis import FreeParameter, Objective, OptimizationProblem

    problem = OptimizationProblem(
        ARF_JOB,
        free=(FreeParameter("dose_mj_cm2", 38.0, 50.0), FreeParameter("focus_nm", -60.0, 60.0)),
        objectives=(Objective("yield_risk", "minimize"),),
    )
    started = time.perf_counter()
    result = app.study_engine.optimize(
        problem,
        app.simulator,
        study_name=f"demo-{uuid.uuid4().hex[:8]}",
        trials=DEMO_TRIALS,
        seed=0,
    )
    best = result.best[0] if result.best else None
    if best is None:
        console.print("  no feasible setting found", markup=False)
        return
    console.print(
        f"  {len(result.trials)} physics trials in {time.perf_counter() - started:.1f} s: least yield risk "
        f"{best.values[0]:.3f} at {best.params['dose_mj_cm2']:.1f} mJ/cm², focus "
        f"{best.params['focus_nm']:+.0f} nm (study {result.study_name}; more: lto optimize --help)",
        markup=False,
    )


def show_prediction(
    console: Console,
    label: str,
    surrogate: SurrogatePort,
    params: JobParameters,
    result: SimulationResult,
) -> None:
    from lto.cli.predict import outside_reasons

    prediction = surrogate.evaluate(params, explain=True)
    actual = result.signals.as_dict() if result.signals else {}
    table = Table(
        "score",
        "surrogate",
        "95% interval",
        "physics",
        title=f"{label}: {prediction.inference_time_ms:.1f} ms (with attributions) vs {result.compute.wall_time_s:.1f} s of physics",
        caption="overall_health: the physics counts its own reliability as 1",
    )
    for name, interval in prediction.scores.items():
        value = actual.get(name)
        shown = "—" if value is None or name == "surrogate_reliability" else f"{value:.3f}"
        table.add_row(
            name, f"{interval.mean:.3f}", f"{interval.lower:.3f} – {interval.upper:.3f}", shown
        )
    console.print(table)
    flags = prediction.flags
    if flags.recommend_physics:
        reasons = outside_reasons(surrogate, params)
        why = "; ".join(reasons) or (
            "out of distribution" if flags.out_of_distribution else "high uncertainty"
        )
        console.print(f"  [yellow]run the physics[/yellow]: {escape(why)}")
    else:
        console.print("  inside the training domain; the surrogate can be trusted here")


def show_pipeline(app: Application, console: Console) -> None:
    """Three jobs through the real pipeline (SQLite, the in-process broker, a worker here)."""
    from lto.capricorn.service.commands import SubmitJob
    from lto.cli.jobs import job_view, run_until_done

    submitted = [
        (label, app.bus.handle(SubmitJob(params.model_dump(mode="json"))))
        for label, params in (
            ("ArF-i 40/80", ARF_JOB),
            ("EUV 16/32", EUV_JOB),
            ("tired engineer", BAD_JOB),
        )
    ]
    run_until_done(app, [s.job_id for _, s in submitted], timeout=600)
    for label, done in submitted:
        view = job_view(app, done.job_id)
        path = " → ".join(change["state"] for change in view["history"])
        console.print(f"  {label} ({done.job_id}): {path}", markup=False)
        for reason in view["rejection"]:
            console.print(f"      - {reason}", markup=False)
        if view["state"] != "rejected":
            console.print(f"      pre-flight: {view['note']}", markup=False)
        if view["evaluation"]:
            for line in view["evaluation"].get("details") or ["as predicted"]:
                console.print(f"      evaluation: {line}", markup=False)
        if view["artifacts"]:
            console.print(f"      artifacts: {', '.join(view['artifacts'].values())}", markup=False)
    console.print(
        "  more: lto jobs submit --help, lto worker, lto jobs list, lto alerts list", markup=False
    )


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"
