"""The Python snippets in the README and the tutorial run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = ["README.md", "docs/tutorial-first-what-if.md", "docs/physics.md", "docs/optimization.md"]


def snippets() -> list[tuple[str, int, str]]:
    found = []
    for page in PAGES:
        for number, block in enumerate(
            re.findall(r"```python\n(.*?)```", (REPO / page).read_text(), flags=re.S)
        ):
            found.append((page, number, block))
    return found


@pytest.mark.parametrize(("page", "number", "code"), snippets(), ids=lambda v: str(v)[:40])
def test_snippet_runs(
    page: str, number: int, code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exec(compile(code, f"{page}[{number}]", "exec"), {"__name__": "__snippet__"})
