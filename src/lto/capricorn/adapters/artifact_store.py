"""Large results on the file system, under the data directory by default.

Keys are relative POSIX paths (``jobs/<job id>/aerial.npz``); a key that would leave the root
(``..``, an absolute path) is refused. Writes go to a temporary file that replaces the target
once complete, so a reader never sees half an image.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path, PurePosixPath

from lto.capricorn.ports import ArtifactStore


class FileArtifactStore(ArtifactStore):
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        pure = PurePosixPath(key)
        if not key or pure.is_absolute() or ".." in pure.parts:
            raise ValueError(f"artifact key {key!r}: must be a relative path inside the store")
        return self.root.joinpath(*pure.parts)

    def put(self, key: str, data: bytes) -> str:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return key

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise KeyError(f"no artifact {key!r} in {self.root}") from None

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # tidy the job's folder once it is empty
            path.parent.rmdir()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


__all__ = ["FileArtifactStore"]
