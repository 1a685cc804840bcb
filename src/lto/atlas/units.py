"""Physical quantities as immutable value objects with one canonical unit each.

Inside LTO every quantity is a plain float in its canonical unit (lengths and focus in nm,
dose in mJ/cm², NA and sigma dimensionless). Text that people type ("193 nm", "0.193 um",
"30 mJ/cm^2") is parsed with pint at the boundary, here, and nowhere else. pint is imported on
first parse, so importing the domain model stays cheap.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Self

from lto.atlas.errors import InvalidValue

if TYPE_CHECKING:
    import pint

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_BARE_EXPONENT = re.compile(r"(?<=[A-Za-zµμ])(-?\d+)")  # "cm2" / "cm-2" -> "cm**2" / "cm**-2"


@cache
def _registry() -> pint.UnitRegistry[float]:
    import pint

    return pint.UnitRegistry()


def _normalise_unit(unit: str) -> str:
    unit = unit.replace("²", "^2").replace("³", "^3").replace("μ", "u").replace("µ", "u")
    unit = unit.replace("^", "**")
    return _BARE_EXPONENT.sub(r"**\1", unit)


_KINDS = {
    "[length]": "length",
    "[mass] / [time] ** 2": "dose (energy per area)",
    "[time]": "time",
    "[length] ** 2": "area",
    "": "a plain number",
}


def _kind(dimensionality: object) -> str:
    """Words for a pint dimensionality (pint's own, "[mass] / [time] ** 2", means nothing to
    an engineer)."""
    text = str(dimensionality)
    return _KINDS.get(text, text.replace("[", "").replace("]", ""))


def parse_quantity(text: str | float, *, unit: str, field: str, example: str) -> float:
    """Return ``text`` as a float in ``unit``. A bare number is taken to be in ``unit`` already.

    Raises ``InvalidValue`` naming ``field`` for text that is not a number with a unit of the
    right dimension.
    """
    if isinstance(text, bool):
        raise InvalidValue(field, f"expected a number or a quantity like {example!r}", text)
    if isinstance(text, int | float):
        return float(text)
    if not isinstance(text, str):
        raise InvalidValue(field, f"expected a number or a quantity like {example!r}", text)
    match = _NUMBER.match(text)
    if match is None:
        if text.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise InvalidValue(field, "must be a finite number", text)
        raise InvalidValue(field, f"expected a number with a unit, like {example!r}", text)
    magnitude, unit_text = float(match.group(1)), match.group(2)
    if not unit_text:
        return magnitude
    import pint

    registry = _registry()
    try:
        given = registry.Unit(_normalise_unit(unit_text))
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError) as exc:
        raise InvalidValue(
            field, f"unknown unit {unit_text!r}; write it like {example!r}", text
        ) from exc
    except Exception as exc:  # pint's parser raises assorted errors on garbage
        raise InvalidValue(
            field, f"cannot read unit {unit_text!r}; write it like {example!r}", text
        ) from exc
    target = registry.Unit(_normalise_unit(unit))
    if given.dimensionality != target.dimensionality:
        raise InvalidValue(
            field,
            f"{unit_text!r} is a unit of {_kind(given.dimensionality)}, not of "
            f"{_kind(target.dimensionality)}; write it like {example!r}",
            text,
        )
    if given == target:
        return magnitude
    converted = float(registry.Quantity(magnitude, given).to(target).magnitude)
    return float(
        f"{converted:.15g}"
    )  # drop conversion noise: 0.193 um is 193 nm, not 192.99999999999997


def check_range(
    value: float,
    *,
    field: str,
    minimum: float,
    maximum: float,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
    unit: str = "",
) -> float:
    """Return ``value`` as a float, or raise ``InvalidValue`` naming the field and the range."""
    number = float(value)
    suffix = f" {unit}" if unit else ""
    if not math.isfinite(number):
        raise InvalidValue(field, "must be a finite number", value)
    low_ok = number >= minimum if min_inclusive else number > minimum
    high_ok = number <= maximum if max_inclusive else number < maximum
    if not (low_ok and high_ok):
        left = "[" if min_inclusive else "("
        right = "]" if max_inclusive else ")"
        rule = f"must lie in {left}{minimum:g}, {maximum:g}{right}{suffix}"
        raise InvalidValue(field, rule, value)
    return number


@dataclass(frozen=True, order=True)
class Quantity:
    """A scalar in the class's canonical ``unit``, validated against its physical range."""

    value: float

    unit: ClassVar[str] = ""
    symbol: ClassVar[str] = ""
    label: ClassVar[str] = "quantity"
    example: ClassVar[str] = "1"
    minimum: ClassVar[float] = -math.inf
    maximum: ClassVar[float] = math.inf
    min_inclusive: ClassVar[bool] = True
    max_inclusive: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", self._checked(self.value, self.label))

    @classmethod
    def _checked(cls, value: Any, field: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidValue(field, f"expected a number in {cls.symbol or 'plain units'}", value)
        return check_range(
            value,
            field=field,
            minimum=cls.minimum,
            maximum=cls.maximum,
            min_inclusive=cls.min_inclusive,
            max_inclusive=cls.max_inclusive,
            unit=cls.symbol,
        )

    @classmethod
    def parse(cls, text: str | float | Quantity, *, field: str | None = None) -> Self:
        """Read a typed quantity ("193 nm") or a bare number in the canonical unit."""
        name = field or cls.label
        if isinstance(text, cls):
            return text
        if isinstance(text, Quantity):
            raise InvalidValue(name, f"expected a {cls.label}, got a {text.label}", text)
        if cls.unit:
            number = parse_quantity(text, unit=cls.unit, field=name, example=cls.example)
        else:
            number = parse_quantity(text, unit="dimensionless", field=name, example=cls.example)
        return cls(cls._checked(number, name))

    def to(self, unit: str) -> float:
        """The value expressed in another unit of the same dimension."""
        if not self.unit:
            if unit not in ("", "dimensionless"):
                raise InvalidValue(self.label, f"is dimensionless; cannot express it in {unit!r}")
            return self.value
        registry = _registry()
        quantity = registry.Quantity(self.value, registry.Unit(_normalise_unit(self.unit)))
        return float(quantity.to(registry.Unit(_normalise_unit(unit))).magnitude)

    def format(self, unit: str | None = None, *, digits: int = 17) -> str:
        """Text that ``parse`` reads back to the same value (to ``digits`` significant digits)."""
        if unit is None:
            shown = f"{self.value:.{digits}g}"
            return f"{shown} {self.symbol}".strip()
        return f"{self.to(unit):.{digits}g} {unit}"

    def __str__(self) -> str:
        return f"{self.value:g} {self.symbol}".strip()

    def __float__(self) -> float:
        return self.value


class Length(Quantity):
    """A length in nm: CD, pitch, resist thickness, simulation grid."""

    unit = "nm"
    symbol = "nm"
    label = "length"
    example = "45 nm"
    minimum = 0.0
    maximum = 1e7  # 10 mm: nothing on a litho clip is larger
    min_inclusive = False

    @property
    def nm(self) -> float:
        return self.value


class Wavelength(Length):
    """Exposure wavelength in nm (vacuum)."""

    label = "wavelength"
    example = "193 nm"
    minimum = 1.0
    maximum = 1000.0
    min_inclusive = True


class Focus(Quantity):
    """Focus offset in nm. Positive moves the focal plane into the resist (away from the lens)."""

    unit = "nm"
    symbol = "nm"
    label = "focus"
    example = "-50 nm"
    minimum = -1e5
    maximum = 1e5

    @property
    def nm(self) -> float:
        return self.value


class Dose(Quantity):
    """Exposure dose in mJ/cm²."""

    unit = "mJ/cm^2"
    symbol = "mJ/cm²"
    label = "dose"
    example = "30 mJ/cm^2"
    minimum = 0.0
    maximum = 1e4
    min_inclusive = False

    @property
    def mj_cm2(self) -> float:
        return self.value


class NumericalAperture(Quantity):
    """NA = n·sin θ of the projection lens. Above ~1.7 no practical immersion fluid exists."""

    label = "numerical aperture"
    example = "1.35"
    minimum = 0.0
    maximum = 2.0
    min_inclusive = False
    max_inclusive = False


class PartialCoherence(Quantity):
    """Partial coherence sigma: illumination radius in units of the pupil's NA (0 = coherent)."""

    label = "sigma"
    example = "0.8"
    minimum = 0.0
    maximum = 1.0
