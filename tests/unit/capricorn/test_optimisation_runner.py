"""The API's optimisation runner on the fake unit of work: runs finish once, with progress and
their news; a stopping runner and a dead process leave no run "running"."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lto.atlas.contracts import JobParameters
from lto.capricorn.repositories import OptimisationRecord
from lto.capricorn.service.optimisations import ABANDONED, STOPPED, OptimisationRunner
from lto.capricorn.service.preflight import NoSurrogate
from lto.metis.adapters.optuna_study import OptunaStudyEngine
from lto.metis.problem import FreeParameter, Objective, OptimizationProblem
from tests.unit.capricorn.fakes import FakeUnitOfWork, Store

PATIENCE = 3000  # polls of 10 ms: only stops a hang

TEMPLATE = JobParameters(
    na=0.85, wavelength_nm=193.0, dose_mj_cm2=30.0, sigma=0.7, resist_thickness_nm=100.0,
    grid_size_nm=4.0, target_cd_nm=90.0, pitch_nm=180.0, submitted_by="erin",
)  # fmt: skip
PROBLEM = OptimizationProblem(
    template=TEMPLATE,
    free=(FreeParameter("dose_mj_cm2", 25.0, 35.0),),
    objectives=(Objective("overall_health", "maximize"),),
)


class Peaked:
    """Health peaks at 31 mJ/cm²; each answer may wait on ``gate`` (to hold a search)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.calls = 0

    def evaluate(self, job: JobParameters) -> dict[str, float]:
        self.calls += 1
        self.gate.wait()
        return {"overall_health": 1 - abs(job.dose_mj_cm2 - 31.0) / 20, "yield_risk": 0.1}


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def evaluator() -> Peaked:
    return Peaked()


@pytest.fixture
def runner(store: Store, evaluator: Peaked) -> Iterator[OptimisationRunner]:
    made = OptimisationRunner(
        lambda: FakeUnitOfWork(store),
        lambda: evaluator,
        lambda: OptunaStudyEngine("memory:"),
        heartbeat_s=0.05,
        stale_after_s=0.5,
        progress_every_s=0.0,
    )
    made.start()
    yield made
    made.stop()


def queue(store: Store, run_id: str, trials: int, **changes: Any) -> None:
    record = OptimisationRecord(
        run_id,
        "erin",
        "queued",
        datetime.now(UTC),
        {"problem": PROBLEM.to_json(), "trials": trials, "sampler": "auto", "seed": 3},
    )
    with FakeUnitOfWork(store) as uow:
        uow.optimisations.add(replace(record, **changes))
        uow.commit()


def run(store: Store, run_id: str) -> OptimisationRecord:
    with FakeUnitOfWork(store) as uow:
        found = uow.optimisations.get(run_id)
    assert found is not None
    return found


def until(store: Store, run_id: str, *states: str) -> OptimisationRecord:
    for _ in range(PATIENCE):
        found = run(store, run_id)
        if found.state in states:
            return found
        time.sleep(0.01)
    raise AssertionError(f"{run_id} stayed {found.state}")


def test_a_run_completes_with_its_progress_result_and_news(
    store: Store, runner: OptimisationRunner
) -> None:
    queue(store, "opt-1", 12)
    runner.submit("opt-1")
    done = until(store, "opt-1", "completed", "failed")
    assert done.state == "completed", done.error
    assert done.progress is not None
    assert (done.progress["trials_done"], done.progress["trials_total"]) == (12, 12)
    assert done.result is not None
    best = done.result["best"]
    assert 25.0 <= best["params"]["dose_mj_cm2"] <= 35.0
    assert best["objectives"]["overall_health"] == done.progress["best_so_far"]["overall_health"]
    assert done.result["pareto_front"] == [best]
    assert len(done.result["history"]) == 12
    for _ in range(PATIENCE):  # the fake writes the state before the outbox row (SQL: at once)
        if store.outbox:
            break
        time.sleep(0.01)
    assert [row["name"] for row in store.outbox] == ["OptimizationCompleted"]
    assert store.outbox[0]["payload"]["optimization_id"] == "opt-1"


def test_a_stopping_runner_fails_what_it_did_not_finish(
    store: Store, runner: OptimisationRunner, evaluator: Peaked
) -> None:
    evaluator.gate.clear()  # every search waits in its first trial
    for i in range(3):
        queue(store, f"opt-{i}", 50)
        runner.submit(f"opt-{i}")
    until(store, "opt-0", "running")
    until(store, "opt-1", "running")
    assert run(store, "opt-2").state == "queued"  # two at a time
    threading.Timer(0.2, evaluator.gate.set).start()
    runner.stop()
    for i in range(3):
        stopped = run(store, f"opt-{i}")
        assert (stopped.state, stopped.error) == ("failed", STOPPED)
        assert stopped.finished_at is not None


