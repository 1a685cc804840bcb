"""Partially coherent imaging of a periodic mask clip (one period, FFT-based), scalar or vector.

Everything here is exact for a periodic mask, and fast because the image is band-limited: a
field passed by the pupil holds only the mask frequencies within NA(1+σ)/λ, and its intensity
only frequencies within 2NA/λ. So each field is computed on a small m×m grid just large enough
not to alias the intensity (m ≥ 4·NA/λ·L + 1 bins, L the clip size), the weighted intensities are
summed there, and the sum is Fourier-interpolated once to the mask's full grid, with no loss.

The source is integrated exactly (``lto.matrix.source_integration``): regions of the source that
pass the same diffraction orders are weighted by their exact area, and integrated by Gauss rules
where defocus, aberrations or polarisation make the image vary inside them. With ``polarization``
set, each source point contributes the three field components of its plane waves in the medium
(``lto.matrix.polarization``).

Normalisation: a fully clear mask images to 1.0 everywhere.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import fft as sfft

from lto.matrix import polarization as vector
from lto.matrix.backend import ArrayBackend, get_backend
from lto.matrix.polarization import Polarization
from lto.matrix.pupil import (
    aberration_rate,
    check_aberrations,
    defocus_rate,
    pupil_phase,
    unit_phasors,
)
from lto.matrix.source_integration import SourceQuadrature, source_quadrature
from lto.matrix.source_integration import clear_cache as clear_quadrature_cache
from lto.matrix.sources import Source

Method = Literal["abbe", "hopkins"]
_BATCH = 64  # fields computed per batched inverse FFT


@dataclass(frozen=True)
class Band:
    """The mask-spectrum bins a computation needs, and the small grid it runs on."""

    shape: tuple[int, int]  # the mask's (ny, nx)
    pixel_nm: float
    ky: NDArray[np.int64]  # signed bin indices of the needed spectrum entries (flattened)
    kx: NDArray[np.int64]
    small: tuple[int, int]  # (my, mx): the grid the fields are computed on

    @property
    def fy(self) -> np.ndarray:
        return self.ky / (self.shape[0] * self.pixel_nm)

    @property
    def fx(self) -> np.ndarray:
        return self.kx / (self.shape[1] * self.pixel_nm)


def _small_size(n: int, intensity_bins: int) -> int:
    """Smallest fast FFT size that holds intensity bins −b…b without aliasing (never above n)."""
    need = 2 * intensity_bins + 2
    return n if need >= n else min(n, sfft.next_fast_len(need))


def band_for(
    shape: tuple[int, int], pixel_nm: float, *, field_radius: float, pupil_radius: float
) -> Band:
    """Bins with |f| ≤ ``field_radius`` (cycles/nm); the small grid holds intensities of bandwidth
    2·``pupil_radius``."""
    ny, nx = shape
    by = min(int(np.floor(field_radius * ny * pixel_nm + 1e-9)), (ny - 1) // 2)
    bx = min(int(np.floor(field_radius * nx * pixel_nm + 1e-9)), (nx - 1) // 2)
    ky, kx = np.meshgrid(np.arange(-by, by + 1), np.arange(-bx, bx + 1), indexing="ij")
    fy, fx = ky / (ny * pixel_nm), kx / (nx * pixel_nm)
    keep = fy**2 + fx**2 <= field_radius**2 * (1 + 1e-12)
    iy = int(np.ceil(2 * pupil_radius * ny * pixel_nm))
    ix = int(np.ceil(2 * pupil_radius * nx * pixel_nm))
    return Band(shape, pixel_nm, ky[keep], kx[keep], (_small_size(ny, iy), _small_size(nx, ix)))


def mask_spectrum(mask: np.ndarray, band: Band, backend: ArrayBackend) -> Any:
    """The mask's DFT (numpy convention, unscaled forward) at the band's bins.

    A real mask is transformed along x (real FFT), then along y only for the few columns the
    band needs: about half the work of a full 2-D transform.
    """
    xp = backend.xp
    ny, nx = band.shape
    ky, kx = backend.asarray(band.ky), backend.asarray(band.kx)
    if np.isrealobj(mask):
        columns = int(np.max(np.abs(band.kx))) + 1
        rows = backend.rfft(backend.asarray(mask, dtype=np.float64), axis=1)[:, :columns]
        half = backend.fft(rows, axis=0)  # (ny, columns): non-negative kx
        values = half[ky % ny, xp.abs(kx)]
        return xp.where(kx < 0, xp.conj(half[(-ky) % ny, xp.abs(kx)]), values)
    full = backend.fft2(backend.asarray(mask, dtype=np.complex128))
    return full[ky % ny, kx % nx]


def intensity_from_spectra(
    spectra: Any, weights: Any, band: Band, backend: ArrayBackend
) -> np.ndarray:
    """Σ_j w_j |IDFT(spectra[j])|² on the mask's full grid (spectra: (J, bins) at the band's bins).

    The fields are inverse-transformed on the small grid, accumulated there, and the intensity is
    Fourier-interpolated to full size: exact, because it is band-limited.
    """
    ny, nx = band.shape
    my, mx = band.small
    weights = backend.asarray(weights, dtype=np.float64)
    scale = (my * mx) / (ny * nx)  # small-grid IDFT → full-grid field amplitude
    if band.ky.size**2 <= 2 * my * mx * max(np.log2(my * mx), 1.0):  # ≈ the FFTs' cost per row
        total = _mutual_intensity_image(spectra, weights, band, backend) * scale**2
    else:
        total = _summed_fields_image(spectra, weights, band, backend, scale)
    if (my, mx) == (ny, nx):
        return backend.to_numpy(total)
    return backend.to_numpy(_fourier_upsample(total, (ny, nx), backend))


def _mutual_intensity_image(spectra: Any, weights: Any, band: Band, backend: ArrayBackend) -> Any:
    """The small-grid intensity from the mutual intensity J = Σ_j w_j s_j s_jᴴ (bins × bins):
    the intensity's spectrum at each difference of two bins is the sum of J over the pairs with
    that difference, so one inverse FFT replaces one per row. Cheaper than the fields when the
    bins are few (1-D clips: a handful of orders against hundreds of source nodes), and exact:
    the small grid holds every difference without aliasing."""
    xp = backend.xp
    my, mx = band.small
    mutual = (spectra * weights[:, None]).T @ xp.conj(spectra)  # J[k, l] = Σ w s_k s̄_l
    dy = (band.ky[:, None] - band.ky[None, :]) % my
    dx = (band.kx[:, None] - band.kx[None, :]) % mx
    where = backend.asarray((dy * mx + dx).ravel())
    flat = mutual.ravel()
    spectrum = xp.bincount(where, weights=flat.real, minlength=my * mx) + 1j * xp.bincount(
        where, weights=flat.imag, minlength=my * mx
    )
    return backend.ifft2(spectrum.reshape(my, mx)).real / (my * mx)


def _summed_fields_image(
    spectra: Any, weights: Any, band: Band, backend: ArrayBackend, scale: float
) -> Any:
    """Σ_j w_j |IDFT(spectra[j])|² on the small grid, field by field in batches."""
    xp = backend.xp
    my, mx = band.small
    rows, cols = backend.asarray(band.ky % my), backend.asarray(band.kx % mx)
    total = xp.zeros((my, mx), dtype=np.float64)
    for start in range(0, spectra.shape[0], _BATCH):
        chunk = spectra[start : start + _BATCH]
        grid = xp.zeros((chunk.shape[0], my, mx), dtype=np.complex128)
        grid[:, rows, cols] = chunk
        fields = backend.ifft2(grid) * scale
        total += backend.accumulate_intensity(fields, weights[start : start + _BATCH])
    return total


def _fourier_upsample(small: Any, shape: tuple[int, int], backend: ArrayBackend) -> Any:
    """Band-limited interpolation of a real periodic image from (my, mx) to ``shape``.

    The padded spectrum is zero but for a few columns: transform those along y first, then every
    row along x (about half the work of a full 2-D inverse transform).
    """
    xp = backend.xp
    my, mx = small.shape
    ny, nx = shape
    half = backend.rfft2(small) * ((ny * nx) / (my * mx))  # scaled here, on the small array
    top = (my + 1) // 2  # rows 0 … top−1 are the non-negative frequencies
    cols = min(mx // 2 + 1, nx // 2 + 1)
    columns = xp.zeros((ny, cols), dtype=half.dtype)
    columns[:top] = half[:top, :cols]
    columns[ny - (my - top) :] = half[top:, :cols]
    padded = xp.zeros((ny, nx // 2 + 1), dtype=half.dtype)
    padded[:, :cols] = backend.ifft(columns, axis=0)
    return backend.irfft(padded, n=nx, axis=1)


def _finite(name: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: must be a number (got {value!r})") from None
    if not np.isfinite(number):
        raise ValueError(f"{name}: must be finite (got {value})")
    return number


def _check_mask(mask: ArrayLike, pixel_nm: float) -> np.ndarray:
    array = np.asarray(mask)
    if array.ndim != 2 or min(array.shape) < 1:
        raise ValueError(f"mask: must be a 2-D transmission array, got shape {array.shape}")
    if array.dtype == np.bool_:
        array = array.astype(np.float64)
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"mask: must hold numbers, got dtype {array.dtype}")
    peak = float(np.max(np.abs(array)))  # one pass: NaN and inf propagate into the peak
    if not np.isfinite(peak):
        raise ValueError("mask: transmission must be finite")
    if peak > 1e3:
        raise ValueError(
            "mask: |transmission| must be at most 1000 (a transmission is a fraction of the "
            f"incident field; got {peak:.3g})"
        )
    _check_pixel(pixel_nm)
    return array if np.iscomplexobj(array) else array.astype(np.float64, copy=False)


def _check_pixel(pixel_nm: float) -> None:
    if not _finite("pixel_nm", pixel_nm) > 0:
        raise ValueError(f"pixel_nm: must be > 0 (got {pixel_nm})")


def _check_optics(
    wavelength_nm: float,
    na: float,
    medium_index: float,
    defocus_nm: float = 0.0,
    aberrations: Mapping[int, float] | None = None,
    polarization: str | None = None,
) -> None:
    wavelength = _finite("wavelength_nm", wavelength_nm)
    if not wavelength > 0:
        raise ValueError(f"wavelength_nm: must be > 0 (got {wavelength_nm})")
    index = _finite("medium_index", medium_index)
    if not index >= 1.0:
        raise ValueError(f"medium_index: must be ≥ 1 (got {medium_index})")
    numerical_aperture = _finite("na", na)
    if not 0 < numerical_aperture < index:
        raise ValueError(f"na: must lie in (0, medium_index = {index:g}) (got {na})")
    _finite("defocus_nm", defocus_nm)
    check_aberrations(aberrations)
    vector.check_polarization(polarization)


def _check_sampling(pixel_nm: float, wavelength_nm: float, na: float) -> None:
    """The image holds frequencies up to 2·NA/λ: coarser pixels alias it silently."""
    nyquist = wavelength_nm / (4 * na)
    if pixel_nm > nyquist * (1 + 1e-9):
        raise ValueError(
            f"pixel_nm: must be at most λ/(4·NA) = {nyquist:.3g} nm to sample the aerial image "
            f"without aliasing (got {pixel_nm:g} nm)"
        )


# --- Abbe ----------------------------------------------------------------------------------


def abbe_image(
    mask: ArrayLike,
    *,
    pixel_nm: float,
    wavelength_nm: float,
    na: float,
    source: Source,
    defocus_nm: float = 0.0,
    medium_index: float = 1.0,
    aberrations: Mapping[int, float] | None = None,
    polarization: Polarization | None = None,
    backend: str | ArrayBackend = "numpy",
) -> np.ndarray:
    """Σ_s w_s Σ_c |IFFT(M(f) · T_c(f + f_s))|² over the source's quadrature nodes (and the field
    components c of vector imaging)."""
    array = _check_mask(mask, pixel_nm)
    band, transfer, weights = transfer_functions(
        array.shape, pixel_nm, wavelength_nm=wavelength_nm, na=na, source=source,
        defocus_nm=defocus_nm, medium_index=medium_index, aberrations=aberrations,
        polarization=polarization,
    )  # fmt: skip
    return _image_through(array, band, transfer, weights, get_backend(backend))


def transfer_functions(
    shape: tuple[int, int],
    pixel_nm: float,
    *,
    wavelength_nm: float,
    na: float,
    source: Source,
    defocus_nm: float = 0.0,
    medium_index: float = 1.0,
    aberrations: Mapping[int, float] | None = None,
    polarization: Polarization | None = None,
) -> tuple[Band, np.ndarray, np.ndarray]:
    """The band a source needs, the transfer function of every (node, field component) on it,
    shape (rows, bins), and the rows' weights (a clear mask images to 1)."""
    _check_optics(wavelength_nm, na, medium_index, defocus_nm, aberrations, polarization)
    _check_pixel(pixel_nm)
    _check_sampling(pixel_nm, wavelength_nm, na)
    cutoff = na / wavelength_nm
    reach = max(source.max_sigma, source.geometry.extent if source.geometry else 0.0)
    band = band_for(shape, pixel_nm, field_radius=cutoff * (1 + reach), pupil_radius=cutoff)
    optics = {"wavelength_nm": wavelength_nm, "na": na, "medium_index": medium_index}
    smoothness = defocus_rate(defocus_nm=defocus_nm, **optics) + aberration_rate(aberrations)
    if polarization is not None:
        smoothness += vector.variation_rate(na, medium_index)
    orders = np.column_stack([band.fx, band.fy]) / cutoff
    nodes = source_quadrature(source, orders, smoothness=smoothness)
    # everything below only where the order passes: most entries of a 2-D clip do not
    passing = _passing(nodes, band, cutoff, medium_index / wavelength_nm)
    node, fx, fy = passing.node, passing.fx, passing.fy
    phases: np.ndarray | float = 1.0
    if aberrations:
        phases = pupil_phase(fx, fy, defocus_nm=defocus_nm, aberrations=aberrations, **optics)
    elif defocus_nm != 0:
        phases = unit_phasors(2 * np.pi * defocus_nm * passing.kz_offset)
    # (a boolean mask assigns in np.nonzero's order, and faster than index pairs)
    if polarization is None:
        pupils = np.zeros(nodes.passes.shape, dtype=np.complex128)
        pupils[nodes.passes] = phases
        return band, pupils, nodes.weights
    states = vector.jones_states(nodes.sx, nodes.sy, polarization)
    rows = np.zeros((3 * len(states) * nodes.size, nodes.passes.shape[1]), dtype=np.complex128)
    weights, clear = [], 0.0
    for s, (share, ex, ey) in enumerate(states):
        fields = vector.field_components(
            fx, fy, ex[node], ey[node], wavelength_nm=wavelength_nm, medium_index=medium_index
        )
        zero = vector.field_components(
            nodes.sx * cutoff, nodes.sy * cutoff, ex, ey,
            wavelength_nm=wavelength_nm, medium_index=medium_index,
        )  # fmt: skip
        clear += share * float(np.sum(nodes.weights * sum(np.abs(c) ** 2 for c in zero)))
        for c, component in enumerate(fields):
            start = (3 * s + c) * nodes.size
            rows[start : start + nodes.size][nodes.passes] = phases * component
            weights.append(share * nodes.weights)
    return band, rows, np.concatenate(weights) / clear


