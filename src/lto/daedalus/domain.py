"""``SurrogateDomain``: the process space a surrogate is trained on, sampled and checked.

The default domain (``default_domain``, saved with every model as ``surrogate.domain``): for
each constraint profile (EUV, ArF immersion, ArF dry, KrF) NA and resist thickness within the
profile's ranges; σ from 0.3 to 0.95 (inner σ 50–80% of σ for annular, dipole and quadrupole
illumination); the four illuminations and the three patterns; pitch from 1.1× to 4× the
resolution limit λ/(NA(1+σ)); CD 30–60% of the pitch; focus within ± the profile's required
DoF; the grid from 8 to 96 pixels per pitch (log-uniform) and never coarser than λ/(4·NA) (nor
100 nm, the most a job may ask for); the
technology's default polarization only; 20% of jobs critical. The dose is not sampled: the
dataset builder exposes each job at ``dose_ratio`` (0.75–1.25) × the job's own dose to size,
so that most samples print, and ``with_observed_doses`` narrows each profile's dose range (at
first the profile's policy range) to the doses the built dataset holds.

Sampled periods fit the engine's grid: the pixel is pitch / n with n a whole number, and the
target CD is a whole number of pixels, so the line-end clip (y period 2·pitch + CD) fits too.
Resist thickness is capped at the profile's aspect-ratio limit × CD where the profile's range
allows (only EUV's thinnest resist, 15 nm, can exceed 3 × CD at its smallest pitches).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from lto.atlas.policies import PROFILES as POLICY_PROFILES
from lto.daedalus.columns import PARAMETERS

SCHEMA = 1
TOLERANCE = 1e-9  # relative: a sampled point is always inside, whatever the rounding
MAX_GRID_NM = 100.0  # the coarsest grid a job may ask for (JobParameters.grid_size_nm)
DOMAIN_PROFILES: tuple[str, ...] = ("EUV", "ArF-immersion", "ArF-dry", "KrF")
ILLUMINATIONS: tuple[str, ...] = ("conventional", "annular", "dipole", "quadrupole")
PATTERNS: tuple[str, ...] = ("line_space", "contact_array", "line_end")
JOB_CLASSES: tuple[str, ...] = ("standard", "critical")
# the Sobol dimensions, in order
_DIMENSIONS: tuple[str, ...] = (
    "profile",
    "na",
    "sigma",
    "illumination",
    "sigma_inner",
    "pattern",
    "pitch",
    "cd",
    "pixels",
    "thickness",
    "focus",
    "dose_ratio",
    "job_class",
)

Interval = tuple[float, float]


@dataclass(frozen=True)
class ProfileRanges:
    """What the domain holds for one constraint profile (numbers copied from the policy, so a
    saved domain does not change when the policy does)."""

    name: str
    wavelength_nm: float
    na: Interval
    resist_thickness_nm: Interval
    dose_mj_cm2: Interval
    required_dof_nm: float
    max_aspect_ratio: float
    polarization: str  # the technology's default; the only one the domain holds

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "wavelength_nm": self.wavelength_nm,
            "na": list(self.na),
            "resist_thickness_nm": list(self.resist_thickness_nm),
            "dose_mj_cm2": list(self.dose_mj_cm2),
            "required_dof_nm": self.required_dof_nm,
            "max_aspect_ratio": self.max_aspect_ratio,
            "polarization": self.polarization,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProfileRanges:
        where = f"surrogate domain profile {data.get('name', '?')!r}"
        return cls(
            name=str(_require(data, "name", where)),
            wavelength_nm=float(_require(data, "wavelength_nm", where)),
            na=_interval(_require(data, "na", where), f"{where}: na"),
            resist_thickness_nm=_interval(
                _require(data, "resist_thickness_nm", where), f"{where}: resist_thickness_nm"
            ),
            dose_mj_cm2=_interval(_require(data, "dose_mj_cm2", where), f"{where}: dose_mj_cm2"),
            required_dof_nm=float(_require(data, "required_dof_nm", where)),
            max_aspect_ratio=float(_require(data, "max_aspect_ratio", where)),
            polarization=str(_require(data, "polarization", where)),
        )


@dataclass(frozen=True)
class SurrogateDomain:
    """Per-profile NA, thickness and dose ranges, and the ranges all profiles share."""

    profiles: tuple[ProfileRanges, ...]
    sigma: Interval = (0.3, 0.95)
    sigma_inner_fraction: Interval = (0.5, 0.8)  # of σ, for annular, dipole and quadrupole
    illuminations: tuple[str, ...] = ILLUMINATIONS
    patterns: tuple[str, ...] = PATTERNS
    pitch_over_limit: Interval = (1.1, 4.0)  # pitch / (λ/(NA(1+σ)))
    cd_over_pitch: Interval = (0.3, 0.6)
    pixels_per_pitch: Interval = (8.0, 96.0)
    focus_over_required_dof: float = 1.0
    dose_ratio: Interval = (0.75, 1.25)  # × the job's own dose to size
    critical_share: float = 0.2
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.profiles:
            raise ValueError("surrogate domain: needs at least one profile")
        object.__setattr__(self, "_index", {p.name: i for i, p in enumerate(self.profiles)})

    def profile(self, name: str) -> ProfileRanges:
        return self.profiles[self._index[name]]

    @property
    def profile_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.profiles)

    # --- sampling ------------------------------------------------------------------------------

    def sample(self, n: int, seed: int) -> pd.DataFrame:
        """``n`` points of a scrambled Sobol sequence over the domain, reproducible for a seed:
        the ``columns.PARAMETERS`` (dose NaN: the builder sets it) and ``dose_ratio``."""
        if n < 0:
            raise ValueError(f"n: must be ≥ 0 (got {n})")
        columns = [*PARAMETERS, "dose_ratio"]
        if n == 0:
            return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in columns})
        sobol = qmc.Sobol(len(_DIMENSIONS), scramble=True, seed=seed)
        u = sobol.random_base2(max(math.ceil(math.log2(n)), 0))[:n]
        dim = {name: u[:, i] for i, name in enumerate(_DIMENSIONS)}

        profile_index = _level(dim["profile"], len(self.profiles))
        table = self._profile_table()
        lam = table["wavelength_nm"][profile_index]
        na = _scale(dim["na"], table["na_low"][profile_index], table["na_high"][profile_index])
        sigma = _scale(dim["sigma"], *self.sigma)
        illumination = np.asarray(self.illuminations)[
            _level(dim["illumination"], len(self.illuminations))
        ]
        inner = sigma * _scale(dim["sigma_inner"], *self.sigma_inner_fraction)
        sigma_inner = np.where(illumination == "conventional", 0.0, inner)
        pattern = np.asarray(self.patterns)[_level(dim["pattern"], len(self.patterns))]

        limit = lam / (na * (1.0 + sigma))
        pitch = limit * _scale(dim["pitch"], *self.pitch_over_limit)
        low_px, high_px = self.pixels_per_pitch
        wanted = np.floor(low_px * ((high_px + 1) / low_px) ** dim["pixels"])
        wanted = np.clip(wanted, math.ceil(low_px), math.floor(high_px))
        coarsest = np.minimum(lam / (4.0 * na), MAX_GRID_NM)
        pixels = np.maximum(wanted, np.ceil(pitch / coarsest * (1 - TOLERANCE)))
        grid = pitch / pixels
        # the CD a whole number of pixels, inside the CD/pitch range where one fits
        low_cd, high_cd = self.cd_over_pitch
        cd_px = np.round(_scale(dim["cd"], low_cd, high_cd) * pixels)
        fewest, most = np.ceil(low_cd * pixels - 1e-9), np.floor(high_cd * pixels + 1e-9)
        cd_px = np.where(fewest <= most, np.clip(cd_px, fewest, most), cd_px)
        cd_px = np.clip(cd_px, 1, pixels - 1)
        cd = cd_px * grid

        thin, thick = table["thickness_low"][profile_index], table["thickness_high"][profile_index]
        cap = np.clip(table["max_aspect_ratio"][profile_index] * cd, thin, thick)
        thickness = _scale(dim["thickness"], thin, cap)
        dof = table["required_dof_nm"][profile_index] * self.focus_over_required_dof
        focus = _scale(dim["focus"], -dof, dof)
        job_class = np.where(dim["job_class"] < self.critical_share, "critical", "standard")

        return pd.DataFrame(
            {
                "profile": np.asarray(self.profile_names)[profile_index],
                "wavelength_nm": lam,
                "na": na,
                "sigma": sigma,
                "sigma_inner": sigma_inner,
                "illumination": illumination,
                "pattern": pattern,
                "pitch_nm": pitch,
                "target_cd_nm": cd,
                "grid_size_nm": grid,
                "resist_thickness_nm": thickness,
                "focus_nm": focus,
                "dose_mj_cm2": np.full(n, np.nan),
                "job_class": job_class,
                "dose_ratio": _scale(dim["dose_ratio"], *self.dose_ratio),
            },
            columns=columns,
        )

    # --- membership ----------------------------------------------------------------------------

    def inside(self, frame: Table) -> np.ndarray:
        """Whether each row of ``frame`` (``columns.PARAMETERS``) lies inside the domain."""
        arrays = _arrays(frame)
        outside = np.zeros(_length(arrays), dtype=bool)
        for mask, _ in self._checks(arrays):
            outside |= mask
        return ~outside

    def violations(self, frame: Table) -> list[list[str]]:
        """For each row of ``frame``, the reasons it lies outside the domain (empty: inside),
        each naming the field, its value and the domain's range."""
        arrays = _arrays(frame)
        found: list[list[str]] = [[] for _ in range(_length(arrays))]
        for mask, message in self._checks(arrays):
            for i in np.flatnonzero(mask).tolist():
                found[i].append(message(i))
        return found

    def _checks(self, table: Table) -> Iterator[tuple[np.ndarray, Callable[[int], str]]]:
        """(rows breaking a rule, the message for row i), rule by rule. Masks are numpy; the
        messages read Python lists (formatting numpy scalars is several times slower)."""
        missing = [c for c in PARAMETERS if c not in table and c != "job_class"]
        if missing:
            raise ValueError(f"surrogate domain: the frame lacks the columns {', '.join(missing)}")
        frame = _arrays(table)
        names = self.profile_names
        profile = frame["profile"].astype(str)
        index = np.full(len(profile), -1)
        for i, name in enumerate(names):
            index[profile == name] = i
        known = index >= 0
        at = np.where(known, index, 0)
        table = {key: np.where(known, v[at], np.nan) for key, v in self._profile_table().items()}
        x = {c: frame[c].astype(float) for c in _NUMERIC}
        xs = _Lists(x)
        ts = _Lists(table)
        ps = profile.tolist()
        at_list = at.tolist()

        listed = ", ".join(names)
        yield ~known, lambda i: f"profile {ps[i]!r} is not in the domain ({listed})"

        def per_profile(
            column: str, low: str, high: str, unit: str = ""
        ) -> tuple[np.ndarray, Callable[[int], str]]:
            mask = known & ~_within(x[column], table[low], table[high])
            ranges = self._profile_table()
            where = [
                f"{name}'s {_range(lo, hi)}{unit}"
                for name, lo, hi in zip(names, ranges[low], ranges[high], strict=True)
            ]
            return mask, lambda i: _outside(column, xs[column][i], where[at_list[i]])

        wrong_lam = known & ~_within(
            x["wavelength_nm"], table["wavelength_nm"], table["wavelength_nm"]
        )
        yield (
            wrong_lam,
            lambda i: _outside(
                "wavelength_nm", xs["wavelength_nm"][i], f"{ps[i]}'s {ts['wavelength_nm'][i]:g} nm"
            ),
        )
        yield per_profile("na", "na_low", "na_high")
        yield per_profile("resist_thickness_nm", "thickness_low", "thickness_high", " nm")
        yield per_profile("dose_mj_cm2", "dose_low", "dose_high", " mJ/cm²")

        dof = table["required_dof_nm"] * self.focus_over_required_dof
        beyond = known & ~_within(x["focus_nm"], -dof, dof)
        yield (
            beyond,
            lambda i: (
                _missing("focus_nm")
                if math.isnan(xs["focus_nm"][i])
                else f"focus_nm {xs['focus_nm'][i]:g} is beyond "
                f"±{ts['required_dof_nm'][i] * self.focus_over_required_dof:g} nm "
                f"({ps[i]}'s required DoF)"
            ),
        )

        ceiling = np.maximum(table["thickness_low"], table["max_aspect_ratio"] * x["target_cd_nm"])
        too_tall = known & (x["resist_thickness_nm"] > ceiling * (1 + TOLERANCE))
        yield (
            too_tall,
            lambda i: (
                f"resist_thickness_nm {xs['resist_thickness_nm'][i]:g} is "
                f"{xs['resist_thickness_nm'][i] / xs['target_cd_nm'][i]:.3g}× the CD; the domain "
                f"covers at most {ts['max_aspect_ratio'][i]:g}× ({ps[i]}'s aspect ratio limit)"
            ),
        )

        if "polarization" in frame:
            chosen = frame["polarization"].astype(object)
            default = np.array([p.polarization for p in self.profiles], dtype=object)[at]
            other = known & ~pd.isna(chosen) & (chosen.astype(str) != default.astype(str))
            yield (
                other,
                lambda i: (
                    f"polarization {chosen[i]!r} is not {ps[i]}'s default {default[i]!r} "
                    "(the domain holds the default only)"
                ),
            )

        yield _shared("sigma", x["sigma"], xs["sigma"], self.sigma)

        illumination = frame["illumination"].astype(str)
        shapes = ", ".join(self.illuminations)
        unknown_shape = ~np.isin(illumination, self.illuminations)
        shape_list = illumination.tolist()  # Python str: a numpy scalar's repr is np.str_(…)
        yield (
            unknown_shape,
            lambda i: f"illumination {shape_list[i]!r} is not in the domain ({shapes})",
        )
        conventional = illumination == "conventional"
        inner = x["sigma_inner"]
        stray = conventional & ~(np.nan_to_num(inner, nan=0.0) == 0.0)
        yield (
            stray,
            lambda i: f"sigma_inner {xs['sigma_inner'][i]:g} given for conventional illumination",
        )
        fraction = inner / x["sigma"]
        low_f, high_f = self.sigma_inner_fraction
        off = ~unknown_shape & ~conventional & ~_within(fraction, low_f, high_f)
        yield (
            off,
            lambda i: (
                _missing("sigma_inner")
                if math.isnan(xs["sigma_inner"][i])
                else f"sigma_inner {xs['sigma_inner'][i]:g} is "
                f"{100 * xs['sigma_inner'][i] / xs['sigma'][i]:.3g}% of sigma; the domain covers "
                f"{100 * low_f:g}–{100 * high_f:g}% for {shape_list[i]} illumination"
            ),
        )

        pattern = frame["pattern"].astype(str)
        patterns = ", ".join(self.patterns)
        pattern_list = pattern.tolist()
        yield (
            ~np.isin(pattern, self.patterns),
            lambda i: f"pattern {pattern_list[i]!r} is not in the domain ({patterns})",
        )

        pitch, lam, na = x["pitch_nm"], x["wavelength_nm"], x["na"]
        ratio = pitch * na * (1.0 + x["sigma"]) / lam
        rs = _Lists({"ratio": ratio})
        low_r, high_r = self.pitch_over_limit
        yield (
            ~_within(ratio, low_r, high_r),
            lambda i: (
                _missing("pitch_nm")
                if math.isnan(rs["ratio"][i])
                else f"pitch_nm {xs['pitch_nm'][i]:g} is {rs['ratio'][i]:.3g}× the resolution "
                f"limit; the domain covers {low_r:g}–{high_r:g}×"
            ),
        )

        duty = x["target_cd_nm"] / pitch
        low_d, high_d = self.cd_over_pitch
        yield (
            ~_within(duty, low_d, high_d),
            lambda i: (
                _missing("target_cd_nm")
                if math.isnan(xs["target_cd_nm"][i] / xs["pitch_nm"][i])
                else f"target_cd_nm {xs['target_cd_nm'][i]:g} is "
                f"{100 * xs['target_cd_nm'][i] / xs['pitch_nm'][i]:.3g}% of the pitch; the domain "
                f"covers {100 * low_d:g}–{100 * high_d:g}%"
            ),
        )

        grid = x["grid_size_nm"]
        low_p, high_p = self.pixels_per_pitch
        yield (
            ~_within(pitch / grid, low_p, high_p),
            lambda i: (
                _missing("grid_size_nm")
                if math.isnan(xs["pitch_nm"][i] / xs["grid_size_nm"][i])
                else f"grid_size_nm {xs['grid_size_nm'][i]:g} gives "
                f"{xs['pitch_nm'][i] / xs['grid_size_nm'][i]:.3g} pixels per pitch; the domain "
                f"covers {low_p:g}–{high_p:g}"
            ),
        )
        nyquist = lam / (4.0 * na)
        coarse = grid > np.minimum(nyquist, MAX_GRID_NM) * (1 + TOLERANCE)
        ns = _Lists({"nyquist": nyquist})
        yield (
            coarse,
            lambda i: (
                f"grid_size_nm {xs['grid_size_nm'][i]:g} is coarser than λ/(4·NA) = "
                f"{ns['nyquist'][i]:.4g} nm"
                if xs["grid_size_nm"][i] > ns["nyquist"][i] * (1 + TOLERANCE)
                else f"grid_size_nm {xs['grid_size_nm'][i]:g} is coarser than {MAX_GRID_NM:g} nm"
            ),
        )

    # --- derived domains -----------------------------------------------------------------------

    def with_observed_doses(self, frame: pd.DataFrame) -> SurrogateDomain:
        """This domain with each profile's dose range set to the doses ``frame`` holds for it
        (profiles without a finite dose there keep theirs)."""
        profiles = []
        doses = frame["dose_mj_cm2"].to_numpy(float)
        names = frame["profile"].astype(str).to_numpy()
        for p in self.profiles:
            mine = doses[(names == p.name) & np.isfinite(doses)]
            if mine.size:
                p = replace(p, dose_mj_cm2=(float(mine.min()), float(mine.max())))
            profiles.append(p)
        return replace(self, profiles=tuple(profiles))

    def _profile_table(self) -> dict[str, np.ndarray]:
        p = self.profiles
        return {
            "wavelength_nm": np.array([q.wavelength_nm for q in p]),
            "na_low": np.array([q.na[0] for q in p]),
            "na_high": np.array([q.na[1] for q in p]),
            "thickness_low": np.array([q.resist_thickness_nm[0] for q in p]),
            "thickness_high": np.array([q.resist_thickness_nm[1] for q in p]),
            "dose_low": np.array([q.dose_mj_cm2[0] for q in p]),
            "dose_high": np.array([q.dose_mj_cm2[1] for q in p]),
            "required_dof_nm": np.array([q.required_dof_nm for q in p]),
            "max_aspect_ratio": np.array([q.max_aspect_ratio for q in p]),
        }

    # --- JSON ----------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "profiles": [p.to_json() for p in self.profiles],
            "sigma": list(self.sigma),
            "sigma_inner_fraction": list(self.sigma_inner_fraction),
            "illuminations": list(self.illuminations),
            "patterns": list(self.patterns),
            "pitch_over_limit": list(self.pitch_over_limit),
            "cd_over_pitch": list(self.cd_over_pitch),
            "pixels_per_pitch": list(self.pixels_per_pitch),
            "focus_over_required_dof": self.focus_over_required_dof,
            "dose_ratio": list(self.dose_ratio),
            "critical_share": self.critical_share,
        }

    @classmethod
    def from_json(cls, data: Any) -> SurrogateDomain:
        where = "surrogate domain"
        if not isinstance(data, Mapping):
            raise ValueError(f"{where}: expected a JSON object, got {type(data).__name__}")
        schema = _require(data, "schema", where)
        if schema != SCHEMA:
            raise ValueError(f"{where}: schema {schema!r} is not the supported {SCHEMA}")
        profiles = _require(data, "profiles", where)
        if not isinstance(profiles, list) or not profiles:
            raise ValueError(f"{where}: 'profiles' must be a non-empty list")
        try:
            return cls(
                profiles=tuple(ProfileRanges.from_json(_mapping(p, where)) for p in profiles),
                sigma=_interval(_require(data, "sigma", where), f"{where}: sigma"),
                sigma_inner_fraction=_interval(
                    _require(data, "sigma_inner_fraction", where), f"{where}: sigma_inner_fraction"
                ),
                illuminations=tuple(str(s) for s in _require(data, "illuminations", where)),
                patterns=tuple(str(s) for s in _require(data, "patterns", where)),
                pitch_over_limit=_interval(
                    _require(data, "pitch_over_limit", where), f"{where}: pitch_over_limit"
                ),
                cd_over_pitch=_interval(
                    _require(data, "cd_over_pitch", where), f"{where}: cd_over_pitch"
                ),
                pixels_per_pitch=_interval(
                    _require(data, "pixels_per_pitch", where), f"{where}: pixels_per_pitch"
                ),
                focus_over_required_dof=float(_require(data, "focus_over_required_dof", where)),
                dose_ratio=_interval(_require(data, "dose_ratio", where), f"{where}: dose_ratio"),
                critical_share=float(_require(data, "critical_share", where)),
            )
        except (TypeError, ValueError) as exc:
            if str(exc).startswith("surrogate domain"):
                raise
            raise ValueError(f"{where}: {exc}") from exc


