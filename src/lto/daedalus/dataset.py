"""The surrogate's training data: jobs sampled from a ``SurrogateDomain``, run through physics.

``build_dataset`` samples the domain, and for each sampled job finds the job's own dose to size
(the simulator's ``dose_to_size`` if it has one, else a full ``run``), exposes the job at
``dose_ratio`` × that dose and runs it. A job the simulator fails on is kept as a row with
``status="failed"`` and the error, never aborting the build. With ``workers`` > 1 the jobs run
in chunks on a spawned process pool, each worker process building its simulator once.

``save_dataset`` writes Parquet atomically, the domain, seed, versions and simulator as JSON in
the schema metadata (key ``b"lto"``); ``load_dataset`` reads it back and says clearly what is
wrong with a file it cannot use.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from lto.atlas.contracts import JobParameters, SimulationResult
from lto.daedalus.columns import PARAMETERS, RAW, SCORES, job_from_row, row_from_job
from lto.daedalus.domain import SurrogateDomain
from lto.daedalus.features import FEATURES, physics_features

SCHEMA = 1
METADATA_KEY = b"lto"
MAX_CHUNK = 8  # jobs per pool task: few enough that the two cores stay balanced
FEATURE_COLUMNS: tuple[str, ...] = tuple(c for c in FEATURES if c not in PARAMETERS)
OUTCOME_COLUMNS: tuple[str, ...] = (
    "window_status",
    "prints",
    "wall_time_s",
    "status",
    "error",
    "seed",
    "sample_index",
)
COLUMNS: tuple[str, ...] = (
    *PARAMETERS,
    "dose_ratio",
    *FEATURE_COLUMNS,
    *SCORES,
    *RAW,
    *OUTCOME_COLUMNS,
)
REQUIRED: tuple[str, ...] = (*PARAMETERS, *SCORES, *RAW, *OUTCOME_COLUMNS)
_STRINGS = ("profile", "illumination", "pattern", "job_class", "window_status", "status", "error")


class TrainingSimulator(Protocol):
    """What the builder asks of a simulator: ``run``. It also uses ``dose_to_size(parameters)
    -> float | None`` (the dose printing the target CD at the job's focus) where the simulator
    has one, and ``health() -> dict`` to name it."""

    def run(self, job_id: str, parameters: JobParameters) -> SimulationResult: ...


SimulatorFactory = Callable[[], TrainingSimulator]
Progress = Callable[[int, int], None]


class DatasetError(RuntimeError):
    """The build cannot go on (the simulator factory fails); the message says why."""


@dataclass(frozen=True, eq=False)
class TrainingData:
    """A built dataset: one row per sampled job (``COLUMNS``), the domain it was sampled from
    (each profile's dose range the doses it holds), and where it came from.

    Per row beside the parameters, ``dose_ratio`` and the physics features: the six scores and
    the raw outputs (NaN where the simulator gave none or failed), ``window_status``, ``prints``
    (a CD at the job's own focus and dose), ``wall_time_s`` (the row's dose to size and run
    together), ``status`` ("ok" or "failed") with ``error``, ``seed`` and ``sample_index``."""

    frame: pd.DataFrame
    domain: SurrogateDomain
    seed: int
    lto_version: str
    created_at: str  # ISO 8601, UTC
    simulator: str
    build_wall_s: float | None = None  # the build's elapsed time, all workers together

    def summary(self) -> dict[str, Any]:
        """Counts: rows, built (ok) and failed, where nothing prints at the job's own focus and
        dose (count and share of the built rows), window outcomes, and the time spent."""
        frame = self.frame
        ok = (frame["status"] == "ok").to_numpy()
        blank = ok & ~frame["prints"].to_numpy(bool)
        statuses = frame.loc[ok, "window_status"].fillna("none").value_counts()
        return {
            "rows": len(frame),
            "built": int(ok.sum()),
            "failed": int((~ok).sum()),
            "nothing_prints": int(blank.sum()),
            "nothing_prints_share": float(blank.sum() / ok.sum()) if ok.any() else float("nan"),
            "window_status": {str(k): int(v) for k, v in statuses.items()},
            "wall_time_s": float(frame["wall_time_s"].sum()),
            "build_wall_s": self.build_wall_s,
        }

    def metadata_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "domain": self.domain.to_json(),
            "seed": self.seed,
            "lto_version": self.lto_version,
            "created_at": self.created_at,
            "simulator": self.simulator,
            "build_wall_s": self.build_wall_s,
        }


# --- building --------------------------------------------------------------------------------


def build_dataset(
    domain: SurrogateDomain,
    n: int,
    *,
    seed: int,
    simulator_factory: SimulatorFactory,
    workers: int = 2,
    progress: Progress | None = None,
) -> TrainingData:
    """``n`` jobs sampled from ``domain`` (``domain.sample(n, seed)``), each run at
    ``dose_ratio`` × its own dose to size by a simulator from ``simulator_factory`` (a
    picklable zero-argument callable). ``workers`` processes (spawned; 1: in this process).
    ``progress(done, total)`` is called as chunks of jobs complete."""
    if n < 1:
        raise ValueError(f"n: need at least one sample (got {n})")
    if workers < 1:
        raise ValueError(f"workers: need at least 1 (got {workers})")
    started = time.perf_counter()
    sample = domain.sample(n, seed)
    tasks = [_task(domain, seed, index, row) for index, row in enumerate(_records(sample))]
    rows: list[dict[str, Any]] = []
    names: list[str] = []
    report = progress or (lambda done, total: None)
    if workers == 1:
        simulator = _build(simulator_factory)
        names.append(_describe(simulator))
        for chunk in _chunks(tasks, _chunk_size(n, workers)):
            rows.extend(_run_one(simulator, task) for task in chunk)
            report(len(rows), n)
    else:
        rows, names = _run_pool(simulator_factory, tasks, workers, report)
    frame = _frame(sorted(rows, key=lambda r: r["sample_index"]))
    return TrainingData(
        frame=frame,
        domain=domain.with_observed_doses(frame),
        seed=seed,
        lto_version=_lto_version(),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        simulator=names[0] if names else "unknown",
        build_wall_s=time.perf_counter() - started,
    )


def _task(domain: SurrogateDomain, seed: int, index: int, row: dict[str, Any]) -> dict[str, Any]:
    low, high = domain.profile(row["profile"]).dose_mj_cm2
    return {
        "row": {c: row[c] for c in PARAMETERS},
        "dose_ratio": float(row["dose_ratio"]),
        "fallback_dose": 0.5 * (low + high),
        "seed": seed,
        "sample_index": index,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain Python values (numpy scalars do not belong in pydantic or JSON)."""
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()}
        for r in frame.to_dict("records")
    ]


