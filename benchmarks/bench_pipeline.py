"""The job pipeline: jobs per minute from submit to a final state, on PostgreSQL and RabbitMQ.

The simulator is the surrogate (``LTO_SIMULATOR=surrogate``: milliseconds a job), so what is
measured is the pipeline itself: the contract, pre-flight, the database transactions, the
outbox relay, the broker and the workers. Setup: a temporary ``LTO_DATA_DIR``, a tiny surrogate
(``lto train --samples 120 --seed 1``, about a minute, kept in ``--data-dir`` and reused from
there), a fresh PostgreSQL database ``lto_bench_<uuid>`` (migrated, dropped at the end) and the
RabbitMQ queues of the default vhost, purged before each run.

1. Real ``lto worker --no-monitor`` processes, 1 and then 2: N jobs submitted from this process
   (``app.bus.handle(SubmitJob(...))``, with a relay thread, as the API runs), timed from the
   first submit until all N are in a final state. Target (the seeds): 1000+ jobs per minute.
2. Where the time goes: one in-process run on the same servers, its two halves one after the
   other (submit all N, then one worker thread takes them all), with the unit of work, the
   broker's publish, the simulator and pre-flight wrapped by timing proxies (nothing in src/
   changes). Each lane's time is split by where it went (exclusive: a publish inside a
   transaction counts as broker, not database), with the thread's CPU time beside the wall
   time; what a lane spends outside every wrapped call is "other" (contracts, domain events,
   JSON, thread hand-offs).
3. Floors, in the same run: a PostgreSQL round trip and one-row commit, and a persistent
   RabbitMQ publish with its confirm, what the per-job counts of commits and messages multiply.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/"
POSTGRES_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
TARGET_PER_MIN = 1000.0
FINAL = {"rejected", "blocked", "cancelled", "failed", "completed", "anomaly_flagged"}
FINAL |= {"engineer_review", "cleared", "escalated"}
STALL_S = 90.0  # no job finished for this long: something is wrong, stop
WARM_UP_PER_WORKER = 3  # jobs each worker runs before timing (loads its surrogate)
TEMPLATE: dict[str, Any] = {
    "na": 0.85, "wavelength_nm": 193.0, "dose_mj_cm2": 44.0, "sigma": 0.7,
    "resist_thickness_nm": 100.0, "grid_size_nm": 4.0, "target_cd_nm": 90.0,
    "pitch_nm": 180.0, "submitted_by": "benchmark",
}  # fmt: skip
LTO = [sys.executable, "-c", "from lto.cli import main; main()"]


def job(i: int) -> dict[str, Any]:
    """The ArF-dry 90/180 nm lines job, dose 40–48 mJ/cm² and focus ±60 nm (low discrepancy)."""
    return TEMPLATE | {
        "dose_mj_cm2": round(40.0 + 8.0 * ((0.5 + i * 0.6180339887) % 1.0), 3),
        "focus_nm": round(-60.0 + 120.0 * ((0.5 + i * 0.7548776662) % 1.0), 2),
        "metadata": {"bench": i},
    }


# --- setup: surrogate, database, broker ------------------------------------------------------


def trained_surrogate(store: Path) -> Path:
    """The folder of the surrogate current in ``store`` (a data dir), trained there if none."""
    from lto.daedalus.adapters.model_store import LocalModelStore

    models = LocalModelStore(store / "models" / "surrogate")
    folder = models.current_path()
    if folder is not None and folder.is_dir():
        return folder
    print(f"training a tiny surrogate into {store} (lto train --samples 120, about a minute)")
    env = os.environ | {"LTO_DATA_DIR": str(store), "LTO_LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [*LTO, "train", "--samples", "120", "--seed", "1"], env=env, capture_output=True, text=True
    )
    folder = models.current_path()
    if done.returncode != 0 or folder is None:
        raise SystemExit(f"lto train failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return folder


def create_database() -> tuple[str, str]:
    import psycopg

    name = f"lto_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return name, POSTGRES + name


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_versions(name: str) -> str:
    import pika
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN) as pg:
        version = pg.execute("show server_version").fetchone()
        sync = pg.execute("show synchronous_commit").fetchone()
    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    rabbit = connection._impl.server_properties.get("version", b"?")
    connection.close()
    rabbit = rabbit.decode() if isinstance(rabbit, bytes) else str(rabbit)
    pg_version = str(version[0]).split()[0] if version else "?"
    return f"PostgreSQL {pg_version} (synchronous_commit {sync[0] if sync else '?'}), RabbitMQ {rabbit}"


def queue_names() -> list[str]:
    from lto.capricorn.ports import BINDINGS, dead_letter_queue

    return [name for queue in BINDINGS for name in (queue, dead_letter_queue(queue))]


def purge_queues() -> None:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    try:
        for name in queue_names():
            channel = connection.channel()  # a missing queue (a fresh broker) closes the channel
            try:
                channel.queue_purge(name)
            except pika.exceptions.ChannelClosedByBroker:
                continue
            channel.close()
    finally:
        connection.close()


def consumers(queue: str) -> int:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    try:
        return int(connection.channel().queue_declare(queue, passive=True).method.consumer_count)
    finally:
        connection.close()


# --- real worker processes -------------------------------------------------------------------


@dataclass
class Workers:
    env: dict[str, str]
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, count: int) -> None:
        from lto.capricorn.ports import SIMULATIONS

        for i in range(count):
            log = (self.logs / f"worker-{len(self.processes)}.log").open("wb")
            self.processes.append(
                subprocess.Popen(
                    [*LTO, "worker", "--no-monitor", "--name", f"bench-worker-{i}"],
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.monotonic() + 120
        while consumers(SIMULATIONS) < count:
            self.check()
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} workers did not start consuming in 120 s")
            time.sleep(0.2)

    def check(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(f"worker {process.pid} exited ({process.returncode})")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def tails(self) -> str:
        return "\n".join(
            f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-15:])
            for path in sorted(self.logs.glob("worker-*.log"))
        )


def final_count(uow_factory: Callable[[], Any]) -> tuple[int, dict[str, int]]:
    with uow_factory() as uow:
        states = uow.jobs.count_by_state()
    return sum(n for s, n in states.items() if s in FINAL), states


def wait_final(
    uow_factory: Callable[[], Any], target: int, check: Callable[[], None] = lambda: None
) -> float:
    """Poll every 0.2 s until ``target`` jobs are final; the moment they were."""
    last, since = -1, time.monotonic()
    while True:
        done, _ = final_count(uow_factory)
        now = time.perf_counter()
        if done >= target:
            return now
        if done != last:
            last, since = done, time.monotonic()
        elif time.monotonic() - since > STALL_S:
            raise RuntimeError(f"stalled at {done} of {target} final jobs for {STALL_S:.0f} s")
        check()
        time.sleep(0.2)


@dataclass
class RunResult:
    workers: int
    jobs: int
    submit_s: float
    total_s: float
    states: dict[str, int]

    @property
    def submit_per_min(self) -> float:
        return 60.0 * self.jobs / self.submit_s

    @property
    def per_min(self) -> float:
        return 60.0 * self.jobs / self.total_s


def submit_all(bus: Any, first: int, count: int) -> list[Any]:
    from lto.capricorn.service.commands import SubmitJob

    return [bus.handle(SubmitJob(job(first + i))) for i in range(count)]


def real_run(app: Any, workers: Workers, count: int, jobs: int, first: int) -> RunResult:
    purge_queues()
    workers.start(count)
    try:
        warm = WARM_UP_PER_WORKER * count
        before, _ = final_count(app.uow)
        submit_all(app.bus, first, warm)
        wait_final(app.uow, before + warm, workers.check)
        baseline, states_before = final_count(app.uow)
        start = time.perf_counter()
        submit_all(app.bus, first + warm, jobs)
        submitted = time.perf_counter()
        done = wait_final(app.uow, baseline + jobs, workers.check)
        _, states_after = final_count(app.uow)
    finally:
        workers.stop()
    states = {s: states_after[s] - states_before.get(s, 0) for s in states_after}
    return RunResult(
        count, jobs, submitted - start, done - start, {s: n for s, n in states.items() if n}
    )


# --- the in-process run: timing proxies ------------------------------------------------------


class Ledger:
    """Exclusive wall and CPU seconds per (lane, where), per thread: entering a span charges the
    time so far to the span it interrupts."""

    def __init__(self) -> None:
        self.wall: dict[tuple[str, str], float] = defaultdict(float)
        self.cpu: dict[tuple[str, str], float] = defaultdict(float)
        self.calls: dict[tuple[str, str], int] = defaultdict(int)
        self.items: dict[str, int] = defaultdict(int)  # e.g. messages published
        self._lock = threading.Lock()
        self._local = threading.local()

    def add(self, lane: str, where: str, wall: float, cpu: float = 0.0, calls: int = 0) -> None:
        with self._lock:
            self.wall[lane, where] += wall
            self.cpu[lane, where] += cpu
            self.calls[lane, where] += calls

    def count(self, item: str, n: int) -> None:
        with self._lock:
            self.items[item] += n

    @contextlib.contextmanager
    def span(self, where: str, lane: str | None = None) -> Iterator[None]:
        stack: list[list[Any]] = self._local.__dict__.setdefault("stack", [])
        wall, cpu = time.perf_counter(), time.thread_time()
        if stack:
            top = stack[-1]
            self.add(top[0], top[1], wall - top[2], cpu - top[3])
        frame = [lane or (stack[-1][0] if stack else "unlaned"), where, wall, cpu]
        stack.append(frame)
        with self._lock:
            self.calls[frame[0], where] += 1
        try:
            yield
        finally:
            wall, cpu = time.perf_counter(), time.thread_time()
            self.add(frame[0], where, wall - frame[2], cpu - frame[3])
            stack.pop()
            if stack:
                stack[-1][2], stack[-1][3] = wall, cpu

    def current_lane(self) -> str:
        stack = self._local.__dict__.get("stack")
        return stack[-1][0] if stack else "unlaned"

    def lane(self, lane: str) -> dict[str, tuple[float, float, int]]:
        return {
            w: (self.wall[ln, w], self.cpu[ln, w], self.calls[ln, w])
            for (ln, w) in self.wall
            if ln == lane
        }


def timed_uow_factory(app: Any, ledger: Ledger, wake: Callable[[Any], None]) -> Callable[[], Any]:
    """Units of work whose ``with`` blocks (and commits) the ledger charges to the database."""
    from lto.capricorn.adapters.sql_unit_of_work import SqlUnitOfWork

    class TimedUnitOfWork(SqlUnitOfWork):
        def __enter__(self) -> Any:
            self._span = ledger.span("database")
            self._span.__enter__()
            return super().__enter__()

        def __exit__(self, *exc: Any) -> None:
            try:
                super().__exit__(*exc)
            finally:
                self._span.__exit__(None, None, None)

        def _commit(self) -> None:
            ledger.count("commits", 1)
            super()._commit()

    return lambda: TimedUnitOfWork(app.engine, app.artifacts, on_commit=wake)


class TimedBroker:
    """The relay's broker: each publish (one confirm per message) is broker time."""

    def __init__(self, broker: Any, ledger: Ledger) -> None:
        self._broker, self._ledger = broker, ledger

    def publish(self, messages: Any) -> None:
        self._ledger.count("messages", len(messages))
        with self._ledger.span("broker publish"):
            self._broker.publish(messages)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._broker, name)


