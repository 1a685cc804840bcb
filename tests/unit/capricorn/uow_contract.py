"""One test class for the unit of work and its repositories, run against the in-memory fakes
(tests/unit/capricorn/test_unit_of_work.py) and SQLAlchemy on SQLite and PostgreSQL
(tests/integration/test_sql_unit_of_work.py). Subclasses provide ``make_uow`` (a factory of
units of work on one fresh, empty database)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from lto.atlas.alerts import Alert
from lto.atlas.errors import InvariantViolated
from lto.atlas.lifecycle import Job, JobState
from lto.capricorn.repositories import (
    ConcurrentUpdate,
    DuplicateMessage,
    IdempotencyRecord,
    ResultRecord,
)
from lto.capricorn.service.unit_of_work import UnitOfWork
from tests.unit.capricorn.jobs import a_job

Factory = Callable[[], UnitOfWork]


class UnitOfWorkContract:
    @pytest.fixture
    def make_uow(self) -> Factory:
        raise NotImplementedError

    def test_a_committed_job_reads_back_whole(self, make_uow: Factory) -> None:
        job = Job(a_job())
        with make_uow() as uow:
            uow.jobs.add(job)
            job.start_validation()
            job.pass_validation()
            job.record_preflight({"model_version": "v1"}, "fine")
            job.queue()
            uow.commit()
        with make_uow() as uow:
            again = uow.jobs.get(job.id)
        assert again is not None
        assert again is not job
        assert again.state is JobState.QUEUED
        assert [c.state for c in again.history] == [c.state for c in job.history]
        assert again.history[0].at == job.history[0].at
        assert again.parameters == job.parameters
        assert again.prediction == {"model_version": "v1"}
        assert again.preflight_note == "fine"
        assert again.pending_events == ()  # loading records nothing

    def test_nothing_is_kept_without_commit(self, make_uow: Factory) -> None:
        job = Job(a_job())
        with make_uow() as uow:
            uow.jobs.add(job)
        with make_uow() as uow:
            assert uow.jobs.get(job.id) is None

    def test_an_exception_rolls_back_the_change_and_its_outbox_rows(
        self, make_uow: Factory
    ) -> None:
        job = Job(a_job())
        with make_uow() as uow:
            uow.jobs.add(job)
            uow.commit()
        with pytest.raises(RuntimeError, match="after the change"), make_uow() as uow:  # noqa: PT012
            loaded = uow.jobs.get(job.id)
            assert loaded is not None
            loaded.start_validation()
            raise RuntimeError("a failure after the change")
        with make_uow() as uow:
            stored = uow.jobs.get(job.id)
            assert stored is not None
            assert stored.state is JobState.SUBMITTED
            assert [r.name for r in uow.records.unsent()] == ["JobSubmitted"]

    def test_commit_writes_each_event_to_the_outbox_and_the_audit_log(
        self, make_uow: Factory
    ) -> None:
        job = Job(a_job())
        with make_uow() as uow:
            uow.jobs.add(job)
            job.start_validation()
            events = uow.commit()
        with make_uow() as uow:
            rows = uow.records.unsent()
            audit = uow.records.audit("job", job.id)
        assert [r.name for r in rows] == ["JobSubmitted", "JobStateChanged"]
        assert [r.event_id for r in rows] == [e.event_id for e in events]
        assert rows[1].payload["to_state"] == "validating"
        assert [a.action for a in audit] == ["JobSubmitted", "JobStateChanged"]
        assert audit[0].actor == job.parameters.submitted_by

    def test_the_outbox_marks_rows_sent(self, make_uow: Factory) -> None:
        with make_uow() as uow:
            uow.jobs.add(Job(a_job()))
            uow.commit()
        with make_uow() as uow:
            rows = uow.records.unsent()
            uow.records.mark_attempt_failed([rows[0].id], "broker down")
            uow.records.mark_sent([r.id for r in rows], datetime.now(UTC))
            uow.commit()
        with make_uow() as uow:
            assert uow.records.unsent() == []
            assert uow.records.outbox_backlog() == 0

    def test_a_concurrent_update_is_refused_and_writes_nothing(self, make_uow: Factory) -> None:
        job = Job(a_job())
        with make_uow() as uow:
            uow.jobs.add(job)
            job.start_validation()
            job.pass_validation()
            job.queue()
            uow.commit()
        first, second = make_uow(), make_uow()
        with first:
            mine = first.jobs.get(job.id)
            assert mine is not None
            mine.start("worker-a")
            first.commit()
        with second:
            theirs = second.jobs.get(job.id)
            assert theirs is not None
            assert theirs.state is JobState.RUNNING
        # a stale copy (read before the first commit) cannot overwrite it
        with make_uow() as uow:
            stale = uow.jobs.get(job.id)
            assert stale is not None
            stale.version -= 1
            stale.fail("late")
            with pytest.raises(ConcurrentUpdate):
                uow.commit()
        with make_uow() as uow:
            stored = uow.jobs.get(job.id)
            assert stored is not None
            assert stored.state is JobState.RUNNING
            assert stored.worker_id == "worker-a"
            assert stored.attempts == 1

    def test_jobs_page_newest_first_without_repeats(self, make_uow: Factory) -> None:
        made = []
        base = datetime(2026, 12, 1, tzinfo=UTC)
        with make_uow() as uow:
            for i in range(7):
                job = Job(a_job(submitted_by="alice" if i % 2 else "bob"))
                job.history[0] = type(job.history[0])(
                    JobState.SUBMITTED, base + timedelta(seconds=i // 2)
                )
                uow.jobs.add(job)
                made.append(job)
            uow.commit()
        expected = sorted(made, key=lambda j: (j.submitted_at, j.id), reverse=True)
        seen, cursor = [], None
        with make_uow() as uow:
            while True:
                page = uow.jobs.page(after=cursor, limit=3)
                seen.extend(j.id for j in page.jobs)
                cursor = page.next_cursor
                if cursor is None:
                    break
            alice = uow.jobs.page(submitted_by="alice", limit=50).jobs
            counts = uow.jobs.count_by_state()
        assert seen == [j.id for j in expected]
        assert {j.parameters.submitted_by for j in alice} == {"alice"}
        assert len(alice) == 3
        assert counts == {"submitted": 7}

    def test_results_and_the_training_buffer(self, make_uow: Factory) -> None:
        job = Job(a_job())
        now = datetime.now(UTC)
        with make_uow() as uow:
            uow.jobs.add(job)
            uow.records.add_result(ResultRecord(job.id, now, "sim", {"cd_nm": 45.0}, {"a": "k"}))
            uow.commit()
        with make_uow() as uow:
            found = uow.records.result(job.id)
            loaded = uow.jobs.get(job.id)
        assert found is not None
        assert found.result == {"cd_nm": 45.0}
        assert found.artifacts == {"a": "k"}
        assert loaded is not None
        assert loaded.result == {"cd_nm": 45.0}

    def test_a_message_is_processed_once_per_consumer(self, make_uow: Factory) -> None:
        now = datetime.now(UTC)
        with make_uow() as uow:
            uow.records.mark_processed("simulations", "ev-1", now)
            uow.records.mark_processed("other", "ev-1", now)
            uow.commit()
        with make_uow() as uow:
            assert uow.records.was_processed("simulations", "ev-1")
            assert not uow.records.was_processed("simulations", "ev-2")
            with pytest.raises(DuplicateMessage):  # noqa: PT012 - at once, or on commit
                uow.records.mark_processed("simulations", "ev-1", now)
                uow.commit()

    def test_an_idempotency_key_is_reserved_once_then_answered(self, make_uow: Factory) -> None:
        now = datetime.now(UTC)
        first = IdempotencyRecord(
            "user-1", "k-1", "POST", "/api/v1/jobs", "h1", "in_flight", now, resource_id="job-1"
        )
        with make_uow() as uow:
            assert uow.idempotency.reserve(first) is None
            uow.commit()
        with make_uow() as uow:
            again = uow.idempotency.reserve(replace(first, request_hash="h2"))
            assert again is not None
            assert (again.request_hash, again.state, again.resource_id) == (
                "h1",
                "in_flight",
                "job-1",
            )
            assert uow.idempotency.reserve(replace(first, owner="user-2")) is None  # per caller
            uow.idempotency.complete("user-1", "k-1", 201, {"id": "job-1"})
            uow.commit()
        with make_uow() as uow:
            done = uow.idempotency.reserve(first)
            assert done is not None
            assert (done.state, done.status_code, done.response) == ("done", 201, {"id": "job-1"})
            uow.idempotency.release("user-1", "k-1")  # a finished key is not released
            assert uow.idempotency.purge(now - timedelta(hours=1)) == 0
            assert uow.idempotency.purge(now + timedelta(seconds=1)) == 2
            uow.commit()
        with make_uow() as uow:
            assert uow.idempotency.reserve(first) is None

    def test_a_stale_in_flight_key_is_taken_over_once(self, make_uow: Factory) -> None:
        then = datetime.now(UTC) - timedelta(minutes=10)
        record = IdempotencyRecord("u", "k", "POST", "/p", "h", "in_flight", then)
        with make_uow() as uow:
            uow.idempotency.reserve(record)
            uow.commit()
        now = datetime.now(UTC)
        with make_uow() as uow:
            assert not uow.idempotency.take_over(replace(record, created_at=now), stale_before=then)
            assert uow.idempotency.take_over(
                replace(record, created_at=now), stale_before=now - timedelta(minutes=5)
            )
            assert not uow.idempotency.take_over(  # the first to take it over has it now
                replace(record, created_at=now), stale_before=now - timedelta(minutes=5)
            )
            uow.idempotency.release("u", "k")
            uow.commit()
        with make_uow() as uow:
            assert uow.idempotency.reserve(record) is None

    def test_alerts_fire_and_are_acknowledged_once(self, make_uow: Factory) -> None:
        alert = Alert("warning", "drift", "PSI 0.3")
        with make_uow() as uow:
            uow.alerts.add(alert)
            uow.commit()
        with make_uow() as uow:
            assert [a.id for a in uow.alerts.active()] == [alert.id]
            assert [a.id for a in uow.alerts.active_from("drift")] == [alert.id]
            loaded = uow.alerts.get(alert.id)
            assert loaded is not None
            loaded.acknowledge("carol")
            uow.commit()
        with make_uow() as uow:
            assert uow.alerts.active() == []
            again = uow.alerts.get(alert.id)
            assert again is not None
            assert again.acknowledged_by == "carol"
            with pytest.raises(InvariantViolated, match="already acknowledged"):
                again.acknowledge("dave")
            names = [r.name for r in uow.records.unsent()]
        assert names == ["AlertFired", "AlertAcknowledged"]
