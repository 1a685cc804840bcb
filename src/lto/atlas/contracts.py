"""Data contracts that cross ports: frozen pydantic models, strict about what they accept.

Unknown fields are rejected (a typo such as ``dose_mj`` must not be silently ignored), numbers
must be finite, and quantity fields also accept typed text ("193 nm", "30 mJ/cm^2") that is
converted to the field's canonical unit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    computed_field,
    field_validator,
    model_validator,
)

from lto.atlas.technology import IlluminationShape, Polarization
from lto.atlas.units import parse_quantity


def _quantity(unit: str, example: str) -> WrapValidator:
    """Typed text ("193 nm") becomes a float in ``unit`` before the field's range is checked.

    When the converted number breaks the range, the message says what the text was read as
    ("'193 furlongs' is 3.88e+13 nm"): otherwise a unit pint knows but nobody meant leaves the
    user staring at "must be ≤ 1000" beside an input that looks small.
    """

    def convert(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if not isinstance(value, str):
            return handler(value)
        number = parse_quantity(value, unit=unit, field=f"quantity in {unit}", example=example)
        try:
            return handler(number)
        except ValidationError as exc:
            rules = "; ".join(error["msg"] for error in exc.errors())
            raise ValueError(f"{value!r} is {number:.6g} {unit}: {rules}") from None

    return WrapValidator(convert)


Nanometres = Annotated[float, _quantity("nm", "45 nm")]
DoseMjCm2 = Annotated[float, _quantity("mJ/cm^2", "30 mJ/cm^2")]
Score = Annotated[float, Field(ge=0.0, le=1.0)]

SignalName = Literal[
    "resolution_vs_dof",
    "yield_risk",
    "speed_vs_accuracy",
    "cost_vs_fidelity",
    "surrogate_reliability",
    "overall_health",
]
SIGNAL_NAMES: tuple[SignalName, ...] = (
    "resolution_vs_dof",
    "yield_risk",
    "speed_vs_accuracy",
    "cost_vs_fidelity",
    "surrogate_reliability",
    "overall_health",
)
# each score in words, for messages and reports people read
SIGNAL_WORDS: dict[str, str] = {
    "resolution_vs_dof": "resolution vs depth of focus",
    "yield_risk": "yield risk",
    "speed_vs_accuracy": "speed vs accuracy",
    "cost_vs_fidelity": "cost vs fidelity",
    "surrogate_reliability": "surrogate reliability",
    "overall_health": "overall health",
}


class Contract(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", allow_inf_nan=False, str_strip_whitespace=True
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """JSON's ``true`` is not the number 1: a numeric field refuses it (pydantic's lax
        mode would take it)."""
        if isinstance(value, bool) and info.field_name is not None:
            annotation = cls.model_fields[info.field_name].annotation
            kinds = set(get_args(annotation)) or {annotation}
            if bool not in kinds and kinds & {int, float}:
                raise ValueError("must be a number, not true or false")
        return value


class JobClass(StrEnum):
    STANDARD = "standard"
    CRITICAL = "critical"  # held to the stricter accuracy target (98.5% within tolerance)
    EXPLORATORY = "exploratory"


class Pattern(StrEnum):
    LINE_SPACE = "line_space"
    CONTACT_ARRAY = "contact_array"
    LINE_END = "line_end"


JobIllumination = Literal[
    IlluminationShape.CONVENTIONAL,
    IlluminationShape.ANNULAR,
    IlluminationShape.DIPOLE,
    IlluminationShape.QUADRUPOLE,
]


class JobParameters(Contract):
    """What an engineer asks LTO to evaluate: the process settings and the feature to print.

    Units: lengths and focus in nm, dose in mJ/cm². ``sigma`` is the outer partial coherence;
    ``sigma_inner`` the inner one for annular, dipole and quadrupole illumination. Focus is
    positive into the resist. ``priority`` runs from 1 (whenever) to 10 (now).

    NA, the pixel and the CD are at least 0.01 (nm): nothing smaller is a process anyone runs,
    and on values a few ulps above zero the quantities computed from them (λ/NA², pitch over
    pixel, thickness over CD) overflow to infinity.
    """

    na: float = Field(ge=0.01, lt=2.0, description="numerical aperture of the projection lens")
    wavelength_nm: Nanometres = Field(ge=1.0, le=1000.0)
    dose_mj_cm2: DoseMjCm2 = Field(gt=0.0, le=10_000.0)
    sigma: float = Field(ge=0.0, le=1.0, description="outer partial coherence")
    resist_thickness_nm: Nanometres = Field(gt=0.0, le=10_000.0)
    grid_size_nm: Nanometres = Field(ge=0.01, le=100.0, description="simulation pixel size")
    target_cd_nm: Nanometres = Field(ge=0.01, le=100_000.0)
    pitch_nm: Nanometres = Field(gt=0.0, le=1_000_000.0)
    focus_nm: Nanometres = Field(default=0.0, ge=-100_000.0, le=100_000.0)
    illumination: JobIllumination = IlluminationShape.CONVENTIONAL
    sigma_inner: float | None = Field(default=None, ge=0.0, le=1.0)
    polarization: Polarization | None = Field(
        default=None,
        description="imaging model: scalar, or the illumination's polarisation for the vector "
        "model; absent: the technology's default (unpolarised vector imaging)",
    )
    pattern: Pattern = Pattern.LINE_SPACE
    pattern_complexity: float = Field(
        default=0.0, ge=0.0, le=1.0, description="0 = 1-D lines, 1 = dense random 2-D logic"
    )
    use_ai_surrogate: bool = True
    job_class: JobClass = JobClass.STANDARD
    priority: int = Field(default=5, ge=1, le=10)
    constraint_profile: str | None = Field(
        default=None, min_length=1, description="profile name; inferred from λ and NA if absent"
    )
    submitted_by: str = Field(min_length=1, max_length=200)
    metadata: dict[str, str | int | float | bool] = Field(default_factory=dict, max_length=50)

    @model_validator(mode="after")
    def _check_geometry_and_illumination(self) -> JobParameters:
        if self.target_cd_nm >= self.pitch_nm:
            raise ValueError(
                f"target_cd_nm ({self.target_cd_nm:g}) must be smaller than pitch_nm ({self.pitch_nm:g})"
            )
        if self.illumination == IlluminationShape.CONVENTIONAL:
            if self.sigma_inner is not None:
                raise ValueError(
                    "sigma_inner applies to annular, dipole or quadrupole illumination only"
                )
        elif self.sigma_inner is None:
            raise ValueError(f"sigma_inner is required for {self.illumination} illumination")
        elif self.sigma_inner >= self.sigma:
            raise ValueError(
                f"sigma_inner ({self.sigma_inner:g}) must be smaller than sigma ({self.sigma:g})"
            )
        return self


class ComputeStats(Contract):
    simulator: str
    backend: str = "numpy"
    device: str = "cpu"
    method: str = ""
    wall_time_s: float = Field(ge=0.0)
    grid_shape: tuple[int, int] | None = None
    kernels: int | None = Field(default=None, ge=1)
    energy_captured: float | None = Field(default=None, ge=0.0, le=1.0)


class TradeoffSignals(Contract):
    """The six tradeoff scores, each in [0, 1] (see docs/tradeoffs.md). Only yield_risk is
    'higher is worse'."""

    resolution_vs_dof: Score
    yield_risk: Score
    speed_vs_accuracy: Score
    cost_vs_fidelity: Score
    surrogate_reliability: Score
    overall_health: Score

    def as_dict(self) -> dict[SignalName, float]:
        return {name: getattr(self, name) for name in SIGNAL_NAMES}


class ResistProfileSummary(Contract):
    """The resist left on the cut line at the job's dose and focus, as a cross-section shows it.

    CDs at 90% and 50% of the line's remaining height and at the substrate (the CD the
    focus-exposure matrix reports); the sidewall angle between 10% and 90% height (90° vertical,
    above 90° undercut); the thickness the unexposed resist lost. None where it does not print.
    """

    development: Literal["threshold", "mack"]
    cd_top_nm: float | None = Field(default=None, ge=0.0)
    cd_middle_nm: float | None = Field(default=None, ge=0.0)
    cd_bottom_nm: float | None = Field(default=None, ge=0.0)
    sidewall_angle_deg: float | None = Field(default=None, ge=0.0, le=180.0)
    top_loss_nm: float | None = Field(default=None, ge=0.0)
    develop_time_s: float | None = Field(default=None, gt=0.0)


class SimulationResult(Contract):
    """What a simulator reports for a job: the printed feature, its window, and the compute."""

    job_id: str = Field(min_length=1)
    cd_nm: float | None = Field(default=None, ge=0.0, description="None when nothing prints")
    best_focus_nm: float | None = None
    dose_to_size_mj_cm2: float | None = Field(default=None, gt=0.0)
    exposure_latitude_pct: float | None = Field(default=None, ge=0.0)
    depth_of_focus_nm: float | None = Field(default=None, ge=0.0)
    nils: float | None = Field(default=None, ge=0.0)
    image_contrast: float | None = Field(default=None, ge=0.0, le=1.0)
    meef: float | None = None
    edge_placement_error_nm: float | None = Field(default=None, ge=0.0)
    signals: TradeoffSignals | None = None
    compute: ComputeStats
    artifacts: dict[str, str] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    # The process window as found (PhysicsSimulator): where it searched, whether EL and DoF are
    # measured or only bounds ("≥": the window was still open where the search had to stop), and
    # whether there is a window at all. window_status: "ok"; "no_window" (the feature prints,
    # never within target ± tolerance); "nothing_prints" (no focus or dose searched prints it);
    # None where the simulator does not say. window_reason says why in words.
    window_status: Literal["ok", "no_window", "nothing_prints"] | None = None
    window_reason: str | None = None
    depth_of_focus_is_bound: bool = False
    exposure_latitude_is_bound: bool = False
    dose_range_mj_cm2: tuple[float, float] | None = None
    focus_range_nm: tuple[float, float] | None = None
    resist_profile: ResistProfileSummary | None = None


class ScoreInterval(Contract):
    """A predicted score with its interval at the prediction's confidence level."""

    mean: Score
    lower: Score
    upper: Score

    @model_validator(mode="after")
    def _ordered(self) -> ScoreInterval:
        if not self.lower <= self.mean <= self.upper:
            raise ValueError(
                f"need lower ≤ mean ≤ upper, got {self.lower:g} ≤ {self.mean:g} ≤ {self.upper:g}"
            )
        return self

    @property
    def width(self) -> float:
        return self.upper - self.lower