Table = pd.DataFrame | Mapping[str, Any]  # columns by name: a frame, or arrays (no pandas cost)


def _arrays(table: Table) -> dict[str, np.ndarray]:
    """Each column once as a numpy array: pandas indexing costs ~0.1 ms a column, too much for a
    single prediction's budget."""
    if isinstance(table, pd.DataFrame):
        return {str(c): table[c].to_numpy() for c in table.columns}
    return {str(c): np.asarray(v) for c, v in table.items()}


def _length(arrays: Mapping[str, np.ndarray]) -> int:
    return len(next(iter(arrays.values()))) if arrays else 0


def default_domain() -> SurrogateDomain:
    """The domain of the module docstring, dose ranges the profiles' policy ranges."""
    profiles = []
    for name in DOMAIN_PROFILES:
        policy = POLICY_PROFILES[name]
        tech = policy.technology
        profiles.append(
            ProfileRanges(
                name=name,
                wavelength_nm=tech.wavelength_nm,
                na=(policy.na.low, min(policy.na.high, tech.max_na.value)),
                resist_thickness_nm=(
                    policy.resist_thickness_nm.low,
                    policy.resist_thickness_nm.high,
                ),
                dose_mj_cm2=(policy.dose_mj_cm2.low, policy.dose_mj_cm2.high),
                required_dof_nm=policy.required_dof_nm,
                max_aspect_ratio=policy.max_aspect_ratio,
                polarization=tech.default_polarization,
            )
        )
    return SurrogateDomain(profiles=tuple(profiles))


