"""``ShadowLog`` as a JSON-lines file: the embedded default (the job pipeline's database takes
it over in a deployment). One line per shadowed job, appended whole, so a reader never sees half
a record; a torn last line (a crash mid-write) is skipped."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from lto.metis.lifecycle import ShadowRecord


class JsonLinesShadowLog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def append(self, record: ShadowRecord) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(dataclasses.asdict(record), sort_keys=True) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    def records(self, challenger: str) -> list[ShadowRecord]:
        if not self.path.is_file():
            return []
        found = []
        for line in self.path.read_text().splitlines():
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue
            if data.get("challenger") == challenger:
                found.append(ShadowRecord(**data))
        return found


__all__ = ["JsonLinesShadowLog"]