@dataclass(frozen=True, eq=False)
class _Passing:
    """The (node, order) entries of a quadrature where the order passes (in ``np.nonzero``'s
    order), their pupil frequencies and the defocus term √(k² − f²) − k there."""

    node: NDArray[np.int64]
    fx: NDArray[np.float64]
    fy: NDArray[np.float64]
    kz_offset: NDArray[np.float64]


_PASSING_CACHE: OrderedDict[tuple[Any, ...], _Passing] = OrderedDict()


def _passing(nodes: SourceQuadrature, band: Band, cutoff: float, k_medium: float) -> _Passing:
    """``_Passing`` for a quadrature on a band, remembered: a focus-exposure matrix asks for the
    same quadrature at many focus values, and only the phase differs between them. The key holds
    the quadrature itself (compared by identity), so its id is never reused while cached."""
    key = (nodes, band.shape, band.pixel_nm, band.small, cutoff, k_medium)
    if key in _PASSING_CACHE:
        _PASSING_CACHE.move_to_end(key)
        return _PASSING_CACHE[key]
    node, order = np.nonzero(nodes.passes)
    fx = band.fx[order] + nodes.sx[node] * cutoff
    fy = band.fy[order] + nodes.sy[node] * cutoff
    kz_offset = np.sqrt(np.maximum(k_medium**2 - (fx**2 + fy**2), 0.0)) - k_medium
    passing = _PASSING_CACHE[key] = _Passing(node, fx, fy, kz_offset)
    if len(_PASSING_CACHE) > 8:  # a 2-D clip's entry is a few MB
        _PASSING_CACHE.popitem(last=False)
    return passing


