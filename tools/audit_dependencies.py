"""The dependency audit that works where pip-audit cannot: PyPI's own advisories, per package.

pip-audit asks PyPI for each installed version (``/pypi/NAME/VERSION/json``) or asks OSV; on
LTO's development machines the per-version endpoint answers 404 and OSV does not resolve, so
pip-audit reports every dependency as "not found on PyPI" and audits nothing. The project
endpoint (``/pypi/NAME/json``) does answer, and its ``vulnerabilities`` are the advisories
(from the PyPA advisory database) that affect the project's latest release. So this audits
every installed distribution that *is* the latest release, and lists the others by name, not
audited, with their latest version: upgrading one makes it auditable here (and usually fixes
what it had). Use pip-audit wherever it can reach its services.

    .venv/bin/python tools/audit_dependencies.py          # exit 1 when an advisory applies
    .venv/bin/python tools/audit_dependencies.py --json   # the findings as JSON
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

INDEX = "https://pypi.org/pypi/{name}/json"


@dataclass
class Finding:
    name: str
    installed: str
    latest: str = ""
    audited: bool = False
    advisories: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""


def installed() -> dict[str, str]:
    """Every distribution in this environment but LTO itself: name → version."""
    found = {}
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower()
        if name and name != "lto":
            found[name] = dist.version
    return found


def _project(name: str) -> dict[str, Any]:
    with urllib.request.urlopen(INDEX.format(name=name), timeout=30) as answer:
        return dict(json.load(answer))


def audit(name: str, version: str) -> Finding:
    finding = Finding(name, version)
    try:
        project = _project(name)
    except (urllib.error.URLError, OSError, ValueError) as error:
        finding.error = str(error)
        return finding
    finding.latest = str(project["info"]["version"])
    if finding.latest != version:
        return finding
    finding.audited = True
    finding.advisories = [
        {"id": v.get("id"), "fixed_in": v.get("fixed_in"), "summary": v.get("summary") or ""}
        for v in project.get("vulnerabilities") or []
        if not v.get("withdrawn")
    ]
    return finding


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    args = parser.parse_args()
    packages = installed()
    with ThreadPoolExecutor(max_workers=8) as pool:
        findings = sorted(pool.map(lambda item: audit(*item), packages.items()),
                          key=lambda f: f.name)  # fmt: skip
    if args.json:
        print(json.dumps([asdict(f) for f in findings], indent=2))
    else:
        audited = [f for f in findings if f.audited]
        print(f"{len(audited)} of {len(findings)} installed distributions are their latest "
              "release and were audited against PyPI's advisories")  # fmt: skip
        for f in findings:
            for advisory in f.advisories:
                print(f"ADVISORY {f.name} {f.installed}: {advisory['id']} (fixed in "
                      f"{', '.join(advisory['fixed_in'] or ['-'])}) {advisory['summary']}")  # fmt: skip
        behind = [f"{f.name} {f.installed} (latest {f.latest})" for f in findings
                  if f.latest and not f.audited]  # fmt: skip
        if behind:
            print(f"not audited, older than the latest release ({len(behind)}): "
                  + ", ".join(behind))  # fmt: skip
        if failed := [f"{f.name}: {f.error}" for f in findings if f.error]:
            print(f"could not be looked up ({len(failed)}): " + "; ".join(failed))
    return 1 if any(f.advisories for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
