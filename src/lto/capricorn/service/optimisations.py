"""Optimisation runs in the API process: a search over the production surrogate, in a small
pool of background threads (at most ``workers`` at a time), its state, progress and result
kept in the ``optimisations`` table so that any request, in any API process, can read them.

A run moves queued → running → completed or failed, or is cancelled (queued or running:
``cancel`` ends it at once in the table, and its search stops after the trial it is on). Its
runner writes the progress (trials done, the best feasible values so far) as the trials
finish, at most every ``progress_every_s``, and a heartbeat every ``heartbeat_s`` while the
run waits or runs. A search whose run was finished by someone else (cancelled through
another API process) stops at its next progress write, which finds the run finished. A run
whose process died (a crash, a restart) keeps no thread: any runner fails it once its
heartbeat is older than ``stale_after_s`` (on start, then at every heartbeat), with an error
saying so, so no run stays "running" forever. A runner that stops (the API shutting down)
fails its own unfinished runs at once.

The physics is never run here: searching the physics takes minutes a trial and belongs to
``lto optimize --evaluator physics`` (the CLI, or a worker), not to an API process.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from lto.atlas.contracts import JobParameters
from lto.atlas.events import OptimizationCompleted
from lto.capricorn.repositories import OptimisationRecord
from lto.capricorn.service.unit_of_work import UnitOfWorkFactory, audit_entries
from lto.metis.ports import Evaluator, StudyEngine
from lto.metis.problem import OptimizationProblem, objective_values, outcome_values
from lto.metis.results import OptimizationResult, TrialRecord

log = logging.getLogger("lto.api.optimisations")

ABANDONED = (
    "abandoned: the API process running this optimisation stopped (a restart or a crash) "
    "before it finished, and nothing of its search was kept; submit it again"
)
STOPPED = (
    "stopped: the API shut down before this optimisation finished, and nothing of its search "
    "was kept; submit it again"
)


class _Stopped(Exception):
    """Raised inside a search when its runner stops: the search ends at the next trial."""


class _Cancelled(Exception):
    """Raised inside a search whose run was cancelled: it ends after the trial it is on."""


def _now() -> datetime:
    return datetime.now(UTC)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class OptimisationRunner:
    """Runs the API's optimisations in background threads. ``surrogate`` and ``engine`` make
    the evaluator and a fresh (in-memory) study engine for each run; ``surrogate`` may raise
    (no surrogate trained), which fails the run with the reason."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        surrogate: Callable[[], Any],
        engine: Callable[[], StudyEngine],
        *,
        workers: int = 2,
        heartbeat_s: float = 10.0,
        stale_after_s: float = 60.0,
        progress_every_s: float = 0.5,
    ) -> None:
        self.uow_factory = uow_factory
        self.surrogate = surrogate
        self.engine = engine
        self.workers = workers
        self.heartbeat_s = heartbeat_s
        self.stale_after_s = stale_after_s
        self.progress_every_s = progress_every_s
        self._lock = threading.Lock()
        self._active: dict[str, dict[str, Any]] = {}  # run id → its latest progress
        self._cancelled: set[str] = set()  # runs of this runner cancelled mid-search
        self._executor: ThreadPoolExecutor | None = None
        self._heartbeat: threading.Thread | None = None
        self._stop = threading.Event()

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Fail the runs a dead process left behind, then keep this process's runs alive."""
        with self._lock:
            if self._heartbeat is not None:
                return
            self._stop.clear()
            self._heartbeat = threading.Thread(
                target=self._beat, name="optimisation-heartbeat", daemon=True
            )
            self._heartbeat.start()
        self._recover_quietly()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the searches (each at its next trial) and fail what did not finish."""
        self._stop.set()
        with self._lock:
            executor, self._executor = self._executor, None
            heartbeat, self._heartbeat = self._heartbeat, None
            unfinished = list(self._active)
        if heartbeat is not None:
            heartbeat.join(timeout=timeout_s)
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        for run_id in unfinished:
            self._finish(run_id, "failed", error=STOPPED)
        with self._lock:
            self._active.clear()

    def submit(self, run_id: str) -> None:
        """Queue a stored run (state "queued") to be searched here."""
        self.start()
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.workers, thread_name_prefix="optimisation"
                )
            self._active[run_id] = {"heartbeat_at": _now().isoformat()}
            self._executor.submit(self._run, run_id)

    def running_here(self, run_id: str) -> bool:
        with self._lock:
            return run_id in self._active

    def cancel(self, run_id: str, *, by: str) -> bool:
        """End a queued or running run as cancelled, now; its search (if this runner has it)
        stops after the trial it is on, and a queued run is never started. Whether it was
        (False: it had finished, or there is no such run). The error says who cancelled it
        and after how many trials; the progress keeps the best found so far."""
        with self._lock:
            progress = dict(self._active[run_id]) if run_id in self._active else None
            if progress is not None:
                self._cancelled.add(run_id)
        with self.uow_factory() as uow:
            run = uow.optimisations.get(run_id)
            if run is None:
                return False
            if progress is not None and "trials_done" not in progress:
                progress = None  # not started here yet: the stored progress stands
            known = progress or run.progress or {}
            done = int(known.get("trials_done", 0))
            total = int(known.get("trials_total") or run.request.get("trials", 0))
            reason = f"cancelled by {by} after {done} of {total} trials"
            changed = uow.optimisations.finish(
                run_id, state="cancelled", at=_now(), error=reason, progress=progress
            )
            uow.commit()
        if changed:
            log.info("optimisation %s: %s", run_id, reason)
        return changed

    # --- abandoned runs -------------------------------------------------------------------

    def recover(self) -> list[str]:
        """Fail every unfinished run that no runner keeps alive (its heartbeat is older than
        ``stale_after_s``) and that is not this runner's; the ids failed."""
        stale = _now() - timedelta(seconds=self.stale_after_s)
        with self.uow_factory() as uow:
            unfinished = uow.optimisations.unfinished()
        failed = []
        for run in unfinished:
            if self.running_here(run.id) or heartbeat(run) >= stale:
                continue
            if self._finish(run.id, "failed", error=ABANDONED):
                log.warning("optimisation %s: %s", run.id, ABANDONED)
                failed.append(run.id)
        return failed

    def _recover_quietly(self) -> None:
        try:
            self.recover()
        except Exception as exc:  # the database: the next heartbeat tries again
            log.warning("optimisations: abandoned runs not checked: %s", exc)

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            quiet_since = _now() - timedelta(seconds=self.heartbeat_s / 2)
            with self._lock:
                beating = {run_id: dict(p) for run_id, p in self._active.items()}
            for run_id, progress in beating.items():
                if _stamp(progress) >= quiet_since:  # its search wrote lately: alive
                    continue
                progress["heartbeat_at"] = _now().isoformat()
                self._write_progress(run_id, progress, quiet=True)
            self._recover_quietly()

    # --- one run --------------------------------------------------------------------------

    def _run(self, run_id: str) -> None:
        try:
            self._search(run_id)
        except _Cancelled:
            pass  # cancel() finished the run already
        except _Stopped:
            self._finish(run_id, "failed", error=STOPPED)
        except Exception as exc:  # a thread never dies silently: the run says why
            log.exception("optimisation %s failed", run_id)
            self._finish(run_id, "failed", error=f"the search failed: {_first_line(exc)}")
        finally:
            with self._lock:
                self._active.pop(run_id, None)
                self._cancelled.discard(run_id)

    def _search(self, run_id: str) -> None:
        with self.uow_factory() as uow:
            run = uow.optimisations.get(run_id)
        if run is None or run.state != "queued" or self._stop.is_set():
            return
        request = run.request
        problem = OptimizationProblem.from_json(request["problem"])
        trials = int(request["trials"])
        progress = _progress(0, trials, {})
        with self.uow_factory() as uow:
            started = uow.optimisations.start(run_id, _now(), progress)
            uow.commit()
        if not started:
            return
        self._remember(run_id, progress)
        surrogate = self.surrogate()
        # the champion alone: hundreds of trials are not production traffic for the shadow log
        tracker = _Tracker(getattr(surrogate, "champion", surrogate), problem)
        last_write = [0.0]

        def trial_done(done: int, total: int) -> None:
            if self._stop.is_set():
                raise _Stopped
            with self._lock:
                cancelled = run_id in self._cancelled
            if cancelled:
                raise _Cancelled
            progress = _progress(done, total, tracker.best_so_far())
            self._remember(run_id, progress)
            if time.monotonic() - last_write[0] >= self.progress_every_s or done >= total:
                last_write[0] = time.monotonic()
                if self._write_progress(run_id, progress) is False:
                    raise _Cancelled  # finished elsewhere: cancelled through another process

        result = self.engine().optimize(
            problem,
            tracker,
            study_name=run_id,
            trials=trials,
            evaluator_name="surrogate",
            sampler=request.get("sampler", "auto"),
            seed=request.get("seed"),
            progress=trial_done,
        )
        summary = summarise(result, str(getattr(surrogate, "version", "")))
        final = _progress(len(result.trials), trials, tracker.best_so_far())
        self._finish(run_id, "completed", result=summary, progress=final, owner=run.owner)

    # --- storing --------------------------------------------------------------------------

    def _remember(self, run_id: str, progress: dict[str, Any]) -> None:
        with self._lock:
            if run_id in self._active:
                self._active[run_id] = progress

    def _write_progress(
        self, run_id: str, progress: dict[str, Any], *, quiet: bool = False
    ) -> bool | None:
        """Whether the run was still unfinished (its progress stored); None if unknown."""
        try:
            with self.uow_factory() as uow:
                stored = uow.optimisations.record_progress(run_id, progress)
                uow.commit()
                return stored
        except Exception as exc:  # progress is best effort; the result is not
            if not quiet:
                log.warning("optimisation %s: progress not stored: %s", run_id, exc)
            return None

    def _finish(
        self,
        run_id: str,
        state: str,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        progress: dict[str, Any] | None = None,
        owner: str | None = None,
    ) -> bool:
        """Finish the run (if nothing else finished it first); a completed run's news goes
        out through the outbox with it, and into the audit log."""
        try:
            with self.uow_factory() as uow:
                done = uow.optimisations.finish(
                    run_id, state=state, at=_now(), result=result, error=error, progress=progress
                )
                if done and state == "completed" and result is not None:
                    best = result.get("best") or {}
                    event = OptimizationCompleted(
                        optimization_id=run_id,
                        best_parameters=dict(best.get("params", {})),
                        best_values=tuple(best.get("objectives", {}).values()),
                    )
                    uow.records.add_to_outbox([event])
                    uow.records.add_audit(audit_entries([event], owner or "system"))
                uow.commit()
                return done
        except Exception as exc:
            log.error("optimisation %s: not finished as %s: %s", run_id, state, exc)
            return False


