"""Checks that run before the physics, so a run that must fail fails in a second, not after it.

Each check raises ``CliError`` with its exit code and a message that names the rule: an unknown
profile or an NA no lens reaches (bad input), a pitch or grid that cannot image (cannot image),
a grid that would not fit in memory (too large), an output that cannot be written (environment).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from lto.cli.errors import CannotImage, CliError, ExitCode

if TYPE_CHECKING:
    from lto.atlas.contracts import JobParameters
    from lto.atlas.policies import ConstraintProfile

GIB = 1024**3
_FIXED_BYTES = 64 * 1024**2  # kernels, sources and the interpreter's share, whatever the grid
_BYTES_PER_PIXEL = 160  # working arrays per pixel besides the stored images (measured, ×1.5)
_MEMORY_SHARE = 0.8  # refuse a run that needs more than this share of the free memory


def profile_for(job: JobParameters) -> ConstraintProfile:
    """The job's constraint profile, or an error that says why there is none.

    Without ``--profile`` the profile is inferred from λ and NA; an NA above every technology
    at that λ would otherwise fall back to a dry profile and fail deep in the optics with
    "medium_index = 1". Say instead which limit it breaks.
    """
    from lto.atlas.policies import PROFILES, constraint_profile, infer_profile_name

    if job.constraint_profile is not None:
        profile = constraint_profile(job.constraint_profile)  # UnknownName lists the known ones
    else:
        at_wavelength = [
            p
            for p in PROFILES.values()
            if abs(p.technology.wavelength_nm - job.wavelength_nm) <= 0.5
        ]
        if not at_wavelength:
            known = ", ".join(
                sorted({f"{p.technology.wavelength_nm:g} nm" for p in PROFILES.values()})
            )
            raise CliError(
                f"no exposure technology at {job.wavelength_nm:g} nm; known: {known}",
                ExitCode.BAD_INPUT,
            )
        best = max(at_wavelength, key=lambda p: p.technology.max_na.value)
        if job.na > best.technology.max_na.value:
            raise CliError(
                f"NA {job.na:g} exceeds every {job.wavelength_nm:g} nm technology's limit: "
                f"{best.technology.name} reaches NA {best.technology.max_na.value:g}",
                ExitCode.BAD_INPUT,
            )
        name = infer_profile_name(job.wavelength_nm, job.na)
        assert name is not None  # there is a technology at this wavelength
        profile = constraint_profile(name)
    _check_lens(job, profile)
    return profile


def _check_lens(job: JobParameters, profile: ConstraintProfile) -> None:
    """A lens cannot pass an NA at or above the index of the medium it images into."""
    tech = profile.technology
    if job.na >= tech.medium_index:
        raise CliError(
            f"NA {job.na:g} cannot image into {tech.name}'s medium (n = {tech.medium_index:g}): "
            f"NA must stay below n, and {tech.name} optics reach NA {tech.max_na.value:g}",
            ExitCode.BAD_INPUT,
        )


def check_can_image(job: JobParameters) -> None:
    """Refuse jobs whose image is flat or aliased whatever the dose: the physics would only
    return empty metrics."""
    from lto.atlas.technology import resolution_limit_pitch_nm

    limit = resolution_limit_pitch_nm(job.wavelength_nm, job.na, job.sigma)
    if job.pitch_nm <= limit:
        raise CannotImage(
            f"pitch {job.pitch_nm:g} nm is at or below the resolution limit λ/(NA(1+σ)) = "
            f"{limit:.1f} nm: no first diffraction order enters the pupil, the image is flat"
        )
    nyquist = job.wavelength_nm / (4.0 * job.na)
    if job.grid_size_nm > nyquist:
        raise CannotImage(
            f"grid {job.grid_size_nm:g} nm is coarser than λ/(4·NA) = {nyquist:.2f} nm: the "
            "aerial image would alias; use a finer --grid"
        )


def clip_shape(job: JobParameters) -> tuple[int, int]:
    """Pixels (rows, columns) of the job's clip, without building it (it may be huge)."""
    pixels = max(1, round(job.pitch_nm / job.grid_size_nm))
    if job.pattern == "line_space":
        return (1, pixels)
    if job.pattern == "contact_array":
        return (pixels, pixels)
    return (max(2, round((2 * job.pitch_nm + job.target_cd_nm) / job.grid_size_nm)), pixels)


def estimate_bytes(shape: tuple[int, int], focus_points: int) -> int:
    """Peak memory of a focus-exposure matrix on a clip of ``shape``: one stored image per
    focus (float64) plus the working arrays of imaging and resist (a refined twice-as-fine
    image for the error estimate among them), measured on this engine."""
    pixels = shape[0] * shape[1]
    return _FIXED_BYTES + pixels * (8 * (focus_points + 2) + _BYTES_PER_PIXEL)


def available_bytes() -> int | None:
    """Memory free for a new run (Linux MemAvailable), or None where it cannot be read."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(job: JobParameters, focus_points: int, available: int | None = None) -> None:
    """Refuse, with the estimate, a grid whose matrix would not fit in free memory."""
    free = available if available is not None else available_bytes()
    if free is None:
        return
    shape = clip_shape(job)
    need = estimate_bytes(shape, focus_points)
    if need <= _MEMORY_SHARE * free:
        return
    # pixels grow as 1/grid (1-D clips) or 1/grid² (2-D): the grid that would fit
    power = 1 if shape[0] == 1 else 2
    fits = job.grid_size_nm * (need / (_MEMORY_SHARE * free)) ** (1 / power)
    raise CliError(
        f"a {shape[0]}×{shape[1]}-pixel clip at {job.grid_size_nm:g} nm with {focus_points} "
        f"focus points needs about {need / GIB:.1f} GiB; {free / GIB:.1f} GiB is free. "
        f"Use --grid {fits:.3g} or coarser, or fewer --focus-points",
        ExitCode.TOO_LARGE,
    )


def check_writable(path: Path | None, *, folder: bool, flag: str) -> None:
    """Fail now, not after the physics, if ``path`` cannot be written."""
    if path is None:
        return
    if folder:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CliError(
                f"{flag} {path}: cannot create the folder ({exc.strerror or exc})",
                ExitCode.ENVIRONMENT,
            ) from exc
        target = path
    else:
        if path.is_dir():
            raise CliError(f"{flag} {path}: is a folder, give a file name", ExitCode.ENVIRONMENT)
        target = path if path.exists() else path.parent
        if not target.is_dir() and not path.exists():
            raise CliError(
                f"{flag} {path}: {target} is not an existing folder", ExitCode.ENVIRONMENT
            )
    if not os.access(target, os.W_OK):
        raise CliError(f"{flag} {path}: not writable", ExitCode.ENVIRONMENT)
    if not folder:
        _try_open(path, flag)


def _try_open(path: Path, flag: str) -> None:
    """Open the file for appending (and remove it again if it was not there): permissions and
    special file systems (root on /proc) are only known by trying."""
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise CliError(
            f"{flag} {path}: cannot be written ({exc.strerror or exc})", ExitCode.ENVIRONMENT
        ) from exc
    if not existed:
        path.unlink(missing_ok=True)
