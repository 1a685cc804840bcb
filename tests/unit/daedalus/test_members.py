"""The three member models of the surrogate ensemble (XGBoost, MLP, GP) keep the ``Regressor``
contract: scikit-learn conventions, shapes, learning, save/load, errors, lazy imports."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone

from lto.daedalus.adapters import members as registry
from lto.daedalus.ports import SurrogateError

HEAVY = ["torch", "xgboost", "lightning", "gpytorch", "linear_operator"]
N_FEATURES = 3
N_OUTPUTS = 2

# Small, fast settings: each fits ~250 rows in a second or two.
FAST: dict[str, dict[str, Any]] = {
    "xgboost": {
        "n_estimators": 150,
        "max_depth": 3,
        "learning_rate": 0.1,
        "n_jobs": 1,
        "random_state": 3,
    },
    "mlp": {"max_epochs": 40, "batch_size": 64, "mc_passes": 20, "random_state": 3},
    "gp": {"iterations": 40, "random_state": 3},
}
NAMES = list(FAST)


def smooth_targets(x: np.ndarray) -> np.ndarray:
    """Sigmoids of linear combinations of the features: scores in (0, 1)."""
    weights = np.array([[1.2, -0.8], [-0.6, 1.0], [0.9, 0.5]])
    return 1.0 / (1.0 + np.exp(-(x @ weights)))


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Any:
    """Tiny models gain nothing from threads, and on a busy machine OpenMP's thread hand-offs
    cost milliseconds per operation (a 20x slower test module, measured): use one thread."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    x = rng.uniform(-2.0, 2.0, size=(300, N_FEATURES))
    test = rng.uniform(-1.8, 1.8, size=(120, N_FEATURES))
    y = np.clip(smooth_targets(x) + rng.normal(0.0, 0.01, size=(300, N_OUTPUTS)), 0.0, 1.0)
    return {"x": x, "y": y, "test": test, "truth": smooth_targets(test)}


class Fitted:
    """One fitted member per name, shared by the module's tests (fitting is the slow part)."""

    def __init__(self) -> None:
        self.models: dict[str, Any] = {}
        self.before: dict[str, set[str]] = {}
        self.returned: dict[str, Any] = {}

    def get(self, name: str, data: dict[str, np.ndarray]) -> Any:
        if name not in self.models:
            model = registry.member_class(name)(**FAST[name])
            self.before[name] = set(vars(model))
            self.returned[name] = model.fit(data["x"], data["y"])
            self.models[name] = model
        return self.models[name]


@pytest.fixture(scope="module")
def fitted() -> Fitted:
    return Fitted()


def r2(truth: np.ndarray, mean: np.ndarray) -> np.ndarray:
    return 1.0 - ((mean - truth) ** 2).sum(0) / ((truth - truth.mean(0)) ** 2).sum(0)