class TimedSimulator:
    """Only ``run`` (the handler looks for ``simulate``, which the surrogate has not either)."""

    def __init__(self, simulator: Any, ledger: Ledger) -> None:
        self._simulator, self._ledger = simulator, ledger

    def run(self, job_id: str, parameters: Any, progress: Any = None) -> Any:
        with self._ledger.span("simulator"):
            return self._simulator.run(job_id, parameters, progress)


class TimedPreflight:
    def __init__(self, preflight: Any, ledger: Ledger) -> None:
        self._preflight, self._ledger = preflight, ledger

    def check(self, job: Any) -> Any:
        with self._ledger.span("pre-flight"):
            return self._preflight.check(job)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._preflight, name)


def timed_relay(app: Any, broker: Any, ledger: Ledger, lane: str) -> Any:
    from lto.capricorn.service.outbox import OutboxRelay

    class TimedRelay(OutboxRelay):
        def relay_once(self) -> int:
            with ledger.span("other", lane=lane):
                return super().relay_once()

    relay = TimedRelay(lambda: None, TimedBroker(broker, ledger))  # type: ignore[arg-type, return-value]
    relay.uow_factory = timed_uow_factory(app, ledger, relay.notify)
    return relay


@dataclass
class Phase:
    name: str
    seconds: float


