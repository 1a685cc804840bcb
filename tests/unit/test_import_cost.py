"""`import lto` and `lto --help` must stay fast: no heavy library on their import path."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = [
    "torch",
    "xgboost",
    "lightning",
    "gpytorch",
    "mlflow",
    "evidently",
    "optuna",
    "cupy",
    "sqlalchemy",
    "fastapi",
    "dash",
    "pint",
]


@pytest.mark.parametrize(
    "module",
    ["lto", "lto.atlas", "lto.cli", "lto.bootstrap", "lto.config", "lto.daedalus", "lto.metis"],
)
def test_importing_loads_no_heavy_library(module: str) -> None:
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []


def test_cli_help_loads_no_heavy_library() -> None:
    code = (
        "import sys, json\n"
        "from lto.cli import cli\n"
        "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out.strip().splitlines()[-1])
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
