"""Wafer yield measurements: what a fab's yield system reports for one wafer on one layer.

Yield is what the tradeoff scores are finally judged against: a layer exposed with settings LTO
scored as low yield risk should come back with high yield. A measurement names the wafer (lot,
wafer, layer: one measurement per wafer and layer), when it was measured (with its time zone),
the share of good die and, where the yield system has them, the die counts, the defect density
and the CD statistics; and, where known, the LTO job whose settings were used and the litho cell
that exposed it (the service checks that both exist).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints, ValidationInfo, field_validator

from lto.atlas.contracts import Contract

# printable ASCII without spaces: lot and wafer ids as MES systems write them
WaferKey = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[!-~]+$")]
# a layer may have spaces inside ("M1 via"), never control characters
LayerName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
]
Reference = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[!-~]+$")]
CLOCK_SKEW = timedelta(minutes=5)  # a measurement "from the future" by less is a clock's doing


class YieldMeasurement(Contract):
    """One wafer's yield on one layer.

    ``yield_fraction`` is good die / die in [0, 1]. ``die_count`` and ``good_die`` are optional;
    given together, ``good_die`` ≤ ``die_count`` and ``yield_fraction`` must be their ratio to
    the yield system's rounding (half a die, or 0.005, whichever is larger). ``good_die`` needs
    ``die_count``. ``cd_sigma_nm`` (the wafer's CD standard deviation) needs ``cd_mean_nm`` and
    is smaller than it. ``measured_at`` carries its time zone and is not in the future.
    """

    lot_id: WaferKey
    wafer_id: WaferKey
    layer: LayerName
    measured_at: AwareDatetime
    yield_fraction: float = Field(ge=0.0, le=1.0)
    die_count: int | None = Field(default=None, ge=1, le=1_000_000)
    good_die: int | None = Field(default=None, ge=0, le=1_000_000)
    defect_density_per_cm2: float | None = Field(default=None, ge=0.0, le=1_000_000.0)
    cd_mean_nm: float | None = Field(default=None, gt=0.0, le=100_000.0)
    cd_sigma_nm: float | None = Field(default=None, gt=0.0, le=100_000.0)
    job_id: Reference | None = None
    cell_id: Reference | None = None
    metadata: dict[str, str | int | float | bool] = Field(default_factory=dict, max_length=50)

    # cross-field rules as field validators, so that an error names the field it is about
    @field_validator("measured_at")
    @classmethod
    def _not_in_the_future(cls, value: datetime) -> datetime:
        if value > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError(
                f"lies in the future ({value.isoformat()}): a wafer is measured before it is "
                "reported"
            )
        return value

    @field_validator("good_die")
    @classmethod
    def _good_die_of_die_count(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None or "die_count" not in info.data:  # die_count itself was refused
            return value
        count = info.data["die_count"]
        if count is None:
            raise ValueError("needs die_count (good die out of how many?)")
        if value > count:
            raise ValueError(f"cannot exceed die_count ({count})")
        fraction = info.data.get("yield_fraction")
        if fraction is not None and abs(fraction - value / count) > max(0.5 / count, 0.005):
            raise ValueError(
                f"{value}/{count} = {value / count:.4f} disagrees with yield_fraction "
                f"({fraction:g}): yield_fraction must be good_die/die_count"
            )
        return value

    @field_validator("cd_sigma_nm")
    @classmethod
    def _sigma_of_a_mean(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None or "cd_mean_nm" not in info.data:
            return value
        mean = info.data["cd_mean_nm"]
        if mean is None:
            raise ValueError("needs cd_mean_nm (the spread of which CD?)")
        if value >= mean:
            raise ValueError(f"must be smaller than cd_mean_nm ({mean:g})")
        return value

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes a measurement unique: one per wafer and layer."""
        return (self.lot_id, self.wafer_id, self.layer)


__all__ = ["YieldMeasurement"]
