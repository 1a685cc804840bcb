"""The evidently drift report, run for real and written to the filesystem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from lto.athena.drift import drift_report, psi


def test_evidently_report_agrees_with_our_psi_and_writes_html(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    reference = pd.DataFrame(
        {"na": rng.normal(1.2, 0.05, 1500), "dose_mj_cm2": rng.normal(30, 2, 1500)}
    )
    current = pd.DataFrame(
        {"na": rng.normal(1.3, 0.05, 1500), "dose_mj_cm2": rng.normal(30, 2, 1500)}
    )
    html = tmp_path / "drift.html"
    report = drift_report(reference, current, html_path=html)
    assert report["method"] == "psi"
    assert report["columns"]["na"]["drifted"] is True
    assert report["columns"]["dose_mj_cm2"]["drifted"] is False
    assert report["share_drifted"] == 0.5
    ours = psi(reference["na"], current["na"])
    assert abs(report["columns"]["na"]["score"] - ours) / ours < 0.25  # same statistic, own binning
    assert html.stat().st_size > 10_000
    assert "<html" in html.read_text(errors="ignore")[:5000].lower()


def test_evidently_is_imported_only_when_a_report_is_asked_for() -> None:
    code = "import sys, lto.athena; print('evidently' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
