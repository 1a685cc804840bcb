"""The flags ``lto simulate`` and ``lto sweep`` share, as click decorators.

Only click is imported here: ``lto --help`` must stay fast. The values are checked for form
(``9=0.02``, ``60:200:10``) by the parameter types below; whether they make physical sense is
checked later, by the contracts and the physics, which know the rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


class ZernikeTerm(click.ParamType):
    """``INDEX=WAVES``: one Fringe Zernike coefficient, e.g. ``9=0.02`` (spherical, 0.02 λ)."""

    name = "INDEX=WAVES"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        index, sep, waves = str(value).partition("=")
        try:
            term = (int(index), float(waves))
        except ValueError:
            term = None
        if not sep or term is None or not 1 <= term[0] <= 16 or not math.isfinite(term[1]):
            self.fail(
                f"{value!r}: write a Fringe Zernike index 1…16 and finite waves, like 9=0.02",
                param, ctx,
            )  # fmt: skip
        return term


class Span(click.ParamType):
    """``LOW:HIGH`` (two numbers, LOW < HIGH), e.g. ``--dose-range 30:50``; ``positive`` spans
    (doses) need LOW > 0."""

    name = "LOW:HIGH"

    def __init__(self, *, positive: bool = False) -> None:
        self.positive = positive

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        parts = str(value).split(":")
        try:
            low, high = (float(p) for p in parts)
        except ValueError:
            self.fail(f"{value!r}: write two numbers, like 30:50", param, ctx)
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            self.fail(f"{value!r}: need finite LOW < HIGH", param, ctx)
        if self.positive and not low > 0:
            self.fail(f"{value!r}: doses must be > 0", param, ctx)
        return (low, high)


def apply_options(function: F, decorators: list[Callable[[F], F]]) -> F:
    """``function`` under ``decorators``, the first one outermost (as if stacked in order)."""
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def job_options(function: F) -> F:
    """The job: a parameter file and flags that override it (JobParameters fields)."""
    return apply_options(
        function,
        [
            click.option(
                "--params",
                "params_file",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="JSON file of job parameters; flags override it.",
            ),
            click.option("--na", type=float, help="Numerical aperture."),
            click.option("--wavelength", help='Wavelength, e.g. "193 nm" or 13.5.'),
            click.option("--dose", help='Dose, e.g. "30 mJ/cm^2" or 30.'),
            click.option("--sigma", type=float, help="Outer partial coherence."),
            click.option(
                "--sigma-inner", type=float, help="Inner sigma (annular, dipole, quadrupole)."
            ),
            click.option(
                "--illumination",
                type=click.Choice(["conventional", "annular", "dipole", "quadrupole"]),
            ),
            click.option("--thickness", help='Resist thickness, e.g. "90 nm".'),
            click.option("--grid", help='Simulation pixel, e.g. "1 nm".'),
            click.option("--cd", help='Target CD, e.g. "40 nm".'),
            click.option("--pitch", help='Pitch, e.g. "80 nm".'),
            click.option("--focus", help='Focus, + into the resist, e.g. "-20 nm".'),
            click.option(
                "--pattern", type=click.Choice(["line_space", "contact_array", "line_end"])
            ),
            click.option(
                "--polarization",
                type=click.Choice(
                    ["scalar", "unpolarized", "TE", "TM", "x", "y", "azimuthal", "radial"]
                ),
                help="Imaging model: scalar, or the vector model with this illumination "
                "polarisation (TE/TM relative to lines along y). Default: the technology's "
                "(azimuthal for ArF immersion, unpolarized otherwise).",
            ),
            click.option(
                "--profile",
                help="Constraint profile, e.g. ArF-immersion (default: inferred from λ and NA).",
            ),
            click.option("--submitted-by", help="Who asks (default: cli)."),
        ],
    )


def physics_options(function: F) -> F:
    """How the built-in physics runs: the matrix, the optics, the mask, the source, the resist."""
    return apply_options(
        function,
        [
            click.option(
                "--focus-points",
                type=click.IntRange(3, 101),
                default=11,
                show_default=True,
                help="Focus steps of the matrix.",
            ),
            click.option(
                "--dose-points",
                type=click.IntRange(3, 101),
                default=11,
                show_default=True,
                help="Dose steps of the matrix.",
            ),
            click.option(
                "--method",
                type=click.Choice(["hopkins", "abbe"]),
                default="hopkins",
                show_default=True,
            ),
            click.option(
                "--zernike",
                "zernikes",
                type=ZernikeTerm(),
                multiple=True,
                help="Lens aberration, Fringe index=waves, e.g. 9=0.02; repeat for more terms.",
            ),
            click.option(
                "--mask",
                "mask_kind",
                type=click.Choice(["binary", "att-psm"]),
                default="binary",
                show_default=True,
                help="Binary (chrome) or attenuated phase-shift absorber.",
            ),
            click.option(
                "--mask-transmission",
                type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
                help="Intensity transmission of the att-PSM absorber (default 0.06).",
            ),
            click.option(
                "--source-map",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="Pixelated source: a square .npy (or text) map over σ ∈ [−1, 1]², "
                "row = σy, column = σx; replaces --illumination's shape.",
            ),
            click.option(
                "--development",
                type=click.Choice(["threshold", "mack"]),
                default="threshold",
                show_default=True,
                help="Resist development model.",
            ),
            click.option(
                "--resist-diffusion",
                help='Acid diffusion length, e.g. "5 nm" (default: the technology\'s resist).',
            ),
            click.option("--resist-absorption", type=float, help="Resist absorption (1/µm)."),
            click.option("--dose-to-clear", help='Resist E0 as absorbed, e.g. "10 mJ/cm^2".'),
            click.option("--mack-n", type=float, help="Mack dissolution contrast n (> 1)."),
            click.option(
                "--dose-range",
                type=Span(positive=True),
                help="Dose span of the matrix in mJ/cm², e.g. 30:50 (default: found around "
                "the dose to size).",
            ),
            click.option(
                "--focus-range",
                type=Span(),
                help="Focus span of the matrix in nm, e.g. -150:150 (default: found around "
                "best focus).",
            ),
        ],
    )


def output_options(function: F) -> F:
    """Where pictures and tables go."""
    return apply_options(
        function,
        [
            click.option(
                "--plot",
                type=click.Path(file_okay=False, path_type=Path),
                help="Write PNG pictures (and the CSV tables) into this folder.",
            ),
            click.option(
                "--csv",
                "csv_dir",
                type=click.Path(file_okay=False, path_type=Path),
                help="Write the CSV tables into this folder.",
            ),
        ],
    )
