"""Tuning a member's hyperparameters with Optuna: TPE proposes, the median pruner stops a trial
whose validation error after a step is worse than the median of earlier trials at that step.
The default settings run first (an enqueued trial), so the result says how much tuning gained.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lto.metis.tuning import TuningResult, TuningTarget, validation_error

Progress = Callable[[int, int], None]


def tune(
    target: TuningTarget,
    x: np.ndarray,
    y: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    trials: int,
    seed: int,
    defaults: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> TuningResult:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed, multivariate=True),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=1),
    )
    if defaults:
        study.enqueue_trial({k: v for k, v in defaults.items() if k in target.space})
    report = progress or (lambda done, total: None)

    def objective(trial: optuna.Trial) -> float:
        params = {name: _suggest(trial, name, spec) for name, spec in target.space.items()}
        best = [np.inf, 0]

        def step(number: int, predict: Callable[[np.ndarray], np.ndarray]) -> None:
            error = validation_error(predict(x_val), y_val)
            if error < best[0]:
                best[0], best[1] = error, number
            trial.report(error, number)
            if trial.should_prune():
                raise optuna.TrialPruned(f"validation error {error:.4f} at step {number}")

        target.fit(params, x, y, step)
        trial.set_user_attr("best_step", int(best[1]))
        return float(best[0])

    def after(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        report(len(study.trials), trials)

    study.optimize(objective, n_trials=trials, callbacks=[after], catch=())
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        raise RuntimeError(f"tuning {target.name}: every trial was pruned or failed")
    best = study.best_trial
    first = study.trials[0]
    default_error = (
        float(first.value)
        if defaults and first.state == optuna.trial.TrialState.COMPLETE and first.value is not None
        else None
    )
    history = [
        {
            "number": t.number,
            "state": t.state.name.lower(),
            "params": t.params,
            "error": t.value,
            "best_step": t.user_attrs.get("best_step"),
            "last_step": t.last_step,
        }
        for t in study.trials
    ]
    return TuningResult(
        member=target.name,
        best_params={**best.params, target.step_name: int(best.user_attrs["best_step"])},
        best_error=float(best.value or 0.0),
        default_error=default_error,
        trials=len(study.trials),
        pruned=sum(1 for t in study.trials if t.state == optuna.trial.TrialState.PRUNED),
        history=history,
    )


def _suggest(trial: Any, name: str, spec: tuple[Any, ...]) -> Any:
    kind = spec[0]
    if kind == "int":
        return trial.suggest_int(name, int(spec[1]), int(spec[2]))
    if kind == "float":
        return trial.suggest_float(name, float(spec[1]), float(spec[2]))
    if kind == "log":
        return trial.suggest_float(name, float(spec[1]), float(spec[2]), log=True)
    if kind == "choice":
        return trial.suggest_categorical(name, list(spec[1:]))
    raise ValueError(f"search space {name}: unknown kind {kind!r}")


__all__ = ["tune"]