class _Tracker:
    """The evaluator, watched: each objective's best value over the trials that met every
    outcome constraint so far (trials the profile's rules refuse never reach it)."""

    def __init__(self, inner: Evaluator, problem: OptimizationProblem) -> None:
        self.inner = inner
        self.problem = problem
        self._lock = threading.Lock()
        self._best: dict[str, float] = {}
        self._best_params: dict[str, float] = {}
        self._feasible = 0

    def evaluate(self, parameters: JobParameters) -> Any:
        outcome = self.inner.evaluate(parameters)
        measured = outcome_values(outcome)
        values, missing = objective_values(self.problem.objectives, measured)
        met = all(c.violation(measured.get(c.name)) <= 0 for c in self.problem.constraints)
        if missing or not met:
            return outcome
        with self._lock:
            self._feasible += 1
            for index, (objective, value) in enumerate(
                zip(self.problem.objectives, values, strict=True)
            ):
                known = self._best.get(objective.name)
                better = known is None or (
                    value > known if objective.direction == "maximize" else value < known
                )
                if better:
                    self._best[objective.name] = value
                    if index == 0:
                        self._best_params = {
                            p.name: float(getattr(parameters, p.name)) for p in self.problem.free
                        }
        return outcome

    def best_so_far(self) -> dict[str, Any]:
        with self._lock:
            return {
                "feasible": self._feasible,
                "objectives": dict(self._best),
                "params": dict(self._best_params),  # of the best on the first objective
            }


