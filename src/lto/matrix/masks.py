"""Mask clips: one period of a periodic pattern as a transmission array with its pixel size.

Pixels are area-weighted (anti-aliased): a pixel half covered by absorber transmits halfway
between clear and absorber. For rectilinear polygons the coverage is exact (each vertical edge
contributes a step in x times a box in y, summed by one matrix product); other polygons are
supersampled. Transmission: clear glass 1; the absorber 0 for a binary mask, or √T·e^{iπ} for an
attenuated phase-shift mask of intensity transmission T (6% is the usual choice).
Coordinates: nm, x along axis 1 (columns), y along axis 0 (rows), origin at the clip's corner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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


def _grid(size_nm: float, pixel_nm: float, name: str) -> tuple[int, float]:
    """Pixels across a period, and the pixel that makes them fit it exactly."""
    if not size_nm > 0 or not pixel_nm > 0:
        raise ValueError(f"{name}: period and pixel must be > 0 (got {size_nm}, {pixel_nm})")
    count = max(1, round(size_nm / pixel_nm))
    return count, size_nm / count


def _overlap(edges: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Length of [low, high] inside each pixel [edges[i], edges[i+1]]: shape (len(low), pixels)."""
    left, right = edges[:-1][None, :], edges[1:][None, :]
    return np.clip(np.minimum(right, high[:, None]) - np.maximum(left, low[:, None]), 0.0, None)


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
    return inside.reshape(ny, samples, nx, samples).mean(axis=(1, 3))


def _is_rectilinear(polygon: Polygon) -> bool:
    points = np.asarray(polygon, dtype=np.float64)
    following = np.roll(points, -1, axis=0)
    return bool(np.all((points[:, 0] == following[:, 0]) | (points[:, 1] == following[:, 1])))


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
    openings in absorber, with area-weighted pixels."""
    rectilinear = [p for p in polygons if _is_rectilinear(p)]
    other = [p for p in polygons if not _is_rectilinear(p)]
    covered = coverage_rectilinear(rectilinear, shape, pixel_nm)
    if other:
        covered = np.clip(covered + coverage_supersampled(other, shape, pixel_nm), 0.0, 1.0)
    absorber = absorber_amplitude(kind, transmission)
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
    """One period of a contact-hole array: a clear rectangle centred in absorber."""
    if not (0 < size_x_nm < pitch_x_nm and 0 < size_y_nm < pitch_y_nm):
        raise ValueError("contact size: must be > 0 and smaller than its pitch on both axes")
    nx, pixel = _grid(pitch_x_nm, pixel_nm, "contact_array")
    ny = max(1, round(pitch_y_nm / pixel))
    x0, y0 = (pitch_x_nm - size_x_nm) / 2, (ny * pixel - size_y_nm) / 2
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
) -> Clip:
    """Dark lines along y of ``length_nm`` facing each other tip to tip across ``gap_nm``: one
    period is ``pitch_nm`` wide and ``length_nm + gap_nm`` tall."""
    if not 0 < cd_nm < pitch_nm or gap_nm <= 0 or length_nm <= 0:
        raise ValueError("line_end: need 0 < cd < pitch, gap > 0 and length > 0")
    nx, pixel = _grid(pitch_nm, pixel_nm, "line_end")
    ny = max(2, round((length_nm + gap_nm) / pixel))
    left, bottom = (pitch_nm - cd_nm) / 2, gap_nm / 2
    line = [
        (left, bottom),
        (left, bottom + length_nm),
        (left + cd_nm, bottom + length_nm),
        (left + cd_nm, bottom),
    ]
    description = f"line ends: {cd_nm:g} nm lines, {gap_nm:g} nm tip-to-tip gap"
    return drawn(Drawing((line,), kind=kind), (ny, nx), pixel, description)


def read_layout(
    path: str | Path,
    *,
    layer: int,
    datatype: int = 0,
    pixel_nm: float,
    window_nm: tuple[float, float, float, float] | None = None,
    cell: str | None = None,
    dark_features: bool = True,
    kind: str = "binary",
) -> Clip:
    """A clip from a GDSII (.gds) or OASIS (.oas) layout, read with gdstk.

    ``window_nm`` = (x0, y0, x1, y1) selects the period to image; by default the bounding box of
    the layer's polygons. The top cell is used unless ``cell`` names another.
    """
    import gdstk

    source = Path(path)
    if not source.exists():
        raise FileNotFoundError(f"layout: {source} does not exist")
    library = (
        gdstk.read_oas(str(source))
        if source.suffix.lower() in (".oas", ".oasis")
        else gdstk.read_gds(str(source))
    )
    cells = {c.name: c for c in library.cells}
    if cell is not None and cell not in cells:
        raise ValueError(f"cell: {cell!r} is not in {source.name}; it has {', '.join(cells)}")
    top = cells[cell] if cell else library.top_level()[0]
    to_nm = library.unit / 1e-9
    polygons = [p.points * to_nm for p in top.get_polygons(layer=layer, datatype=datatype)]
    if not polygons:
        raise ValueError(f"layer: no polygons on layer {layer}/{datatype} of cell {top.name!r}")
    if window_nm is None:
        stacked = np.vstack(polygons)
        window_nm = (*stacked.min(axis=0), *stacked.max(axis=0))
    x0, y0, x1, y1 = window_nm
    nx, pixel = _grid(x1 - x0, pixel_nm, "window")
    ny = max(1, round((y1 - y0) / pixel))
    shifted = [[(x - x0, y - y0) for x, y in p] for p in polygons]
    drawing = Drawing(tuple(shifted), dark_features=dark_features, kind=kind)
    return drawn(drawing, (ny, nx), pixel, f"{source.name}:{top.name} layer {layer}/{datatype}")
