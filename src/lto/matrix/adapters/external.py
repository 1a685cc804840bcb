"""``ExternalProcessSimulator``: any program that honours LTO's file-exchange contract.

The contract (docs/external-simulators.md), version ``lto.simulation/1``:
1. LTO writes ``job.json`` in a fresh working directory:
   ``{"contract": "lto.simulation/1", "job_id": "...", "parameters": {JobParameters}}``.
2. LTO runs the configured command with ``{input}``, ``{output}`` and ``{workdir}`` replaced by
   the paths of job.json, result.json and the working directory, in that directory, with no
   standard input and a time limit.
3. The program may print ``PROGRESS <fraction 0..1> <message>`` lines on stdout; LTO forwards
   them. Anything else on stdout/stderr is kept for the error message.
4. It exits 0 after writing ``result.json``: a ``SimulationResult`` for the same ``job_id``.
A non-zero exit, a time-out (the whole process group is killed), a missing or malformed result
or one for another job each raise ``SimulationError`` saying which; nothing hangs.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lto.atlas.contracts import JobParameters, SimulationResult
from lto.atlas.wording import plain_rule
from lto.matrix.ports import ProgressCallback, SimulationError, SimulatorPort

CONTRACT = "lto.simulation/1"
_TAIL = 2000


class ExternalProcessSimulator(SimulatorPort):
    def __init__(
        self,
        command: str | Sequence[str],
        *,
        timeout_s: float = 600.0,
        name: str = "external",
        env: dict[str, str] | None = None,
    ) -> None:
        self.command = shlex.split(command) if isinstance(command, str) else list(command)
        if not self.command:
            raise ValueError("command: must name a program to run")
        if not timeout_s > 0:
            raise ValueError(f"timeout_s: must be > 0 (got {timeout_s})")
        self.timeout_s = timeout_s
        self.name = name
        self.env = env

    def health(self) -> dict[str, Any]:
        from shutil import which

        program = self.command[0]
        found = Path(program).exists() or which(program) is not None
        return {
            "status": "ok" if found else "unavailable",
            "simulator": self.name,
            "command": program,
        }

    def run(
        self, job_id: str, parameters: JobParameters, progress: ProgressCallback | None = None
    ) -> SimulationResult:
        with tempfile.TemporaryDirectory(prefix="lto-job-") as workdir:
            folder = Path(workdir)
            job_file, result_file = folder / "job.json", folder / "result.json"
            job_file.write_text(
                json.dumps(
                    {
                        "contract": CONTRACT,
                        "job_id": job_id,
                        "parameters": parameters.model_dump(mode="json"),
                    }
                )
            )
            args = [
                a.format(input=job_file, output=result_file, workdir=folder) for a in self.command
            ]
            stdout_tail = self._execute(args, folder, progress)
            return self._read_result(result_file, job_id, stdout_tail)

    def _execute(self, args: list[str], folder: Path, progress: ProgressCallback | None) -> str:
        try:
            process = subprocess.Popen(
                args, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, start_new_session=True, env={**os.environ, **(self.env or {})},
            )  # fmt: skip
        except OSError as exc:
            raise SimulationError(
                f"external simulator {self.name!r} could not start {args[0]!r}: {exc.strerror}"
            ) from exc
        lines: list[str] = []
        errors: list[str] = []
        readers = [
            threading.Thread(
                target=self._read_stdout, args=(process, lines, progress), daemon=True
            ),
            threading.Thread(
                target=lambda: errors.append(process.stderr.read() if process.stderr else ""),
                daemon=True,
            ),
        ]
        for reader in readers:
            reader.start()
        try:
            code = process.wait(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise SimulationError(
                f"external simulator {self.name!r} timed out after {self.timeout_s:g} s and was stopped"
            ) from None
        for reader in readers:
            reader.join(timeout=5)
        output = "".join(lines)[-_TAIL:]
        if code != 0:
            detail = ("".join(errors) or output).strip()[-_TAIL:]
            raise SimulationError(
                f"external simulator {self.name!r} exited with status {code}: {detail or 'no message'}"
            )
        return output

    @staticmethod
    def _read_stdout(
        process: subprocess.Popen[str], lines: list[str], progress: ProgressCallback | None
    ) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            parts = line.split(maxsplit=2)
            if len(parts) >= 2 and parts[0] == "PROGRESS":
                try:
                    fraction = min(max(float(parts[1]), 0.0), 1.0)
                except ValueError:
                    lines.append(line)
                    continue
                if progress is not None:
                    progress(fraction, parts[2].strip() if len(parts) > 2 else "")
            else:
                lines.append(line)

    def _read_result(self, result_file: Path, job_id: str, stdout_tail: str) -> SimulationResult:
        if not result_file.exists():
            raise SimulationError(
                f"external simulator {self.name!r} exited 0 but wrote no result.json"
            )
        try:
            result = SimulationResult.model_validate_json(result_file.read_text())
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'result'}: {plain_rule(e['msg'])}"
                for e in exc.errors()[:5]
            )
            raise SimulationError(
                f"external simulator {self.name!r} wrote an invalid result.json: {problems}"
            ) from exc
        if result.job_id != job_id:
            raise SimulationError(
                f"external simulator {self.name!r} answered for job {result.job_id!r}, not {job_id!r}"
            )
        return result