def _progress(done: int, total: int, best: dict[str, Any]) -> dict[str, Any]:
    return {
        "trials_done": done,
        "trials_total": total,
        "feasible_trials": int(best.get("feasible", 0)),
        "best_so_far": best.get("objectives", {}),
        "best_params_so_far": best.get("params", {}),
        "heartbeat_at": _now().isoformat(),
    }


_NEVER = datetime.min.replace(tzinfo=UTC)


def _stamp(progress: dict[str, Any] | None) -> datetime:
    stamp = (progress or {}).get("heartbeat_at")
    if isinstance(stamp, str):
        try:
            found = datetime.fromisoformat(stamp)
        except ValueError:
            return _NEVER
        return found if found.tzinfo else found.replace(tzinfo=UTC)
    return _NEVER


def heartbeat(run: OptimisationRecord) -> datetime:
    """When the run's runner last said it was alive (its start or creation, if never)."""
    return max(_stamp(run.progress), run.started_at or run.created_at)


# --- the result, as the API returns it ----------------------------------------------------------


def trial_json(trial: TrialRecord, names: list[str]) -> dict[str, Any]:
    return {
        "number": trial.number,
        "params": trial.params,
        "objectives": dict(zip(names, trial.values, strict=True)),
        "feasible": trial.feasible,
        "reasons": trial.reasons,
        "outcome": trial.outcome,
        "flags": trial.flags,
    }


