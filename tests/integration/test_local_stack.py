"""The deploy without a Docker engine: docker/local_stack.py starts the commands compose.yaml
gives its containers (migrate, mlflow, api with 2 processes, 2 workers, scheduler, web) against
the machine's real PostgreSQL and RabbitMQ, and smoke-tests them through the API."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.timeout(1500)
def test_the_compose_commands_run_and_pass_the_smoke_test() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "docker" / "local_stack.py")],
        capture_output=True, text=True, timeout=1400, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    assert "SMOKE PASSED" in done.stdout
    for check in ("components healthy", "run by a worker", "trained with `lto train`",
                  "every component healthy", "sign-in page served"):  # fmt: skip
        assert check in done.stdout, done.stdout
    started = [line for line in done.stdout.splitlines() if line.strip().startswith("started")]
    assert sum("worker#" in line for line in started) == 2
