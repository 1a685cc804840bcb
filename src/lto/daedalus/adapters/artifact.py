"""A surrogate on disk: one directory, each member in its library's own format, and a JSON
manifest that says what LTO wrote it, what it computes and how to check it is whole.

Layout::

    manifest.json          format, schema, LTO version, model version, features, domain,
                           calibration, scaler, OOD reference, weights, metrics, file checksums
    members/<name>/...     each member's own files (Regressor.save)
    dose_prior/, saturation_gate/   the dose-to-size prior's and the saturation gate's model

Writing goes to a temporary sibling directory renamed into place, so a failed save leaves
nothing half-written. Loading refuses, with the reason, a directory that is not an LTO
surrogate, one written with another artifact schema or feature set, and one whose files are
missing or changed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import numpy as np

from lto.daedalus.adapters.members import MEMBERS, member_class
from lto.daedalus.columns import LEARNED
from lto.daedalus.domain import SurrogateDomain
from lto.daedalus.dose_prior import FEATURE as DOSE_FEATURE
from lto.daedalus.dose_prior import DosePrior
from lto.daedalus.ensemble import Calibration, EnsembleSurrogate
from lto.daedalus.features import FEATURES, FeatureScaler
from lto.daedalus.ood import MahalanobisOOD
from lto.daedalus.ports import SurrogateError
from lto.daedalus.saturation import SaturationGate

FORMAT = "lto-surrogate"
SCHEMA = 1
MANIFEST = "manifest.json"
SEAL = "manifest.sha256"  # the manifest's own checksum: a hand-edited manifest is refused
GATE_FOLDER = "saturation_gate"


def lto_version() -> str:
    try:
        return package_version("lto")
    except Exception:  # running from a source tree that is not installed
        return "0+unknown"


def save_surrogate(surrogate: EnsembleSurrogate, path: Path) -> Path:
    """Write ``surrogate`` as a new directory ``path`` (refused if it exists and is not empty)."""
    target = Path(path)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise SurrogateError(f"{target} already exists: choose a new folder for the surrogate")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for name, member in surrogate.members.items():
            folder = staging / "members" / name
            folder.mkdir(parents=True)
            member.save(folder)
        if surrogate.dose_prior is not None:
            (staging / "dose_prior").mkdir()
            surrogate.dose_prior.model.save(staging / "dose_prior")
        if surrogate.saturation is not None:
            (staging / GATE_FOLDER).mkdir()
            surrogate.saturation.model.save(staging / GATE_FOLDER)
        manifest = _manifest(surrogate, staging)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, allow_nan=False))
        (staging / SEAL).write_text(_sha256(staging / MANIFEST) + "\n")
        if target.exists():
            target.rmdir()
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _manifest(surrogate: EnsembleSurrogate, staging: Path) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "schema": SCHEMA,
        "lto_version": lto_version(),
        "model_version": surrogate.version,
        "created_at": datetime.now(UTC).isoformat(),
        "features": list(surrogate.feature_names),
        "members": {name: type(member).__name__ for name, member in surrogate.members.items()},
        "dose_prior": _prior_json(surrogate.dose_prior),
        "saturation_gate": _gate_json(surrogate.saturation),
        "weights": surrogate.weights,
        "domain": surrogate.domain.to_json(),
        "calibration": surrogate.calibration.to_json(),
        "scaler": surrogate.scaler.to_json(),
        "ood": surrogate.ood.to_json(),
        "metrics": _jsonable(surrogate.metrics),
        "files": {
            str(file.relative_to(staging)): _sha256(file)
            for file in sorted(staging.rglob("*"))
            if file.is_file()
        },
    }


def _prior_json(prior: DosePrior | None) -> dict[str, Any] | None:
    if prior is None:
        return None
    return {"member": _member_name(prior.model), "low": prior.low, "high": prior.high}


def _gate_json(gate: SaturationGate | None) -> dict[str, Any] | None:
    if gate is None:
        return None
    return {
        "member": _member_name(gate.model),
        "floor": gate.floor.tolist(),
        "ceiling": gate.ceiling.tolist(),
        "tolerance": gate.tolerance,
    }


def _load_gate(folder: Path, data: dict[str, Any] | None) -> SaturationGate | None:
    """The gate saved with the model; None for a model saved without one (or before gates)."""
    if data is None:
        return None
    model = member_class(data["member"]).load(folder / GATE_FOLDER)
    floor, ceiling = np.asarray(data["floor"], float), np.asarray(data["ceiling"], float)
    if floor.shape != (len(LEARNED),) or ceiling.shape != (len(LEARNED),):
        raise SurrogateError(
            f"the surrogate at {folder} is damaged: its saturation gate has "
            f"{floor.size} floor and {ceiling.size} ceiling values for {len(LEARNED)} scores"
        )
    return SaturationGate(model, floor, ceiling, float(data["tolerance"]))


def _member_name(model: object) -> str:
    """The ``members.MEMBERS`` name of ``model``'s class (how it will be loaded again)."""
    for name, target in MEMBERS.items():
        if target == f"{type(model).__module__}:{type(model).__name__}":
            return name
    raise SurrogateError(f"{type(model).__name__} is not a known member model: it cannot be saved")


