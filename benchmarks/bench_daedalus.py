"""Daedalus: the surrogate's prediction latency and throughput, and its training cost.

Side by side in one run (this machine is shared; absolute times vary, ratios less so):
- one prediction with intervals and flags (``SurrogatePort.evaluate``): p50 and p99 over many
  calls, against one XGBoost single-row ``inplace_predict`` (the floor any tree model pays);
- a batch of 10,000 jobs through the vectorised path (``predict_frame``, one call per member)
  and through ``evaluate_batch`` (contracts included), in predictions per second, against
  XGBoost's own batch ``inplace_predict``;
- training on the dataset's rows: seconds per member;
- ``import lto.daedalus`` loads none of torch, lightning, gpytorch, xgboost.

Usage: ``python benchmarks/bench_daedalus.py DATASET.parquet`` (a dataset `lto train` wrote, under
LTO_DATA_DIR/datasets/), or with no argument a 3,000-job dataset built here first (minutes).
Targets: p50 ≤ 2 ms; ≥ 50,000 predictions/s in batches of 10,000.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from timing import best_of

from lto.daedalus.adapters.members import (
    default_dose_prior,
    default_members,
    default_saturation_gate,
)
from lto.daedalus.columns import job_from_row
from lto.daedalus.dataset import TrainingData, build_dataset, load_dataset
from lto.daedalus.domain import default_domain
from lto.daedalus.training import train_surrogate, usable_rows

BATCH = 10_000
SINGLES = 1_000


def dataset(path: str | None) -> TrainingData:
    if path:
        return load_dataset(Path(path))
    from lto.matrix.adapters.physics import PhysicsSimulator

    started = time.perf_counter()
    data = build_dataset(
        default_domain(), 3000, seed=0, simulator_factory=PhysicsSimulator, workers=2
    )
    print(f"dataset: 3,000 physics jobs in {time.perf_counter() - started:.0f} s on 2 processes")
    return data


def heavy_modules_loaded_by_import() -> list[str]:
    code = "import sys, json, lto.daedalus; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy = ("torch", "lightning", "gpytorch", "xgboost")
    return [m for m in json.loads(out.stdout) if m.split(".")[0] in heavy]


def percentiles(work, calls: int) -> tuple[float, float]:
    times = np.empty(calls)
    for i in range(calls):
        started = time.perf_counter()
        work()
        times[i] = time.perf_counter() - started
    return float(np.median(times)), float(np.quantile(times, 0.99))


def main() -> None:
    print(f"python {platform.python_version()}, {platform.machine()}", flush=True)
    data = dataset(sys.argv[1] if len(sys.argv) > 1 else None)
    started = time.perf_counter()
    surrogate = train_surrogate(
        data.frame, data.domain, members=default_members(0), seed=0,
        dose_model=default_dose_prior(0), gate_model=default_saturation_gate(0),
    )  # fmt: skip
    print(
        f"training on {surrogate.metrics['rows']['train']} rows: {time.perf_counter() - started:.1f} s"
    )
    for name, seconds in surrogate.metrics["fit_seconds"].items():
        print(f"  {name:8s} {seconds:6.1f} s")

    rows = usable_rows(data.frame)
    job = job_from_row(rows.iloc[0].to_dict())
    xgb = surrogate.members["xgboost"]
    x1 = surrogate.features(rows.head(1))
    surrogate.evaluate(job)
    p50, p99 = percentiles(lambda: surrogate.evaluate(job), SINGLES)
    x1 = x1.astype(np.float32)
    x50, _ = percentiles(lambda: xgb.small_batch_booster_.inplace_predict(x1), SINGLES)
    print(
        f"single prediction (intervals, flags): p50 {1e3 * p50:.2f} ms, "
        f"p99 {1e3 * p99:.2f} ms (target p50 ≤ 2 ms); XGBoost inplace_predict p50 "
        f"{1e3 * x50:.3f} ms; ratio {p50 / x50:.1f}×"
    )

    batch = rows.sample(BATCH, replace=True, random_state=0).reset_index(drop=True)
    xb = surrogate.features(batch).astype(np.float32)
    vectorised = best_of(lambda: surrogate.predict_frame(batch), 3, warm_up=True)
    floor = best_of(lambda: xgb.booster_.inplace_predict(xb), 3, warm_up=True)
    jobs = [job_from_row(r) for r in batch.head(2000).to_dict("records")]
    contracts = best_of(lambda: surrogate.evaluate_batch(jobs), 1, warm_up=False)
    print(
        f"batch of {BATCH:,}: {BATCH / vectorised:,.0f} predictions/s vectorised (target ≥ "
        f"50,000/s); XGBoost batch {BATCH / floor:,.0f}/s; ratio {vectorised / floor:.1f}×; "
        f"evaluate_batch with contracts {len(jobs) / contracts:,.0f}/s"
    )
    print(f"import lto.daedalus loads heavy modules: {heavy_modules_loaded_by_import() or 'none'}")


if __name__ == "__main__":
    main()
