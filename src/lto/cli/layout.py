"""``lto simulate --layout``: image a window of a GDSII/OASIS layout instead of a drawn pattern.

The flags name a file, a cell, a layer and a window; ``LayoutClips`` turns them into the clip the
physics images and the cut line its CD is measured on, for the job's grid and mask absorber.
Everything about the file is checked when the flags are read (``layout_clips``), so a wrong
cell, layer or window fails in a second with a one-line message, not after the physics ran.

Conventions: coordinates in nm in the layout's frame (its database unit converted). The window
is one period of the imaging, which tiles it, so leave a margin around isolated shapes. CD is
measured along x through the point ``measure`` (the window's centre by default), which must
lie at the centre of the feature to measure: on a polygon's interior for the polygon's width,
or between polygons for the gap's. Whether that feature prints as resist or as a cleared
space follows from the mask there (absorber → resist, as for a positive resist).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click

from lto.cli.errors import CliError, ExitCode
from lto.cli.options import apply_options

if TYPE_CHECKING:
    from lto.atlas.contracts import JobParameters
    from lto.matrix.fem import CutLine
    from lto.matrix.masks import Clip, Window

Tone = Literal["dark", "clear"]
F = TypeVar("F", bound=Callable[..., Any])
_MAX_LAYER = 65535  # GDSII stores layer and datatype as 16-bit integers
LAYOUT_FLAGS = ("cell", "layer", "window", "measure")  # meaningless without --layout


def layout_options(function: F) -> F:
    """The ``--layout`` flags, as one click decorator (only click is imported: fast --help)."""
    decorators = [
        click.option(
            "--layout",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Image a window of this GDSII (.gds) or OASIS (.oas) layout instead of "
            "--pattern; --pitch and --cd then describe the measured feature.",
        ),
        click.option("--cell", help="Layout cell (default: the only top cell)."),
        click.option(
            "--layer", help="Layer to image, LAYER or LAYER/DATATYPE (default: the only one)."
        ),
        click.option(
            "--window",
            help="The period to image, x0,y0,x1,y1 in nm of layout coordinates "
            "(default: the layer's bounding box). The imaging repeats it: leave a margin.",
        ),
        click.option(
            "--measure",
            help="x,y in nm at the centre of the feature whose CD is measured along x "
            "(default: the window's centre).",
        ),
        click.option(
            "--tone",
            type=click.Choice(["dark", "clear"]),
            default="dark",
            show_default=True,
            help="dark: the polygons are absorber on clear glass; clear: they are openings.",
        ),
    ]
    return apply_options(function, decorators)


def parse_layer(text: str) -> tuple[int, int]:
    """``"L"`` or ``"L/D"`` as (layer, datatype); datatype 0 when omitted."""
    parts = text.strip().split("/")
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (1, 2) or not all(0 <= n <= _MAX_LAYER for n in numbers):
        raise CliError(
            f"--layer: must be LAYER or LAYER/DATATYPE, integers 0-{_MAX_LAYER} (got {text!r})",
            ExitCode.BAD_INPUT,
        )
    return numbers[0], numbers[1] if len(numbers) == 2 else 0


def parse_numbers(text: str, count: int, flag: str, meaning: str) -> tuple[float, ...]:
    """``count`` comma-separated finite numbers (nm), or a CliError naming the flag."""
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        values = ()
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise CliError(
            f"{flag}: must be {count} comma-separated numbers {meaning} in nm (got {text!r})",
            ExitCode.BAD_INPUT,
        )
    return values


@dataclass(frozen=True)
class LayoutClips:
    """A checked layout window, drawn for a job on demand (``PhysicsSettings.clips``).

    Called with a mask CD other than the job's target (the MEEF step), it biases the polygons
    so that the measured feature's width changes by the difference: a dark polygon measured as
    resist, or an opening measured as a space, grows with the bias; a gap between polygons
    shrinks, so its polygons are biased the other way.
    """

    path: Path
    layer: int
    datatype: int
    cell: str | None
    window_nm: Window
    measure_nm: tuple[float, float]
    tone: Tone = "dark"
    focus_points: int = 11  # for the memory estimate: one stored image per focus

    def shape(self, pixel_nm: float) -> tuple[int, int]:
        """Pixels (rows, columns) of the window at ``pixel_nm``, without drawing it."""
        from lto.matrix.masks import fit_pixel

        x0, y0, x1, y1 = self.window_nm
        _, (nx, ny) = fit_pixel(
            [("window width", x1 - x0), ("window height", y1 - y0)], pixel_nm, where="window"
        )
        return (ny, nx)

    def check_memory(self, pixel_nm: float) -> None:
        """Refuse a window too large for free memory before drawing it: a 10 µm window at 1 nm
        is 10⁸ pixels. The window is the layout's clip, so ``preflight.check_memory``, which
        sizes the job's drawn pattern, cannot see it."""
        from lto.cli.preflight import GIB, available_bytes, estimate_bytes

        free = available_bytes()
        shape = self.shape(pixel_nm)
        need = estimate_bytes(shape, self.focus_points)
        if free is not None and need > 0.8 * free:
            raise CliError(
                f"--window: {shape[0]}×{shape[1]} pixels at {pixel_nm:g} nm with "
                f"{self.focus_points} focus points need about {need / GIB:.1f} GiB; "
                f"{free / GIB:.1f} GiB is free. Use a smaller --window or a coarser --grid",
                ExitCode.TOO_LARGE,
            )

    def __call__(
        self,
        job: JobParameters,
        cd_nm: float | None = None,
        *,
        kind: str = "binary",
        transmission: float = 0.06,
    ) -> tuple[Clip, CutLine]:
        self.check_memory(job.grid_size_nm)
        clip = self._read(job.grid_size_nm, kind, transmission, bias_nm=0.0)
        cut = self.cut_line(clip)
        if cd_nm is None or cd_nm == job.target_cd_nm:
            return clip, cut
        measures_polygon = (cut.feature == "resist") == (self.tone == "dark")
        change = cd_nm - job.target_cd_nm
        biased = self._read(
            job.grid_size_nm, kind, transmission, bias_nm=change if measures_polygon else -change
        )
        return biased, cut

    def _read(self, pixel_nm: float, kind: str, transmission: float, *, bias_nm: float) -> Clip:
        from lto.matrix.masks import read_layout

        return read_layout(
            self.path, layer=self.layer, datatype=self.datatype, pixel_nm=pixel_nm,
            window_nm=self.window_nm, cell=self.cell, dark_features=self.tone == "dark",
            kind=kind, transmission=transmission, bias_nm=bias_nm,
        )  # fmt: skip

    def cut_line(self, clip: Clip) -> CutLine:
        """The row(s) through the measure point (two rows when it lies on their boundary) and
        the feature there: absorber prints as resist, clear glass as a space."""
        import numpy as np

        from lto.matrix.fem import CutLine

        x0, y0 = self.window_nm[0], self.window_nm[1]
        ny, nx = clip.shape
        position = (self.measure_nm[1] - y0) / clip.pixel_nm
        nearest = round(position)
        if abs(position - nearest) < 1e-9 and 0 < nearest < ny:
            rows: tuple[int, ...] = (nearest - 1, nearest)
        else:
            rows = (min(max(int(np.floor(position)), 0), ny - 1),)
        center = self.measure_nm[0] - x0
        column = min(max(int(np.floor(center / clip.pixel_nm)), 0), nx - 1)
        magnitude = np.abs(clip.transmission[list(rows)]).mean(axis=0)
        amplitude = float(magnitude[column])
        dark, clear = float(magnitude.min()), float(magnitude.max())

        def share(x_nm: float) -> float:  # 0 on absorber, 1 on glass
            index = int(np.floor(x_nm / clip.pixel_nm)) % nx
            return (float(magnitude[index]) - dark) / (clear - dark) if clear > dark else 1.0

        sides = [share(center - clip.pixel_nm), share(center), share(center + clip.pixel_nm)]
        if any(0.05 < v < 0.95 for v in sides) or len({v > 0.5 for v in sides}) > 1:
            raise ValueError(
                f"--measure {self.measure_nm[0]:g},{self.measure_nm[1]:g}: lies on a feature's "
                "edge (within a pixel of it); give a point inside a line or a space"
            )
        return CutLine(rows, center, "resist" if amplitude < 0.5 else "space")