@pytest.mark.parametrize("name", NAMES)
class TestRegressorContract:
    def test_constructor_stores_only_its_keyword_arguments(self, name: str) -> None:
        cls = registry.member_class(name)
        model = cls(**FAST[name])
        assert vars(model) == model.get_params()
        assert clone(model).get_params() == model.get_params()
        defaults = {
            key: parameter.default
            for key, parameter in inspect.signature(cls.__init__).parameters.items()
            if key != "self"
        }
        assert cls().get_params() == defaults
        assert model.set_params(random_state=5).random_state == 5
        assert cls.name == name

    def test_fit_returns_self_and_learns_only_underscored_state(
        self, name: str, data: dict[str, np.ndarray], fitted: Fitted
    ) -> None:
        model = fitted.get(name, data)
        assert fitted.returned[name] is model
        assert fitted.before[name] == set(model.get_params())
        learned = set(vars(model)) - fitted.before[name]
        assert learned, "fit stored no learned state"
        assert all(key.endswith("_") for key in learned), learned
        assert model.n_features_in_ == N_FEATURES
        assert model.n_outputs_ == N_OUTPUTS

    def test_predict_shapes_range_and_spread(
        self, name: str, data: dict[str, np.ndarray], fitted: Fitted
    ) -> None:
        model = fitted.get(name, data)
        found = model.predict(data["test"])
        assert found.mean.shape == (len(data["test"]), N_OUTPUTS)
        assert found.mean.dtype == np.float64
        assert (found.mean >= 0.0).all()
        assert (found.mean <= 1.0).all()
        if name == "xgboost":
            assert found.std is None
        else:
            assert found.std.shape == found.mean.shape
            assert np.isfinite(found.std).all()
            assert (found.std > 0.0).all()
        one = model.predict(data["test"][:1])
        assert one.mean.shape == (1, N_OUTPUTS)
        np.testing.assert_allclose(one.mean, found.mean[:1], rtol=0, atol=1e-6)

    def test_learns_a_smooth_function_better_than_its_mean(
        self, name: str, data: dict[str, np.ndarray], fitted: Fitted
    ) -> None:
        model = fitted.get(name, data)
        scores = r2(data["truth"], model.predict(data["test"]).mean)
        assert (scores > 0.8).all(), scores

    def test_fitting_again_with_the_same_seed_gives_the_same_model(
        self, name: str, data: dict[str, np.ndarray], fitted: Fitted
    ) -> None:
        model = fitted.get(name, data)
        again = registry.member_class(name)(**FAST[name]).fit(data["x"], data["y"])
        np.testing.assert_array_equal(
            again.predict(data["test"]).mean, model.predict(data["test"]).mean
        )

    def test_save_then_load_predicts_identically(
        self, name: str, data: dict[str, np.ndarray], fitted: Fitted, tmp_path: Path
    ) -> None:
        model = fitted.get(name, data)
        model.save(tmp_path)
        document = json.loads((tmp_path / registry.PARAMS_FILE).read_text())
        assert document["member"] == name
        assert document["learned"]["n_features_in"] == N_FEATURES
        loaded = type(model).load(tmp_path)
        assert loaded.get_params() == model.get_params()
        before, after = model.predict(data["test"]), loaded.predict(data["test"])
        np.testing.assert_array_equal(after.mean, before.mean)
        if before.std is None:
            assert after.std is None
        else:
            np.testing.assert_array_equal(after.std, before.std)

    @pytest.mark.parametrize(
        ("case", "argument"),
        [
            ("features_1d", "features"),
            ("features_nan", "features"),
            ("features_empty", "features"),
            ("targets_rows", "targets"),
            ("targets_1d", "targets"),
            ("targets_inf", "targets"),
            ("targets_range", "targets"),
            ("text", "features"),
        ],
    )
    def test_fit_rejects_bad_input_naming_the_argument(
        self, name: str, data: dict[str, np.ndarray], case: str, argument: str
    ) -> None:
        x, y = data["x"][:20].copy(), data["y"][:20].copy()
        if case == "features_1d":
            x = x[:, 0]
        elif case == "features_nan":
            x[3, 1] = np.nan
        elif case == "features_empty":
            x, y = x[:0], y[:0]
        elif case == "targets_rows":
            y = y[:-1]
        elif case == "targets_1d":
            y = y[:, 0]
        elif case == "targets_inf":
            y[0, 0] = np.inf
        elif case == "targets_range":
            y[0, 0] = 1.5
        elif case == "text":
            x = np.full((20, N_FEATURES), "a")
        model = registry.member_class(name)(**FAST[name])
        with pytest.raises(ValueError, match=argument):
            model.fit(x, y)
        assert set(vars(model)) == set(model.get_params())

    def test_predict_rejects_bad_features(
        self, name: str, data: dict[str, np.ndarray], fitted: Fitted
    ) -> None:
        model = fitted.get(name, data)
        with pytest.raises(ValueError, match=r"features must have 3 columns"):
            model.predict(np.zeros((2, N_FEATURES + 1)))
        with pytest.raises(ValueError, match="features must be a 2-D"):
            model.predict(np.zeros(N_FEATURES))
        with pytest.raises(ValueError, match="features must be finite"):
            model.predict(np.full((1, N_FEATURES), np.inf))

    def test_using_it_before_fit_is_a_clear_error(self, name: str, tmp_path: Path) -> None:
        model = registry.member_class(name)(**FAST[name])
        message = f"{type(model).__name__} is not fitted: call fit first"
        with pytest.raises(ValueError, match=message):
            model.predict(np.zeros((1, N_FEATURES)))
        with pytest.raises(ValueError, match=message):
            model.save(tmp_path)

    def test_load_refuses_another_members_directory(
        self, name: str, data: dict[str, np.ndarray], fitted: Fitted, tmp_path: Path
    ) -> None:
        fitted.get(name, data).save(tmp_path)
        other = next(n for n in NAMES if n != name)
        with pytest.raises(SurrogateError, match=f"holds a '{name}' model"):
            registry.member_class(other).load(tmp_path)
        with pytest.raises(SurrogateError, match="is missing"):
            registry.member_class(name).load(tmp_path / "nowhere")