class UncertaintyFlags(Contract):
    high_uncertainty: bool = False
    out_of_distribution: bool = False
    drift_detected: bool = False
    ood_distance: float = Field(default=0.0, ge=0.0)

    @model_validator(mode="before")
    @classmethod
    def _derived_on_input(cls, data: Any) -> Any:
        """``recommend_physics`` is derived: a dumped prediction validates again unchanged."""
        if isinstance(data, dict) and "recommend_physics" in data:
            data = {k: v for k, v in data.items() if k != "recommend_physics"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recommend_physics(self) -> bool:
        """Any reason to distrust the surrogate is a reason to run the physics."""
        return self.high_uncertainty or self.out_of_distribution or self.drift_detected


class TradeoffPrediction(Contract):
    """A surrogate's answer: every signal with an interval, why it might be wrong, and why."""

    scores: dict[SignalName, ScoreInterval]
    flags: UncertaintyFlags = Field(default_factory=UncertaintyFlags)
    attributions: dict[SignalName, dict[str, float]] = Field(default_factory=dict)
    model_version: str = Field(min_length=1)
    inference_time_ms: float = Field(ge=0.0)
    confidence_level: float = Field(default=0.95, gt=0.0, lt=1.0)

    @model_validator(mode="after")
    def _all_signals(self) -> TradeoffPrediction:
        missing = [name for name in SIGNAL_NAMES if name not in self.scores]
        if missing:
            raise ValueError(f"scores must cover every signal; missing {', '.join(missing)}")
        return self

    def point(self) -> TradeoffSignals:
        return TradeoffSignals(**{name: self.scores[name].mean for name in SIGNAL_NAMES})