def _load_prior(folder: Path, data: dict[str, Any] | None) -> DosePrior | None:
    if data is None:
        return None
    model = member_class(data["member"]).load(folder / "dose_prior")
    return DosePrior(model, float(data["low"]), float(data["high"]))


def load_surrogate(path: Path) -> EnsembleSurrogate:
    """The surrogate saved at ``path``, or ``SurrogateError`` saying what is wrong with it."""
    folder = Path(path)
    if not folder.is_dir():
        raise SurrogateError(f"no surrogate at {folder}: not a folder (train one with `lto train`)")
    manifest = _read_manifest(folder)
    _check_compatible(folder, manifest)
    _check_files(folder, manifest)
    try:
        members = {
            name: member_class(name).load(folder / "members" / name) for name in manifest["members"]
        }
        return EnsembleSurrogate(
            members=members,
            weights=manifest["weights"],
            scaler=FeatureScaler.from_json(manifest["scaler"]),
            ood=MahalanobisOOD.from_json(manifest["ood"]),
            calibration=Calibration.from_json(manifest["calibration"]),
            domain=SurrogateDomain.from_json(manifest["domain"]),
            version=str(manifest["model_version"]),
            metrics=manifest.get("metrics", {}),
            dose_prior=_load_prior(folder, manifest.get("dose_prior")),
            saturation=_load_gate(folder, manifest.get("saturation_gate")),
        )
    except SurrogateError:
        raise
    except Exception as exc:  # a library's own message may run to a C++ stack: keep line one
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        raise SurrogateError(
            f"the surrogate at {folder} is damaged: {type(exc).__name__}: {first}"
        ) from exc


def _read_manifest(folder: Path) -> dict[str, Any]:
    file = folder / MANIFEST
    if not file.is_file():
        raise SurrogateError(f"{folder} is not an LTO surrogate: it has no {MANIFEST}")
    seal = folder / SEAL
    if not seal.is_file():
        raise SurrogateError(f"the surrogate at {folder} is damaged: {SEAL} is missing")
    if seal.read_text().strip() != _sha256(file):
        raise SurrogateError(
            f"the surrogate at {folder} is damaged: {MANIFEST} changed since it was saved "
            "(checksum differs)"
        )
    try:
        manifest = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SurrogateError(
            f"the surrogate at {folder} is damaged: {MANIFEST} is not JSON ({exc})"
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SurrogateError(
            f"{folder} is not an LTO surrogate: {MANIFEST} does not say format {FORMAT!r}"
        )
    return manifest


def _check_compatible(folder: Path, manifest: dict[str, Any]) -> None:
    written_by = manifest.get("lto_version", "an unknown version")
    if manifest.get("schema") != SCHEMA:
        raise SurrogateError(
            f"the surrogate at {folder} was written by LTO {written_by} with artifact schema "
            f"{manifest.get('schema')!r}; LTO {lto_version()} reads schema {SCHEMA}: retrain it "
            "with `lto train`"
        )
    features = manifest.get("features")
    expected = list(FEATURES) + ([DOSE_FEATURE] if manifest.get("dose_prior") else [])
    if features != expected:
        raise SurrogateError(
            f"the surrogate at {folder} (LTO {written_by}) was trained on other features than "
            f"LTO {lto_version()} computes: retrain it with `lto train`"
        )
    missing = [
        key
        for key in ("members", "weights", "domain", "calibration", "scaler", "ood", "files")
        if not manifest.get(key)
    ]
    if missing:
        raise SurrogateError(
            f"the surrogate at {folder} is damaged: {MANIFEST} lacks {', '.join(missing)}"
        )


def _check_files(folder: Path, manifest: dict[str, Any]) -> None:
    for relative, digest in manifest["files"].items():
        file = folder / relative
        if not file.is_file():
            raise SurrogateError(f"the surrogate at {folder} is damaged: {relative} is missing")
        if _sha256(file) != digest:
            raise SurrogateError(
                f"the surrogate at {folder} is damaged: {relative} changed since it was saved "
                "(checksum differs)"
            )


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    """Metrics as strict JSON: numpy scalars as Python numbers, NaN and infinities as null."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
