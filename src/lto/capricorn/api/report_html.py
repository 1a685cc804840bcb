"""The job report as one self-contained HTML document (``report.report_html`` calls
``render``): inline styles, pictures as PNG data URIs, no script, no link, nothing fetched.

Every value is escaped here (``html.escape`` with quotes), whoever wrote it: the job's metadata
and notes are the user's, the reasons and errors the pipeline's or a simulator's. The only
unescaped text is the markup itself and the data URIs, which are base64 (``A–Z a–z 0–9 + / =``)
behind a fixed ``data:image/png;base64,`` prefix.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

_DATA_URI = re.compile(r"data:image/png;base64,[A-Za-z0-9+/]*={0,2}")
MISSING = "—"
STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;
margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dce3;
padding-bottom:4px}
.meta{color:#4d5666;margin:0}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceef2;vertical-align:top}
th{background:#f4f6f9;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;
background:#e6e9ef}
.passed{background:#dff3e4;color:#14532d}.anomaly{background:#fde8d7;color:#7c2d12}
.rejected,.blocked,.failed{background:#fde2e2;color:#7f1d1d}
.pending,.cancelled{background:#e6e9ef;color:#374151}
.verdict{padding:10px 14px;border-radius:6px;margin-top:16px}
.yes{color:#14532d;font-weight:600}.no{color:#b91c1c;font-weight:600}
.note{color:#6b7280;font-style:italic}
figure{margin:14px 0}figure img{max-width:100%;height:auto;border:1px solid #eceef2}
figcaption{color:#4d5666;font-size:13px}
footer{margin-top:32px;color:#6b7280;font-size:12px}
@media print{body{padding:0}section{break-inside:avoid}}
"""


