"""The ICCAD-2013 mask-optimisation benchmark: its clips, SOCS kernels and conventions.

The data (``lto/matrix/data/iccad13``, with its README and licences) was checked against
OpenILT's forward model. ``load_clip`` rasterises a ``.glp`` clip exactly as OpenILT does
(centred bounding box on a 2048² grid at 1 nm; a pixel is printed when its integer point lies in
the closed polygon), and ``reference_image`` reproduces the community's images: 24 SOCS kernels,
I = Σ s_k |IFFT(FFT(dose · M) · H_k)|².
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np

from lto.matrix.backend import ArrayBackend
from lto.matrix.imaging import socs_image

GRID = 2048
PRINT_THRESHOLD = 0.225  # OpenILT's TargetDensity: printed where I ≥ 0.225
CLIPS = tuple(f"M1_test{i}" for i in range(1, 11))
Corner = Literal["focus", "defocus"]

Polygon = list[tuple[int, int]]


def data_dir() -> Path:
    return Path(str(resources.files("lto.matrix") / "data" / "iccad13"))


def read_glp(path: str | Path) -> list[Polygon]:
    """Polygons of a ``.glp`` file (RECT x y w h, PGON x1 y1 x2 y2 …), in nm; other lines skipped."""
    polygons: list[Polygon] = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        tokens = line.split()
        if len(tokens) < 7 or tokens[0] not in ("RECT", "PGON"):
            continue
        try:
            values = [int(t) for t in tokens[3:]]
        except ValueError as exc:
            raise ValueError(
                f"{path}:{number}: coordinates must be integers: {line.strip()!r}"
            ) from exc
        if tokens[0] == "RECT":
            x, y, w, h = values[:4]
            polygons.append([(x, y), (x, y + h), (x + w, y + h), (x + w, y)])
        elif tokens[0] == "PGON":
            if len(values) % 2 or len(values) < 6:
                raise ValueError(
                    f"{path}:{number}: a PGON needs an even number (≥ 6) of coordinates"
                )
            polygons.append(list(zip(values[::2], values[1::2], strict=True)))
    return polygons


def rasterise_openilt(polygons: list[Polygon], size: int = GRID) -> np.ndarray:
    """OpenILT's mask: bounding box centred, every pixel whose integer point lies in a closed
    rectilinear polygon is 1 (so a RECT of w × h covers (w+1) × (h+1) pixels)."""
    xs = [x for polygon in polygons for x, _ in polygon]
    ys = [y for polygon in polygons for _, y in polygon]
    dx = (size - (max(xs) - min(xs))) // 2 - min(xs)
    dy = (size - (max(ys) - min(ys))) // 2 - min(ys)
    mask = np.zeros((size, size), dtype=bool)
    for polygon in polygons:
        cells = np.zeros(
            (size + 1, size + 1), dtype=bool
        )  # cell (x, y) = unit square [x, x+1)×[y, y+1)
        for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
            if x0 == x1 and y0 != y1:  # vertical edge: toggle the parity of every cell left of it
                low, high = sorted((y0, y1))
                cells[low + dy : high + dy, : x0 + dx] ^= True
            elif x0 != x1 and y0 != y1:
                raise ValueError("polygon: only rectilinear polygons are supported")
        points = cells.copy()
        points[1:, :] |= cells[:-1, :]
        points[:, 1:] |= cells[:, :-1]
        points[1:, 1:] |= cells[:-1, :-1]
        mask |= points[:size, :size]
    return mask.astype(np.float32)


def load_clip(name: str) -> np.ndarray:
    """One of the ten M1 clips as a 2048² float32 0/1 mask (x along axis 1)."""
    if name not in CLIPS:
        raise ValueError(f"clip: must be one of {', '.join(CLIPS)} (got {name!r})")
    return rasterise_openilt(read_glp(data_dir() / "masks" / f"{name}.glp"))


@dataclass(frozen=True)
class IccadKernels:
    kernels: np.ndarray  # (24, 35, 35) complex64, DC at [17, 17], axis 1 ↔ y
    weights: np.ndarray  # (24,) float32, used as stored


@cache
def load_kernels(corner: Corner = "focus") -> IccadKernels:
    if corner not in ("focus", "defocus"):
        raise ValueError(f"corner: must be 'focus' or 'defocus' (got {corner!r})")
    root = data_dir()
    return IccadKernels(
        np.load(root / "kernels" / f"{corner}.npy"), np.load(root / "scales" / f"{corner}.npy")
    )


def reference_image(
    mask: np.ndarray,
    *,
    corner: Corner = "focus",
    dose: float = 1.0,
    backend: str | ArrayBackend = "numpy",
) -> np.ndarray:
    """The ICCAD-2013 aerial image: dose scales the mask amplitude (so the image by dose²)."""
    data = load_kernels(corner)
    return socs_image(
        np.asarray(mask, dtype=np.float64) * dose, data.kernels, data.weights, backend=backend
    )


def naive_reference_image(
    mask: np.ndarray, *, corner: Corner = "focus", dose: float = 1.0
) -> np.ndarray:
    """The same image by the book: one full-grid FFT and 24 full-grid inverse FFTs (the floor the
    fast path is benchmarked against, and its check)."""
    from scipy import fft

    data = load_kernels(corner)
    spectrum = fft.fft2(np.asarray(mask, dtype=np.complex128) * dose, workers=-1)
    n = mask.shape[0]
    half = data.kernels.shape[1] // 2
    index = np.arange(-half, half + 1) % n
    total = np.zeros(mask.shape)
    for kernel, weight in zip(data.kernels, data.weights, strict=True):
        product = np.zeros(mask.shape, dtype=np.complex128)
        product[np.ix_(index, index)] = spectrum[np.ix_(index, index)] * kernel
        field = fft.ifft2(product, workers=-1)
        total += float(weight) * (field.real**2 + field.imag**2)
    return total
