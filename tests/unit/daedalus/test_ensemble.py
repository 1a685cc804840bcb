"""The ensemble's statistics on synthetic data with fake members: conformal coverage, the OOD
flags, the health interval, attributions absent without XGBoost, and the save/load contract."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lto.atlas.contracts import SIGNAL_NAMES
from lto.daedalus import SurrogateError, load_surrogate
from lto.daedalus.adapters import members as registry
from lto.daedalus.columns import LEARNED, job_from_row
from lto.daedalus.domain import default_domain
from lto.daedalus.ensemble import EnsembleSurrogate
from lto.daedalus.training import split_rows, train_surrogate

from .fakes import RidgeMember, synthetic_frame


@pytest.fixture(scope="module")
def domain():
    return default_domain()


@pytest.fixture(scope="module")
def frame(domain) -> pd.DataFrame:
    return synthetic_frame(domain, 2400, seed=3)


@pytest.fixture(scope="module")
def surrogate(domain, frame) -> EnsembleSurrogate:
    members = {"a": RidgeMember(), "b": RidgeMember(alpha=1.0), "c": RidgeMember(with_std=False)}
    return train_surrogate(
        frame, domain, members=members, seed=1, weights={"a": 0.35, "b": 0.40, "c": 0.25}
    )


def test_splits_are_disjoint_seeded_and_cover_every_row() -> None:
    split = split_rows(1000, seed=4)
    together = np.concatenate([split.train, split.calibration, split.test])
    assert sorted(together) == list(range(1000))
    assert (split.test.size, split.calibration.size) == (200, 150)
    again = split_rows(1000, seed=4)
    assert np.array_equal(split.test, again.test)
    assert not np.array_equal(split.test, split_rows(1000, seed=5).test)


def test_conformal_intervals_cover_95_percent_of_held_out_jobs(surrogate) -> None:
    coverage = surrogate.metrics["coverage"]
    n = surrogate.metrics["rows"]["test"]
    margin = 3 * math.sqrt(0.95 * 0.05 / n)  # three binomial standard errors
    for name in LEARNED:
        assert abs(coverage[name] - 0.95) <= margin + 1 / n, (name, coverage[name])


def test_coverage_holds_on_fresh_data_the_calibration_never_saw(domain, surrogate) -> None:
    fresh = synthetic_frame(domain, 1500, seed=99)
    found = surrogate.predict_frame(fresh)
    columns = [SIGNAL_NAMES.index(name) for name in LEARNED]
    actual = fresh[list(LEARNED)].to_numpy()
    inside = (found.lower[:, columns] <= actual) & (actual <= found.upper[:, columns])
    assert np.all(np.abs(inside.mean(axis=0) - 0.95) < 0.03)


def test_in_domain_jobs_are_rarely_flagged_and_outside_jobs_always(surrogate) -> None:
    ood = surrogate.metrics["ood"]
    assert ood["in_domain_flagged"] <= 0.05
    assert ood["outside_flagged"] >= 0.95


def test_out_of_domain_reasons_name_the_field(domain, surrogate, frame) -> None:
    row = frame.iloc[[0]].copy()
    row["na"] = domain.profile(str(row["profile"].iloc[0])).na[1] * 1.2
    found = surrogate.predict_frame(row)
    assert found.out_of_distribution[0]
    assert any("na" in reason for reason in found.outside[0])


def test_a_far_job_is_flagged_by_distance_alone(surrogate, frame) -> None:
    row = frame.iloc[[0]].copy()
    features = surrogate.features(row)
    far = surrogate.ood.ratio(features * 0 + 25.0)
    assert far[0] > 1.0


def test_every_prediction_is_a_valid_contract_with_ordered_intervals(surrogate, frame) -> None:
    from lto.atlas.contracts import TradeoffPrediction

    jobs = [job_from_row(row) for row in frame.head(20).to_dict("records")]
    for prediction in surrogate.evaluate_batch(jobs):
        checked = TradeoffPrediction.model_validate(prediction.model_dump())
        for interval in checked.scores.values():
            assert 0.0 <= interval.lower <= interval.mean <= interval.upper <= 1.0
        assert checked.model_version == surrogate.version


def test_health_interval_spans_the_scores_corners(surrogate, frame) -> None:
    found = surrogate.predict_frame(frame.head(50))
    health = SIGNAL_NAMES.index("overall_health")
    assert np.all(found.lower[:, health] <= found.mean[:, health])
    assert np.all(found.mean[:, health] <= found.upper[:, health])
    assert np.any(found.upper[:, health] - found.lower[:, health] > 0.01)


def test_reliability_falls_with_distance(surrogate, frame) -> None:
    near = frame.iloc[[0]].copy()
    far = near.copy()
    far["na"] = 1.9  # beyond every profile's NA and far in feature space
    rel = SIGNAL_NAMES.index("surrogate_reliability")
    assert surrogate.predict_frame(far).mean[0, rel] < surrogate.predict_frame(near).mean[0, rel]


def test_a_batch_equals_its_singles(surrogate, frame) -> None:
    jobs = [job_from_row(row) for row in frame.head(5).to_dict("records")]
    batch = surrogate.evaluate_batch(jobs)
    for job, together in zip(jobs, batch, strict=True):
        alone = surrogate.evaluate(job)
        for name in SIGNAL_NAMES:
            assert alone.scores[name].mean == pytest.approx(together.scores[name].mean, abs=1e-12)


@pytest.fixture
def ridge_registry(monkeypatch):
    monkeypatch.setitem(registry.MEMBERS, "a", f"{RidgeMember.__module__}:RidgeMember")
    monkeypatch.setitem(registry.MEMBERS, "b", f"{RidgeMember.__module__}:RidgeMember")
    monkeypatch.setitem(registry.MEMBERS, "c", f"{RidgeMember.__module__}:RidgeMember")


def test_save_and_load_give_identical_predictions(
    surrogate, frame, tmp_path: Path, ridge_registry
) -> None:
    folder = surrogate.save(tmp_path / "model")
    loaded = load_surrogate(folder)
    jobs = [job_from_row(row) for row in frame.head(10).to_dict("records")]
    for a, b in zip(surrogate.evaluate_batch(jobs), loaded.evaluate_batch(jobs), strict=True):
        assert a.model_dump(exclude={"inference_time_ms"}) == b.model_dump(
            exclude={"inference_time_ms"}
        )
    assert loaded.domain == surrogate.domain
    assert loaded.version == surrogate.version


def test_the_dose_prior_learns_dose_to_size_and_survives_a_round_trip(
    domain, frame, tmp_path: Path, ridge_registry
) -> None:
    members = {"a": RidgeMember(), "b": RidgeMember(alpha=1.0)}
    with_prior = train_surrogate(
        frame, domain, members=members, seed=1, weights={"a": 0.5, "b": 0.5},
        dose_model=RidgeMember,
    )  # fmt: skip
    assert with_prior.feature_names[-1] == "log_dose_over_predicted_dose_to_size"
    x = with_prior.features(frame.head(200))
    d = x.shape[1] - 1
    predicted = with_prior.dose_prior.log_dose_to_size(x[:, :d])
    actual = np.log(frame["dose_to_size_mj_cm2"].head(200).to_numpy())
    assert np.max(np.abs(predicted - actual)) < 0.05  # the prior is linear in duty, as here
    loaded = load_surrogate(with_prior.save(tmp_path / "with-prior"))
    assert np.array_equal(loaded.features(frame.head(50)), with_prior.features(frame.head(50)))


def test_saving_over_an_existing_model_is_refused(surrogate, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("x")
    with pytest.raises(SurrogateError, match="already exists"):
        surrogate.save(tmp_path / "taken")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / "manifest.json").unlink(), "not an LTO surrogate"),
        (lambda f: (f / "manifest.json").write_text("{nope"), "manifest.json changed"),
        (lambda f: _edit(f, reseal=False, weights={"a": 1.0}), "manifest.json changed"),
        (lambda f: (f / "manifest.sha256").unlink(), "manifest.sha256 is missing"),
        (lambda f: _edit(f, calibration={"quantiles": {}}), "damaged"),
        (lambda f: _edit(f, format="other"), "not an LTO surrogate"),
        (lambda f: _edit(f, schema=99), "schema 99"),
        (lambda f: _edit(f, features=["x"]), "other features"),
        (lambda f: next((f / "members" / "a").iterdir()).write_bytes(b"junk"), "changed"),
        (lambda f: next((f / "members" / "b").iterdir()).unlink(), "missing"),
    ],
)
def test_a_damaged_or_foreign_artifact_is_refused_with_the_reason(
    surrogate, tmp_path: Path, ridge_registry, damage, message
) -> None:
    folder = surrogate.save(tmp_path / "model")
    damage(folder)
    with pytest.raises(SurrogateError, match=message):
        load_surrogate(folder)


def test_loading_nothing_says_to_train(tmp_path: Path) -> None:
    with pytest.raises(SurrogateError, match="lto train"):
        load_surrogate(tmp_path / "nowhere")


def _edit(folder: Path, *, reseal: bool = True, **changes: object) -> None:
    """Change the manifest; ``reseal`` as a writer of that manifest would (another LTO version),
    or not, as a hand edit would."""
    import hashlib

    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.update(changes)
    path.write_text(json.dumps(manifest))
    if reseal:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        (folder / "manifest.sha256").write_text(digest + "\n")
