"""Daedalus: the AI surrogates behind `SurrogatePort` (XGBoost, MLP, GP, the ensemble).

May import atlas and athena only."""

__all__: list[str] = []
