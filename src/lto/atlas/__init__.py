"""Atlas: LTO's core domain model (plain Python; imports no other lto package).

Value objects with units, compounds, equipment and streams, the ``LithoCell`` and ``Fab``
aggregates, constraint profiles, the contracts that cross ports, the job lifecycle and the
domain events.
"""

from lto.atlas.alerts import Alert, Severity
from lto.atlas.cell import LithoCell
from lto.atlas.compounds import COMPOUNDS, CasNumber, Compound, CompoundRole, compound
from lto.atlas.contracts import (
    SIGNAL_NAMES,
    ComputeStats,
    JobClass,
    JobParameters,
    Pattern,
    ScoreInterval,
    SimulationResult,
    TradeoffPrediction,
    TradeoffSignals,
    UncertaintyFlags,
)
from lto.atlas.errors import (
    DomainError,
    IllegalTransition,
    InvalidValue,
    InvariantViolated,
    UnknownName,
)
from lto.atlas.fab import Fab
from lto.atlas.lifecycle import FINAL_STATES, TRANSITIONS, Job, JobState, check_transition
from lto.atlas.policies import PROFILES, ConstraintProfile, Violation, check_job, constraint_profile
from lto.atlas.technology import TECHNOLOGIES, ExposureTechnology, IlluminationShape, technology
from lto.atlas.units import Dose, Focus, Length, NumericalAperture, PartialCoherence, Wavelength
from lto.atlas.users import ApiKey, User, hash_key

__all__ = [
    "COMPOUNDS",
    "FINAL_STATES",
    "PROFILES",
    "SIGNAL_NAMES",
    "TECHNOLOGIES",
    "TRANSITIONS",
    "Alert",
    "ApiKey",
    "CasNumber",
    "Compound",
    "CompoundRole",
    "ComputeStats",
    "ConstraintProfile",
    "DomainError",
    "Dose",
    "ExposureTechnology",
    "Fab",
    "Focus",
    "IllegalTransition",
    "IlluminationShape",
    "InvalidValue",
    "InvariantViolated",
    "Job",
    "JobClass",
    "JobParameters",
    "JobState",
    "Length",
    "LithoCell",
    "NumericalAperture",
    "PartialCoherence",
    "Pattern",
    "ScoreInterval",
    "Severity",
    "SimulationResult",
    "TradeoffPrediction",
    "TradeoffSignals",
    "UncertaintyFlags",
    "UnknownName",
    "User",
    "Violation",
    "Wavelength",
    "check_job",
    "check_transition",
    "compound",
    "constraint_profile",
    "hash_key",
    "technology",
]
