"""Mask clips: one period of a periodic pattern as a transmission array with its pixel size.

Pixels are area-weighted (anti-aliased): a pixel half covered by absorber transmits halfway
between clear and absorber. For rectilinear polygons the coverage is exact (each vertical edge
contributes a step in x times a box in y, summed by one matrix product); other polygons are
supersampled. Transmission: clear glass 1; the absorber 0 for a binary mask, or √T·e^{iπ} for an
attenuated phase-shift mask of intensity transmission T (6% is the usual choice).
Coordinates: nm, x along axis 1 (columns), y along axis 0 (rows), origin at the clip's corner.

Overlapping polygons are merged (their union, with gdstk's boolean operations) before the
coverage is computed, so a pixel is never covered more than once: layouts overlap shapes all the
time, and summing their coverages would darken half-covered pixels twice.

The grid: the imaging code assumes square pixels, one ``pixel_nm`` for both axes, and an FFT
period that is a whole number of pixels. Every builder here therefore uses the largest pixel no
coarser than the one asked for that fits every period of the clip a whole number of times
(``fit_pixel``); where that pixel would be more than ``MAX_PIXEL_SHRINK`` times finer than asked
(incommensurate periods: the grid, and the cost, would explode) it refuses with a ValueError that
names the periods and suggests a pixel that fits. A period is never stretched to fit the grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

Polygon = Sequence[tuple[float, float]]


@dataclass(frozen=True)
class Drawing:
    """What a clip was rasterised from, so that it can be drawn again on a finer grid."""

    polygons: tuple[Polygon, ...]
    dark_features: bool = True
    kind: str = "binary"
    transmission: float = 0.06


@dataclass(frozen=True, eq=False)
class Clip:
    transmission: NDArray[np.generic]  # real or complex, (ny, nx)
    pixel_nm: float
    description: str = ""
    drawing: Drawing | None = None

    def refined(self, factor: int) -> Clip:
        """The same period drawn with pixels ``factor`` times smaller (a discretisation reference)."""
        if self.drawing is None:
            raise ValueError("clip: it has no drawing to rasterise again; build it with drawn()")
        ny, nx = self.shape
        return drawn(
            self.drawing, (ny * factor, nx * factor), self.pixel_nm / factor, self.description
        )

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.transmission.shape[0]), int(self.transmission.shape[1]))

    @property
    def size_nm(self) -> tuple[float, float]:
        return (self.shape[0] * self.pixel_nm, self.shape[1] * self.pixel_nm)


def absorber_amplitude(kind: str = "binary", transmission: float = 0.06) -> complex:
    """Amplitude of the absorber: 0 (binary) or −√T (attenuated PSM, 180° phase)."""
    if kind == "binary":
        return 0.0
    if kind == "attenuated":
        if not 0 < transmission < 1:
            raise ValueError(f"transmission: must lie in (0, 1) (got {transmission})")
        return complex(-np.sqrt(transmission))
    raise ValueError(f"mask kind: must be 'binary' or 'attenuated' (got {kind!r})")


MAX_PIXEL_SHRINK = 2.0  # a finer pixel than 1/2 the requested one costs > 4x: refuse instead
_HINT_SHRINK = 64.0  # how far down the error message looks for a pixel to suggest
_FIT_TOLERANCE = 1e-9  # relative: a period within this of a whole number of pixels fits


def fit_pixel(
    periods_nm: Sequence[tuple[str, float]], pixel_nm: float, *, where: str
) -> tuple[float, tuple[int, ...]]:
    """The largest pixel ≤ ``pixel_nm`` that fits every named period a whole number of times.

    Returns the pixel and the pixel count of each period. Why "≤": the caller's pixel is the
    coarsest grid its sampling check (λ/(4·NA)) approved, so the grid is never made coarser.
    Why not one pixel per axis: the imaging code takes one square pixel. Raises ValueError naming
    ``where``, the periods and the rule when no pixel in [pixel_nm / MAX_PIXEL_SHRINK, pixel_nm]
    fits them all, with the largest pixel that would (if the periods are commensurate).
    """
    names = ", ".join(f"{name} = {size:g} nm" for name, size in periods_nm)
    if not (np.isfinite(pixel_nm) and pixel_nm > 0):
        raise ValueError(f"{where}: pixel_nm must be a finite number > 0 (got {pixel_nm})")
    for name, size in periods_nm:
        if not (np.isfinite(size) and size > 0):
            raise ValueError(f"{where}: {name} must be a finite number > 0 (got {size})")
    sizes = np.array([size for _, size in periods_nm], dtype=np.float64)
    counts = _fitting_counts(sizes, pixel_nm, MAX_PIXEL_SHRINK)
    if counts is None:
        hint = _fitting_counts(sizes, pixel_nm, _HINT_SHRINK)
        suggestion = (
            f"; the largest pixel that fits them all is {sizes[0] / hint[0]:.6g} nm"
            if hint is not None
            else f"; none does down to {pixel_nm / _HINT_SHRINK:g} nm (make them commensurate)"
        )
        raise ValueError(
            f"{where}: no pixel between {pixel_nm / MAX_PIXEL_SHRINK:g} and {pixel_nm:g} nm fits "
            f"every period a whole number of times ({names}); the imaging grid has one square "
            f"pixel and a period that is not a whole number of pixels would drift{suggestion}"
        )
    return float(sizes[0] / counts[0]), tuple(int(c) for c in counts)


def _fitting_counts(sizes: np.ndarray, pixel_nm: float, shrink: float) -> np.ndarray | None:
    """Pixel counts of each period for the largest fitting pixel in [pixel/shrink, pixel]."""
    first = sizes[0]
    low = max(1, int(np.ceil(first / pixel_nm * (1 - _FIT_TOLERANCE))))
    high = max(low, int(np.floor(first / pixel_nm * shrink)))  # a period under one pixel: 1
    for start in range(low, high + 1, 1 << 16):  # in blocks: huge windows stay bounded in memory
        counts = np.arange(start, min(start + (1 << 16), high + 1), dtype=np.float64)
        pixels = first / counts
        others = sizes[None, 1:] / pixels[:, None]
        whole = np.all(np.abs(others - np.round(others)) <= _FIT_TOLERANCE * others, axis=1)
        whole &= np.all(np.round(others) >= 1, axis=1)
        if whole.any():
            index = int(np.argmax(whole))
            return np.concatenate([[counts[index]], np.round(others[index])])
    return None


def _grid(size_nm: float, pixel_nm: float, name: str) -> tuple[int, float]:
    """Pixels across one period, and the pixel (≤ the requested one) that fits it exactly."""
    pixel, (count,) = fit_pixel([(name, size_nm)], pixel_nm, where=name)
    return count, pixel


def _overlap(edges: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Length of [low, high] inside each pixel [edges[i], edges[i+1]]: shape (len(low), pixels)."""
    left, right = edges[:-1][None, :], edges[1:][None, :]
    length = np.minimum(right, high[:, None]) - np.maximum(left, low[:, None])
    return np.asarray(np.clip(length, 0.0, None), dtype=np.float64)


