"""One test class for the unit of work and its repositories, run against the in-memory fakes
(tests/unit/capricorn/test_unit_of_work.py) and SQLAlchemy on SQLite and PostgreSQL
(tests/integration/test_sql_unit_of_work.py). Subclasses provide ``make_uow`` (a factory of
units of work on one fresh, empty database)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lto.atlas.alerts import Alert
from lto.atlas.contracts import SIGNAL_NAMES
from lto.atlas.errors import InvariantViolated
from lto.atlas.lifecycle import Job, JobState, StateChange
from lto.atlas.policies import Violation
from lto.atlas.yield_data import YieldMeasurement
from lto.capricorn.repositories import (
    ConcurrentUpdate,
    DuplicateMessage,
    DuplicateYield,
    IdempotencyRecord,
    IngestedResult,
    OptimisationRecord,
    PredictionRecord,
    ResultRecord,
    YieldRecord,
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

    def test_predictions_page_newest_first_by_submitter(self, make_uow: Factory) -> None:
        base = datetime(2026, 12, 1, tzinfo=UTC)
        job = Job(a_job())
        made = [
            _prediction(f"pred-{i}", base + timedelta(seconds=i // 3), "erin" if i % 2 else "bob")
            for i in range(8)
        ]
        with make_uow() as uow:
            uow.jobs.add(job)
            for record in made:
                uow.records.add_prediction(record)
            uow.records.add_prediction(_prediction("pred-job", base, "bob", job_id=job.id))
            uow.commit()
        expected = sorted(made, key=lambda p: (p.created_at, p.id), reverse=True)
        seen, cursor = [], None
        with make_uow() as uow:
            while True:
                page = uow.records.prediction_page(after=cursor, limit=3)
                seen.extend(p.id for p in page.predictions)
                cursor = page.next_cursor
                if cursor is None:
                    break
            erin = uow.records.prediction_page(submitted_by="erin").predictions
            everything = uow.records.prediction_page(standalone=False, limit=100).predictions
        assert seen == [p.id for p in expected]
        assert [p.id for p in erin] == [
            p.id for p in expected if p.parameters["submitted_by"] == "erin"
        ]
        assert {p.id for p in everything} == {p.id for p in made} | {"pred-job"}
        stored = {p.id: p for p in made}[erin[0].id]
        assert (erin[0].prediction, erin[0].created_at) == (stored.prediction, stored.created_at)

    def test_score_means_per_bucket_and_outcomes(self, make_uow: Factory) -> None:
        base = datetime(2026, 12, 1, 10, tzinfo=UTC)
        predicted = [(base + timedelta(minutes=10), 0.2), (base + timedelta(minutes=20), 0.4),
                     (base + timedelta(hours=1, minutes=5), 0.9), (base - timedelta(hours=1), 0.0)]  # fmt: skip
        jobs = [Job(a_job()) for _ in range(3)]
        with make_uow() as uow:
            for i, (at, value) in enumerate(predicted):
                uow.records.add_prediction(_prediction(f"p{i}", at, "erin", value=value))
            for i, job in enumerate(jobs):
                job.prediction = {"model_version": "v7"} if i else None
                job.evaluation = {"anomalous": [], "details": [], "scores": {"yield_risk": {"actual": 0.1 * i}}}  # fmt: skip
                uow.jobs.add(job)
            uow.commit()
        with make_uow() as uow:
            for i, job in enumerate(jobs):
                signals = _scores(0.5 + 0.1 * i) if i < 2 else None
                at = base + timedelta(minutes=30 * i)
                uow.records.add_result(ResultRecord(job.id, at, "sim", {"signals": signals}))
            uow.commit()
        until = base + timedelta(hours=2)
        with make_uow() as uow:
            means = uow.records.score_means("predictions", since=base, until=until, bucket_s=3600)
            actual = uow.records.score_means("results", since=base, until=until, bucket_s=3600)
            daily = uow.records.score_means("predictions", since=base, until=until, bucket_s=86400)
            outcomes = uow.records.outcomes(since=base + timedelta(minutes=1))
            everything = uow.records.outcomes(since=base, until=until)
        assert [(b.start, b.count) for b in means] == [(base, 2), (base + timedelta(hours=1), 1)]
        assert means[0].means["yield_risk"] == pytest.approx(0.3)
        assert means[1].means["overall_health"] == pytest.approx(0.9)
        assert [(b.start, b.count) for b in actual] == [(base, 2)]  # a result without signals
        assert actual[0].means["cost_vs_fidelity"] == pytest.approx(0.55)
        assert [(b.start, b.count) for b in daily] == [(datetime(2026, 12, 1, tzinfo=UTC), 3)]
        assert [o.job_id for o in outcomes] == [jobs[2].id, jobs[1].id]
        assert [o.model_version for o in everything] == ["v7", "v7", None]
        assert outcomes[1].evaluation["scores"]["yield_risk"]["actual"] == pytest.approx(0.1)
        assert outcomes[0].at == base + timedelta(minutes=60)

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

    def test_unfinished_jobs_are_counted_per_submitter_up_to_a_bound(
        self, make_uow: Factory
    ) -> None:
        with make_uow() as uow:
            for i in range(4):
                job = Job(a_job(submitted_by="ana"))
                uow.jobs.add(job)
                if i == 0:
                    job.start_validation()
                    job.reject([Violation("na", "beyond the profile", 2.0)])
            uow.jobs.add(Job(a_job(submitted_by="bob")))
            uow.commit()
        with make_uow() as uow:
            assert uow.jobs.count_unfinished("ana") == 3
            assert uow.jobs.count_unfinished("ana", at_most=2) == 2
            assert uow.jobs.count_unfinished("bob") == 1
            assert uow.jobs.count_unfinished("cy") == 0

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

    def test_job_durations_run_from_submission_to_the_pipelines_outcome(
        self, make_uow: Factory
    ) -> None:
        base = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

        def at(job: Job, *seconds: float) -> Job:
            job.history = [
                StateChange(c.state, base + timedelta(seconds=t), c.reason)
                for c, t in zip(job.history, seconds, strict=True)
            ]
            return job

        blocked, cancelled, flagged, waiting = (Job(a_job()) for _ in range(4))
        for job in (blocked, cancelled, flagged, waiting):
            job.start_validation()
            job.pass_validation()
        blocked.block("yield risk")
        for job in (cancelled, flagged, waiting):
            job.queue()
        cancelled.cancel("alice")
        flagged.start("w1")
        flagged.complete_simulation({"cd_nm": 45.0})
        flagged.flag_anomaly(["yield_risk"], "too risky")
        flagged.start_review("carol")  # the review that follows is not the pipeline's time
        flagged.clear("carol")
        with make_uow() as uow:
            for job in (
                at(blocked, 0, 1, 2, 3),
                at(cancelled, 0, 1, 2, 3, 40),
                at(flagged, 0, 1, 2, 3, 4, 70, 100, 5000, 6000),
                at(waiting, 0, 1, 2, 3),
            ):
                uow.jobs.add(job)
            uow.commit()
        with make_uow() as uow:
            found = uow.jobs.durations([1.0, 10.0, 60.0, 3600.0])
        assert found.bounds == (1.0, 10.0, 60.0, 3600.0)
        assert found.cumulative == (0, 1, 2, 3)
        assert found.count == 3
        assert found.sum_s == pytest.approx(3 + 40 + 100, abs=0.01)
        with make_uow() as uow:
            assert uow.jobs.durations([1.0]).cumulative == (0,)

    def test_alerts_changed_since_and_counted_by_severity(self, make_uow: Factory) -> None:
        base = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        old = Alert("info", "evaluation", "old")
        acked = Alert("warning", "evaluation", "acked")
        new = Alert("critical", "evaluation", "new")
        for alert, minutes in ((old, 0), (acked, 1), (new, 9)):
            alert.fired_at = base + timedelta(minutes=minutes)
        with make_uow() as uow:
            for alert in (old, acked, new):
                uow.alerts.add(alert)
            uow.commit()
        with make_uow() as uow:
            assert [a.id for a in uow.alerts.changed_since(base + timedelta(minutes=5))] == [new.id]
            loaded = uow.alerts.get(acked.id)
            assert loaded is not None
            loaded.acknowledge("carol")
            uow.commit()
        with make_uow() as uow:
            since = datetime.now(UTC) - timedelta(minutes=1)
            changed = uow.alerts.changed_since(base + timedelta(minutes=5))
            assert [a.id for a in changed] == [acked.id, new.id]  # oldest fired first
            assert changed[0].acknowledged_by == "carol"
            assert [a.id for a in uow.alerts.changed_since(since)] == [acked.id]
            assert len(uow.alerts.changed_since(base, limit=2)) == 2
            assert uow.alerts.count_by_severity() == {"info": 1, "warning": 1, "critical": 1}
            assert uow.alerts.count_by_severity(active=True) == {"info": 1, "critical": 1}
            assert uow.alerts.count_by_severity(active=False) == {"warning": 1}

    def test_latest_signals_newest_first_without_the_unscored(self, make_uow: Factory) -> None:
        base = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        jobs = [Job(a_job()) for _ in range(4)]
        with make_uow() as uow:
            for i, job in enumerate(jobs):
                uow.jobs.add(job)
                result = {"signals": _scores(i / 10)} if i != 2 else {"signals": None}
                uow.records.add_result(
                    ResultRecord(job.id, base + timedelta(minutes=i), "sim", result)
                )
            uow.commit()
        with make_uow() as uow:
            latest = uow.records.latest_signals(limit=3)
            assert [round(s["yield_risk"], 3) for s in latest] == [0.3, 0.1]
            assert set(latest[0]) == set(SIGNAL_NAMES)
            assert len(uow.records.latest_signals()) == 3

    def test_alerts_page_newest_first_with_filters(self, make_uow: Factory) -> None:
        base = datetime(2026, 12, 1, tzinfo=UTC)
        made = []
        with make_uow() as uow:
            for i in range(7):
                alert = Alert("critical" if i % 3 == 0 else "warning", "drift", f"alert {i}")
                alert.fired_at = base + timedelta(seconds=i // 2)  # pairs share a time
                if i in (1, 4):
                    alert.acknowledge("carol")
                uow.alerts.add(alert)
                made.append(alert)
            uow.commit()
        expected = sorted(made, key=lambda a: (a.fired_at, a.id), reverse=True)
        seen, cursor = [], None
        with make_uow() as uow:
            while True:
                page = uow.alerts.page(after=cursor, limit=3)
                seen.extend(a.id for a in page.alerts)
                cursor = page.next_cursor
                if cursor is None:
                    break
            active = uow.alerts.page(active=True).alerts
            done = uow.alerts.page(active=False).alerts
            critical = uow.alerts.page(severity="critical", active=True).alerts
        assert seen == [a.id for a in expected]
        assert [a.id for a in active] == [a.id for a in expected if a.active]
        assert {a.id for a in done} == {made[1].id, made[4].id}
        assert {a.id for a in critical} == {made[0].id, made[3].id, made[6].id}

    def test_an_optimisation_run_is_started_and_finished_once(self, make_uow: Factory) -> None:
        now = datetime.now(UTC)
        run = OptimisationRecord("opt-1", "erin", "queued", now, {"trials": 5})
        with make_uow() as uow:
            uow.optimisations.add(run)
            uow.commit()
        with make_uow() as uow:
            uow.optimisations.add(replace(run, id="opt-2"))  # rolled back: never kept
        with make_uow() as uow:
            assert uow.optimisations.get("opt-2") is None
            assert not uow.optimisations.record_progress("opt-2", {"trials_done": 1})
            assert uow.optimisations.start("opt-1", now, {"trials_done": 0})
            assert not uow.optimisations.start("opt-1", now, {"trials_done": 0})
            assert uow.optimisations.record_progress("opt-1", {"trials_done": 3})
            assert [r.id for r in uow.optimisations.unfinished()] == ["opt-1"]
            uow.commit()
        with make_uow() as uow:
            running = uow.optimisations.get("opt-1")
            assert running is not None
            assert (running.state, running.progress) == ("running", {"trials_done": 3})
            assert running.started_at == now
            later = now + timedelta(seconds=2)
            result = {"best": [{"params": {"dose_mj_cm2": 31.5}}]}
            assert uow.optimisations.finish(
                "opt-1", state="completed", at=later, result=result, progress={"trials_done": 5}
            )
            assert not uow.optimisations.finish("opt-1", state="failed", at=later, error="late")
            assert not uow.optimisations.record_progress("opt-1", {"trials_done": 9})
            uow.commit()
        with make_uow() as uow:
            done = uow.optimisations.get("opt-1")
            assert uow.optimisations.unfinished() == []
        assert done is not None
        assert (done.state, done.error, done.result) == ("completed", None, result)
        assert done.progress == {"trials_done": 5}
        assert done.request == {"trials": 5}
        assert done.finished_at == later

    def test_optimisation_runs_page_newest_first_by_owner_and_state(
        self, make_uow: Factory
    ) -> None:
        base = datetime(2026, 12, 1, tzinfo=UTC)
        made = [
            OptimisationRecord(
                f"opt-{i}",
                "erin" if i % 2 else "omar",
                "failed" if i == 3 else "queued",
                base + timedelta(seconds=i // 2),
                {},
            )
            for i in range(7)
        ]
        with make_uow() as uow:
            for run in made:
                uow.optimisations.add(run)
            uow.commit()
        expected = sorted(made, key=lambda r: (r.created_at, r.id), reverse=True)
        seen, cursor = [], None
        with make_uow() as uow:
            while True:
                page = uow.optimisations.page(after=cursor, limit=2)
                seen.extend(r.id for r in page.runs)
                cursor = page.next_cursor
                if cursor is None:
                    break
            erin = uow.optimisations.page(owner="erin").runs
            failed = uow.optimisations.page(state="failed").runs
        assert seen == [r.id for r in expected]
        assert [r.id for r in erin] == [r.id for r in expected if r.owner == "erin"]
        assert [r.id for r in failed] == ["opt-3"]

    # --- ingested data (the API's /ingest routes) ----------------------------------------------

    def test_ingested_results_are_kept_only_on_commit_and_listed_oldest_first(
        self, make_uow: Factory
    ) -> None:
        base = datetime(2026, 12, 1, tzinfo=UTC)
        made = [
            IngestedResult(
                f"ing-{i}",
                base + timedelta(seconds=i // 2),
                "prolith",
                "omar",
                {"na": 0.85, "i": i},
                {"cd_nm": 45.0 + i, "signals": None},
            )
            for i in (3, 0, 2, 1)
        ]
        with make_uow() as uow:
            uow.ingested.add(made[0])
        with make_uow() as uow:
            assert uow.ingested.list() == []  # not committed
            for record in made:
                uow.ingested.add(record)
            uow.commit()
        with make_uow() as uow:
            listed = uow.ingested.list()
            recent = uow.ingested.list(since=base + timedelta(seconds=1))
            one = uow.ingested.get("ing-2")
        assert [r.id for r in listed] == ["ing-0", "ing-1", "ing-2", "ing-3"]
        assert [r.id for r in recent] == ["ing-2", "ing-3"]
        assert one == made[2]
        assert one is not None
        assert one.received_at.tzinfo is not None

    def test_a_yield_record_is_one_per_wafer_and_layer(self, make_uow: Factory) -> None:
        first = a_yield_record("y-1", "LOT1", "W01", "M1")
        with make_uow() as uow:
            uow.yields.add(first)
            uow.commit()
        with make_uow() as uow:
            with pytest.raises(DuplicateYield) as raised:
                uow.yields.add(replace(a_yield_record("y-2", "LOT1", "W01", "M1")))
            assert raised.value.existing.id == "y-1"
            uow.yields.add(a_yield_record("y-3", "LOT1", "W01", "M2"))  # still usable
            uow.commit()
        with make_uow() as uow:
            assert uow.yields.get("y-2") is None
            stored = uow.yields.by_key("LOT1", "W01", "M1")
            assert stored is not None
            assert stored.measurement == first.measurement
            assert stored.submitted_by == "omar"
            assert uow.yields.get("y-3") is not None
            assert uow.yields.by_key("LOT1", "W02", "M1") is None

    def test_yield_records_page_newest_measurement_first(self, make_uow: Factory) -> None:
        base = datetime(2026, 11, 1, 12, tzinfo=UTC)
        plus_two = timezone(timedelta(hours=2))
        made = [
            a_yield_record(
                f"y-{i}",
                f"LOT{i % 2}",
                f"W{i:02d}",
                "M1" if i != 4 else "V1",
                # the same instants written in another zone sort as the instants they are
                (base + timedelta(hours=i // 2)).astimezone(plus_two if i % 3 else UTC),
            )
            for i in range(7)
        ]
        with make_uow() as uow:
            for record in made:
                uow.yields.add(record)
            uow.commit()
        expected = sorted(made, key=lambda r: (r.measurement.measured_at, r.id), reverse=True)
        seen, cursor = [], None
        with make_uow() as uow:
            while True:
                page = uow.yields.page(after=cursor, limit=3)
                seen.extend(r.id for r in page.records)
                cursor = page.next_cursor
                if cursor is None:
                    break
            lot1 = uow.yields.page(lot_id="LOT1").records
            vias = uow.yields.page(layer="V1").records
        assert seen == [r.id for r in expected]
        assert [r.id for r in lot1] == [r.id for r in expected if r.measurement.lot_id == "LOT1"]
        assert [r.id for r in vias] == ["y-4"]


def a_yield_record(
    id: str, lot: str, wafer: str, layer: str, measured_at: datetime | None = None
) -> YieldRecord:
    return YieldRecord(
        id,
        datetime.now(UTC),
        "omar",
        YieldMeasurement(
            lot_id=lot, wafer_id=wafer, layer=layer,
            measured_at=measured_at or datetime(2026, 11, 1, tzinfo=UTC), yield_fraction=0.9,
            die_count=100, good_die=90, cd_mean_nm=45.0, cd_sigma_nm=1.5,
        ),
    )  # fmt: skip


def _scores(value: float) -> dict[str, float]:
    return dict.fromkeys(SIGNAL_NAMES, value)


def _prediction(
    id: str, at: datetime, submitted_by: str, *, value: float = 0.5, job_id: str | None = None
) -> PredictionRecord:
    scores = {n: {"mean": v, "lower": v, "upper": v} for n, v in _scores(value).items()}
    return PredictionRecord(
        id=id,
        created_at=at,
        model_version="v1",
        parameters={"submitted_by": submitted_by, "na": 0.85},
        prediction={"scores": scores, "model_version": "v1", "tag": id},
        recommend_physics=False,
        job_id=job_id,
    )
