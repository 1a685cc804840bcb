"""Trained surrogates under the data directory, one versioned folder each, and which is current.

``<root>/<version>/`` holds an artifact (``artifact.py``); ``<root>/CURRENT`` names the folder
``lto predict`` and the application use. Metis's registry takes this role in deployments; this
store is the embedded default and what `lto train` writes.
"""

from __future__ import annotations

import os
from pathlib import Path

from lto.daedalus.adapters.artifact import load_surrogate, save_surrogate
from lto.daedalus.ensemble import EnsembleSurrogate
from lto.daedalus.ports import SurrogateError

POINTER = "CURRENT"


class LocalModelStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def save(self, surrogate: EnsembleSurrogate, *, make_current: bool = True) -> Path:
        """Save under ``root/<version>`` (a new folder) and, by default, make it current."""
        folder = save_surrogate(surrogate, self.root / surrogate.version)
        if make_current:
            self.set_current(folder)
        return folder

    def set_current(self, folder: Path) -> None:
        """Point CURRENT at ``folder`` (atomically: a reader sees the old or the new name)."""
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".{POINTER}.{os.getpid()}"
        staging.write_text(str(Path(folder).resolve()) + "\n")
        os.replace(staging, self.root / POINTER)

    def current_path(self) -> Path | None:
        pointer = self.root / POINTER
        if not pointer.is_file():
            return None
        named = pointer.read_text().strip()
        return Path(named) if named else None

    def load_current(self) -> EnsembleSurrogate:
        folder = self.current_path()
        if folder is None:
            raise SurrogateError(
                f"no trained surrogate in {self.root}: run `lto train` first (a few minutes)"
            )
        return load_surrogate(folder)