def _chunk_size(n: int, workers: int) -> int:
    return max(1, min(MAX_CHUNK, math.ceil(n / (4 * workers))))


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _run_pool(
    factory: SimulatorFactory, tasks: list[dict[str, Any]], workers: int, report: Progress
) -> tuple[list[dict[str, Any]], list[str]]:
    rows: list[dict[str, Any]] = []
    names: list[str] = []
    total = len(tasks)
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("spawn"),
        initializer=_init_worker,
        initargs=(factory,),
    )
    try:
        futures: dict[Future[tuple[list[dict[str, Any]], str]], Sequence[dict[str, Any]]] = {
            pool.submit(_run_chunk, chunk): chunk
            for chunk in _chunks(tasks, _chunk_size(total, workers))
        }
        for future in as_completed(futures):
            chunk = futures[future]
            try:
                done, name = future.result()
            except _FactoryFailed as exc:
                raise DatasetError(f"simulator_factory failed in a worker: {exc}") from None
            except BrokenProcessPool as exc:  # every job left would fail the same way
                raise DatasetError(
                    f"the worker processes died ({exc}); if this runs from a script, guard it "
                    "with `if __name__ == '__main__':` (workers are spawned), or use workers=1"
                ) from None
            except Exception as exc:  # a worker died or a result did not pickle: keep going
                done = [_failed(task, f"worker: {type(exc).__name__}: {exc}") for task in chunk]
                name = ""
            rows.extend(done)
            if name:
                names.append(name)
            report(len(rows), total)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return rows, names


class _FactoryFailed(RuntimeError):
    """Raised in a worker whose simulator factory fails (pickled back to the parent)."""


# the worker process's simulator, built once by the pool's initializer (or why it could not be)
_SIMULATOR: Any = None
_FACTORY_ERROR: str | None = None


