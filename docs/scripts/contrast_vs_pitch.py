"""Draw docs/img/contrast_vs_pitch.png: two-beam contrast of 50%-duty lines against pitch at
193 nm, NA 1.35 (water, n = 1.436), scalar versus the vector model in TE, TM and unpolarised
light. Run from the repository root: .venv/bin/python docs/scripts/contrast_vs_pitch.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from lto.matrix.imaging import aerial_image
from lto.matrix.masks import line_space
from lto.matrix.sources import Source

NA, N, WAVELENGTH = 1.35, 1.436, 193.0


def contrast(pitch: float, polarization: str | None) -> float:
    """Modulation of the fundamental over the mean, sign kept (TM turns negative past 45°)."""
    tilt = WAVELENGTH / (2 * pitch * NA)  # the point that makes orders 0 and −1 symmetric
    source = Source(np.array([tilt]), np.zeros(1), np.ones(1), "symmetric two-beam")
    clip = line_space(pitch, pitch / 2, pixel_nm=pitch / 64, rows=1)
    image = aerial_image(
        clip.transmission, pixel_nm=clip.pixel_nm, wavelength_nm=WAVELENGTH, na=NA,
        medium_index=N, source=source, polarization=polarization,  # type: ignore[arg-type]
    )[0]  # fmt: skip
    spectrum = np.fft.fft(image) / image.size
    orders = np.fft.fft(clip.transmission[0]) / clip.shape[1]
    term = orders[0] * np.conj(orders[-1])  # the interference term's own phase
    return float(2 * np.real(spectrum[1] * np.conj(term / abs(term))) / np.real(spectrum[0]))


def main() -> None:
    pitches = np.linspace(WAVELENGTH / (2 * NA) * 1.001, 160, 120)
    figure, axes = plt.subplots(figsize=(7, 4.2))
    for name, style in (("TE", "C0-"), (None, "k:"), ("TM", "C3-"), ("unpolarized", "C2--")):
        values = [contrast(p, name) for p in pitches]
        label = "scalar (= TE for two symmetric beams)" if name is None else name
        axes.plot(pitches, np.abs(values), style, label=label, lw=2 if name is None else 1.5)
    sin45 = WAVELENGTH / (2 * N * np.sin(np.pi / 4))
    axes.axvline(sin45, color="0.6", lw=0.8, ls=":")
    axes.annotate("TM contrast 0 (beams at ±45° in water)", (sin45, 0.02), fontsize=8,
                  xytext=(sin45 + 3, 0.06))  # fmt: skip
    axes.set_xlabel("pitch (nm)")
    axes.set_ylabel("|two-beam contrast| (50% duty lines)")
    axes.set_title("193 nm, NA 1.35 in water: scalar vs vector imaging")
    axes.set_ylim(0, 1.0)
    axes.legend(loc="lower right")
    axes.grid(alpha=0.3)
    target = Path("docs/img/contrast_vs_pitch.png")
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(target, dpi=110)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
