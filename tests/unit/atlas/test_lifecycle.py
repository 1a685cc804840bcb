from __future__ import annotations

import itertools

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from lto.atlas import (
    FINAL_STATES,
    TRANSITIONS,
    IllegalTransition,
    Job,
    JobParameters,
    JobState,
    check_job,
)
from lto.atlas.events import (
    AnomalyFlagged,
    JobBlocked,
    JobCancelled,
    JobRejected,
    JobStateChanged,
    JobSubmitted,
    SimulationCompleted,
    SimulationFailed,
    SimulationRequested,
)

S = JobState
LEGAL = {
    (S.SUBMITTED, S.VALIDATING),
    (S.VALIDATING, S.PREFLIGHT),
    (S.VALIDATING, S.REJECTED),
    (S.PREFLIGHT, S.QUEUED),
    (S.PREFLIGHT, S.BLOCKED),
    (S.QUEUED, S.RUNNING),
    (S.QUEUED, S.CANCELLED),
    (S.RUNNING, S.EVALUATING),
    (S.RUNNING, S.FAILED),
    (S.EVALUATING, S.COMPLETED),
    (S.EVALUATING, S.ANOMALY_FLAGGED),
    (S.ANOMALY_FLAGGED, S.ENGINEER_REVIEW),
    (S.ENGINEER_REVIEW, S.CLEARED),
    (S.ENGINEER_REVIEW, S.ESCALATED),
}
PARAMS = JobParameters(
    na=1.35,
    wavelength_nm=193,
    dose_mj_cm2=30,
    sigma=0.9,
    resist_thickness_nm=90,
    grid_size_nm=1,
    target_cd_nm=40,
    pitch_nm=80,
    submitted_by="ana",
)


def job_in(state: JobState) -> Job:
    job = Job(PARAMS)
    path = (
        nx.shortest_path(nx.DiGraph(list(LEGAL)), S.SUBMITTED, state)
        if state is not S.SUBMITTED
        else [S.SUBMITTED]
    )
    for nxt in path[1:]:
        job.transition_to(nxt)
    return job


def test_the_transition_table_is_the_designed_one() -> None:
    table = {(a, b) for a, nexts in TRANSITIONS.items() for b in nexts}
    assert table == LEGAL
    assert set(TRANSITIONS) == set(JobState)
    assert {
        S.REJECTED,
        S.BLOCKED,
        S.CANCELLED,
        S.FAILED,
        S.COMPLETED,
        S.CLEARED,
        S.ESCALATED,
    } == FINAL_STATES


@pytest.mark.parametrize(("current", "requested"), sorted(itertools.product(JobState, JobState)))
def test_every_pair_of_states_is_either_legal_or_named_in_the_error(current, requested) -> None:
    job = job_in(current)
    if (current, requested) in LEGAL:
        job.transition_to(requested)
        assert job.state is requested
    else:
        with pytest.raises(IllegalTransition) as info:
            job.transition_to(requested)
        assert f"{current} -> {requested}" in str(info.value)
        assert job.state is current


def test_every_state_is_reachable_and_every_path_ends_in_a_final_state() -> None:
    graph = nx.DiGraph(list(LEGAL))
    assert nx.descendants(graph, S.SUBMITTED) | {S.SUBMITTED} == set(JobState)
    assert nx.is_directed_acyclic_graph(graph)
    assert {n for n in graph if graph.out_degree(n) == 0} == FINAL_STATES


def test_the_happy_path_records_its_events() -> None:
    job = Job(PARAMS)
    job.transition_to(S.VALIDATING)
    job.transition_to(S.PREFLIGHT)
    job.queue()
    job.transition_to(S.RUNNING)
    job.complete_simulation({"cd_nm": 40.3})
    job.transition_to(S.COMPLETED)
    events = job.collect_events()
    assert [type(e) for e in events] == [JobSubmitted] + [JobStateChanged] * 3 + [
        SimulationRequested
    ] + [JobStateChanged] * 2 + [SimulationCompleted, JobStateChanged]
    assert events[0].parameters["na"] == 1.35
    assert [c.state for c in job.history][-1] is S.COMPLETED
    assert job.is_final


def test_rejection_keeps_the_field_level_reasons() -> None:
    bad = PARAMS.model_copy(update={"pitch_nm": 60.0, "target_cd_nm": 30.0})
    job = job_in(S.VALIDATING)
    job.reject(check_job(bad))
    assert job.state is S.REJECTED
    assert [v.field for v in job.rejection] == ["pitch_nm"]
    rejected = [e for e in job.collect_events() if isinstance(e, JobRejected)]
    assert rejected[0].reasons[0][0] == "pitch_nm"
    with pytest.raises(ValueError, match="at least one"):
        job_in(S.VALIDATING).reject([])


def test_block_cancel_fail_and_anomaly_carry_their_data() -> None:
    blocked = job_in(S.PREFLIGHT)
    blocked.block("yield_risk 0.4 > 0.2", alternative={"dose_mj_cm2": 32.0})
    assert blocked.alternative == {"dose_mj_cm2": 32.0}
    cancelled = job_in(S.QUEUED)
    cancelled.cancel("ana")
    failed = job_in(S.RUNNING)
    failed.fail("simulator exited with 3")
    flagged = job_in(S.EVALUATING)
    flagged.flag_anomaly(["yield_risk"], "actual outside the 95% interval")
    assert isinstance(blocked.collect_events()[-1], JobBlocked)
    assert isinstance(cancelled.collect_events()[-1], JobCancelled)
    assert isinstance(failed.collect_events()[-1], SimulationFailed)
    assert failed.error
    assert isinstance(flagged.collect_events()[-1], AnomalyFlagged)


def test_running_jobs_cannot_be_cancelled() -> None:
    with pytest.raises(IllegalTransition, match="running -> cancelled"):
        job_in(S.RUNNING).cancel("ana")


@given(st.lists(st.sampled_from(list(JobState)), max_size=30))
def test_random_requests_never_leave_the_transition_graph(requests) -> None:
    job = Job(PARAMS)
    for requested in requests:
        before = job.state
        try:
            job.transition_to(requested)
        except IllegalTransition:
            assert job.state is before
        else:
            assert (before, requested) in LEGAL
    walked = [c.state for c in job.history]
    assert all((a, b) in LEGAL for a, b in itertools.pairwise(walked))


class LifecycleMachine(RuleBasedStateMachine):
    """A model-based check: the job agrees with a plain-set model of the lifecycle."""

    def __init__(self) -> None:
        super().__init__()
        self.job = Job(PARAMS)
        self.model = S.SUBMITTED
        self.changes = 0

    @rule(requested=st.sampled_from(list(JobState)))
    def request(self, requested: JobState) -> None:
        if (self.model, requested) in LEGAL:
            self.job.transition_to(requested)
            self.model = requested
            self.changes += 1
        else:
            with pytest.raises(IllegalTransition):
                self.job.transition_to(requested)

    @invariant()
    def agrees_with_the_model(self) -> None:
        assert self.job.state is self.model
        assert len(self.job.history) == self.changes + 1
        assert self.job.is_final == (self.model in FINAL_STATES)


TestLifecycleMachine = LifecycleMachine.TestCase
