"""The array-backend port: the only array operations the physics engine may use.

Like prysm's ``mathops``, but passed explicitly (no module-level state): every engine function
takes a backend, ``numpy`` by default. ``NumpyBackend`` runs scipy.fft with all cores;
``CupyBackend`` runs cuFFT plus a hand-written CUDA kernel for the hot fused step (the weighted
|field|² accumulation over kernels or source points). cupy is imported only when that backend is
asked for.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

import numpy as np

Array = Any  # a numpy or cupy ndarray


class ArrayBackend(Protocol):
    name: str
    device: str
    xp: Any  # the array module: numpy or cupy

    def asarray(self, value: Any, dtype: Any = None) -> Array: ...

    def to_numpy(self, value: Array) -> np.ndarray: ...

    def fft2(self, value: Array) -> Array: ...

    def ifft2(self, value: Array) -> Array: ...

    def rfft2(self, value: Array) -> Array: ...

    def irfft2(self, value: Array, shape: tuple[int, int]) -> Array: ...

    def fft(self, value: Array, axis: int) -> Array: ...

    def ifft(self, value: Array, axis: int) -> Array: ...

    def rfft(self, value: Array, axis: int) -> Array: ...

    def irfft(self, value: Array, n: int, axis: int) -> Array: ...

    def accumulate_intensity(self, fields: Array, weights: Array) -> Array:
        """Σ_k w_k |fields[k]|² over the first axis, as a real array of one field's shape."""
        ...


class NumpyBackend:
    name = "numpy"
    device = "cpu"
    xp = np

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def asarray(self, value: Any, dtype: Any = None) -> np.ndarray:
        return np.asarray(value, dtype=dtype)

    def to_numpy(self, value: Array) -> np.ndarray:
        return np.asarray(value)

    def fft2(self, value: Array) -> np.ndarray:
        from scipy import fft

        return np.asarray(fft.fft2(value, workers=self.workers))

    def ifft2(self, value: Array) -> np.ndarray:
        from scipy import fft

        return np.asarray(fft.ifft2(value, workers=self.workers))

    def rfft2(self, value: Array) -> np.ndarray:
        from scipy import fft

        return np.asarray(fft.rfft2(value, workers=self.workers))

    def irfft2(self, value: Array, shape: tuple[int, int]) -> np.ndarray:
        from scipy import fft

        return np.asarray(fft.irfft2(value, s=shape, workers=self.workers))

    def fft(self, value: Array, axis: int) -> np.ndarray:
        from scipy import fft

        return np.asarray(fft.fft(value, axis=axis, workers=self.workers))

    def ifft(self, value: Array, axis: int) -> np.ndarray:
        from scipy import fft

        return np.asarray(fft.ifft(value, axis=axis, workers=self.workers))

    def rfft(self, value: Array, axis: int) -> np.ndarray:
        from scipy import fft

        return np.asarray(fft.rfft(value, axis=axis, workers=self.workers))

    def irfft(self, value: Array, n: int, axis: int) -> np.ndarray:
        from scipy import fft

        return np.asarray(fft.irfft(value, n=n, axis=axis, workers=self.workers))

    def accumulate_intensity(self, fields: Array, weights: Array) -> np.ndarray:
        power = fields.real**2
        power += fields.imag**2
        return np.tensordot(np.asarray(weights, dtype=power.dtype), power, axes=(0, 0))


_ACCUMULATE_SOURCE = r"""
extern "C" __global__ void accumulate_intensity(
    const float2* fields, const float* weights, float* out, const int count, const long long size)
{
    // One thread per pixel; each walks the K fields: Σ_k w_k (re² + im²), read once, no temporaries.
    long long pixel = (long long)blockDim.x * blockIdx.x + threadIdx.x;
    if (pixel >= size) return;
    float total = 0.0f;
    for (int k = 0; k < count; ++k) {
        float2 value = fields[(long long)k * size + pixel];
        total += weights[k] * (value.x * value.x + value.y * value.y);
    }
    out[pixel] = total;
}
"""


class CupyBackend:
    name = "cupy"
    xp: Any

    def __init__(self) -> None:
        import cupy

        self.xp = cupy
        self.device = f"cuda:{cupy.cuda.runtime.getDevice()}"
        self._kernel = cupy.RawKernel(_ACCUMULATE_SOURCE, "accumulate_intensity")

    def asarray(self, value: Any, dtype: Any = None) -> Array:
        return self.xp.asarray(value, dtype=dtype)

    def to_numpy(self, value: Array) -> np.ndarray:
        return np.asarray(self.xp.asnumpy(value))

    def fft2(self, value: Array) -> Array:
        return self.xp.fft.fft2(value)

    def ifft2(self, value: Array) -> Array:
        return self.xp.fft.ifft2(value)

    def rfft2(self, value: Array) -> Array:
        return self.xp.fft.rfft2(value)

    def irfft2(self, value: Array, shape: tuple[int, int]) -> Array:
        return self.xp.fft.irfft2(value, s=shape)

    def fft(self, value: Array, axis: int) -> Array:
        return self.xp.fft.fft(value, axis=axis)

    def ifft(self, value: Array, axis: int) -> Array:
        return self.xp.fft.ifft(value, axis=axis)

    def rfft(self, value: Array, axis: int) -> Array:
        return self.xp.fft.rfft(value, axis=axis)

    def irfft(self, value: Array, n: int, axis: int) -> Array:
        return self.xp.fft.irfft(value, n=n, axis=axis)

    def accumulate_intensity(self, fields: Array, weights: Array) -> Array:
        cp = self.xp
        stack = cp.ascontiguousarray(fields, dtype=cp.complex64)
        scale = cp.ascontiguousarray(cp.asarray(weights), dtype=cp.float32)
        count = stack.shape[0]
        size = int(np.prod(stack.shape[1:]))
        out = cp.empty(stack.shape[1:], dtype=cp.float32)
        threads = 256
        self._kernel(
            ((size + threads - 1) // threads,),
            (threads,),
            (stack, scale, out, np.int32(count), np.int64(size)),
        )
        return out


def get_backend(name: str | ArrayBackend = "numpy") -> ArrayBackend:
    """``numpy`` or ``cupy`` (or a backend object, returned as is)."""
    if not isinstance(name, str):
        return name
    if name == "numpy":
        return NumpyBackend()
    if name == "cupy":
        try:
            return CupyBackend()
        except ImportError as exc:
            raise RuntimeError(
                "backend 'cupy' needs the GPU extra: pip install 'lto[gpu]'"
            ) from exc
    raise ValueError(f"backend: must be 'numpy' or 'cupy', not {name!r}")