def test_runs_of_a_dead_process_are_failed_once_their_heartbeat_is_stale(
    store: Store, evaluator: Peaked
) -> None:
    runner = OptimisationRunner(
        lambda: FakeUnitOfWork(store),
        lambda: evaluator,
        lambda: OptunaStudyEngine("memory:"),
        heartbeat_s=0.05,
        stale_after_s=0.5,
    )
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    queue(store, "opt-dead", 5, state="running", started_at=long_ago, created_at=long_ago)
    queue(store, "opt-fresh", 5, state="running", started_at=datetime.now(UTC))
    assert runner.recover() == ["opt-dead"]
    assert (run(store, "opt-dead").state, run(store, "opt-dead").error) == ("failed", ABANDONED)
    assert run(store, "opt-fresh").state == "running"  # its process may still be alive
    runner.start()
    abandoned = until(store, "opt-fresh", "failed")  # no heartbeat came: the runner's beat saw
    runner.stop()
    assert abandoned.error == ABANDONED


def test_a_run_without_a_surrogate_fails_saying_why(store: Store) -> None:
    def missing() -> Any:
        raise NoSurrogate("no trained surrogate: run `lto train` first")

    runner = OptimisationRunner(
        lambda: FakeUnitOfWork(store), missing, lambda: OptunaStudyEngine("memory:")
    )
    queue(store, "opt-1", 3)
    runner.submit("opt-1")
    failed = until(store, "opt-1", "failed")
    runner.stop()
    assert failed.error is not None
    assert "lto train" in failed.error


def in_trial(evaluator: Peaked) -> None:
    """Wait until the search is inside its first trial (held there by the gate)."""
    for _ in range(PATIENCE):
        if evaluator.calls:
            return
        time.sleep(0.01)
    raise AssertionError("the search never began a trial")


def idle(runner: OptimisationRunner, run_id: str) -> None:
    for _ in range(PATIENCE):
        if not runner.running_here(run_id):
            return
        time.sleep(0.01)
    raise AssertionError(f"{run_id} is still being searched")


def test_a_cancelled_run_ends_at_once_and_its_search_stops_after_the_trial_it_is_on(
    store: Store, runner: OptimisationRunner, evaluator: Peaked
) -> None:
    evaluator.gate.clear()  # the search waits in its first trial
    queue(store, "opt-1", 50)
    runner.submit("opt-1")
    in_trial(evaluator)
    try:
        assert runner.cancel("opt-1", by="omar") is True
        cancelled = run(store, "opt-1")
        assert cancelled.state == "cancelled"
        assert cancelled.error == "cancelled by omar after 0 of 50 trials"
        assert cancelled.finished_at is not None
    finally:
        evaluator.gate.set()
    idle(runner, "opt-1")
    after = run(store, "opt-1")
    assert (after.state, after.result) == ("cancelled", None)
    assert evaluator.calls == 1  # the trial under way finished; no other began
    assert store.outbox == []  # no OptimizationCompleted
    assert runner.cancel("opt-1", by="omar") is False  # finished: nothing to cancel


def test_a_queued_run_cancelled_is_never_searched(
    store: Store, runner: OptimisationRunner, evaluator: Peaked
) -> None:
    queue(store, "opt-1", 5)
    assert runner.cancel("opt-1", by="erin") is True
    runner.submit("opt-1")
    idle(runner, "opt-1")
    found = run(store, "opt-1")
    assert (found.state, found.started_at) == ("cancelled", None)
    assert found.error == "cancelled by erin after 0 of 5 trials"
    assert evaluator.calls == 0


def test_a_run_cancelled_through_another_process_stops_at_its_next_trial(
    store: Store, runner: OptimisationRunner, evaluator: Peaked
) -> None:
    other = OptimisationRunner(
        lambda: FakeUnitOfWork(store), lambda: evaluator, lambda: OptunaStudyEngine("memory:")
    )  # another API process's runner: it does not hold the search
    evaluator.gate.clear()
    queue(store, "opt-1", 50)
    runner.submit("opt-1")
    in_trial(evaluator)
    try:
        assert other.cancel("opt-1", by="ada") is True
    finally:
        evaluator.gate.set()
    idle(runner, "opt-1")
    assert run(store, "opt-1").state == "cancelled"
    assert evaluator.calls == 1  # its progress write found the run finished, and it stopped
