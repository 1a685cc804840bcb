"""A soak of the single-droplet deploy: locust against the API and two workers, for minutes.

The deploy's own processes are started the way ``docker/local_stack.py`` starts them (the
commands compose.yaml gives its containers: migrate, MLflow, the API with two processes, two
workers, the scheduler, the web app) against this machine's PostgreSQL and RabbitMQ. Four
engineers get keys and a small surrogate is trained; then locust (headless) plays
``benchmarks/locustfile.py`` while every process's memory is sampled. After the load stops the
workers are given time to drain the queue, and the database is asked what became of each job.

    python benchmarks/soak.py                      # 10 minutes, 12 engineers: the recorded soak
    python benchmarks/soak.py --minutes 1 --no-memory-gate --json out.json   # CI's short run

It prints requests, failures and p50/p95/p99 per kind of request; jobs a minute; each
process's resident memory after warm-up and at the end. It exits 1 when the error rate is 0.1%
or more, when a job is lost or left unfinished, or (with the memory gate, the default) when any
process grew by 10% or more after warm-up.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import re
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
LOCUSTFILE = HERE / "locustfile.py"
BIN = Path(sys.executable).parent
MAX_ERROR_RATE = 0.001
MAX_MEMORY_GROWTH = 0.10
UNFINISHED = ("submitted", "validating", "preflight", "queued", "running", "evaluating")


def _load_local_stack() -> Any:
    spec = importlib.util.spec_from_file_location(
        "local_stack", HERE.parent / "docker" / "local_stack.py"
    )
    if spec is None or spec.loader is None:
        raise ImportError("docker/local_stack.py is missing")
    module = importlib.util.module_from_spec(spec)
    sys.modules["local_stack"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


local_stack = _load_local_stack()


@dataclass
class MemorySampler:
    """Resident memory of each process of the stack (and of the API's server processes), every
    ``interval`` seconds, in a background thread."""

    roots: dict[str, int]
    interval: float = 5.0
    samples: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _one(self, now: float) -> None:
        for name, pid in self.roots.items():
            try:
                root = psutil.Process(pid)
                family = [(name, root), *[
                    (f"{name}/{child.pid}", child) for child in root.children(recursive=True)
                ]]  # fmt: skip
                for label, process in family:
                    self.samples.setdefault(label, []).append((now, process.memory_info().rss))
            except psutil.NoSuchProcess:
                continue

    def run(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            self._one(time.monotonic() - start)
            self._stop.wait(self.interval)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="memory-sampler", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()


def memory_growth(
    samples: dict[str, list[tuple[float, int]]], warm_up_s: float, window_s: float = 60.0
) -> list[dict[str, Any]]:
    """Each process's median RSS over the window after warm-up and over the last window, and
    the growth between them (medians, so one garbage-collection peak does not decide)."""
    rows = []
    for name, series in sorted(samples.items()):
        if not series:
            continue
        end = series[-1][0]
        after = [rss for t, rss in series if warm_up_s <= t < warm_up_s + window_s]
        last = [rss for t, rss in series if t >= max(end - window_s, warm_up_s)]
        if not after or not last:
            continue
        base, final = statistics.median(after), statistics.median(last)
        rows.append({
            "process": name, "after_warm_up_mib": base / 2**20, "end_mib": final / 2**20,
            "growth": (final - base) / base if base else 0.0,
        })  # fmt: skip
    return rows


def memory_series(
    samples: dict[str, list[tuple[float, int]]], step_s: float = 60.0
) -> dict[str, list[tuple[float, float]]]:
    """Each process's RSS (MiB) at every ``step_s``: whether a growth levels off or climbs."""
    series = {}
    for name, points in sorted(samples.items()):
        marks, next_mark = [], 0.0
        for t, rss in points:
            if t >= next_mark:
                marks.append((round(t), rss / 2**20))
                next_mark = t + step_s
        series[name] = marks
    return series


def read_locust_stats(prefix: Path) -> list[dict[str, Any]]:
    rows = []
    with (prefix.parent / f"{prefix.name}_stats.csv").open() as handle:
        for row in csv.DictReader(handle):
            rows.append({
                "name": row["Name"], "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]), "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0), "p99_ms": float(row["99%"] or 0),
                "rps": float(row["Requests/s"] or 0),
            })  # fmt: skip
    return rows


def read_locust_failures(prefix: Path) -> list[str]:
    path = prefix.parent / f"{prefix.name}_failures.csv"
    if not path.exists():
        return []
    with path.open() as handle:
        return [f"{r['Name']}: {r['Error']} (×{r['Occurrences']})" for r in csv.DictReader(handle)]