def _image_through(
    array: np.ndarray, band: Band, transfer: Any, weights: Any, engine: ArrayBackend
) -> np.ndarray:
    """Σ_j w_j |IDFT(M · transfer[j])|²: the mask's spectrum through each transfer function."""
    spectrum = mask_spectrum(array, band, engine)
    return intensity_from_spectra(
        engine.asarray(transfer) * spectrum[None, :], weights, band, engine
    )


# --- Hopkins / SOCS ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SocsKernels:
    """Kernels of the transmission cross coefficient: TCC ≈ Σ_j λ_j φ_j φ_jᴴ on ``band``."""

    band: Band
    kernels: NDArray[np.complex128]  # (K, bins)
    eigenvalues: NDArray[np.float64]  # (K,), descending
    energy_captured: float  # Σ kept λ / Σ all λ

    @property
    def count(self) -> int:
        return int(self.eigenvalues.size)


_KERNEL_CACHE: OrderedDict[tuple[Any, ...], SocsKernels] = OrderedDict()
_CACHE_SIZE = 32


def clear_kernel_cache() -> None:
    """Forget the cached kernels and source quadratures (for cold timings)."""
    _KERNEL_CACHE.clear()
    _PASSING_CACHE.clear()
    clear_quadrature_cache()


def hopkins_kernels(
    shape: tuple[int, int],
    *,
    pixel_nm: float,
    wavelength_nm: float,
    na: float,
    source: Source,
    defocus_nm: float = 0.0,
    medium_index: float = 1.0,
    aberrations: Mapping[int, float] | None = None,
    polarization: Polarization | None = None,
    max_kernels: int | None = None,
    energy: float = 0.9999,
) -> SocsKernels:
    """SOCS kernels by eigen-decomposition of the TCC, cached per (source, optics, focus, grid).

    TCC = A·diag(w)·Aᴴ with A[f, s] = P(f + f_s); its eigenvectors are the left singular vectors
    of A·√w, found without forming the TCC. Kernels are kept until ``energy`` of the trace is
    captured (or ``max_kernels`` are kept). In vector imaging the rows of A are every (source
    node, field component): one set of kernels holds the TCCs of the three components summed.
    The arrays returned are read-only: they are shared with every later caller through the cache.
    """
    if not 0 < energy <= 1:
        raise ValueError(f"energy: must lie in (0, 1] (got {energy})")
    if max_kernels is not None and not max_kernels >= 1:
        raise ValueError(f"max_kernels: must be ≥ 1 (got {max_kernels})")
    key = (
        tuple(shape), pixel_nm, wavelength_nm, na, source.key(), defocus_nm, medium_index,
        tuple(sorted((aberrations or {}).items())), polarization, max_kernels, energy,
    )  # fmt: skip
    if key in _KERNEL_CACHE:
        _KERNEL_CACHE.move_to_end(key)
        return _KERNEL_CACHE[key]
    band, pupils, weights = transfer_functions(
        tuple(shape), pixel_nm, wavelength_nm=wavelength_nm, na=na, source=source,
        defocus_nm=defocus_nm, medium_index=medium_index, aberrations=aberrations,
        polarization=polarization,
    )  # fmt: skip
    pupils *= np.sqrt(weights)[:, None]  # a fresh array: scaled in place
    dc = int(np.flatnonzero((band.ky == 0) & (band.kx == 0))[0])
    u, eigenvalues = _tcc_eigen(pupils, exact_bin=dc)
    cumulative = np.cumsum(eigenvalues) / eigenvalues.sum()
    keep = int(np.searchsorted(cumulative, energy) + 1)
    if max_kernels is not None:
        keep = min(keep, max_kernels)
    keep = min(keep, eigenvalues.size)
    vectors, values = u[:, :keep].T.copy(), eigenvalues[:keep].copy()
    vectors.flags.writeable = False
    values.flags.writeable = False
    kernels = SocsKernels(band, vectors, values, float(cumulative[keep - 1]))
    _KERNEL_CACHE[key] = kernels
    if len(_KERNEL_CACHE) > _CACHE_SIZE:
        _KERNEL_CACHE.popitem(last=False)
    return kernels


