"""Money, times and counts as a process engineer reads them: fixed decimals, thousands
separators and the unit, never e-notation (``-1.2e-05``), and a negative saving said to be a
cost. Pure functions, for the pages' tables and the figures' labels alike."""

from __future__ import annotations

import math
from typing import Any

MINUS = "−"  # U+2212: a minus sign, not a hyphen
MOST_DECIMALS = 10  # below 10⁻¹⁰ of a unit an amount reads as zero


def finite_number(value: Any) -> float | None:
    """``value`` as a finite float, else None (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _decimals(size: float, significant: int = 3) -> int:
    """Decimals that show ``significant`` digits of an amount below 1 (0.00123: five)."""
    if size == 0:
        return 2
    return min(max(significant - 1 - math.floor(math.log10(size)), 2), MOST_DECIMALS)


def fixed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals and thousands separators; a minus sign, and never
    "−0.00"."""
    text = f"{abs(value):,.{decimals}f}"
    negative = value < 0 and any(c not in "0.," for c in text)
    return f"{MINUS}{text}" if negative else text


def amount(value: Any, *, small_digits: int = 3) -> str:
    """A money amount or a price without its unit: whole units from 100, cents from 0.01,
    three significant digits below that (0.0000120), all in fixed decimals."""
    number = finite_number(value)
    if number is None:
        return "unknown"
    size = abs(number)
    if size >= 100:
        return fixed(number, 0)
    if size >= 0.01 or round(size, MOST_DECIMALS) == 0:
        return fixed(number, 2)
    return fixed(number, _decimals(size, small_digits))


def money(value: Any, currency: str) -> str:
    """``12,346 USD``, ``3.46 USD``, ``0.00123 USD``; "unknown" without a number."""
    text = amount(value)
    return text if text == "unknown" else f"{text} {currency}"


def saving(value: Any, currency: str) -> str:
    """A saving; a negative one is what it is, a cost: ``−12.30 USD (cost)``."""
    text = money(value, currency)
    number = finite_number(value)
    return f"{text} (cost)" if number is not None and text.startswith(MINUS) else text


def seconds(value: Any) -> str:
    """A wall time: ``360.0 s``, ``7,200.0 s (2.0 h)``; "unknown" without a number."""
    number = finite_number(value)
    if number is None:
        return "unknown"
    text = f"{fixed(number, 1)} s"
    if abs(number) >= 3600:
        return f"{text} ({fixed(number / 3600, 1)} h)"
    if abs(number) >= 120:
        return f"{text} ({fixed(number / 60, 1)} min)"
    return text


def milliseconds(value: Any) -> str:
    """A call's time: ``4.2 ms``, ``0.0350 ms``; "unknown" without a number."""
    number = finite_number(value)
    if number is None:
        return "unknown"
    size = abs(number)
    return f"{fixed(number, 1 if size >= 0.1 or size == 0 else _decimals(size))} ms"


def count(value: Any) -> str:
    """A whole number with thousands separators; "—" without one."""
    number = finite_number(value)
    if number is None:
        return "—"
    if number.is_integer():
        return fixed(number, 0)
    return plain(number)


def plain(value: Any) -> str:
    """A number as typed by a person: ``10,000,000``, ``0.5``, ``0.00012`` (no e-notation)."""
    number = finite_number(value)
    if number is None:
        return "—"
    if number.is_integer():
        return fixed(number, 0)
    text = f"{abs(number):,.{MOST_DECIMALS}f}".rstrip("0").rstrip(".")
    if text in ("0", ""):
        return "0"
    return f"{MINUS}{text}" if number < 0 else text


__all__ = [
    "MINUS",
    "amount",
    "count",
    "finite_number",
    "fixed",
    "milliseconds",
    "money",
    "plain",
    "saving",
    "seconds",
]
