"""A learned prior for the dose to size, the quantity the scores turn on.

Yield risk and edge placement depend less on the dose an engineer types than on how far it
lies from the dose that prints the target (±10% of CD is a few % of dose). That dose is a
smooth function of the process (duty, k1, NA, resist, pattern), so a regressor learns it from
the dataset, and the members see one more feature: log(dose / predicted dose to size).

Training rows get out-of-fold predictions (each row's dose to size predicted by a model that did
not see it), so the feature is as noisy in training as it will be in use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lto.daedalus.ports import Regressor

FEATURE = "log_dose_over_predicted_dose_to_size"
FOLDS = 5


@dataclass(frozen=True)
class DosePrior:
    model: Regressor  # scaled process features → log dose to size mapped onto [0, 1]
    low: float  # log dose to size at 0
    high: float  # log dose to size at 1

    def log_dose_to_size(self, features: np.ndarray) -> np.ndarray:
        unit = self.model.predict(features).mean[:, 0]
        return self.low + unit * (self.high - self.low)

    @classmethod
    def fit(
        cls,
        make_model: Callable[[], Regressor],
        features: np.ndarray,
        log_dose_to_size: np.ndarray,
        *,
        seed: int,
    ) -> tuple[DosePrior, np.ndarray]:
        """The prior fitted on the rows with a dose to size (finite ``log_dose_to_size``), and
        out-of-fold predictions for every row."""
        known = np.isfinite(log_dose_to_size)
        if known.sum() < 2 * FOLDS:
            raise ValueError(
                f"dataset: {int(known.sum())} rows print their target; the dose prior needs "
                f"at least {2 * FOLDS}"
            )
        span = np.ptp(log_dose_to_size[known])
        low = float(np.min(log_dose_to_size[known]) - 0.1 * span)
        high = float(np.max(log_dose_to_size[known]) + 0.1 * span)
        unit = (log_dose_to_size - low) / (high - low)
        rows = np.flatnonzero(known)
        fold = np.random.default_rng(seed).permutation(rows.size) % FOLDS
        out_of_fold = np.empty(len(features))
        for k in range(FOLDS):
            held = rows[fold == k]
            model = make_model().fit(features[rows[fold != k]], unit[rows[fold != k], None])
            out_of_fold[held] = model.predict(features[held]).mean[:, 0]
        prior = cls(make_model().fit(features[rows], unit[rows, None]), low, high)
        unknown = np.flatnonzero(~known)
        if unknown.size:
            out_of_fold[unknown] = prior.model.predict(features[unknown]).mean[:, 0]
        return prior, low + out_of_fold * (high - low)