def in_process_run(app: Any, broker: Any, jobs: int, first: int, ledger: Ledger) -> list[Phase]:
    """Submit ``jobs`` (with a relay thread, as the API does) until all are published; then one
    worker thread runs them all: the ``SimulationHandler`` that ``app.simulation_handler``
    builds, made here over the timed unit of work and simulator, in a ``Worker`` with its relay.
    Every SQL statement is counted, by lane."""
    from sqlalchemy import event

    def statement(*_args: Any) -> None:
        ledger.count(f"statements {ledger.current_lane()}", 1)

    event.listen(app.engine, "before_cursor_execute", statement)
    try:
        return _in_process_run(app, broker, jobs, first, ledger)
    finally:
        event.remove(app.engine, "before_cursor_execute", statement)


def _in_process_run(app: Any, broker: Any, jobs: int, first: int, ledger: Ledger) -> list[Phase]:
    from lto.capricorn.service.messagebus import MessageBus
    from lto.capricorn.service.simulation import SimulationHandler
    from lto.capricorn.worker import Worker
    from lto.daedalus.dataset import result_row

    purge_queues()
    before, _ = final_count(app.uow)
    phases = []
    # 1. submit, no relay running
    relay = timed_relay(app, broker, ledger, LANES[1])
    bus = MessageBus(relay.uow_factory, TimedPreflight(app.pipeline_preflight, ledger))
    start = time.perf_counter()
    for i in range(jobs):
        with ledger.span("other", lane=LANES[0]):
            submit_all(bus, first + i, 1)
    phases.append(Phase(LANES[0], time.perf_counter() - start))
    # 2. relay what the submits wrote, on this thread
    start = time.perf_counter()
    relay.drain()
    phases.append(Phase(LANES[1], time.perf_counter() - start))
    # 3. one worker thread, its relay held back
    worker_relay = timed_relay(app, broker, ledger, LANES[3])
    handler = SimulationHandler(
        worker_relay.uow_factory,
        TimedSimulator(app.simulator, ledger),
        worker_id="bench-thread",
        training_row=result_row,
    )
    last_end: list[float] = []

    def handle(message: Any) -> None:
        begin = time.perf_counter()
        if last_end:  # from the last job's end to this one's start: ack, next delivery
            ledger.add(LANES[2], "broker (ack, next delivery)", begin - last_end[0], calls=1)
        try:
            with ledger.span("other", lane=LANES[2]):
                handler.handle(message)
        finally:
            last_end[:] = [time.perf_counter()]

    worker = Worker(broker, handle)
    consuming = threading.Thread(target=worker.run)
    start = time.perf_counter()
    consuming.start()
    try:
        wait_final(app.uow, before + jobs)
        phases.append(Phase(LANES[2], time.perf_counter() - start))
    finally:
        worker.stop.stop()
        consuming.join()
    # 4. relay the worker's events, on this thread
    start = time.perf_counter()
    worker_relay.drain()
    phases.append(Phase(LANES[3], time.perf_counter() - start))
    return phases


