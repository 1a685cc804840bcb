"""The search behind ``StudyEngine``: Optuna, imported here only (lazily, on first use).

Storage: Optuna's RDB storage on the application's PostgreSQL (``postgresql://…``), or for the
embedded default a journal file (``journal:PATH`` or a path ending in ``.journal``): several
local processes may share it, where SQLite would lock under parallel writers. A study is made
once and joined by name: the problem is stored with it, and a second process (or a rerun after a
crash) that names the same study continues it. Asking to run another problem under an existing
name is refused.

The trial budget holds across processes: a trial whose number leaves the budget already taken
by complete and running trials numbered before it stops without evaluating (numbers are handed
out in order by the storage), so ``trials`` complete trials are recorded, each once, however many
processes share the study. Trials a crashed process left running are failed when they have
been running longer than ``stale_after_s``, so a resumed study refills their place.

Every trial is recorded, feasible or not: a job the profile's rules refuse, or one the
evaluator fails on, is a complete trial with its constraints violated, the reasons in its
attributes and the objectives' worst values, never silently dropped.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lto.metis._text import first_line
from lto.metis.ports import Evaluator, TrialProgress
from lto.metis.problem import (
    OptimizationProblem,
    ProblemError,
    Sampler,
    objective_values,
    outcome_values,
)
from lto.metis.results import Confirmation, OptimizationResult, TrialRecord

if TYPE_CHECKING:
    import optuna

PROBLEM_ATTR = "lto_problem"
EVALUATOR_ATTR = "lto_evaluator"
CONFIRMATIONS_ATTR = "lto_confirmations"
PARAMETER_RULES = "parameter_rules"  # constraint key: the profile's and the contract's rules
EVALUATION = "evaluation"  # constraint key: the evaluator failed


class StudyError(RuntimeError):
    """A study cannot be opened or run (storage unreachable, unknown study); says why."""


def open_storage(location: str) -> Any:
    """Optuna storage for ``location``: an SQLAlchemy URL (RDB; PostgreSQL in deployment),
    ``journal:PATH`` or a ``*.journal`` path (a journal file, for processes on one machine)."""
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    if location == "memory:":  # throwaway searches (pre-flight's alternatives)
        return optuna.storages.InMemoryStorage()
    if location.startswith(("postgresql:", "postgresql+psycopg:", "sqlite:", "mysql")):
        url = location.replace("postgresql://", "postgresql+psycopg://", 1)
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs={"pool_pre_ping": True})
        except Exception as exc:  # the driver's own exception types vary
            raise StudyError(f"study storage {_safe(location)}: {first_line(exc)}") from exc
    path = Path(location.removeprefix("journal:")).expanduser()
    if not location.startswith("journal:") and path.suffix != ".journal":
        raise StudyError(
            f"study storage {location!r}: give a postgresql:// or sqlite:/// URL, or a journal "
            "file (journal:PATH or a path ending in .journal)"
        )
    if not path.parent.is_dir():
        raise StudyError(f"study storage {path}: the folder {path.parent} does not exist")
    try:
        return JournalStorage(JournalFileBackend(str(path)))
    except OSError as exc:
        raise StudyError(f"study storage {path}: cannot write there ({exc.strerror})") from exc


class OptunaStudyEngine:
    """``StudyEngine`` on Optuna, over one storage location."""

    def __init__(self, location: str, *, stale_after_s: float = 900.0) -> None:
        self.location = location
        self.stale_after_s = stale_after_s
        self._storage: Any = None

    @property
    def storage(self) -> Any:
        if self._storage is None:
            self._storage = open_storage(self.location)
        return self._storage

    # --- running ------------------------------------------------------------------------------

    def optimize(
        self,
        problem: OptimizationProblem,
        evaluator: Evaluator,
        *,
        study_name: str,
        trials: int,
        evaluator_name: str = "physics",
        sampler: Sampler = "auto",
        seed: int | None = None,
        worker: int = 0,
        progress: TrialProgress | None = None,
    ) -> OptimizationResult:
        import optuna

        if trials < 1:
            raise ProblemError(f"trials: need at least 1 (got {trials})")
        # ERROR: a trial stopped by Ctrl-C would otherwise print Optuna's warning with its stack
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        study = self._open(problem, study_name, evaluator_name, sampler, seed, worker, trials)
        self._fail_stale(study)
        objective = _Objective(problem, evaluator, trials, worker)
        report = progress or (lambda done, total: None)
        report(_complete(study), trials)

        def after_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
            done = _complete(study)
            report(min(done, trials), trials)
            if done >= trials or objective.budget_spent:
                study.stop()

        if _complete(study) < trials:
            budget = optuna.study.MaxTrialsCallback(
                trials, states=(optuna.trial.TrialState.COMPLETE,)
            )
            study.optimize(objective, n_trials=trials, callbacks=[after_trial, budget], catch=())
        return self.result(study_name)

    def record_confirmations(self, study_name: str, confirmations: Sequence[Confirmation]) -> None:
        study = self._load(study_name)
        payload = [
            {
                "params": c.params,
                "surrogate": c.surrogate,
                "physics": c.physics,
                "physics_feasible": c.physics_feasible,
                "reasons": c.reasons,
            }
            for c in confirmations
        ]
        study.set_user_attr(CONFIRMATIONS_ATTR, payload)

    # --- reading ------------------------------------------------------------------------------

    def result(self, study_name: str) -> OptimizationResult:
        import optuna

        study = self._load(study_name)
        problem = OptimizationProblem.from_json(json.loads(study.user_attrs[PROBLEM_ATTR]))
        complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        records = [_record(t) for t in complete]
        running = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)))
        confirmations = [
            Confirmation(
                params=c["params"], surrogate=c["surrogate"], physics=c["physics"],
                physics_feasible=bool(c["physics_feasible"]), reasons=list(c["reasons"]),
            )
            for c in study.user_attrs.get(CONFIRMATIONS_ATTR, [])
        ]  # fmt: skip
        return OptimizationResult(
            study_name=study_name,
            problem=problem,
            evaluator=str(study.user_attrs.get(EVALUATOR_ATTR, "")),
            trials=records,
            importance=_importance(study, problem, records),
            confirmations=confirmations,
            running=running,
        )

    def study_names(self) -> list[str]:
        import optuna

        return [s.study_name for s in optuna.get_all_study_summaries(self.storage)]

    # --- helpers ------------------------------------------------------------------------------

    def _load(self, study_name: str) -> optuna.Study:
        import optuna

        try:
            study = optuna.load_study(study_name=study_name, storage=self.storage)
        except KeyError:
            raise StudyError(
                f"study {study_name!r}: no such study in {_safe(self.location)}"
            ) from None
        if PROBLEM_ATTR not in study.user_attrs:
            raise StudyError(f"study {study_name!r} was not made by LTO (it holds no problem)")
        return study

    def _open(
        self,
        problem: OptimizationProblem,
        study_name: str,
        evaluator_name: str,
        sampler: Sampler,
        seed: int | None,
        worker: int,
        trials: int,
    ) -> optuna.Study:
        import optuna

        encoded = json.dumps(problem.to_json(), sort_keys=True)
        chosen = make_sampler(sampler, problem, seed=seed, worker=worker, trials=trials)
        try:
            study = optuna.create_study(
                storage=self.storage, study_name=study_name, sampler=chosen,
                directions=problem.directions, load_if_exists=True,
            )  # fmt: skip
        except Exception as exc:  # a racing creation, or a storage that went away
            try:
                study = optuna.load_study(
                    study_name=study_name, storage=self.storage, sampler=chosen
                )
            except Exception:
                raise StudyError(f"study {study_name!r}: {first_line(exc)}") from exc
        stored = study.user_attrs.get(PROBLEM_ATTR)
        if stored is None:
            study.set_user_attr(PROBLEM_ATTR, encoded)
            study.set_user_attr(EVALUATOR_ATTR, evaluator_name)
        elif json.loads(stored) != json.loads(encoded):
            raise ProblemError(
                f"study {study_name!r} already holds another problem (other parameters, "
                "objectives or constraints): choose another --study name, or repeat the same "
                "problem to resume it"
            )
        elif study.user_attrs.get(EVALUATOR_ATTR) != evaluator_name:
            raise ProblemError(
                f"study {study_name!r} was run on the {study.user_attrs.get(EVALUATOR_ATTR)}; "
                f"it cannot continue on the {evaluator_name}: choose another --study name"
            )
        return study

    def _fail_stale(self, study: optuna.Study) -> None:
        """Trials a crashed process left running are failed, so a resumed study refills them."""
        import optuna

        now = datetime.now(UTC).replace(tzinfo=None)
        for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            started = trial.datetime_start
            if started is None:
                continue
            if started.tzinfo is not None:
                started = started.astimezone(UTC).replace(tzinfo=None)
            if (now - started).total_seconds() > self.stale_after_s:
                try:
                    study._storage.set_trial_state_values(
                        trial._trial_id, optuna.trial.TrialState.FAIL
                    )
                except Exception:  # another process finished or failed it meanwhile
                    continue


class _Objective:
    """One trial: the budget check, the parameters, the rules, the evaluation, the values."""

    def __init__(
        self, problem: OptimizationProblem, evaluator: Evaluator, trials: int, worker: int
    ) -> None:
        self.problem = problem
        self.evaluator = evaluator
        self.trials = trials
        self.worker = worker
        self.budget_spent = False

    def __call__(self, trial: optuna.Trial) -> list[float]:
        import optuna

        if _taken_before(trial) >= self.trials:
            self.budget_spent = True
            raise optuna.TrialPruned("the study's trial budget is spent")
        values = {p.name: trial.suggest_float(p.name, p.low, p.high) for p in self.problem.free}
        trial.set_user_attr("worker", f"{os.getpid()}:{self.worker}")
        job, reasons = self.problem.job_for(values)
        if job is None or reasons:
            return self._infeasible(trial, PARAMETER_RULES, reasons)
        try:
            outcome = self.evaluator.evaluate(job)
        except (RuntimeError, ValueError) as exc:  # SimulationError, SurrogateError, bad jobs
            return self._infeasible(trial, EVALUATION, [f"evaluation failed: {first_line(exc)}"])
        measured = outcome_values(outcome)
        found, missing = objective_values(self.problem.objectives, measured)
        trial.set_user_attr("outcome", _finite(measured))
        flags = getattr(outcome, "flags", None)
        if flags is not None:
            trial.set_user_attr("flags", flags.model_dump(mode="json"))
        broken = [f"{name}: the evaluator gave no value" for name in missing]
        trial.set_constraint(PARAMETER_RULES, 0.0)
        trial.set_constraint(EVALUATION, 1.0 if missing else 0.0)
        for constraint in self.problem.constraints:
            violation = constraint.violation(measured.get(constraint.name))
            trial.set_constraint(constraint.key, violation)
            if violation > 0:
                value = measured.get(constraint.name)
                shown = "none" if value is None else f"{value:.4g}"
                broken.append(f"{constraint.key} does not hold ({constraint.name} = {shown})")
        trial.set_user_attr("reasons", broken)
        return found

    def _infeasible(self, trial: optuna.Trial, key: str, reasons: list[str]) -> list[float]:
        trial.set_constraint(PARAMETER_RULES, 1.0 if key == PARAMETER_RULES else 0.0)
        trial.set_constraint(EVALUATION, 1.0 if key == EVALUATION else 0.0)
        for constraint in self.problem.constraints:
            trial.set_constraint(constraint.key, 1.0)
        trial.set_user_attr("reasons", reasons)
        trial.set_user_attr("outcome", {})
        return [o.worst for o in self.problem.objectives]


def make_sampler(
    name: Sampler, problem: OptimizationProblem, *, seed: int | None, worker: int, trials: int
) -> Any:
    """TPE (multivariate, constant liar for parallel workers) by default for one or several
    objectives; NSGA-II, Optuna's GP sampler (constrained problems) or random on request.
    Each worker of a shared study draws from its own seed."""
    import optuna

    seeded = None if seed is None else seed + 7919 * worker
    startup = max(5, min(10, trials // 5))
    if name in ("auto", "tpe"):
        return optuna.samplers.TPESampler(
            seed=seeded, multivariate=True, constant_liar=True, n_startup_trials=startup
        )
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(
            seed=seeded, population_size=max(8, min(50, trials // 5))
        )
    if name == "gp":
        return optuna.samplers.GPSampler(seed=seeded, n_startup_trials=startup)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seeded)
    raise ProblemError(f"sampler {name!r}: choose auto, tpe, nsga2, gp or random")


def _taken_before(trial: optuna.Trial) -> int:
    """Complete and running trials numbered before this one: the budget they hold."""
    import optuna

    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.RUNNING)
    others = trial.study.get_trials(deepcopy=False, states=states)
    return sum(1 for t in others if t.number < trial.number)


def _complete(study: optuna.Study) -> int:
    import optuna

    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


def _record(trial: optuna.trial.FrozenTrial) -> TrialRecord:
    constraints = trial.constraints
    return TrialRecord(
        number=trial.number,
        params={k: float(v) for k, v in trial.params.items()},
        values=[float(v) for v in (trial.values or [])],
        feasible=all(v <= 0.0 for v in constraints.values()),
        reasons=list(trial.user_attrs.get("reasons", [])),
        outcome=dict(trial.user_attrs.get("outcome", {})),
        flags=dict(trial.user_attrs.get("flags", {})),
    )


def _importance(
    study: optuna.Study, problem: OptimizationProblem, records: Sequence[TrialRecord]
) -> dict[str, dict[str, float]]:
    """Per objective, each free parameter's share of the variation (Optuna's fANOVA over the
    feasible trials); empty where too few trials vary."""
    import optuna

    feasible = {r.number for r in records if r.feasible}
    names = [p.name for p in problem.free]
    if len(feasible) < 4:
        return {}
    moving = [  # a constant objective: no parameter explains any of it
        (i, o)
        for i, o in enumerate(problem.objectives)
        if len({r.values[i] for r in records if r.feasible}) > 1
    ]
    if len(names) == 1:
        return {o.name: {names[0]: 1.0} for _, o in moving}
    subset = optuna.create_study(directions=problem.directions)
    subset.add_trials([t for t in study.get_trials(deepcopy=False) if t.number in feasible])
    found: dict[str, dict[str, float]] = {}
    for i, objective in moving:

        def value(trial: optuna.trial.FrozenTrial, i: int = i) -> float:
            return float(trial.values[i])

        try:
            scores = optuna.importance.get_param_importances(
                subset, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0), target=value
            )
        except (RuntimeError, ValueError, ZeroDivisionError):
            continue
        found[objective.name] = {k: float(v) for k, v in scores.items() if math.isfinite(v)}
    return found


def _finite(values: dict[str, float | None]) -> dict[str, float | None]:
    return {k: (v if v is None or math.isfinite(v) else None) for k, v in values.items()}


def _safe(location: str) -> str:
    """A storage URL without its password."""
    if "://" in location and "@" in location:
        scheme, rest = location.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return location


__all__ = ["OptunaStudyEngine", "StudyError", "make_sampler", "open_storage"]