def make_keys(stack: Any, count: int) -> list[str]:
    keys = []
    for index in range(1, count + 1):
        name = f"soak-engineer-{index}"
        local_stack._lto(stack, "users", "create", name, "--role", "engineer")
        found = re.search(r"(lto_\S+)", local_stack._lto(stack, "keys", "create", name))
        if found is None:
            raise SystemExit("lto keys create printed no key")
        keys.append(found.group(1))
    return keys


def train_and_wait(stack: Any, key: str) -> None:
    local_stack._lto(stack, "train", "--samples", "120", "--seed", "1")
    job = {"na": 0.85, "wavelength_nm": 193, "dose_mj_cm2": 30, "sigma": 0.7,
           "resist_thickness_nm": 100, "grid_size_nm": 4, "target_cd_nm": 90, "pitch_nm": 180}  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # each API process picks the new champion up (≤ 1/s)
        if local_stack._call(stack, "POST", "/api/v1/tradeoffs/predict", key, job)[0] == 200:
            return
        time.sleep(1)
    raise SystemExit("no prediction served after training")


def _query(stack: Any, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    url = local_stack.POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{stack.database}"
    with psycopg.connect(url) as connection:
        return list(connection.execute(sql).fetchall())


def drain(stack: Any, timeout_s: float) -> int:
    """Wait for the workers to finish what was queued; the number still unfinished."""
    states = ", ".join(f"'{s}'" for s in UNFINISHED)
    deadline = time.monotonic() + timeout_s
    while True:
        left = int(_query(stack, f"SELECT count(*) FROM jobs WHERE state IN ({states})")[0][0])
        if left == 0 or time.monotonic() > deadline:
            return left
        time.sleep(2)


def job_outcomes(stack: Any, minutes: float) -> dict[str, Any]:
    by_state = dict(_query(stack, "SELECT state, count(*) FROM jobs GROUP BY state"))
    completed_in_run = by_state.get("completed", 0) + by_state.get("anomaly_flagged", 0)
    ran_twice = _query(stack, "SELECT count(*) FROM (SELECT job_id FROM job_state_changes "
                              "WHERE state = 'running' GROUP BY job_id HAVING count(*) > 1) t")  # fmt: skip
    results = _query(stack, "SELECT count(*), count(DISTINCT job_id) FROM job_results")[0]
    return {
        "by_state": by_state, "finished": completed_in_run,
        "jobs_per_minute": completed_in_run / minutes if minutes else 0.0,
        "started_more_than_once": int(ran_twice[0][0]),
        "result_rows": int(results[0]), "jobs_with_results": int(results[1]),
    }  # fmt: skip


def run_locust(stack: Any, keys: list[str], users: int, seconds: int, prefix: Path) -> None:
    env = {**local_stack.os.environ, "LTO_SOAK_KEYS": ",".join(keys)}
    command = [
        str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--host", stack.url("api"),
        "-u", str(users), "-r", str(max(1, users // 4)), "--run-time", f"{seconds}s",
        "--stop-timeout", "10", "--csv", str(prefix), "--only-summary", "--exit-code-on-error", "0",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True,
                          timeout=seconds + 120, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"locust exited {done.returncode}:\n{done.stderr[-3000:]}")


def report(summary: dict[str, Any]) -> str:
    lines = [
        f"soak: {summary['minutes']:g} min, {summary['users']} engineers at 1 request/s each, "
        f"API ×{summary['api_processes']} processes, 2 workers",
        "",
        "| request | count | failures | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in summary["requests"]:
        lines.append(
            f"| {row['name']} | {row['requests']} | {row['failures']} | {row['rps']:.1f} "
            f"| {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | {row['p99_ms']:.0f} |"
        )
    jobs = summary["jobs"]
    lines += [
        "",
        f"error rate {summary['error_rate']:.4%} (limit {MAX_ERROR_RATE:.1%})",
        f"jobs finished {jobs['finished']} = {jobs['jobs_per_minute']:.0f} jobs/min; "
        f"by state {jobs['by_state']}; started more than once {jobs['started_more_than_once']}; "
        f"result rows {jobs['result_rows']} for {jobs['jobs_with_results']} jobs; "
        f"unfinished after draining {summary['unfinished']}",
        "",
        f"memory (median RSS, the minute after {summary['warm_up_s']:.0f} s of warm-up vs the "
        "last minute):",
        "",
        "| process | after warm-up MiB | end MiB | growth |",
        "|---|---:|---:|---:|",
    ]
    for row in summary["memory"]:
        lines.append(
            f"| {row['process']} | {row['after_warm_up_mib']:.0f} | {row['end_mib']:.0f} "
            f"| {row['growth']:+.1%} |"
        )
    series = summary.get("series") or {}
    if series:
        times = [t for t, _ in max(series.values(), key=len)]
        lines += ["", "RSS MiB by minute of the run:", "",
                  "| process | " + " | ".join(f"{t / 60:.0f}" for t in times) + " |",
                  "|---|" + "---:|" * len(times)]  # fmt: skip
        for name, marks in series.items():
            lines.append(f"| {name} | " + " | ".join(f"{m:.0f}" for _, m in marks) + " |")
    lines += ["", *(f"failure: {f}" for f in summary["failure_kinds"])]
    lines.append("SOAK " + ("PASSED" if not summary["problems"] else "FAILED: "
                            + "; ".join(summary["problems"])))  # fmt: skip
    return "\n".join(lines)


def problems_of(summary: dict[str, Any], memory_gate: bool) -> list[str]:
    problems = []
    if summary["error_rate"] >= MAX_ERROR_RATE:
        problems.append(f"error rate {summary['error_rate']:.3%}")
    if summary["unfinished"]:
        problems.append(f"{summary['unfinished']} jobs unfinished after draining")
    jobs = summary["jobs"]
    if jobs["result_rows"] != jobs["jobs_with_results"]:
        problems.append("a job has more than one result")
    submitted = next((r["requests"] - r["failures"] for r in summary["requests"]
                      if r["name"] == "submit"), 0)  # fmt: skip
    if sum(jobs["by_state"].values()) < submitted:
        problems.append(f"{submitted} jobs accepted, {sum(jobs['by_state'].values())} stored")
    grown = [r["process"] for r in summary["memory"] if r["growth"] >= MAX_MEMORY_GROWTH]
    if memory_gate and grown:
        problems.append(f"memory grew ≥ {MAX_MEMORY_GROWTH:.0%} in {', '.join(grown)}")
    if memory_gate and not summary["memory"]:
        problems.append("no memory samples after warm-up: run longer than the warm-up")
    return problems


def soak(minutes: float, users: int, warm_up_s: float, memory_gate: bool) -> dict[str, Any]:
    stack = local_stack.make_stack()
    try:
        print("starting the deploy's processes …", flush=True)
        local_stack.start(stack)
        keys = make_keys(stack, 4)
        print("training a small surrogate …", flush=True)
        train_and_wait(stack, keys[0])
        roots = {r.name: r.process.pid for r in stack.running if not r.name.startswith("mlflow")}
        sampler = MemorySampler(roots)
        sampler.start()
        print(f"locust: {users} engineers for {minutes:g} min …", flush=True)
        prefix = stack.scratch / "locust"
        run_locust(stack, keys, users, int(minutes * 60), prefix)
        sampler.stop()
        unfinished = drain(stack, timeout_s=180)
        requests = read_locust_stats(prefix)
        total = next(r for r in requests if r["name"] == "Aggregated")
        summary = {
            "minutes": minutes, "users": users, "api_processes": 2, "warm_up_s": warm_up_s,
            "requests": requests, "failure_kinds": read_locust_failures(prefix),
            "error_rate": total["failures"] / total["requests"] if total["requests"] else 1.0,
            "jobs": job_outcomes(stack, minutes), "unfinished": unfinished,
            "memory": memory_growth(sampler.samples, warm_up_s),
            "series": memory_series(sampler.samples),
        }  # fmt: skip
        summary["problems"] = problems_of(summary, memory_gate)
        return summary
    finally:
        local_stack.stop(stack)
        local_stack.destroy(stack)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=12, help="engineers, 1 request/s each")
    parser.add_argument("--warm-up", type=float, default=None,
                        help="seconds before memory is the baseline (default: a fifth of the run)")  # fmt: skip
    parser.add_argument("--no-memory-gate", action="store_true",
                        help="report memory growth but do not fail on it (short runs)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the summary here as JSON")
    args = parser.parse_args()
    if args.minutes <= 0 or args.users < 1:
        parser.error("--minutes must be above 0 and --users at least 1")
    warm_up = args.warm_up if args.warm_up is not None else args.minutes * 60 / 5
    try:
        summary = soak(args.minutes, args.users, warm_up, not args.no_memory_gate)
    except SystemExit as failure:
        print(f"SOAK FAILED to run: {failure}", file=sys.stderr)
        return 2
    print(report(summary), flush=True)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str))
    return 1 if summary["problems"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