def coverage_rectilinear(
    polygons: Sequence[Polygon], shape: tuple[int, int], pixel_nm: float
) -> np.ndarray:
    """Exact area fraction of each pixel covered by the union of rectilinear polygons (clipped to 1
    where polygons overlap)."""
    ny, nx = shape
    xs, ys = np.arange(nx + 1) * pixel_nm, np.arange(ny + 1) * pixel_nm
    total = np.zeros(shape)
    for polygon in polygons:
        points = np.asarray(polygon, dtype=np.float64)
        start, end = points, np.roll(points, -1, axis=0)
        diagonal = (start[:, 0] != end[:, 0]) & (start[:, 1] != end[:, 1])
        if diagonal.any():
            raise ValueError("polygon: not rectilinear; use coverage_supersampled")
        vertical = start[:, 0] == end[:, 0]
        x_edge = start[vertical, 0]
        y0, y1 = start[vertical, 1], end[vertical, 1]
        orientation = np.sign(
            np.sum(start[:, 0] * end[:, 1] - end[:, 0] * start[:, 1])
        )  # signed area
        sign = np.where(y1 > y0, -1.0, 1.0) * orientation
        in_x = np.clip(
            xs[1:][None, :] - np.maximum(x_edge[:, None], xs[:-1][None, :]), 0.0, pixel_nm
        )
        in_y = _overlap(ys, np.minimum(y0, y1), np.maximum(y0, y1))
        total += (in_y.T * sign[None, :]) @ in_x / pixel_nm**2
    return np.clip(total, 0.0, 1.0)


