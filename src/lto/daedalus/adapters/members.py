"""The member models of the surrogate ensemble: names, lazy classes, defaults, and the input
checks and artifact helpers that the three adapters share.

Importing this module loads no ML library: each member class is imported when asked for.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lto.daedalus.ports import SurrogateError

if TYPE_CHECKING:
    from lto.daedalus.ports import Regressor

MEMBERS: dict[str, str] = {
    "xgboost": "lto.daedalus.adapters.xgboost_member:XGBoostRegressor",
    "mlp": "lto.daedalus.adapters.mlp_member:MLPRegressor",
    "gp": "lto.daedalus.adapters.gp_member:GPRegressor",
}

PARAMS_FILE = "params.json"
FORMAT_VERSION = 1


def member_class(name: str) -> type:
    """The class of the member called ``name`` ("xgboost", "mlp", "gp"), imported on demand."""
    try:
        target = MEMBERS[name]
    except KeyError:
        raise ValueError(f"name must be one of {sorted(MEMBERS)}; got {name!r}") from None
    module, _, attribute = target.partition(":")
    cls: type = getattr(importlib.import_module(module), attribute)
    return cls


def default_members(
    seed: int, settings: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Regressor]:
    """Fresh, unfitted members with their default settings (or ``settings[name]`` in their
    place: tuned hyperparameters), seeded with ``seed``."""
    chosen = settings or {}
    return {
        name: member_class(name)(random_state=seed, **dict(chosen.get(name, {})))
        for name in ("xgboost", "mlp", "gp")
    }


def default_dose_prior(seed: int) -> Callable[[], Regressor]:
    """Makes the regressor of the ensemble's dose-to-size prior: a small XGBoost (one output,
    100 rounds: it is called on every prediction, and its fixed cost is the booster's)."""
    return partial(member_class("xgboost"), random_state=seed, n_estimators=100)


def default_saturation_gate(seed: int) -> Callable[[], Regressor]:
    """Makes the classifier of the ensemble's saturation gate: XGBoost with a logistic
    objective and vector-leaf trees (one tree a round gives every (score, regime) probability:
    the gate needs no attributions, and a batch costs an eighth of one tree per output)."""
    return partial(
        member_class("xgboost"),
        random_state=seed,
        n_estimators=150,
        objective="reg:logistic",
        multi_strategy="multi_output_tree",
    )


# --- input checks shared by the members ------------------------------------------------------


def check_features(features: Any, n_features: int | None = None) -> np.ndarray:
    """``features`` as a finite float64 (n, d) array; ``n_features`` is the d seen by ``fit``."""
    try:
        array = np.asarray(features, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"features must be a numeric (n, d) array: {error}") from None
    if array.ndim != 2:
        raise ValueError(f"features must be a 2-D array (n, d); got shape {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"features must have at least one row and one column; got {array.shape}")
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(
            f"features must have {n_features} columns, as in fit; got {array.shape[1]}"
        )
    if not np.isfinite(array).all():
        raise ValueError("features must be finite; found NaN or infinity")
    return array


def check_targets(targets: Any, n_rows: int) -> np.ndarray:
    """``targets`` as a finite float64 (n, k) array of scores in [0, 1] with ``n_rows`` rows."""
    try:
        array = np.asarray(targets, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"targets must be a numeric (n, k) array: {error}") from None
    if array.ndim != 2:
        raise ValueError(f"targets must be a 2-D array (n, k); got shape {array.shape}")
    if array.shape[0] != n_rows:
        raise ValueError(
            f"targets must have one row per row of features ({n_rows}); got {array.shape[0]}"
        )
    if array.shape[1] == 0:
        raise ValueError("targets must have at least one column")
    if not np.isfinite(array).all():
        raise ValueError("targets must be finite; found NaN or infinity")
    if array.min() < 0.0 or array.max() > 1.0:
        raise ValueError(
            f"targets must be scores in [0, 1]; got values in [{array.min()}, {array.max()}]"
        )
    return array


def check_fit_inputs(features: Any, targets: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both fit inputs checked; fit needs at least two rows."""
    x = check_features(features)
    if x.shape[0] < 2:
        raise ValueError(f"features must have at least 2 rows to fit; got {x.shape[0]}")
    return x, check_targets(targets, x.shape[0])


def not_fitted(estimator: object) -> Exception:
    """The error for using an unfitted member (a ValueError, as scikit-learn's)."""
    from sklearn.exceptions import NotFittedError

    name = type(estimator).__name__
    return NotFittedError(f"{name} is not fitted: call fit first")


# --- artifact helpers ------------------------------------------------------------------------


def check_directory(directory: Path) -> Path:
    path = Path(directory)
    if not path.is_dir():
        raise FileNotFoundError(f"directory {path} does not exist: create it before save")
    return path


def write_params(directory: Path, member: str, params: dict[str, Any], **learned: Any) -> None:
    """The JSON beside a member's model: who wrote it, constructor params, learned shapes."""
    document = {
        "member": member,
        "format_version": FORMAT_VERSION,
        "params": params,
        "learned": learned,
    }
    (directory / PARAMS_FILE).write_text(json.dumps(document, indent=2) + "\n")


def read_params(directory: Path, member: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(constructor params, learned) from a member directory; SurrogateError if it is not one."""
    path = Path(directory) / PARAMS_FILE
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise SurrogateError(
            f"{path} is missing: {directory} holds no saved {member} model"
        ) from None
    except json.JSONDecodeError as error:
        raise SurrogateError(f"{path} is damaged: {error}") from None
    if not isinstance(document, dict) or document.get("member") != member:
        found = document.get("member") if isinstance(document, dict) else None
        raise SurrogateError(f"{directory} holds a {found!r} model, not a {member!r} one")
    if document.get("format_version") != FORMAT_VERSION:
        raise SurrogateError(
            f"{path} has format version {document.get('format_version')!r}; "
            f"this code reads version {FORMAT_VERSION}"
        )
    return dict(document["params"]), dict(document["learned"])


def require_file(directory: Path, name: str) -> Path:
    path = Path(directory) / name
    if not path.is_file():
        raise SurrogateError(f"{path} is missing: the saved model is incomplete")
    return path
