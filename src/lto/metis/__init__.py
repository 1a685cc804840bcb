"""Metis: optimisation over any Evaluator, and model management (registry, shadow, promotion).

May import atlas, athena and the ports (never the adapters) of matrix and daedalus."""

__all__: list[str] = []