def coverage_supersampled(
    polygons: Sequence[Polygon], shape: tuple[int, int], pixel_nm: float, samples: int = 8
) -> np.ndarray:
    """Area fraction by counting ``samples``² points per pixel inside any polygon (any shape)."""
    from matplotlib.path import Path as PolygonPath

    ny, nx = shape
    offsets = (np.arange(samples) + 0.5) / samples
    px = ((np.arange(nx)[:, None] + offsets[None, :]) * pixel_nm).ravel()
    py = ((np.arange(ny)[:, None] + offsets[None, :]) * pixel_nm).ravel()
    gx, gy = np.meshgrid(px, py)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    inside = np.zeros(points.shape[0], dtype=bool)
    for polygon in polygons:
        inside |= PolygonPath(np.asarray(polygon, dtype=np.float64)).contains_points(points)
    return np.asarray(inside.reshape(ny, samples, nx, samples).mean(axis=(1, 3)), np.float64)


def _is_rectilinear(polygon: Polygon) -> bool:
    points = np.asarray(polygon, dtype=np.float64)
    following = np.roll(points, -1, axis=0)
    return bool(np.all((points[:, 0] == following[:, 0]) | (points[:, 1] == following[:, 1])))


def union(polygons: Sequence[Polygon]) -> list[Polygon]:
    """The polygons merged into non-overlapping ones (gdstk's boolean OR).

    Holes come back as keyhole polygons (the hole joined to the outline by a zero-width cut),
    which both coverage functions handle: the cut's two edges cancel. The snapping grid is
    1e-6 nm, far below any pixel, so the merged outline keeps the drawn coordinates.
    """
    if len(polygons) < 2:
        return list(polygons)
    import gdstk

    shapes = [gdstk.Polygon([(float(x), float(y)) for x, y in p]) for p in polygons if len(p) >= 3]
    merged = gdstk.boolean(shapes, [], "or", precision=_UNION_PRECISION_NM)
    return [[(float(x), float(y)) for x, y in shape.points] for shape in merged]


_UNION_PRECISION_NM = 1e-6


def coverage(polygons: Sequence[Polygon], shape: tuple[int, int], pixel_nm: float) -> np.ndarray:
    """Area fraction of each pixel covered by the union of the polygons.

    Exact for rectilinear polygons, supersampled for the others; after the union no two polygons
    share area, so the two parts add without double counting.
    """
    merged = union(polygons)
    rectilinear = [p for p in merged if _is_rectilinear(p)]
    other = [p for p in merged if not _is_rectilinear(p)]
    covered = coverage_rectilinear(rectilinear, shape, pixel_nm)
    if other:
        covered = covered + coverage_supersampled(other, shape, pixel_nm)
    return np.asarray(np.clip(covered, 0.0, 1.0), dtype=np.float64)


def rasterise(
    polygons: Sequence[Polygon],
    shape: tuple[int, int],
    pixel_nm: float,
    *,
    dark_features: bool = True,
    kind: str = "binary",
    transmission: float = 0.06,
) -> np.ndarray:
    """Transmission of polygons drawn as absorber on clear glass (``dark_features``) or as clear
    openings in absorber, with area-weighted pixels; overlapping polygons count once."""
    absorber = absorber_amplitude(kind, transmission)
    covered = coverage(polygons, shape, pixel_nm)
    feature, background = (absorber, 1.0) if dark_features else (1.0, absorber)
    result = background + (feature - background) * covered
    return result if kind == "attenuated" else result.real.astype(np.float64)