def e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def number(value: Any, unit: str = "", *, bound: bool = False) -> str:
    """A value for a table cell: 4 significant digits, ``—`` when absent, ``≥`` on a bound."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:.4g}" if abs(value) >= 1e-6 else "0"  # a root-find's 1e-12 is 0
    elif isinstance(value, list | tuple):
        text = " – ".join(number(v) for v in value)
    else:
        text = str(value)
    return e(("≥ " if bound else "") + text + (f" {unit}" if unit else ""))


def when(value: Any) -> str:
    if isinstance(value, datetime):
        return e(value.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
    return e(value) if value is not None else MISSING


def _table(
    headers: Iterable[str], rows: Iterable[Iterable[str]], numeric: frozenset[int] = frozenset()
) -> str:
    """Cells are markup already (escaped by the caller)."""
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _within(row: Mapping[str, Any]) -> str:
    if row["within"] is None:
        return MISSING
    mark = '<span class="yes">within</span>' if row["within"] else '<span class="no">outside</span>'
    return mark + ("" if row["judged"] else ' <span class="note">(not judged)</span>')


def _verdict(doc: Mapping[str, Any]) -> str:
    verdict = doc["verdict"]
    outcome = verdict["outcome"] if verdict["outcome"] in _OUTCOMES else "pending"
    parts = [
        f'<section class="verdict {outcome}"><h2>Verdict: {e(outcome)}</h2>',
        f"<p>{e(verdict['summary'])}</p>",
    ]
    if verdict["details"]:
        parts.append("<ul>" + "".join(f"<li>{e(d)}</li>" for d in verdict["details"]) + "</ul>")
    if verdict["anomalous"]:
        parts.append(f"<p>Scores that flagged it: {e(', '.join(verdict['anomalous']))}</p>")
    if verdict["review_note"]:
        parts.append(
            f"<p>Review note ({e(verdict['reviewed_by'])}): {e(verdict['review_note'])}</p>"
        )
    if verdict["alternative"]:
        rows = [(e(k), number(v)) for k, v in sorted(verdict["alternative"].items())]
        parts.append("<p>Pre-flight's alternative, which satisfies the profile:</p>")
        parts.append(_table(("parameter", "value"), rows, frozenset({1})))
    parts.append("</section>")
    return "".join(parts)


_OUTCOMES = {"passed", "anomaly", "rejected", "blocked", "failed", "cancelled", "pending"}


def _parameters(doc: Mapping[str, Any]) -> str:
    rows = [(e(p["label"]), number(p["value"], p["unit"]), e(p["name"])) for p in doc["parameters"]]
    out = "<section><h2>Parameters</h2>" + _table(
        ("parameter", "value", "field"), rows, frozenset({1})
    )
    if doc["metadata"]:
        meta = [(e(k), e(v)) for k, v in sorted(doc["metadata"].items())]
        out += "<h2>Metadata</h2>" + _table(("key", "value"), meta)
    return out + "</section>"


def _scores(doc: Mapping[str, Any]) -> str:
    pre = doc["preflight"]
    out = ["<section><h2>Pre-flight prediction vs the physics</h2>"]
    if pre is None:
        out.append('<p class="note">No prediction was made before the run.</p>')
    else:
        level = pre["confidence_level"] or 0.95
        flags = [n.replace("_", " ") for n in ("high_uncertainty", "out_of_distribution",
                                                "drift_detected") if pre[n]]  # fmt: skip
        out.append(
            f"<p>Surrogate {e(pre['model_version'])}, {number(pre['inference_time_ms'], 'ms')}; "
            f"intervals at {e(f'{level:.0%}')}; "
            f"{e('flags: ' + ', '.join(flags)) if flags else 'no uncertainty flags'}"
            f"{'; it recommended the physics' if pre['recommend_physics'] else ''}.</p>"
        )
    if doc["preflight_note"]:
        out.append(f"<p>{e(doc['preflight_note'])}</p>")
    rows = [
        (
            e(s["label"]),
            number(s["predicted_mean"]),
            number([s["lower"], s["upper"]]) if s["lower"] is not None else MISSING,
            number(s["actual"]),
            _within(s),
        )
        for s in doc["scores"]
    ]
    out.append(
        _table(
            ("score", "predicted", "interval", "actual", "actual in the interval"),
            rows,
            frozenset({1, 2, 3}),
        )
    )
    return "".join(out) + "</section>"


def _result(doc: Mapping[str, Any]) -> str:
    result = doc["result"]
    if result is None:
        return f'<section><h2>Result</h2><p class="note">No result: {e(doc["state_summary"])}.</p></section>'
    rows = [
        (e(m["label"]), number(m["value"], m["unit"], bound=m["is_bound"]))
        for m in result["metrics"]
    ]
    rows += [
        (e("dose range searched"), number(result["dose_range_mj_cm2"], "mJ/cm²")),
        (e("focus range searched"), number(result["focus_range_nm"], "nm")),
    ]
    tolerance = f"{doc['cd_tolerance_fraction']:.0%}"
    window = result["window_status"] or MISSING
    reason = f" ({e(result['window_reason'])})" if result["window_reason"] else ""
    run = (
        f"<p>{e(result['simulator'])} on {e(result['backend'] or '?')} / {e(result['device'] or '?')}"
        f"{', ' + e(result['method']) if result['method'] else ''}, "
        f"{number(result['wall_time_s'], 's')}; process window: {e(window)}{reason}. "
        f"CD tolerance ±{e(tolerance)}; ≥ marks a bound "
        "(the window was still open where the search stopped).</p>"
    )
    return (
        "<section><h2>Result</h2>"
        + run
        + _table(("quantity", "value"), rows, frozenset({1}))
        + "</section>"
    )


def _figures(doc: Mapping[str, Any], pictures: Mapping[str, str]) -> str:
    out = ["<section><h2>Figures</h2>"]
    for figure in doc["figures"]:
        uri = pictures.get(figure["name"])
        out.append(f"<h3>{e(figure['title'])}</h3>")
        if uri is not None and _DATA_URI.fullmatch(uri):
            out.append(
                f'<figure><img src="{uri}" alt="{e(figure["title"])}">'
                f"<figcaption>{e(figure['caption'])}</figcaption></figure>"
            )
        else:
            out.append(f'<p class="note">{e(figure["note"] or "no picture")}</p>')
    return "".join(out) + "</section>"


def _history(doc: Mapping[str, Any]) -> str:
    rows = [(e(c["state"]), when(c["at"]), e(c["reason"])) for c in doc["history"]]
    return (
        "<section><h2>History</h2>" + _table(("state", "at (UTC)", "reason"), rows) + "</section>"
    )


def render(doc: Mapping[str, Any], pictures: Mapping[str, str]) -> str:
    """``doc`` is ``report.report_json``'s document; ``pictures`` the data URIs by figure."""
    state = doc["verdict"]["outcome"] if doc["verdict"]["outcome"] in _OUTCOMES else "pending"
    header = (
        f'<header><h1>{e(doc["title"])}</h1><p class="meta">'
        f'<span class="badge {state}">{e(doc["state"])}</span> '
        f"submitted by {e(doc['submitted_by'])} at {when(doc['submitted_at'])}, "
        f"last change {when(doc['updated_at'])}; profile {e(doc['profile'] or MISSING)}</p></header>"
    )
    notes = ""
    if doc["notes"]:
        notes = (
            "<section><h2>Notes</h2><ul>"
            + "".join(f"<li>{e(n)}</li>" for n in doc["notes"])
            + "</ul></section>"
        )
    footer = (
        f"<footer>Generated by LTO {e(doc['lto_version'])} at {when(doc['generated_at'])} from "
        f"{e(doc['links']['report_html'])}. Focus is positive into the resist.</footer>"
    )
    body = "".join(
        (header, _verdict(doc), _parameters(doc), _scores(doc), _result(doc), _figures(doc, pictures),
         _history(doc), notes, footer)
    )  # fmt: skip
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(doc['title'])}</title><style>{STYLE}</style></head><body>{body}</body></html>\n"
    )


__all__ = ["render"]