def summarise(result: OptimizationResult, model_version: str) -> dict[str, Any]:
    """What a finished run found: the best settings, the Pareto front, the importance of
    each free parameter (when enough trials vary), what to be careful of, every trial."""
    names = [o.name for o in result.problem.objectives]
    flat = result.flat_objectives()
    front = [] if set(flat) >= set(names) else result.best
    trials = len(result.trials)
    warnings = []
    outside = sum(1 for t in result.trials if t.flags.get("out_of_distribution"))
    uncertain = sum(1 for t in result.trials if t.flags.get("high_uncertainty"))
    if outside:
        warnings.append(
            f"{outside} of {trials} trials lie outside the surrogate's training domain; their "
            "scores are extrapolated (confirm the best settings with a physics job)"
        )
    if uncertain:
        warnings.append(
            f"the surrogate flagged {uncertain} of {trials} trials as too uncertain to trust: "
            "confirm the best settings with a physics job before deciding"
        )
    warnings += [
        f"{name} is the same in every feasible trial: the free parameters do not move it"
        for name in flat
    ]
    return {
        "model_version": model_version,
        "trials": trials,
        "feasible_trials": len(result.feasible),
        "best": trial_json(front[0], names) if front else None,
        "pareto_front": [trial_json(t, names) for t in front],
        "importance": result.importance,
        "flat_objectives": flat,
        "note": None if result.feasible else no_feasible_reason(result),
        "warnings": warnings,
        "history": [trial_json(t, names) for t in result.trials],
    }


def no_feasible_reason(result: OptimizationResult) -> str:
    """Why no trial was feasible, by the rules broken most often."""
    seen = Counter(_rule(reason) for trial in result.trials for reason in trial.reasons)
    common = "; ".join(f"{reason} ({count}×)" for reason, count in seen.most_common(3))
    return (
        f"no feasible setting in {len(result.trials)} trials: "
        f"{common or 'every trial broke a rule'}. Move the free parameters' ranges (or the "
        "job's fixed parameters) to where these rules hold, or relax the constraints"
    )


def _rule(reason: str) -> str:
    """A reason without the trial's own numbers, so that trials breaking one rule count once."""
    cut = re.sub(r" \(got [^)]*\)$", "", reason)
    cut = re.sub(r" \([a-z_]+ = [^)]*\)$", "", cut)
    return re.sub(r"= -?\d+\.\d+(e-?\d+)?", "= …", cut)


__all__ = ["ABANDONED", "STOPPED", "OptimisationRunner", "heartbeat", "summarise"]