def drawn(drawing: Drawing, shape: tuple[int, int], pixel_nm: float, description: str) -> Clip:
    """Rasterise a drawing into a clip that remembers it."""
    mask = rasterise(
        drawing.polygons, shape, pixel_nm, dark_features=drawing.dark_features,
        kind=drawing.kind, transmission=drawing.transmission,
    )  # fmt: skip
    return Clip(mask, pixel_nm, description, drawing)


def line_space(
    pitch_nm: float,
    cd_nm: float,
    *,
    pixel_nm: float,
    rows: int = 1,
    kind: str = "binary",
    transmission: float = 0.06,
) -> Clip:
    """One period of dark lines (width ``cd_nm``, along y) on clear glass, the line centred."""
    if not 0 < cd_nm < pitch_nm:
        raise ValueError(f"cd_nm: must lie in (0, pitch_nm = {pitch_nm:g}) (got {cd_nm})")
    nx, pixel = _grid(pitch_nm, pixel_nm, "line_space")
    left = (pitch_nm - cd_nm) / 2
    rectangle = [
        (left, 0.0),
        (left, rows * pixel),
        (left + cd_nm, rows * pixel),
        (left + cd_nm, 0.0),
    ]
    drawing = Drawing((rectangle,), kind=kind, transmission=transmission)
    return drawn(
        drawing, (rows, nx), pixel, f"{cd_nm:g} nm lines at {pitch_nm:g} nm pitch ({kind})"
    )


def contact_array(
    pitch_x_nm: float,
    pitch_y_nm: float,
    size_x_nm: float,
    size_y_nm: float,
    *,
    pixel_nm: float,
    kind: str = "binary",
    transmission: float = 0.06,
) -> Clip:
    """One period of a contact-hole array: a clear rectangle centred in absorber.

    Both pitches are kept exactly: the pixel is the largest one ≤ ``pixel_nm`` that fits both a
    whole number of times (``fit_pixel``; 100 × 150 nm at 6 nm gets 50/9 = 5.556 nm pixels), and
    incommensurate pitches are refused rather than drawn at a drifted period.
    """
    if not (0 < size_x_nm < pitch_x_nm and 0 < size_y_nm < pitch_y_nm):
        raise ValueError(
            "contact size: must be > 0 and smaller than its pitch on both axes "
            f"(got {size_x_nm:g}×{size_y_nm:g} nm at {pitch_x_nm:g}×{pitch_y_nm:g} nm pitch)"
        )
    pixel, (nx, ny) = fit_pixel(
        [("pitch_x_nm", pitch_x_nm), ("pitch_y_nm", pitch_y_nm)], pixel_nm, where="contact_array"
    )
    x0, y0 = (pitch_x_nm - size_x_nm) / 2, (pitch_y_nm - size_y_nm) / 2
    hole = [(x0, y0), (x0, y0 + size_y_nm), (x0 + size_x_nm, y0 + size_y_nm), (x0 + size_x_nm, y0)]
    drawing = Drawing((hole,), dark_features=False, kind=kind, transmission=transmission)
    description = (
        f"{size_x_nm:g}×{size_y_nm:g} nm contacts at {pitch_x_nm:g}×{pitch_y_nm:g} nm pitch"
    )
    return drawn(drawing, (ny, nx), pixel, description)


def line_end(
    pitch_nm: float,
    cd_nm: float,
    gap_nm: float,
    length_nm: float,
    *,
    pixel_nm: float,
    kind: str = "binary",
    transmission: float = 0.06,
) -> Clip:
    """Dark lines along y of ``length_nm`` facing each other tip to tip across ``gap_nm``: one
    period is ``pitch_nm`` wide and ``length_nm + gap_nm`` tall.

    Both periods fit the grid exactly (``fit_pixel``), so the drawn gap is the gap imaged: a
    rounded y period would lengthen or shorten the gap by up to a pixel.
    """
    if not 0 < cd_nm < pitch_nm or gap_nm <= 0 or length_nm <= 0:
        raise ValueError(
            "line_end: need 0 < cd < pitch, gap > 0 and length > 0 "
            f"(got cd {cd_nm:g}, pitch {pitch_nm:g}, gap {gap_nm:g}, length {length_nm:g} nm)"
        )
    period_y = length_nm + gap_nm
    pixel, (nx, ny) = fit_pixel(
        [("pitch_nm", pitch_nm), ("length_nm + gap_nm", period_y)], pixel_nm, where="line_end"
    )
    if ny < 2:
        raise ValueError(f"line_end: length_nm + gap_nm = {period_y:g} nm spans under 2 pixels")
    left, bottom = (pitch_nm - cd_nm) / 2, gap_nm / 2
    line = [
        (left, bottom),
        (left, bottom + length_nm),
        (left + cd_nm, bottom + length_nm),
        (left + cd_nm, bottom),
    ]
    description = f"line ends: {cd_nm:g} nm lines, {gap_nm:g} nm tip-to-tip gap"
    drawing = Drawing((line,), kind=kind, transmission=transmission)
    return drawn(drawing, (ny, nx), pixel, description)