# --- helpers ---------------------------------------------------------------------------------

_NUMERIC = frozenset(
    c for c in PARAMETERS if c not in ("profile", "illumination", "pattern", "job_class")
)


def _dtype(column: str) -> str:
    return "float64" if column in _NUMERIC or column == "dose_ratio" else "str"


def _level(u: np.ndarray, levels: int) -> np.ndarray:
    return np.minimum(np.floor(u * levels).astype(int), levels - 1)


def _scale(u: np.ndarray, low: Any, high: Any) -> np.ndarray:
    return np.asarray(low + u * (np.asarray(high) - low), dtype=float)


def _within(values: np.ndarray, low: Any, high: Any) -> np.ndarray:
    """low ≤ values ≤ high to a relative ``TOLERANCE``; NaN is outside."""
    low, high = np.asarray(low, float), np.asarray(high, float)
    with np.errstate(invalid="ignore"):
        return (values >= low - TOLERANCE * np.abs(low)) & (
            values <= high + TOLERANCE * np.abs(high)
        )


def _range(low: float, high: float) -> str:
    return f"{low:g}–{high:g}"


def _missing(column: str) -> str:
    return f"{column} is missing (NaN)"


def _outside(column: str, value: float, where: str) -> str:
    return _missing(column) if math.isnan(value) else f"{column} {value:g} outside {where}"


def _shared(
    column: str, values: np.ndarray, listed: list[float], bounds: Interval
) -> tuple[np.ndarray, Callable[[int], str]]:
    low, high = bounds
    return ~_within(values, low, high), lambda i: _outside(
        column, listed[i], f"the domain's {_range(low, high)}"
    )


class _Lists(dict[str, list[Any]]):
    """Arrays as Python lists, converted when a message first asks for them."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        super().__init__()
        self._arrays = arrays

    def __missing__(self, key: str) -> list[Any]:
        self[key] = value = self._arrays[key].tolist()
        return value


def _require(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise ValueError(f"{where}: missing {key!r}")
    return data[key]


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: each profile must be a JSON object, got {value!r}")
    return value


def _interval(value: Any, where: str) -> Interval:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected [low, high], got {value!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ValueError(f"{where}: expected finite low ≤ high, got {value!r}")
    return (low, high)


__all__ = ["DOMAIN_PROFILES", "ProfileRanges", "SurrogateDomain", "default_domain"]
