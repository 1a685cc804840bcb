"""``lto optimize``: search process settings over the physics or the surrogate (Metis).

The job flags (or ``--params``) are the template; ``--free`` says what to search, ``--objective``
what to optimise (several: a Pareto front), ``--constraint`` what must hold besides the
profile's rules. Everything that can be refused without running anything is refused first.
The study lives in ``LTO_STUDY_STORAGE``; ``--study NAME`` resumes or joins one.
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lto.atlas.contracts import SIGNAL_NAMES
from lto.cli.errors import CliError, ExitCode
from lto.cli.inputs import read_job
from lto.cli.preflight import check_writable, profile_for

if TYPE_CHECKING:
    from rich.console import Console

    from lto.atlas.contracts import JobParameters
    from lto.bootstrap import Application
    from lto.metis import OptimizationProblem, OptimizationResult
    from lto.metis.ports import Evaluator

SHOWN_FRONT = 12
DISAGREEMENT = 0.1  # mean |surrogate − physics| on a score beyond which the search is doubtful


def run(options: dict[str, Any]) -> None:
    from rich.console import Console

    from lto.bootstrap import bootstrap

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    job = read_job(options.get("params_file"), options)
    problem, notes = build_problem(job, options)
    for note in notes:
        console.print(f"note: {note}", markup=False)
    out: Path | None = options.get("out")
    check_writable(out, folder=False, flag="--out")
    kind: str = options["evaluator"]
    if kind != "physics" and problem.physics_only:
        raise CliError(
            f"--evaluator {kind}: the surrogate predicts the six scores only; "
            f"{', '.join(problem.physics_only)} "
            f"{'needs' if len(problem.physics_only) == 1 else 'need'} --evaluator physics",
            ExitCode.BAD_INPUT,
        )
    app = bootstrap()
    study = options.get("study_name") or _new_study_name()
    result = _search(app, problem, kind, study, options, console)
    _track(app, result, console)
    document = result.to_json()
    if out is not None:
        out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        console.print(f"result written to {out}", markup=False)
    if options.get("as_json"):
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        show(result, Console(highlight=False, soft_wrap=True))
    if not result.best:
        raise CliError(no_feasible_reason(result), ExitCode.CANNOT_IMAGE)


def build_problem(
    job: JobParameters, options: dict[str, Any]
) -> tuple[OptimizationProblem, list[str]]:
    """The problem the flags pose, each range cut to what the profile allows (with a note
    where it was cut; refused where nothing is left)."""
    from lto.metis import OptimizationProblem, parse_constraint, parse_free, parse_objective
    from lto.metis.problem import within_profile

    profile = profile_for(job)
    free, notes = [], []
    for text in options["free"]:
        parameter, note = within_profile(parse_free(text, job, profile), job, profile)
        free.append(parameter)
        notes += [note] if note else []
    objectives = tuple(parse_objective(text) for text in options["objectives"])
    constraints = tuple(parse_constraint(text) for text in options.get("constraints") or ())
    problem = OptimizationProblem(
        template=job,
        free=tuple(free),
        objectives=objectives,
        constraints=constraints,
        profile_name=profile.name,
    )
    return problem, notes


def _search(
    app: Application,
    problem: OptimizationProblem,
    kind: str,
    study: str,
    options: dict[str, Any],
    console: Console,
) -> OptimizationResult:
    from lto.cli.progress import progress_bar
    from lto.metis import optimize_two_stage

    trials: int = options["trials"]
    engine = app.study_engine
    common: dict[str, Any] = {"study_name": study, "trials": trials}
    common.update(sampler=options["sampler"], seed=options.get("seed"))
    where = {"physics": "the physics", "surrogate": "the surrogate"}.get(
        kind, "the surrogate, the best confirmed by the physics"
    )
    aims = ", ".join(f"{o.name} {o.direction}" for o in problem.objectives)
    opened: list[int] = []

    def banner(done: int) -> None:
        """Said once the study is open (a refused resume says nothing but its error)."""
        if done >= trials:
            line = f"study {study} already holds {done} complete trials (--trials {trials}): nothing new to run"
        elif done:
            line = f"resuming study {study}: {done} of {trials} trials done, on {where} ({aims})"
        else:
            line = f"study {study}: {trials} trials on {where} ({aims})"
        console.print(line, markup=False)

    with progress_bar(console, amount="{task.completed:.0f}/{task.total:.0f}") as bar:
        task = bar.add_task("trials", total=trials)

        def trial_done(done: int, total: int) -> None:
            if not opened:
                opened.append(done)
                banner(done)
            bar.update(task, completed=done, total=total)

        if kind == "two-stage":
            confirm_task = bar.add_task("physics confirms", total=options["confirm_top"])
            return optimize_two_stage(
                engine, problem, _surrogate(app), app.simulator,
                confirm_top=options["confirm_top"], progress=trial_done,
                confirm_progress=lambda done, total: bar.update(confirm_task, completed=done, total=total),
                **common,
            )  # fmt: skip
        evaluator: Evaluator = _surrogate(app) if kind == "surrogate" else app.simulator
        return engine.optimize(
            problem, evaluator, evaluator_name=kind, progress=trial_done, **common
        )


def _track(app: Application, result: OptimizationResult, console: Console) -> None:
    """The study as an MLflow run; the study itself is stored either way, so a tracking store
    that is down is a warning, not a failure."""
    from rich.markup import escape

    from lto.metis.registry import RegistryError
    from lto.metis.run_figures import study_figures

    try:
        run = app.registry.log_optimization(result, study_figures(result))
    except RegistryError as exc:
        console.print(f"[yellow]warning[/yellow] not tracked in MLflow: {escape(str(exc))}")
        return
    console.print(f"tracked as MLflow run {run} (experiment lto-optimization)", markup=False)


def _surrogate(app: Application) -> Evaluator:
    from lto.daedalus import SurrogateError

    try:
        return app.surrogate
    except SurrogateError as exc:
        raise CliError(f"{exc} (or use --evaluator physics)", ExitCode.ENVIRONMENT) from exc


def _new_study_name() -> str:
    return f"optimize-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def no_feasible_reason(result: OptimizationResult) -> str:
    """Why no trial was feasible, by the reasons seen most often."""
    seen = Counter(_rule(reason) for trial in result.trials for reason in trial.reasons)
    common = "; ".join(f"{reason} ({count}×)" for reason, count in seen.most_common(3))
    return (
        f"no feasible setting in {len(result.trials)} trials of study {result.study_name}: "
        f"{common or 'every trial broke a rule'}. Move the --free ranges (or the job's fixed "
        "parameters) to where these rules hold, or relax --constraint"
    )


def _rule(reason: str) -> str:
    """A reason without the trial's own values, so that trials breaking one rule count as one
    (``…`` stands for the numbers that differ between trials)."""
    cut = re.sub(r" \(got [^)]*\)$", "", reason)
    cut = re.sub(r" \([a-z_]+ = [^)]*\)$", "", cut)
    return re.sub(r"= -?\d+\.\d+(e-?\d+)?", "= …", cut)


# --- tables -----------------------------------------------------------------------------------


def show(result: OptimizationResult, console: Console) -> None:
    from rich.table import Table

    problem = result.problem
    names = [o.name for o in problem.objectives]
    infeasible = len(result.trials) - len(result.feasible)
    console.print(
        f"{len(result.trials)} trials, {len(result.feasible)} feasible, {infeasible} infeasible "
        f"(study {result.study_name}, evaluator {result.evaluator})",
        markup=False,
    )
    if result.running:
        console.print(
            f"{result.running} more trials are still running in other processes: the same "
            "command with --study shows them once they finish",
            markup=False,
        )
    _surrogate_warnings(result, console)
    for name in result.flat_objectives():
        value = result.feasible[0].values[names.index(name)]
        console.print(
            f"note: {name} is {value:.4g} in every feasible trial: the free parameters do not "
            "move it (no best setting, no importance)",
            markup=False,
        )
    flat = set(result.flat_objectives())
    best = [] if flat >= set(names) else result.best[:SHOWN_FRONT]
    if best:
        points = len(result.best)
        title = (
            "best settings"
            if len(names) == 1
            else f"Pareto front ({points} point{'s' * (points != 1)})"
        )
        table = Table(title=title, title_justify="left")
        table.add_column("trial", justify="right")
        for parameter in problem.free:
            table.add_column(parameter.name, justify="right")
        for name in names:
            table.add_column(name, justify="right")
        for trial in best:
            table.add_row(
                str(trial.number),
                *(f"{trial.params[p.name]:.4g}" for p in problem.free),
                *(f"{v:.4g}" for v in trial.values),
            )
        console.print(table)
    for objective, shares in result.importance.items():
        ranked = sorted(shares.items(), key=lambda kv: -kv[1])
        console.print(
            f"importance for {objective}: " + ", ".join(f"{k} {v:.0%}" for k, v in ranked),
            markup=False,
        )
    if result.confirmations:
        _show_confirmations(result, console)


def _surrogate_warnings(result: OptimizationResult, console: Console) -> None:
    """Say when the surrogate's own flags call its scores into doubt."""
    trials = len(result.trials)
    outside = sum(1 for t in result.trials if t.flags.get("out_of_distribution"))
    uncertain = sum(1 for t in result.trials if t.flags.get("high_uncertainty"))
    if outside:
        console.print(
            f"warning: {outside} of {trials} trials lie outside the surrogate's training domain "
            "or data; their scores are extrapolated (confirm with the physics)",
            markup=False,
        )
    if uncertain:
        console.print(
            f"warning: the surrogate flagged {uncertain} of {trials} trials as too uncertain to "
            "trust (its intervals are wider than its accuracy allows): "
            + (
                "trust the physics confirmations below, not the surrogate's scores"
                if result.confirmations
                else "use --evaluator physics or two-stage for decisions"
            ),
            markup=False,
        )


