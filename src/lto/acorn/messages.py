"""Validation messages in plain words, naming the field by its label as the page shows it.

pydantic's wording ("Input should be a valid number, unable to parse string as a number") and
the API's locations (``query.since``, ``body.job.na``, ``free.0.low``) are for programs; a
person reads "Numerical aperture NA: must be a number". Every message the web app shows
about bad input, its own form's or the API's problem details, goes through here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from lto.acorn.labels import PARAMETER_LABELS, value_label, words
from lto.atlas.wording import in_words, without_prefix

Labels = Mapping[str, str]
LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})

# the API's own names beside the job's parameters: its query filters and request bodies
API_LABELS: Labels = {
    "since": "From",
    "until": "Until",
    "limit": "Page size",
    "cursor": "Page",
    "status": "State",
    "state": "State",
    "severity": "Severity",
    "job": "base job",
    "free": "free parameter",
    "objectives": "objective",
    "constraints": "constraint",
    "trials": "Trials",
    "sampler": "Sampler",
    "seed": "Seed",
    "evaluator": "Evaluator",
    "low": "low",
    "high": "high",
    "bound": "bound",
    "operator": "operator",
    "name": "name",
    "note": "Note",
    "decision": "Decision",
}


def _choices(text: str) -> str:
    """ "'line_space', 'contact_array' or 'line_end'" → "Lines and spaces, Contact array or
    Line ends" (pydantic's enum members, ``<Shape.DIPOLE: 'dipole'>``, spelled alike)."""
    found = [value_label(v) for v in re.findall(r"'([^']*)'", text)]
    if not found:
        return text
    return found[0] if len(found) == 1 else f"{', '.join(found[:-1])} or {found[-1]}"


# snake_case names of the job's fields inside a rule ("target_cd_nm (95) must be smaller than
# pitch_nm (90)"); a one-word name only where a value follows it ("sigma (0.9)")
_NAMED = re.compile(
    r"\b(" + "|".join(sorted((n for n in PARAMETER_LABELS if "_" in n), key=len, reverse=True))
    + r")\b|\b(" + "|".join(n for n in PARAMETER_LABELS if "_" not in n) + r")(?= \()"
)  # fmt: skip
# a location inside a sentence ("query.since: …", "body.na: …")
_LOCATION = re.compile(r"\b(?:body|query|path|header|cookie)\.([A-Za-z_][\w.-]*)")


def plain_rule(rule: str, labels: Labels | None = None) -> str:
    """pydantic's or the API's rule in plain words; a rule already in words is kept, with the
    fields it names by their labels."""
    worded = in_words(rule, _choices)
    if worded is not None:
        return worded.replace("a setting LTO knows", "a setting the API knows")
    return _name_fields(without_prefix(rule), labels)


def _name_fields(text: str, labels: Labels | None) -> str:
    text = _LOCATION.sub(lambda m: field_label(m[1], labels), text)
    return _NAMED.sub(lambda m: _label(m[0], labels), text)


def _label(name: str, labels: Labels | None) -> str:
    for source in (labels or {}, PARAMETER_LABELS, API_LABELS):
        if name in source:
            return source[name]
    return words(name)


def field_label(path: str, labels: Labels | None = None) -> str:
    """Where a problem is, as the page names it: ``query.since`` → "From" (or the page's own
    label for it), ``free.0.low`` → "low (free parameter 1)"; "The request" for the body."""
    parts = [p for p in str(path or "").split(".") if p]
    while parts and parts[0] in LOCATIONS:
        parts = parts[1:]
    if not parts:
        return "The request"
    whole = ".".join(parts)
    if labels and whole in labels:
        return labels[whole]
    names = [i for i, p in enumerate(parts) if not p.isdigit()]
    leaf = names[-1] if names else len(parts) - 1
    within = [
        f"{_label(p, labels)} {int(parts[i + 1]) + 1}"
        if i + 1 < len(parts) and parts[i + 1].isdigit()
        else _label(p, labels)
        for i, p in enumerate(parts[:leaf])
        if not p.isdigit()
    ]
    named = _label(parts[leaf], labels)
    return f"{named} ({', '.join(within)})" if within else named


def field_message(field: str, rule: str, labels: Labels | None = None) -> str:
    """ "Numerical aperture NA: must be a number": the field's label, then its rule in words
    (once, where the rule already starts with it)."""
    label = field_label(field, labels)
    said = plain_rule(rule, labels)
    return said if said.startswith(label) else f"{label}: {said}"


def problems_text(errors: Iterable[Mapping[str, Any]], labels: Labels | None = None) -> str:
    """The API's ``errors`` (``{field, rule}`` each) as one sentence a person reads."""
    said = [
        field_message(str(e.get("field") or ""), str(e.get("rule") or "is not valid"), labels)
        for e in errors
        if e
    ]
    return "; ".join(dict.fromkeys(said))


def plain_text(text: str, labels: Labels | None = None) -> str:
    """A sentence from the API (a problem's ``detail``, a trial's reasons) with its
    "query.x: rule" and "na: rule" parts said plainly, each field by its label."""
    out = []
    for part in re.split(r";\s+", str(text)):
        found = re.match(r"^([A-Za-z_][\w.-]*):\s*(.*)$", part)
        if found is not None and _is_field(found[1], labels):
            out.append(field_message(found[1], found[2], labels))
        else:
            out.append(_name_fields(part, labels))
    return "; ".join(out)


def _is_field(path: str, labels: Labels | None) -> bool:
    """Whether "path: …" names a field (a location, or a name the page or the job knows)."""
    parts = path.split(".")
    if parts[0] in LOCATIONS:
        return True
    known = (labels or {}, PARAMETER_LABELS)
    return any(path in source or parts[-1] in source for source in known)


__all__ = [
    "API_LABELS",
    "Labels",
    "field_label",
    "field_message",
    "plain_rule",
    "plain_text",
    "problems_text",
]