# --- floors ----------------------------------------------------------------------------------


def floors(database: str) -> dict[str, float]:
    """Median ms: a PostgreSQL round trip, a one-row insert and commit (the WAL flush), and a
    persistent publish to one quorum queue waited for its confirm (the same as the relay)."""
    import pika
    import psycopg

    out: dict[str, float] = {}
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={database}") as pg:
        pg.autocommit = True
        pg.execute("CREATE TABLE lto_bench_probe (id serial primary key, x int)")
        out["pg round trip"] = _median_ms(lambda: pg.execute("SELECT 1").fetchone(), 200)
        out["pg insert + commit"] = _median_ms(
            lambda: pg.execute("INSERT INTO lto_bench_probe (x) VALUES (1)"), 200
        )
        pg.execute("DROP TABLE lto_bench_probe")
    name = f"lto-bench-probe-{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    try:
        channel = connection.channel()
        channel.queue_declare(name, durable=True, arguments={"x-queue-type": "quorum"})
        channel.confirm_delivery()
        properties = pika.BasicProperties(delivery_mode=2)
        out["rabbit publish + confirm"] = _median_ms(
            lambda: channel.basic_publish("", name, b"{}", properties, mandatory=True), 200
        )
        channel.queue_delete(name)
    finally:
        connection.close()
    return out