def _show_confirmations(result: OptimizationResult, console: Console) -> None:
    from rich.markup import escape
    from rich.table import Table

    names = [o.name for o in result.problem.objectives]
    table = Table(title="confirmed by physics (surrogate → physics)", title_justify="left")
    for parameter in result.problem.free:
        table.add_column(parameter.name, justify="right")
    for name in names:
        table.add_column(name, justify="right")
    table.add_column("feasible")
    for c in result.confirmations:
        cells = []
        for name in names:
            s, p = c.surrogate.get(name), c.physics.get(name)
            cells.append(f"{_num(s)} → {_num(p)}")
        table.add_row(
            *(f"{c.params[p.name]:.4g}" for p in result.problem.free),
            *cells,
            "yes" if c.physics_feasible else escape("no: " + "; ".join(c.reasons)),
        )
    console.print(table)
    disagree = False
    for name in names:
        gaps = [d for c in result.confirmations if (d := c.difference(name)) is not None]
        if gaps:
            mean = sum(gaps) / len(gaps)
            disagree = disagree or (name in SIGNAL_NAMES and mean > DISAGREEMENT)
            console.print(
                f"surrogate vs physics, {name}: mean |difference| {mean:.3f}, largest {max(gaps):.3f}",
                markup=False,
            )
    confirmed = result.best_confirmed
    if confirmed is None:
        console.print("no candidate is feasible under the physics", markup=False)
        return
    settings = ", ".join(f"{k} {v:.4g}" for k, v in confirmed.params.items())
    objective = result.problem.objectives[0]
    value = confirmed.physics.get(objective.name)
    console.print(
        f"best of the candidates under the physics: {settings} ({objective.name} "
        f"{_num(value)} by the physics)",
        markup=False,
    )
    if disagree:
        console.print(
            f"warning: the surrogate and the physics disagree by more than {DISAGREEMENT} on "
            "average here, so the surrogate's search may have missed the best settings: "
            "search with --evaluator physics",
            markup=False,
        )


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"
