"""``lto predict``: the surrogate's pre-flight answer for one job, and with ``--compare`` the
physics beside it.

The job comes from the same flags or JSON file as ``lto simulate``. The model is the current
one (``lto train`` sets it) or ``--model DIR``. The answer says when not to trust it: out of
the training domain (with the reasons), beyond the training data's distance, or uncertain.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lto.cli.inputs import read_job

if TYPE_CHECKING:
    from rich.console import Console

    from lto.atlas.contracts import JobParameters, SimulationResult, TradeoffPrediction
    from lto.daedalus.ports import SurrogatePort

TOP_FEATURES = 3


def run(options: dict[str, Any]) -> None:
    from rich.console import Console

    from lto.bootstrap import bootstrap
    from lto.cli.errors import CliError, ExitCode
    from lto.cli.preflight import profile_for
    from lto.daedalus import SurrogateError, load_surrogate

    console = Console(highlight=False, soft_wrap=True)
    job = read_job(options.get("params_file"), options)
    profile_for(job)  # an unknown profile, or an NA no lens at λ reaches: bad input, as simulate
    app = bootstrap(create_dirs=False)
    model: Path | None = options.get("model")
    try:
        surrogate = load_surrogate(model) if model is not None else app.preflight
    except SurrogateError as exc:
        if model is None:
            raise
        raise CliError(f"--model {model}: {exc}", ExitCode.BAD_INPUT) from exc
    prediction = surrogate.evaluate(job, explain=True)
    physics = None
    if options.get("compare"):
        from lto.cli.preflight import check_can_image
        from lto.cli.progress import with_progress

        check_can_image(job)
        err = Console(stderr=True, highlight=False)
        physics = with_progress(err, lambda report: app.simulator.run("compare", job, report))
    if options.get("as_json"):
        document: dict[str, Any] = {"prediction": prediction.model_dump(mode="json")}
        if physics is not None:
            document["physics"] = physics.model_dump(mode="json")
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return
    show(console, job, surrogate, prediction, physics)


def show(
    console: Console,
    job: JobParameters,
    surrogate: SurrogatePort,
    prediction: TradeoffPrediction,
    physics: SimulationResult | None,
) -> None:
    from rich.markup import escape
    from rich.table import Table

    columns = ["score", "predicted", f"{prediction.confidence_level:.0%} interval"]
    if physics is not None:
        columns += ["physics", "inside"]
    table = Table(*columns, title=f"pre-flight prediction ({prediction.model_version})")
    actual = physics.signals.as_dict() if physics is not None and physics.signals else {}
    for name, interval in prediction.scores.items():
        row = [name, f"{interval.mean:.3f}", f"{interval.lower:.3f} – {interval.upper:.3f}"]
        if physics is not None:
            value = actual.get(name)
            if name == "surrogate_reliability" or value is None:
                row += ["—", ""]
            elif name == "overall_health":  # physics counts its own reliability as 1
                row += [f"{value:.3f}", "n/a"]
            else:
                inside = interval.lower <= value <= interval.upper
                row += [f"{value:.3f}", "yes" if inside else "[red]no[/red]"]
        table.add_row(*row)
    console.print(table)
    if physics is not None:
        console.print(
            "overall_health is not compared: the physics counts its own reliability as 1, the "
            "prediction its surrogate_reliability",
            markup=False,
        )
    flags = prediction.flags
    reasons = outside_reasons(surrogate, job)
    if flags.out_of_distribution:
        why = "; ".join(reasons) or (
            f"its features lie {flags.ood_distance:.2f}× the training data's 99th-percentile "
            "distance"
        )
        console.print(f"[yellow]out of distribution[/yellow]: {escape(why)}")
    if flags.high_uncertainty:
        console.print("[yellow]high uncertainty[/yellow]: the intervals are wider than usual")
    if flags.drift_detected:
        console.print(
            "[yellow]drift detected[/yellow]: the last `lto drift` found recent jobs unlike this "
            "model's training data (retrain: `lto retrain`)"
        )
    verdict = "run the physics" if flags.recommend_physics else "the surrogate can be trusted here"
    console.print(f"recommendation: {verdict} (OOD distance {flags.ood_distance:.2f})")
    for score, contributions in prediction.attributions.items():
        top = list(contributions.items())[:TOP_FEATURES]
        console.print(
            f"  why {score}: " + ", ".join(f"{name} {value:+.3f}" for name, value in top),
            markup=False,
        )
    console.print(_quality_line(surrogate, prediction), markup=False)


def outside_reasons(surrogate: SurrogatePort, job: JobParameters) -> list[str]:
    """Why ``job`` lies outside the surrogate's training domain, each naming the field and the
    range (empty: inside). The prediction's flag says whether; this says why."""
    from lto.daedalus.columns import row_from_job

    row = row_from_job(job)
    return list(surrogate.domain.violations({name: [value] for name, value in row.items()})[0])


def _quality_line(surrogate: SurrogatePort, prediction: TradeoffPrediction) -> str:
    metrics = getattr(surrogate, "metrics", {}) or {}
    accuracy, coverage = metrics.get("accuracy"), metrics.get("coverage")
    held_out = ""
    if accuracy and coverage:
        covered = ", ".join(f"{name} {100 * v:.1f}%" for name, v in coverage.items())
        held_out = (
            f" · held-out accuracy {100 * accuracy['overall']:.1f}% (all four scores within "
            f"0.05) · coverage {covered}"
        )
    return f"model {prediction.model_version} · {prediction.inference_time_ms:.1f} ms{held_out}"