def _median_ms(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times)


# --- report ----------------------------------------------------------------------------------


def print_real(results: list[RunResult]) -> None:
    print("1. lto worker processes, submit -> final state (jobs/min; target 1000/min)")
    print(f"   {'workers':>7} {'submitting':>11} {'through':>9} {'ratio to 1000/min':>18}  final")
    for r in results:
        states = ", ".join(f"{s} {n}" for s, n in sorted(r.states.items()))
        print(
            f"   {r.workers:>7} {r.submit_per_min:>11.0f} {r.per_min:>9.0f} "
            f"{r.per_min / TARGET_PER_MIN:>17.2f}x  {states}"
        )
    if len(results) == 2:
        print(f"   2 workers / 1 worker: {results[1].per_min / results[0].per_min:.2f}x")


LANES = ("submit", "relay (submitting side)", "worker", "relay (worker side)")
KINDS = {
    "database": "database",
    "broker publish": "broker",
    "broker (ack, next delivery)": "broker",
    "simulator": "simulator",
    "pre-flight": "pre-flight",
    "other": "other",
}


def print_shares(ledger: Ledger, jobs: int, phases: list[Phase]) -> None:
    rates = ", ".join(f"{p.name} {60 * jobs / p.seconds:.0f}/min" for p in phases)
    print(
        f"2. where the time goes: one in-process run of {jobs} jobs, each stage alone on one "
        f"thread, one after the other ({rates})"
    )
    print(f"   {'lane / where':<34} {'ms/job':>7} {'cpu ms':>7} {'share':>6} {'calls/job':>9}")
    kinds: dict[str, float] = defaultdict(float)
    for lane in LANES:
        rows = ledger.lane(lane)
        total = sum(wall for wall, _, _ in rows.values())
        sql = ledger.items[f"statements {lane}"] / jobs
        print(f"   {lane:<34} {1000 * total / jobs:>7.2f}  ({sql:.1f} SQL statements/job)")
        for where, (wall, cpu, calls) in sorted(rows.items(), key=lambda r: -r[1][0]):
            kinds[KINDS[where]] += wall
            print(
                f"     {where:<32} {1000 * wall / jobs:>7.2f} {1000 * cpu / jobs:>7.2f} "
                f"{wall / total:>6.0%} {calls / jobs:>9.1f}"
            )
    busy = sum(kinds.values())
    shares = ", ".join(f"{k} {v / busy:.0%}" for k, v in sorted(kinds.items(), key=lambda r: -r[1]))
    print(f"   all lanes ({busy:.1f} s busy thread time): {shares}")
    print(
        f"   per job: {ledger.items['commits'] / jobs:.1f} database commits, "
        f"{ledger.items['messages'] / jobs:.1f} messages published (one confirm each)"
    )