# --- layouts --------------------------------------------------------------------------------

Window = tuple[float, float, float, float]  # (x0, y0, x1, y1), nm in layout coordinates

_GDS_MAGIC = b"\x00\x06\x00\x02"  # the first record: length 6, type HEADER (0x00), int16 (0x02)
_OASIS_MAGIC = b"%SEMI-OASIS\r\n"


def layout_format(path: str | Path) -> str:
    """``"gds"`` or ``"oas"`` from the file's first bytes (never from its name).

    Why the bytes: gdstk given another file fails with "Error reading input file" and a message
    on stderr that names neither the file nor what was expected.
    """
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"layout: {source} does not exist or is not a file")
    with source.open("rb") as handle:
        head = handle.read(len(_OASIS_MAGIC))
    if head.startswith(_GDS_MAGIC):
        return "gds"
    if head.startswith(_OASIS_MAGIC):
        return "oas"
    raise ValueError(
        f"layout: {source} is not a GDSII or OASIS file (a GDSII stream starts with the HEADER "
        f"record 00 06 00 02, an OASIS file with '%SEMI-OASIS'; this one starts with {head[:8]!r})"
    )


def _load_library(source: Path) -> Any:
    import gdstk

    kind = layout_format(source)
    try:
        return gdstk.read_gds(str(source)) if kind == "gds" else gdstk.read_oas(str(source))
    except (OSError, RuntimeError) as exc:
        raise ValueError(f"layout: {source} is a damaged {kind.upper()} file ({exc})") from exc


def _pick_cell(library: Any, cell: str | None, source: Path) -> Any:
    """The named cell, or the only top cell; refuse to guess among several."""
    cells = {c.name: c for c in library.cells}
    if not cells:
        raise ValueError(f"cell: {source.name} holds no cells")
    if cell is not None:
        if cell not in cells:
            raise ValueError(
                f"cell: {cell!r} is not in {source.name}; it has {', '.join(sorted(cells))}"
            )
        return cells[cell]
    tops = library.top_level()
    if len(tops) != 1:
        names = ", ".join(sorted(c.name for c in tops))
        raise ValueError(f"cell: {source.name} has {len(tops)} top cells ({names}); name one")
    return tops[0]


def _check_window(window_nm: Window) -> Window:
    if len(window_nm) != 4 or not all(np.isfinite(v) for v in window_nm):
        raise ValueError(f"window: need four finite numbers x0, y0, x1, y1 in nm (got {window_nm})")
    x0, y0, x1, y1 = (float(v) for v in window_nm)
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"window: need x0 < x1 and y0 < y1 (got {x0:g}, {y0:g}, {x1:g}, {y1:g})")
    return (x0, y0, x1, y1)


def _read_layer(source: Path, layer: int, datatype: int, cell: str | None) -> tuple[list[Any], str]:
    """The polygons (in nm) of one layer of one cell, references flattened, and a phrase that
    names them for error messages."""
    library = _load_library(source)
    top = _pick_cell(library, cell, source)
    where = f"layer {layer}/{datatype} of cell {top.name!r} in {source.name}"
    to_nm = library.unit / 1e-9
    shapes = [p.scale(to_nm) for p in top.get_polygons(layer=layer, datatype=datatype)]
    if not shapes:
        listed = ", ".join(f"{a}/{b}" for a, b in _layers_of(top)) or "none"
        raise ValueError(f"layer: no polygons on {where}; layers present: {listed}")
    return shapes, where