def layout_clips(
    path: Path,
    *,
    layer: str | None,
    cell: str | None,
    window: str | None,
    measure: str | None,
    tone: Tone,
    focus_points: int = 11,
) -> LayoutClips:
    """Read and check the ``--layout`` flags; every error is a CliError (exit 2) naming the
    flag or the file and the rule. Without ``--layer`` the cell's only layer is used."""
    from lto.matrix.masks import layout_layers, layout_window

    try:
        if layer is None:
            layer_datatype = _only_layer(path, layout_layers(path, cell=cell))
        else:
            layer_datatype = parse_layer(layer)
        bounds = parse_numbers(window, 4, "--window", "x0,y0,x1,y1") if window else None
        frame = layout_window(
            path, layer=layer_datatype[0], datatype=layer_datatype[1], cell=cell,
            window_nm=bounds,  # type: ignore[arg-type]  # four numbers, checked above
        )  # fmt: skip
    except (ValueError, OSError) as exc:
        raise CliError(_as_flag_message(exc), ExitCode.BAD_INPUT) from exc
    point = _measure_point(measure, frame)
    return LayoutClips(path, *layer_datatype, cell, frame, point, tone, focus_points)


def _only_layer(path: Path, layers: list[tuple[int, int]]) -> tuple[int, int]:
    if len(layers) == 1:
        return layers[0]
    listed = ", ".join(f"{a}/{b}" for a, b in layers) or "none"
    raise CliError(
        f"--layer: {path.name} has polygons on {len(layers)} layers ({listed}); name one",
        ExitCode.BAD_INPUT,
    )