# --- the registry and import cost --------------------------------------------------------------


def test_registry_names_and_defaults() -> None:
    assert set(registry.MEMBERS) == {"xgboost", "mlp", "gp"}
    fresh = registry.default_members(seed=42)
    assert set(fresh) == set(registry.MEMBERS)
    for name, model in fresh.items():
        assert model.name == name
        assert model.random_state == 42
        assert set(vars(model)) == set(model.get_params())  # unfitted
    with pytest.raises(ValueError, match="name must be one of"):
        registry.member_class("forest")


@pytest.mark.parametrize(
    "module",
    [
        "lto.daedalus.adapters.members",
        "lto.daedalus.adapters.xgboost_member",
        "lto.daedalus.adapters.mlp_member",
        "lto.daedalus.adapters.gp_member",
    ],
)
def test_importing_a_member_module_loads_no_ml_library(module: str) -> None:
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []


# --- member specifics --------------------------------------------------------------------------


def test_xgboost_contributions_sum_to_the_raw_prediction(
    data: dict[str, np.ndarray], fitted: Fitted
) -> None:
    model = fitted.get("xgboost", data)
    contributions = model.contributions(data["test"][:25])
    assert contributions.shape == (25, N_OUTPUTS, N_FEATURES + 1)
    raw = model.raw_predict(data["test"][:25])
    np.testing.assert_allclose(contributions.sum(axis=-1), raw, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(model.predict(data["test"][:25]).mean, np.clip(raw, 0, 1))


def test_mlp_mc_dropout_spreads_and_is_deterministic(
    data: dict[str, np.ndarray], fitted: Fitted
) -> None:
    model = fitted.get("mlp", data)
    passes = model.predict_passes(data["test"])
    assert passes.shape == (FAST["mlp"]["mc_passes"], len(data["test"]), N_OUTPUTS)
    assert (passes.std(axis=0) > 1e-4).all()
    first, second = model.predict(data["test"]), model.predict(data["test"])
    np.testing.assert_array_equal(first.mean, second.mean)
    np.testing.assert_array_equal(first.std, second.std)
    # a row's answer does not depend on the rest of the batch
    alone = model.predict(data["test"][7:8])
    np.testing.assert_allclose(alone.mean, first.mean[7:8], rtol=0, atol=1e-6)
    np.testing.assert_allclose(alone.std, first.std[7:8], rtol=1e-4, atol=1e-7)


def test_mlp_training_prints_and_warns_nothing(
    data: dict[str, np.ndarray], capfd: pytest.CaptureFixture[str]
) -> None:
    import lightning  # noqa: F401  (its own import-time notices are not the member's)

    from lto.daedalus.adapters.mlp_member import MLPRegressor

    capfd.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MLPRegressor(max_epochs=2, batch_size=32).fit(data["x"][:50], data["y"][:50])
    assert capfd.readouterr() == ("", "")
    assert [str(w.message) for w in caught] == []


def test_mlp_passes_match_the_network_with_those_dropout_masks(
    data: dict[str, np.ndarray], fitted: Fitted
) -> None:
    """The folded fast path equals the torch network in eval mode with each pass's dropout
    masks applied by hand (batch norm on running statistics)."""
    import torch

    from lto.daedalus.adapters import mlp_member

    model = fitted.get("mlp", data)
    n_passes, keep = model.mc_passes, 1.0 - model.dropout
    generator = torch.Generator().manual_seed(model.random_state + mlp_member.MC_SEED_OFFSET)
    masks = [
        (torch.rand(n_passes, width, generator=generator) < keep).float() / keep
        for width in model.hidden
    ]
    dropouts = [m for m in model.network_ if isinstance(m, torch.nn.Dropout)]
    x = torch.from_numpy(data["test"][:10].astype(np.float32))
    expected = []
    for p in range(n_passes):
        hooks = [
            layer.register_forward_hook(lambda _m, _i, out, mask=mask[p]: out * mask)
            for layer, mask in zip(dropouts, masks, strict=True)
        ]
        with torch.no_grad():
            expected.append(model.network_.eval()(x).numpy())
        for hook in hooks:
            hook.remove()
    expected_units = np.stack(expected) * model.target_std_ + model.target_mean_
    small = model.predict_passes(data["test"][:10])  # NumPy path
    large = model.predict_passes(data["test"])[:, :10]  # torch path
    np.testing.assert_allclose(small, expected_units, rtol=0, atol=1e-4)
    np.testing.assert_allclose(large, expected_units, rtol=0, atol=1e-4)


def test_gp_cache_matches_gpytorch_and_std_grows_away_from_the_data(
    data: dict[str, np.ndarray], fitted: Fitted
) -> None:
    model = fitted.get("gp", data)
    assert model.method_ == "exact"
    found, reference = model.predict(data["test"]), model.reference_predict(data["test"])
    np.testing.assert_allclose(found.mean, np.clip(reference.mean, 0, 1), rtol=0, atol=1e-9)
    np.testing.assert_allclose(found.std, reference.std, rtol=1e-8)
    few = model.predict(data["test"][:10])  # a small batch takes the NumPy path
    np.testing.assert_allclose(few.mean, found.mean[:10], rtol=0, atol=1e-12)
    np.testing.assert_allclose(few.std, found.std[:10], rtol=1e-10)
    far = model.predict(data["test"][:5] * 25.0)
    assert (far.std > 3.0 * found.std.max(axis=0)).all()


def test_gp_sparse_path_above_max_exact(data: dict[str, np.ndarray], tmp_path: Path) -> None:
    from lto.daedalus.adapters.gp_member import GPRegressor

    model = GPRegressor(
        max_exact=100, inducing=32, svgp_iterations=250, batch_size=100, random_state=1
    ).fit(data["x"], data["y"])
    assert model.method_ == "svgp"
    assert model.cache_["centers"].shape[:2] == (N_OUTPUTS, 32)
    found = model.predict(data["test"])
    assert (r2(data["truth"], found.mean) > 0.8).all()
    reference = model.reference_predict(data["test"])
    np.testing.assert_allclose(found.mean, np.clip(reference.mean, 0, 1), rtol=0, atol=1e-9)
    np.testing.assert_allclose(found.std, reference.std, rtol=1e-8)
    assert (model.predict(data["test"][:5] * 25.0).std > 2.0 * found.std.max(axis=0)).all()
    few = model.predict(data["test"][:10])
    np.testing.assert_allclose(few.std, found.std[:10], rtol=1e-10)
    model.save(tmp_path)
    loaded = GPRegressor.load(tmp_path)
    np.testing.assert_array_equal(loaded.predict(data["test"]).std, found.std)


def test_gp_lanczos_variance_above_the_cholesky_size(
    data: dict[str, np.ndarray], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Above GPyTorch's Cholesky size the variance root is LOVE's (seeded Lanczos): close to the
    exact variance, deterministic, and saved with the model."""
    from lto.daedalus.adapters import gp_member

    monkeypatch.setattr(gp_member, "MAX_CHOLESKY_SIZE", 100)
    model = gp_member.GPRegressor(iterations=20, random_state=2).fit(data["x"], data["y"])
    assert model.cache_["variance_root"].shape[-1] < len(data["x"])
    found = model.predict(data["test"])
    np.testing.assert_allclose(found.std, model.reference_predict(data["test"]).std, rtol=0.2)
    np.testing.assert_allclose(model.predict(data["test"][:3]).std, found.std[:3], rtol=1e-10)
    again = gp_member.GPRegressor(iterations=20, random_state=2).fit(data["x"], data["y"])
    np.testing.assert_array_equal(again.predict(data["test"]).std, found.std)
    model.save(tmp_path)
    np.testing.assert_array_equal(
        gp_member.GPRegressor.load(tmp_path).predict(data["test"]).std, found.std
    )


def test_gp_merges_duplicate_rows(data: dict[str, np.ndarray]) -> None:
    from lto.daedalus.adapters.gp_member import GPRegressor

    x = np.vstack([data["x"][:60], data["x"][:20]])
    y = np.vstack([data["y"][:60], np.clip(data["y"][:20] + 0.02, 0, 1)])
    model = GPRegressor(iterations=10).fit(x, y)
    assert model.n_train_ == 60
    assert np.isfinite(model.predict(data["test"]).std).all()
