"""What the compute costs, what the yield risk costs, and what pre-flight blocking saves.

Prices are configuration, not facts: the defaults are on-demand cloud ballparks (late 2026) and
every function takes a ``Prices`` to replace them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from lto.athena._arrays import FloatArray, as_float_array, check_positive


@dataclass(frozen=True)
class Prices:
    cpu_core_hour: float = 0.05
    gpu_hour: float = 3.00
    currency: str = "USD"

    def __post_init__(self) -> None:
        if self.cpu_core_hour < 0 or self.gpu_hour < 0:
            raise ValueError("prices: must be ≥ 0")


def compute_cost(
    wall_time_s: ArrayLike, *, cores: ArrayLike = 1, gpus: ArrayLike = 0, prices: Prices = Prices()
) -> FloatArray:
    """Cost of holding ``cores`` CPU cores and ``gpus`` GPUs for ``wall_time_s``."""
    hours = (
        check_positive(as_float_array(wall_time_s, "wall_time_s"), "wall_time_s", allow_zero=True)
        / 3600.0
    )
    core_count = check_positive(as_float_array(cores, "cores"), "cores", allow_zero=True)
    gpu_count = check_positive(as_float_array(gpus, "gpus"), "gpus", allow_zero=True)
    return np.asarray(hours * (core_count * prices.cpu_core_hour + gpu_count * prices.gpu_hour))


def surrogate_cost(inference_ms: ArrayLike, *, prices: Prices = Prices()) -> FloatArray:
    """A surrogate prediction runs on one CPU core for ``inference_ms``."""
    return compute_cost(as_float_array(inference_ms, "inference_ms") / 1000.0, prices=prices)


def expected_yield_loss(
    yield_risk: ArrayLike, *, wafer_value: float, wafers: ArrayLike = 1
) -> FloatArray:
    """Money at risk: P(CD out of spec) × wafer value × wafers exposed with these settings."""
    risk = as_float_array(yield_risk, "yield_risk")
    if np.any((risk < 0) | (risk > 1)):
        raise ValueError("yield_risk: must lie in [0, 1]")
    count = check_positive(as_float_array(wafers, "wafers"), "wafers", allow_zero=True)
    return np.asarray(risk * wafer_value * count)


@dataclass(frozen=True)
class PreflightEconomics:
    jobs: int
    blocked: int
    cost_run_everything: float
    cost_with_preflight: float

    @property
    def saving(self) -> float:
        return self.cost_run_everything - self.cost_with_preflight


def preflight_savings(
    jobs: int, *, block_rate: float, physics_cost_per_job: float, surrogate_cost_per_job: float
) -> PreflightEconomics:
    """Compare physics for every job with a surrogate pre-flight that blocks ``block_rate`` of them.

    Negative saving means the pre-flight costs more than it blocks (a tiny block rate with an
    expensive surrogate).
    """
    if jobs < 0:
        raise ValueError(f"jobs: must be ≥ 0 (got {jobs})")
    if not 0.0 <= block_rate <= 1.0:
        raise ValueError(f"block_rate: must lie in [0, 1] (got {block_rate})")
    blocked = round(jobs * block_rate)
    everything = jobs * physics_cost_per_job
    preflight = jobs * surrogate_cost_per_job + (jobs - blocked) * physics_cost_per_job
    return PreflightEconomics(jobs, blocked, everything, preflight)


def economics_table(
    *,
    jobs: int,
    block_rate: float,
    physics_seconds: float,
    physics_cores: int = 2,
    physics_gpus: int = 0,
    surrogate_ms: float = 5.0,
    prices: Prices = Prices(),
) -> pd.DataFrame:
    """The table the web app shows: each strategy's runs and compute cost, and the difference.

    A negative difference in physics runs is the runs avoided; a negative cost is the saving.
    """
    physics = float(
        compute_cost(physics_seconds, cores=physics_cores, gpus=physics_gpus, prices=prices)
    )
    surrogate = float(surrogate_cost(surrogate_ms, prices=prices))
    result = preflight_savings(
        jobs, block_rate=block_rate, physics_cost_per_job=physics, surrogate_cost_per_job=surrogate
    )
    rows = [
        ("physics for every job", 0, jobs, result.cost_run_everything),
        (
            "surrogate pre-flight, physics for the rest",
            jobs,
            jobs - result.blocked,
            result.cost_with_preflight,
        ),
        ("difference", jobs, -result.blocked, -result.saving),
    ]
    return pd.DataFrame(
        rows,
        columns=["strategy", "surrogate runs", "physics runs", f"compute cost ({prices.currency})"],
    )