def _measure_point(measure: str | None, frame: Window) -> tuple[float, float]:
    x0, y0, x1, y1 = frame
    if measure is None:
        return ((x0 + x1) / 2, (y0 + y1) / 2)
    x, y = parse_numbers(measure, 2, "--measure", "x,y")
    if not (x0 <= x < x1 and y0 <= y < y1):
        raise CliError(
            f"--measure: ({x:g}, {y:g}) must lie inside the window "
            f"({x0:g}, {y0:g}, {x1:g}, {y1:g}) nm",
            ExitCode.BAD_INPUT,
        )
    return (x, y)


_FIELD_TO_FLAG = {"layout": "--layout", "cell": "--cell", "layer": "--layer", "window": "--window"}


def _as_flag_message(exc: BaseException) -> str:
    """The masks module names its fields (``cell: …``); the user typed flags (``--cell: …``)."""
    text = str(exc)
    field, separator, rest = text.partition(": ")
    if separator and field in _FIELD_TO_FLAG:
        return f"{_FIELD_TO_FLAG[field]}: {rest}"
    return f"--layout: {text}"


def layout_clips_from(options: dict[str, Any]) -> LayoutClips | None:
    """The checked layout of the command's options, or None without ``--layout``; the other
    layout flags alone are refused rather than silently ignored."""
    path = options.get("layout")
    if path is None:
        stray = [f"--{name}" for name in LAYOUT_FLAGS if options.get(name) is not None]
        if options.get("tone", "dark") != "dark":
            stray.append("--tone")
        if stray:
            verb = "needs" if len(stray) == 1 else "need"
            raise CliError(f"{', '.join(stray)} {verb} --layout", ExitCode.BAD_INPUT)
        return None
    return layout_clips(
        Path(path),
        layer=options.get("layer"),
        cell=options.get("cell"),
        window=options.get("window"),
        measure=options.get("measure"),
        tone=options.get("tone", "dark"),
        focus_points=options.get("focus_points", 11),
    )
