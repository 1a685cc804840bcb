"""The registry on a real MLflow store (sqlite file, artifacts on disk) with real surrogates:
versions with their metrics, aliases, promotion, and a rollback that restores the earlier
predictions exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lto.daedalus import load_surrogate
from lto.metis.adapters.mlflow_registry import MlflowRegistry
from lto.metis.adapters.shadow_log import JsonLinesShadowLog
from lto.metis.lifecycle import ModelLifecycle, ShadowEvaluator
from lto.metis.registry import CHAMPION, PREVIOUS_CHAMPION, GatePolicy, RegistryError
from tests.unit.metis.test_problem import lines

EUV = {"na": 0.33, "wavelength_nm": 13.5, "dose_mj_cm2": 60.0, "sigma": 0.8, "sigma_inner": 0.5,
       "illumination": "dipole", "resist_thickness_nm": 35.0, "grid_size_nm": 1.0,
       "target_cd_nm": 20.0, "pitch_nm": 48.0}  # fmt: skip


@pytest.fixture(scope="module")
def second_model(
    trained_model: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Another surrogate on the session's dataset (another seed: other splits and weights)."""
    from lto.daedalus.adapters.members import default_dose_prior, default_members
    from lto.daedalus.dataset import load_dataset
    from lto.daedalus.training import train_surrogate

    data_dir = trained_model["data"]
    assert isinstance(data_dir, Path)
    data = load_dataset(next((data_dir / "datasets").glob("*.parquet")))
    surrogate = train_surrogate(
        data.frame, data.domain, members=default_members(11), dose_model=default_dose_prior(11),
        seed=11,
    )  # fmt: skip
    return surrogate.save(tmp_path_factory.mktemp("second") / "model")


@pytest.fixture
def registry(tmp_path: Path) -> MlflowRegistry:
    return MlflowRegistry(
        f"sqlite:///{tmp_path / 'mlflow.db'}",
        artifact_root=tmp_path / "artifacts",
        cache_dir=tmp_path / "cache",
    )


def predictions(folder: Path) -> np.ndarray:
    from lto.atlas.contracts import JobParameters

    jobs = [
        JobParameters(**{**EUV, "dose_mj_cm2": d}, submitted_by="t") for d in (50.0, 60.0, 70.0)
    ]
    found = load_surrogate(folder).evaluate_batch(jobs)
    return np.array([[s.mean for s in p.scores.values()] for p in found])


def test_versions_aliases_and_rollback_on_a_real_store(
    registry: MlflowRegistry, trained_model: dict[str, object], second_model: Path, tmp_path: Path
) -> None:
    first_folder = trained_model["folder"]
    assert isinstance(first_folder, Path)
    first = load_surrogate(first_folder)
    lifecycle = ModelLifecycle(
        registry, JsonLinesShadowLog(tmp_path / "shadow.jsonl"),
        policy=GatePolicy(min_accuracy=0.0, min_critical_accuracy=0.0, coverage_band=(0.0, 1.0),
                          min_ood_flagged=0.0, max_in_domain_flagged=1.0, max_regression=1.0,
                          per_profile=False),
        shadow_jobs=2,
    )  # fmt: skip
    v1, decision = lifecycle.submit(
        first_folder, first.metrics, surrogate_version=first.version,
        figures={"held_out_accuracy.png": b"\x89PNG-test"},
    )  # fmt: skip
    figures = registry.client.list_artifacts(v1.run_id, "figures")
    assert [a.path for a in figures] == ["figures/held_out_accuracy.png"]
    assert decision.passed
    assert v1.version == "1"
    assert v1.metrics["accuracy"]["overall"] == pytest.approx(first.metrics["accuracy"]["overall"])
    assert v1.tags["surrogate_version"] == first.version
    lifecycle.promote()
    champion = registry.by_alias(CHAMPION)
    assert champion is not None
    assert champion.version == "1"
    assert np.array_equal(predictions(registry.download("1")), predictions(first_folder))

    second = load_surrogate(second_model)
    v2, _ = lifecycle.submit(second_model, second.metrics, surrogate_version=second.version)
    with pytest.raises(RegistryError, match="shadowed 0 of the 2"):
        lifecycle.promote()
    champion_model = load_surrogate(registry.download("1"))
    shadow = ShadowEvaluator(
        champion_model, second, lifecycle.shadow_log, champion_version="1",
        challenger_version=v2.version,
    )  # fmt: skip
    for dose in (28.0, 32.0):
        job = lines(dose_mj_cm2=dose)
        assert shadow.evaluate(job).scores == champion_model.evaluate(job).scores
        assert shadow.evaluate(job).scores != second.evaluate(job).scores
    assert lifecycle.shadow_count(v2.version) == 4
    lifecycle.promote()
    assert registry.by_alias(CHAMPION).version == "2"
    assert registry.by_alias(PREVIOUS_CHAMPION).version == "1"
    assert not np.array_equal(predictions(registry.download("2")), predictions(first_folder))

    lifecycle.rollback()
    assert registry.by_alias(CHAMPION).version == "1"
    restored = registry.download(registry.by_alias(CHAMPION).version)
    assert np.array_equal(predictions(restored), predictions(first_folder))
    listed = registry.versions()
    assert [v.version for v in listed] == ["1", "2"]
    assert [v.aliases for v in listed] == [(CHAMPION,), ()]  # searched versions carry aliases


def test_an_unreachable_store_is_a_clear_error(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    registry = MlflowRegistry(f"sqlite:///{blocked}/mlflow.db")
    with pytest.raises(RegistryError, match="MLflow store"):
        registry.versions()


def test_optimisations_are_logged_as_runs(registry: MlflowRegistry, tmp_path: Path) -> None:
    from lto.metis.adapters.optuna_study import OptunaStudyEngine
    from tests.unit.metis.fakes import Bowl
    from tests.unit.metis.test_study import bowl_problem

    result = OptunaStudyEngine(f"journal:{tmp_path / 's.journal'}").optimize(
        bowl_problem(), Bowl(), study_name="logged", trials=6, seed=0
    )
    from lto.metis.run_figures import study_figures

    run_id = registry.log_optimization(result, study_figures(result))
    run = registry.client.get_run(run_id)
    logged = {a.path for a in registry.client.list_artifacts(run_id, "figures")}
    assert logged == {"figures/history.png"}
    assert run.data.metrics["trials"] == 6
    assert run.data.params["objectives"] == "yield_risk:minimize"
    assert run.data.tags["study"] == "logged"
