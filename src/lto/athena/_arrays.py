"""Input checks shared by athena's functions: clear errors instead of silent NaNs.

Checks cost two reductions (min and max) per input, not a boolean array per rule: on a million
jobs validation must not cost more than the arithmetic it guards.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def as_float_array(
    value: ArrayLike,
    name: str,
    *,
    finite: bool = True,
    minimum: float | None = None,
    strict: bool = False,
) -> FloatArray:
    """``value`` as float64 (no copy if it already is); raise ``ValueError`` naming ``name`` for
    NaN/inf (when ``finite``) or values below ``minimum`` (or equal to it, when ``strict``)."""
    array = np.asarray(value, dtype=np.float64)
    if array.size == 0 or not (finite or minimum is not None):
        return array
    low, high = float(np.min(array)), float(np.max(array))
    if finite and not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"{name}: must be finite numbers (found NaN or inf)")
    if minimum is not None and (low < minimum or (strict and low == minimum)):
        rule = f"must be > {minimum:g}" if strict else f"must be ≥ {minimum:g}"
        raise ValueError(f"{name}: {rule} (found {low:g})")
    return array


def check_positive(array: FloatArray, name: str, *, allow_zero: bool = False) -> FloatArray:
    """Raise unless every value is > 0 (or ≥ 0 with ``allow_zero``); finite-ness is not checked."""
    return as_float_array(array, name, finite=False, minimum=0.0, strict=not allow_zero)


def owned(value: FloatArray | float) -> FloatArray:
    """An ndarray that in-place ufuncs may write to (numpy turns 0-d results into scalars)."""
    return value if isinstance(value, np.ndarray) else np.array(value, dtype=np.float64)


def harmonic_mean(a: FloatArray, b: FloatArray) -> FloatArray:
    """2ab / (a + b), with 0 where both are 0: a tradeoff is only good if both sides are."""
    total = owned(a + b)
    total += np.finfo(np.float64).tiny  # 0/tiny = 0 where both sides are 0
    product = owned(np.multiply(a, b))
    product *= 2.0
    product /= total
    return product
