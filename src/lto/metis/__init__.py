"""Metis: optimisation over any Evaluator, and model management (registry, shadow, promotion).

May import atlas, athena and the ports (never the adapters) of matrix and daedalus. Optuna and
MLflow live in ``lto.metis.adapters`` and are imported there only, when first used.
"""

from lto.metis.alternatives import suggest_alternative
from lto.metis.ports import Evaluator, StudyEngine
from lto.metis.problem import (
    FreeParameter,
    Objective,
    OptimizationProblem,
    OutcomeConstraint,
    ProblemError,
    parse_constraint,
    parse_free,
    parse_objective,
)
from lto.metis.results import Confirmation, OptimizationResult, TrialRecord
from lto.metis.two_stage import optimize_two_stage

__all__ = [
    "Confirmation",
    "Evaluator",
    "FreeParameter",
    "Objective",
    "OptimizationProblem",
    "OptimizationResult",
    "OutcomeConstraint",
    "ProblemError",
    "StudyEngine",
    "TrialRecord",
    "optimize_two_stage",
    "parse_constraint",
    "parse_free",
    "parse_objective",
    "suggest_alternative",
]