def _layers_of(cell: Any) -> list[tuple[int, int]]:
    return sorted({(p.layer, p.datatype) for p in cell.get_polygons()})


def layout_layers(path: str | Path, *, cell: str | None = None) -> list[tuple[int, int]]:
    """The (layer, datatype) pairs that hold polygons in the cell (the only top cell by default)."""
    source = Path(path)
    return _layers_of(_pick_cell(_load_library(source), cell, source))


def _extent(shapes: Sequence[Any]) -> Window:
    corners = np.array([s.bounding_box() for s in shapes])
    return (*corners[:, 0].min(axis=0), *corners[:, 1].max(axis=0))


def _inside(shapes: Sequence[Any], window: Window, where: str) -> list[Any]:
    """The union of the shapes cut to the window; refuse an empty one."""
    import gdstk

    x0, y0, x1, y1 = window
    cut = gdstk.boolean(
        shapes, gdstk.rectangle((x0, y0), (x1, y1)), "and", precision=_UNION_PRECISION_NM
    )
    if not cut:
        span = ", ".join(f"{v:g}" for v in _extent(shapes))
        raise ValueError(
            f"window: no polygons of {where} inside ({x0:g}, {y0:g}, {x1:g}, {y1:g}) nm; "
            f"they span ({span}) nm"
        )
    return list(cut)


def layout_window(
    path: str | Path,
    *,
    layer: int,
    datatype: int = 0,
    cell: str | None = None,
    window_nm: Window | None = None,
) -> Window:
    """The window ``read_layout`` would image (the layer's bounding box by default), checked:
    the file, the cell, the layer and a non-empty window, with no pixel needed yet. For callers
    that must fail before any physics runs (the CLI)."""
    shapes, where = _read_layer(Path(path), layer, datatype, cell)
    window = _check_window(window_nm if window_nm is not None else _extent(shapes))
    _inside(shapes, window, where)
    return window


def read_layout(
    path: str | Path,
    *,
    layer: int,
    datatype: int = 0,
    pixel_nm: float,
    window_nm: Window | None = None,
    cell: str | None = None,
    dark_features: bool = True,
    kind: str = "binary",
    transmission: float = 0.06,
    bias_nm: float = 0.0,
) -> Clip:
    """A clip from a GDSII or OASIS layout (told apart by content), read with gdstk.

    ``window_nm`` = (x0, y0, x1, y1), nm in layout coordinates, is the period the imaging tiles:
    the pattern is treated as repeating with the window's size, so leave a margin around an
    isolated feature. By default it is the bounding box of the layer's polygons. The only top
    cell is used unless ``cell`` names one (several top cells: name one). The polygons of
    ``layer``/``datatype`` (references flattened, paths as polygons) are merged and cut to the
    window. ``bias_nm`` grows every polygon's width by that much (half on each side; negative
    shrinks it), the mask-bias step of a MEEF measurement. Both window sizes fit the grid
    exactly (``fit_pixel``). Errors name the file, the cell, the layer or the window.
    """
    import gdstk

    source = Path(path)
    shapes, where = _read_layer(source, layer, datatype, cell)
    if bias_nm:
        shapes = gdstk.offset(
            shapes, bias_nm / 2, join="miter", precision=_UNION_PRECISION_NM, use_union=True
        )
    window = _check_window(window_nm if window_nm is not None else _extent(shapes))
    inside = _inside(shapes, window, where)
    x0, y0, x1, y1 = window
    pixel, (nx, ny) = fit_pixel(
        [("window width", x1 - x0), ("window height", y1 - y0)], pixel_nm, where="window"
    )
    shifted = tuple([(x - x0, y - y0) for x, y in shape.points] for shape in inside)
    drawing = Drawing(shifted, dark_features=dark_features, kind=kind, transmission=transmission)
    return drawn(drawing, (ny, nx), pixel, f"{source.name}: {where}")
