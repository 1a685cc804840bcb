"""tools/audit_dependencies.py: a dependency is audited only when it is its latest release (the
release PyPI's project page lists advisories for); an advisory that applies fails the audit."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import pytest

from tests.conftest import REPO


@pytest.fixture
def tool() -> Any:
    spec = importlib.util.spec_from_file_location(
        "audit_dependencies", REPO / "tools" / "audit_dependencies.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["audit_dependencies"] = module
    spec.loader.exec_module(module)
    return module


def pypi(latest: str, *advisories: dict[str, Any]) -> dict[str, Any]:
    return {"info": {"version": latest}, "vulnerabilities": list(advisories)}


def test_only_the_latest_release_is_audited(tool: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tool, "_project", lambda name: pypi("2.0", {"id": "GHSA-x"}))
    assert not tool.audit("old", "1.0").audited
    assert not tool.audit("old", "1.0").advisories  # the advisory is the latest's, not 1.0's
    current = tool.audit("new", "2.0")
    assert current.audited
    assert [a["id"] for a in current.advisories] == ["GHSA-x"]


def test_withdrawn_advisories_do_not_count(tool: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tool, "_project", lambda name: pypi("2.0", {"id": "A", "withdrawn": "x"}))
    assert tool.audit("pkg", "2.0").advisories == []


def test_an_advisory_fails_the_audit_and_an_unreachable_index_is_said(
    tool: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tool, "installed", lambda: {"bad": "1.0", "gone": "3.0"})

    def project(name: str) -> dict[str, Any]:
        if name == "gone":
            raise OSError("no route to pypi.org")
        return pypi("1.0", {"id": "PYSEC-1", "fixed_in": ["1.1"], "summary": "leaks"})

    monkeypatch.setattr(tool, "_project", project)
    monkeypatch.setattr(sys, "argv", ["audit_dependencies.py"])
    assert tool.main() == 1
    out = capsys.readouterr().out
    assert "ADVISORY bad 1.0: PYSEC-1 (fixed in 1.1) leaks" in out
    assert "gone: no route to pypi.org" in out
