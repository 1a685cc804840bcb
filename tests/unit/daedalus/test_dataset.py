"""The training-data builder and its Parquet files.

Mostly with cheap, picklable fake simulators; one small build runs real physics on two worker
processes.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lto.atlas.contracts import ComputeStats, JobParameters, SimulationResult, TradeoffSignals
from lto.daedalus import dataset as dataset_module
from lto.daedalus.columns import PARAMETERS, RAW, SCORES
from lto.daedalus.dataset import (
    COLUMNS,
    DatasetError,
    TrainingData,
    build_dataset,
    load_dataset,
    save_dataset,
)
from lto.daedalus.domain import SurrogateDomain, default_domain
from lto.matrix.adapters.physics import PhysicsSimulator

SIZE = 30.0  # the fake's dose to size, mJ/cm²


class FakeSimulator:
    """Prints CD = target × dose/SIZE, and nothing below 0.8 × SIZE; fails on line ends."""

    def __init__(self, *, fail_on: str | None = None) -> None:
        self.fail_on = fail_on
        self.runs = 0

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "simulator": "fake", "version": "0"}

    def dose_to_size(self, parameters: JobParameters) -> float | None:
        return SIZE

    def run(self, job_id: str, parameters: JobParameters) -> SimulationResult:
        self.runs += 1
        if parameters.pattern == self.fail_on:
            raise RuntimeError(f"cannot image {parameters.pattern}")
        ratio = parameters.dose_mj_cm2 / SIZE
        prints = ratio >= 0.8
        score = min(max(ratio - 0.5, 0.0), 1.0)
        return SimulationResult(
            job_id=job_id,
            cd_nm=parameters.target_cd_nm * ratio if prints else None,
            dose_to_size_mj_cm2=SIZE,
            best_focus_nm=0.0,
            depth_of_focus_nm=100.0,
            exposure_latitude_pct=10.0,
            nils=2.0,
            edge_placement_error_nm=1.0,
            signals=TradeoffSignals(
                resolution_vs_dof=score,
                yield_risk=1 - score,
                speed_vs_accuracy=0.9,
                cost_vs_fidelity=0.8,
                surrogate_reliability=1.0,
                overall_health=score,
            ),
            compute=ComputeStats(simulator="fake", wall_time_s=0.0),
            window_status="ok" if prints else "nothing_prints",
        )


class RunOnlySimulator(FakeSimulator):
    """No ``dose_to_size``: the builder must take it from a full run."""

    dose_to_size = None  # type: ignore[assignment]


class NoSizeSimulator(FakeSimulator):
    def dose_to_size(self, parameters: JobParameters) -> float | None:
        return None


def failing_on_line_ends() -> FakeSimulator:
    return FakeSimulator(fail_on="line_end")


def broken_factory() -> FakeSimulator:
    raise OSError("no licence for the fake")


@pytest.fixture(scope="module")
def domain() -> SurrogateDomain:
    return default_domain()


@pytest.fixture(scope="module")
def built(domain: SurrogateDomain) -> TrainingData:
    return build_dataset(domain, 24, seed=5, simulator_factory=FakeSimulator, workers=1)


def test_each_sample_is_run_at_its_ratio_of_dose_to_size(built: TrainingData) -> None:
    frame = built.frame
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == 24
    assert (frame.status == "ok").all()
    assert frame.error.isna().all()
    np.testing.assert_allclose(frame.dose_mj_cm2, SIZE * frame.dose_ratio)
    assert list(frame.sample_index) == list(range(24))
    assert (frame.seed == 5).all()
    assert (frame.prints == (frame.dose_ratio >= 0.8)).all()
    assert frame[list(SCORES)].notna().all().all()
    assert frame[list(RAW)].drop(columns="cd_nm").notna().all().all()
    assert (frame.wall_time_s >= 0).all()
    assert frame["pixels_per_pitch"].between(8, 96).all()  # a physics feature beside them
    assert frame["profile=KrF"].isin([0.0, 1.0]).all()


def test_the_parameters_are_the_domains_sample(
    built: TrainingData, domain: SurrogateDomain
) -> None:
    sample = domain.sample(24, seed=5)
    parameters = [c for c in PARAMETERS if c != "dose_mj_cm2"]
    pd.testing.assert_frame_equal(built.frame[parameters], sample[parameters])


def test_the_domain_holds_the_doses_observed(built: TrainingData) -> None:
    frame = built.frame
    for profile in set(frame.profile):
        doses = frame.dose_mj_cm2[frame.profile == profile]
        assert built.domain.profile(profile).dose_mj_cm2 == (doses.min(), doses.max())
    assert built.domain.inside(frame).all()


def test_it_records_where_it_came_from(built: TrainingData) -> None:
    assert built.seed == 5
    assert built.simulator == "fake 0"
    assert built.lto_version
    assert built.created_at.endswith("+00:00")
    summary = built.summary()
    assert summary["rows"] == summary["built"] == 24
    assert summary["failed"] == 0
    blank = int((~built.frame.prints).sum())
    assert summary["nothing_prints"] == blank
    assert summary["nothing_prints_share"] == pytest.approx(blank / 24)
    assert summary["wall_time_s"] >= 0


def test_progress_is_reported_as_chunks_complete(domain: SurrogateDomain) -> None:
    calls: list[tuple[int, int]] = []
    build_dataset(
        domain, 10, seed=0, simulator_factory=FakeSimulator, workers=1,
        progress=lambda done, total: calls.append((done, total)),
    )  # fmt: skip
    assert calls[-1] == (10, 10)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_without_dose_to_size_a_full_run_finds_it(domain: SurrogateDomain) -> None:
    simulator = RunOnlySimulator()
    data = build_dataset(domain, 4, seed=0, simulator_factory=lambda: simulator, workers=1)
    assert simulator.runs == 8  # one run for the dose to size, one at the dose
    np.testing.assert_allclose(data.frame.dose_mj_cm2, SIZE * data.frame.dose_ratio)


def test_without_a_dose_to_size_the_profiles_middle_dose_is_used(
    domain: SurrogateDomain,
) -> None:
    data = build_dataset(domain, 8, seed=0, simulator_factory=NoSizeSimulator, workers=1)
    for row in data.frame.itertuples():
        assert row.dose_mj_cm2 == pytest.approx(np.mean(domain.profile(row.profile).dose_mj_cm2))


def test_failed_jobs_are_recorded_not_raised(domain: SurrogateDomain) -> None:
    data = build_dataset(domain, 12, seed=0, simulator_factory=failing_on_line_ends, workers=1)
    frame = data.frame
    failed = frame[frame.status == "failed"]
    assert set(failed.pattern) == {"line_end"}
    assert (failed.error == "RuntimeError: cannot image line_end").all()
    assert failed[list(SCORES)].isna().all().all()
    assert (frame[frame.status == "ok"].pattern != "line_end").all()
    assert data.summary()["failed"] == len(failed) > 0


def test_a_factory_that_fails_stops_the_build(domain: SurrogateDomain) -> None:
    with pytest.raises(DatasetError, match="no licence for the fake"):
        build_dataset(domain, 2, seed=0, simulator_factory=broken_factory, workers=1)


@pytest.mark.slow
def test_real_physics_on_two_workers() -> None:
    # dense lines only: the cheapest pattern, so the build takes seconds
    lines = replace(default_domain(), patterns=("line_space",), pixels_per_pitch=(8.0, 24.0))
    data = build_dataset(lines, 6, seed=0, simulator_factory=PhysicsSimulator, workers=2)
    frame = data.frame
    assert (frame.status == "ok").all(), frame.error.tolist()
    assert frame.prints.sum() >= 4
    scores = frame[list(SCORES)].to_numpy()
    assert np.isfinite(scores).all()
    assert ((scores >= 0) & (scores <= 1)).all()
    assert data.simulator.startswith("lto-physics")
    sized = frame[frame.prints]
    assert (abs(sized.cd_nm / sized.target_cd_nm - 1) < 0.5).all()


# --- Parquet ---------------------------------------------------------------------------------


def test_save_and_load_round_trip(built: TrainingData, tmp_path: Path) -> None:
    path = save_dataset(built, tmp_path / "data" / "train.parquet")
    back = load_dataset(path)
    pd.testing.assert_frame_equal(back.frame, built.frame)
    assert back.domain == built.domain
    for name in ("seed", "lto_version", "created_at", "simulator", "build_wall_s"):
        assert getattr(back, name) == getattr(built, name)


def test_a_failed_write_leaves_nothing(
    built: TrainingData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_written(table: pa.Table, where: str, **_: Any) -> None:
        Path(where).write_bytes(b"PAR1 half")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", half_written)
    with pytest.raises(OSError, match="disk full"):
        save_dataset(built, tmp_path / "train.parquet")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_old_file(
    built: TrainingData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save_dataset(built, tmp_path / "train.parquet")
    before = path.read_bytes()
    monkeypatch.setattr(pq, "write_table", lambda *a, **k: (_ for _ in ()).throw(OSError("no")))
    with pytest.raises(OSError, match="no"):
        save_dataset(built, path)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


def test_loading_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing\.parquet"):
        load_dataset(tmp_path / "missing.parquet")


def test_loading_something_else_says_so(built: TrainingData, tmp_path: Path) -> None:
    text = tmp_path / "notes.parquet"
    text.write_text("lines, spaces\n")
    with pytest.raises(ValueError, match=r"notes\.parquet: not a readable Parquet file"):
        load_dataset(text)
    damaged = save_dataset(built, tmp_path / "damaged.parquet")
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])
    with pytest.raises(ValueError, match=r"damaged\.parquet: not a readable Parquet file"):
        load_dataset(damaged)


def test_loading_parquet_without_lto_metadata_says_so(tmp_path: Path) -> None:
    path = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"na": [1.0]}), path)
    with pytest.raises(ValueError, match=r"plain\.parquet: no LTO metadata"):
        load_dataset(path)


def _rewrite(data: TrainingData, path: Path, frame: pd.DataFrame, meta: dict[str, Any]) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table.replace_schema_metadata({b"lto": json.dumps(meta).encode()}), path)


def test_loading_an_incompatible_file_says_what_is_wrong(
    built: TrainingData, tmp_path: Path
) -> None:
    path = tmp_path / "odd.parquet"
    _rewrite(built, path, built.frame, {**built.metadata_json(), "schema": 2})
    with pytest.raises(ValueError, match="written with dataset schema 2; this LTO reads schema 1"):
        load_dataset(path)
    _rewrite(built, path, built.frame.drop(columns=["yield_risk", "nils"]), built.metadata_json())
    with pytest.raises(ValueError, match="missing the columns yield_risk, nils"):
        load_dataset(path)
    _rewrite(built, path, built.frame, {**built.metadata_json(), "domain": {"schema": 1}})
    with pytest.raises(ValueError, match=r"odd\.parquet: surrogate domain: missing 'profiles'"):
        load_dataset(path)


def test_the_chunks_are_several_jobs_per_task() -> None:
    assert dataset_module._chunk_size(300, 2) == dataset_module.MAX_CHUNK
    assert dataset_module._chunk_size(6, 2) == 1
    assert math.isclose(sum(len(c) for c in dataset_module._chunks(list(range(11)), 4)), 11)
