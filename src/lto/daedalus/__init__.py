"""Daedalus: the AI surrogates behind ``SurrogatePort`` (XGBoost, MLP, GP, the ensemble).

May import atlas and athena only. Importing it loads none of torch, lightning, gpytorch or
xgboost: the member adapters import them when a model is built or loaded.
"""

from __future__ import annotations

from pathlib import Path

from lto.daedalus.ports import MemberPrediction, Regressor, SurrogateError, SurrogatePort


def load_surrogate(path: str | Path) -> SurrogatePort:
    """The surrogate saved at ``path`` (``SurrogatePort.save``); ``SurrogateError`` says why
    when the folder is missing, damaged, or was written by an incompatible LTO."""
    from lto.daedalus.adapters.artifact import load_surrogate as load

    return load(Path(path))


__all__ = [
    "MemberPrediction",
    "Regressor",
    "SurrogateError",
    "SurrogatePort",
    "load_surrogate",
]
