"""The dependency rules of DESIGN.md section 2, enforced by import-linter.

The first test runs the contracts on LTO itself. The others prove that each contract can
fail: they copy the package, plant one module that breaks exactly that rule, and expect
import-linter to report that contract broken.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = REPO / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(src: Path, cwd: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    args = [str(LINT_IMPORTS), "--config", str(PYPROJECT), "--no-cache", "--no-logo"]
    for contract in contracts:
        args += ["--contract", contract]
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_lto_keeps_every_contract(tmp_path: Path) -> None:
    run = lint_imports(REPO / "src", tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    assert f"Contracts: {len(contracts)} kept, 0 broken." in run.stdout


# (contract id, module planted, the import that breaks the rule)
VIOLATIONS = [
    ("layers", "lto/atlas/_bad.py", "import lto.capricorn"),
    ("layers", "lto/matrix/_bad.py", "import lto.daedalus"),
    ("layers", "lto/athena/_bad.py", "import lto.metis"),
    ("atlas-pure", "lto/atlas/_bad.py", "import sqlalchemy"),
    ("atlas-pure", "lto/atlas/_bad.py", "import lto.athena"),
    ("athena-pure", "lto/athena/_bad.py", "import lto.atlas"),
    ("athena-pure", "lto/athena/_bad.py", "import torch"),
    ("matrix-deps", "lto/matrix/_bad.py", "import lto.config"),
    ("daedalus-deps", "lto/daedalus/_bad.py", "import lto.matrix"),
    ("metis-ports-only", "lto/metis/_bad.py", "import lto.matrix.adapters"),
    ("capricorn-deps", "lto/capricorn/_bad.py", "import lto.acorn"),
    ("acorn-http-only", "lto/acorn/_bad.py", "import lto.capricorn"),
    ("acorn-http-only", "lto/acorn/_bad.py", "import sqlalchemy"),
    ("client-http-only", "lto/client/_bad.py", "import lto.capricorn"),
]


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine")
    shutil.copytree(
        REPO / "src" / "lto", root / "lto", ignore=shutil.ignore_patterns("__pycache__")
    )
    return root


def test_every_contract_has_a_planted_violation() -> None:
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    assert {c["id"] for c in contracts} == {contract for contract, *_ in VIOLATIONS}


@pytest.mark.parametrize(("contract", "module", "statement"), VIOLATIONS, ids=lambda v: str(v))
def test_each_contract_fails_when_broken(
    package_copy: Path, tmp_path: Path, contract: str, module: str, statement: str
) -> None:
    src = tmp_path / "src"
    shutil.copytree(package_copy, src)
    (src / module).write_text(f"{statement}  # planted by test_architecture\n")
    run = lint_imports(src, tmp_path, contract)
    assert run.returncode != 0, run.stdout
    assert "BROKEN" in run.stdout
    assert "1 broken" in run.stdout
    assert module.removesuffix(".py").replace("/", ".") in run.stdout