def _init_worker(factory: SimulatorFactory) -> None:
    """Build the worker's simulator, with one BLAS/OpenMP thread per worker process: the pool
    already has a process per core, and BLAS threads fighting over the cores made the small
    eigen-decompositions of the imaging 20× slower (0.34 s → 7.6 s a job, measured)."""
    global _SIMULATOR, _FACTORY_ERROR
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    try:
        _SIMULATOR = factory()
    except Exception as exc:  # reported by the first chunk, not as a broken pool
        _FACTORY_ERROR = f"{type(exc).__name__}: {exc}"


def _run_chunk(tasks: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    if _FACTORY_ERROR is not None:
        raise _FactoryFailed(_FACTORY_ERROR)
    return [_run_one(_SIMULATOR, task) for task in tasks], _describe(_SIMULATOR)


def _build(factory: SimulatorFactory) -> Any:
    try:
        return factory()
    except Exception as exc:
        raise DatasetError(f"simulator_factory failed: {type(exc).__name__}: {exc}") from exc


def _run_one(simulator: Any, task: Mapping[str, Any]) -> dict[str, Any]:
    """One sampled job: its dose to size, then the run at dose_ratio × that dose."""
    started = time.perf_counter()
    row = dict(task["row"])
    out = _blank(task)
    try:
        job_id = f"dataset-{task['seed']}-{task['sample_index']}"
        fallback = float(task["fallback_dose"])
        size = _dose_to_size(simulator, job_id, job_from_row({**row, "dose_mj_cm2": fallback}))
        row["dose_mj_cm2"] = size * task["dose_ratio"] if size is not None else fallback
        out["dose_mj_cm2"] = row["dose_mj_cm2"]
        result = simulator.run(job_id, job_from_row(row))
        out.update({name: _number(getattr(result, name)) for name in RAW})
        if result.signals is not None:
            out.update(result.signals.as_dict())
        out["window_status"] = result.window_status
        out["prints"] = result.cd_nm is not None
    except Exception as exc:
        out["status"], out["error"] = "failed", f"{type(exc).__name__}: {exc}"
    out["wall_time_s"] = time.perf_counter() - started
    return out


def _dose_to_size(simulator: Any, job_id: str, job: JobParameters) -> float | None:
    if callable(getattr(simulator, "dose_to_size", None)):
        size = simulator.dose_to_size(job)
    else:
        size = simulator.run(f"{job_id}-dose-to-size", job).dose_to_size_mj_cm2
    if size is None or not math.isfinite(size) or size <= 0:
        return None
    return float(size)


def _blank(task: Mapping[str, Any]) -> dict[str, Any]:
    nan = float("nan")
    return {
        **task["row"],
        "dose_mj_cm2": nan,
        "dose_ratio": task["dose_ratio"],
        **dict.fromkeys(SCORES, nan),
        **dict.fromkeys(RAW, nan),
        "window_status": None,
        "prints": False,
        "wall_time_s": 0.0,
        "status": "ok",
        "error": None,
        "seed": task["seed"],
        "sample_index": task["sample_index"],
    }


def _failed(task: Mapping[str, Any], error: str) -> dict[str, Any]:
    return {**_blank(task), "status": "failed", "error": error}


def _number(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _describe(simulator: Any) -> str:
    """The simulator in words, from its ``health()`` where it has one."""
    health = getattr(simulator, "health", None)
    if callable(health):
        with contextlib.suppress(Exception):
            info = health()
            if isinstance(info, Mapping):
                name = " ".join(str(info[k]) for k in ("simulator", "version") if k in info)
                where = ", ".join(str(info[k]) for k in ("backend", "device") if k in info)
                text = f"{name} ({where})" if name and where else name or where
                if text:
                    return text
    return type(simulator).__name__


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in _STRINGS:
        frame[column] = pd.Series([r[column] for r in rows], index=frame.index, dtype="str")
    frame["prints"] = frame["prints"].astype(bool)
    frame["seed"] = frame["seed"].astype("int64")
    frame["sample_index"] = frame["sample_index"].astype("int64")
    floats = [
        c for c in COLUMNS if c not in _STRINGS and c not in ("prints", "seed", "sample_index")
    ]
    features = physics_features(frame)
    for column in FEATURE_COLUMNS:
        frame[column] = features[column]
    frame[floats] = frame[floats].astype("float64")
    return frame[list(COLUMNS)].reset_index(drop=True)


def _lto_version() -> str:
    try:
        return metadata.version("lto")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- history: the job pipeline's results ------------------------------------------------------


def result_row(parameters: JobParameters, result: SimulationResult) -> dict[str, Any]:
    """One dataset row for a job the pipeline ran: its parameters, scores and raw outputs.

    Pipeline jobs carry their own dose (no dose-to-size search), so ``dose_ratio`` is NaN;
    ``seed`` and ``sample_index`` are -1 (not sampled). JSON-ready: NaN becomes None."""
    row: dict[str, Any] = {k: v for k, v in row_from_job(parameters).items() if k in PARAMETERS}
    row.update({name: getattr(result, name) for name in RAW})
    signals = result.signals.as_dict() if result.signals is not None else {}
    row.update({name: signals.get(name) for name in SCORES})
    row.update(
        dose_ratio=None,
        window_status=result.window_status,
        prints=result.cd_nm is not None,
        wall_time_s=result.compute.wall_time_s,
        status="ok",
        error=None,
        seed=-1,
        sample_index=-1,
    )
    return row


def training_data_from_history(
    rows: Sequence[Mapping[str, Any]], domain: SurrogateDomain, *, simulator: str
) -> TrainingData:
    """The rows ``result_row`` made (the pipeline's training buffer) as ``TrainingData`` that
    ``save_dataset`` writes and ``lto train --dataset`` reads."""
    if not rows:
        raise ValueError("the training buffer is empty: no job has completed yet")
    nan = float("nan")
    filled = [
        {k: (nan if v is None and k not in _STRINGS else v) for k, v in r.items()} for r in rows
    ]
    frame = _frame(filled)
    return TrainingData(
        frame=frame,
        domain=domain.with_observed_doses(frame),
        seed=-1,
        lto_version=_lto_version(),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        simulator=simulator,
    )


# --- Parquet ---------------------------------------------------------------------------------


def save_dataset(data: TrainingData, path: str | Path) -> Path:
    """Write ``data`` to ``path`` as Parquet, its metadata as JSON under the key ``b"lto"``.
    Atomic: a temporary file beside ``path`` replaces it only once complete."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(data.frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[METADATA_KEY] = json.dumps(data.metadata_json()).encode()
    table = table.replace_schema_metadata(meta)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    os.close(handle)
    try:
        pq.write_table(table, temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target


def load_dataset(path: str | Path) -> TrainingData:
    """The ``TrainingData`` ``save_dataset`` wrote at ``path``; FileNotFoundError where there is
    no file, ValueError naming the path and the problem where it is not one LTO can use."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = Path(path)
    where = f"training data {source}"
    if not source.is_file():
        raise FileNotFoundError(f"{where}: no such file")
    try:
        table = pq.read_table(source)
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"{where}: not a readable Parquet file ({exc})") from None
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise ValueError(f"{where}: no LTO metadata (a Parquet file save_dataset did not write)")
    try:
        meta = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{where}: its LTO metadata is not JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{where}: its LTO metadata is not a JSON object")
    schema = meta.get("schema")
    if schema != SCHEMA:
        raise ValueError(
            f"{where}: written with dataset schema {schema!r}; this LTO reads schema {SCHEMA}"
        )
    missing_keys = [k for k in ("domain", "seed", "lto_version", "created_at") if k not in meta]
    if missing_keys:
        raise ValueError(f"{where}: its LTO metadata lacks {', '.join(missing_keys)}")
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise ValueError(f"{where}: missing the columns {', '.join(missing)}")
    try:
        domain = SurrogateDomain.from_json(meta["domain"])
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return TrainingData(
        frame=table.to_pandas(),
        domain=domain,
        seed=int(meta["seed"]),
        lto_version=str(meta["lto_version"]),
        created_at=str(meta["created_at"]),
        simulator=str(meta.get("simulator", "unknown")),
        build_wall_s=meta.get("build_wall_s"),
    )


__all__ = [
    "COLUMNS",
    "DatasetError",
    "TrainingData",
    "TrainingSimulator",
    "build_dataset",
    "load_dataset",
    "result_row",
    "save_dataset",
    "training_data_from_history",
]