def _tcc_eigen(rows: np.ndarray, *, exact_bin: int) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvectors (columns) and eigenvalues (descending) of TCC = Bᴴ·B for the (rows × bins)
    matrix B = √w·A: by the SVD of B when rows are few, else by the Hermitian eigensolver of the
    small bins × bins TCC, whose row and column ``exact_bin`` (the zero frequency: a clear
    field's level) are computed in full precision."""
    count, bins = rows.shape
    if count <= bins:
        u, singular, _ = np.linalg.svd(rows.T, full_matrices=False)
        return u, singular**2
    # Bᴴ·B from one real product of [Re B, Im B] with itself (complex GEMM on tall, narrow
    # matrices is several times slower here; BLAS's zherk halves the work but stalls for tens
    # of ms under thread contention on a shared machine). The product runs in float32: its
    # relative rounding (~1e-7 of the trace) is far below the source integration's own error
    # (docs/physics.md), and it halves the cost that dominates a focus-exposure matrix. The
    # eigensolver works in float64.
    stacked = np.empty((count, 2 * bins), dtype=np.float32)
    stacked[:, :bins] = rows.real
    stacked[:, bins:] = rows.imag
    gram = (stacked.T @ stacked).astype(np.float64)
    re, im = gram[:bins, :bins] + gram[bins:, bins:], gram[bins:, :bins] - gram[:bins, bins:]
    tcc = re + 1j * im
    column = rows.T @ rows[:, exact_bin].conj()  # float64: a clear mask still images to 1
    tcc[:, exact_bin] = column
    tcc[exact_bin, :] = column.conj()
    values, vectors = np.linalg.eigh(tcc)
    order = np.argsort(values)[::-1]
    return vectors[:, order], np.maximum(values[order], 0.0)


def hopkins_image(
    mask: ArrayLike, kernels: SocsKernels, *, backend: str | ArrayBackend = "numpy"
) -> np.ndarray:
    """Σ_j λ_j |IFFT(M · φ_j)|² with kernels from ``hopkins_kernels`` for this mask's grid."""
    array = _check_mask(mask, kernels.band.pixel_nm)
    if array.shape != kernels.band.shape:
        raise ValueError(
            f"mask: shape {array.shape} differs from the kernels' grid {kernels.band.shape}"
        )
    return _image_through(
        array, kernels.band, kernels.kernels, kernels.eigenvalues, get_backend(backend)
    )


# --- the public notebook API ---------------------------------------------------------------


def aerial_image(
    mask: ArrayLike,
    *,
    pixel_nm: float,
    wavelength_nm: float,
    na: float,
    source: Source,
    defocus_nm: float = 0.0,
    method: Method = "abbe",
    backend: str | ArrayBackend = "numpy",
    medium_index: float = 1.0,
    aberrations: Mapping[int, float] | None = None,
    polarization: Polarization | None = None,
) -> np.ndarray:
    """The aerial image (intensity, clear field = 1) of one period of a periodic mask.

    ``mask`` is a real or complex transmission array, x along axis 1, pixels ``pixel_nm`` wide.
    ``polarization`` None is the scalar model (the ICCAD-2013 reference is scalar); "TE", "TM",
    "x", "y", "unpolarized", "azimuthal" or "radial" give the vector image in the medium of
    index ``medium_index``. Returns a float array of the mask's shape.
    """
    optics: dict[str, Any] = {
        "pixel_nm": pixel_nm, "wavelength_nm": wavelength_nm, "na": na, "source": source, "defocus_nm": defocus_nm,
        "medium_index": medium_index, "aberrations": aberrations, "polarization": polarization,
    }  # fmt: skip
    if method == "abbe":
        return abbe_image(mask, backend=backend, **optics)
    if method == "hopkins":
        kernels = hopkins_kernels(np.shape(mask), **optics)
        return hopkins_image(mask, kernels, backend=backend)
    raise ValueError(f"method: must be 'abbe' or 'hopkins', not {method!r}")


def socs_image(
    mask: ArrayLike, kernels: ArrayLike, weights: ArrayLike, backend: str | ArrayBackend = "numpy"
) -> np.ndarray:
    """Σ_k w_k |IFFT(FFT(mask) · H_k)|² for frequency-domain kernels given from outside.

    ``kernels`` has shape (K, a, b), centred on DC at [a//2, b//2]; axis 1 runs with the image
    rows (y) and axis 2 with the columns (x), entry [k, i, j] belonging to frequency bins
    (i − a//2, j − b//2). This is the ICCAD-2013 / OpenILT convention; weights are used as given.
    """
    array = _check_mask(mask, 1.0)
    stack = np.asarray(kernels, dtype=np.complex128)
    scale = np.asarray(weights, dtype=np.float64)
    if stack.ndim != 3 or scale.shape != (stack.shape[0],):
        raise ValueError(
            f"kernels: need shape (K, a, b) with K weights; got {stack.shape} and {scale.shape}"
        )
    _, a, b = stack.shape
    ny, nx = array.shape
    if a > ny or b > nx:
        raise ValueError(f"kernels: {a}×{b} do not fit the mask's {ny}×{nx} spectrum")
    ky, kx = np.meshgrid(np.arange(a) - a // 2, np.arange(b) - b // 2, indexing="ij")
    small = (_small_size(ny, a - 1), _small_size(nx, b - 1))
    band = Band((ny, nx), 1.0, ky.ravel(), kx.ravel(), small)
    return _image_through(
        array, band, stack.reshape(stack.shape[0], -1), scale, get_backend(backend)
    )