def print_floors(measured: dict[str, float], ledger: Ledger, jobs: int) -> None:
    messages = ledger.items["messages"] / jobs
    commits = ledger.items["commits"] / jobs
    publish = measured["rabbit publish + confirm"]
    commit = measured["pg insert + commit"]
    print(
        "3. floors (median of 200): PostgreSQL round trip "
        f"{measured['pg round trip']:.2f} ms, one-row insert + commit {commit:.2f} ms; "
        f"RabbitMQ persistent publish + confirm (quorum queue) {publish:.2f} ms"
    )
    print(
        f"   per job: {messages:.1f} confirms x {publish:.2f} ms = {messages * publish:.1f} ms; "
        f"{commits:.1f} commits x {commit:.2f} ms = {commits * commit:.1f} ms"
    )


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300, help="jobs per run (default 300)")
    parser.add_argument("--quick", action="store_true", help="60 jobs per run")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="where the tiny surrogate is trained once and reused (default: a temporary folder)",
    )
    args = parser.parse_args()
    jobs = 60 if args.quick else args.jobs
    if jobs < 1:
        parser.error("--jobs must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    def interrupted(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    scratch = Path(tempfile.mkdtemp(prefix="lto-bench-pipeline-"))
    database: str | None = None
    workers: Workers | None = None
    app: Any = None
    relay_stop = threading.Event()
    relay_thread: threading.Thread | None = None
    try:
        folder = trained_surrogate(args.data_dir or scratch / "surrogate")
        data = scratch / "data"
        from lto.daedalus.adapters.model_store import LocalModelStore

        LocalModelStore(data / "models" / "surrogate").set_current(folder)
        database, url = create_database()
        from lto.bootstrap import bootstrap
        from lto.capricorn.adapters import migrations
        from lto.capricorn.adapters.rabbitmq import RabbitMqBroker
        from lto.capricorn.ports import SIMULATIONS
        from lto.config import Settings

        migrations.upgrade(url)
        settings = Settings(
            data_dir=data, database_url=url, broker_url=BROKER_URL, simulator="surrogate",
            log_level="WARNING",
        )  # fmt: skip
        app = bootstrap(settings)
        app.broker.declare()
        if (others := consumers(SIMULATIONS)) > 0:
            raise SystemExit(f"{SIMULATIONS} already has {others} consumers: stop them first")
        broker = RabbitMqBroker(BROKER_URL)  # the in-process run's own connection
        env = os.environ | {
            "LTO_DATA_DIR": str(data), "LTO_DATABASE_URL": url, "LTO_BROKER_URL": BROKER_URL,
            "LTO_SIMULATOR": "surrogate", "LTO_LOG_LEVEL": "WARNING",
        }  # fmt: skip
        workers = Workers(env, scratch)
        print(
            f"job pipeline on {platform.machine()} ({os.cpu_count()} cores), python "
            f"{platform.python_version()}, {server_versions(database)}, surrogate simulator "
            f"({folder.name}), {jobs} jobs per run"
        )
        relay_thread = threading.Thread(target=app.relay.run, args=(relay_stop,), daemon=True)
        relay_thread.start()
        results, first = [], 0
        for count in (1, 2):
            results.append(real_run(app, workers, count, jobs, first))
            first += jobs + WARM_UP_PER_WORKER * count
        relay_stop.set()
        app.relay.notify()
        relay_thread.join()
        print_real(results)
        in_process_run(app, broker, 3, first, Ledger())  # warm the timed path
        ledger = Ledger()
        phases = in_process_run(app, broker, jobs, first + 3, ledger)
        print_shares(ledger, jobs, phases)
        print_floors(floors(database), ledger, jobs)
    except BaseException:
        if workers is not None and workers.processes:
            print(workers.tails(), file=sys.stderr)
        raise
    finally:
        relay_stop.set()
        if workers is not None:
            workers.stop()
        if app is not None:
            with contextlib.suppress(Exception):
                app.relay.notify()
                if relay_thread is not None:
                    relay_thread.join(timeout=10)
            with contextlib.suppress(Exception):
                app.engine.dispose()
        if database is not None:
            drop_database(database)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
