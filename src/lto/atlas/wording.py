"""pydantic's validation messages in plain words, for every interface LTO has.

pydantic writes for programmers ("Input should be less than or equal to 1.35", "Field
required", "Extra inputs are not permitted"); an engineer reads "must be at most 1.35",
"required", "is not a setting LTO knows". The CLI, the API's problem details and the web app
all say a rule through ``plain_rule``; the web app also names the field by its label and the
choices by their labels (``choices``), the API and CLI keep the values a client must send.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
Choices = Callable[[str], str]


def number_as_written(text: str) -> str:
    """A bound as a person writes it: 10000.0 → 10,000; 0.01 stays."""
    try:
        value = float(text)
    except ValueError:
        return text
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.10f}".rstrip("0").rstrip(".")


def quoted_choices(text: str) -> str:
    """The choices as they must be sent, quoted: 'line_space', 'contact_array' or 'line_end'
    (pydantic's enum members, ``<Shape.DIPOLE: 'dipole'>``, as their values)."""
    return re.sub(r"<\w+\.\w+: ('[^']*')>", r"\1", text)


def _rule(pattern: str, say: str | Callable[[re.Match[str]], str]) -> Rule:
    answer = say if callable(say) else (lambda _found, text=say: text)
    return re.compile(pattern, re.IGNORECASE), answer


def _rules(choices: Choices) -> tuple[Rule, ...]:
    at = number_as_written
    return (
        _rule(r"^field required$", "required"),
        _rule(r"^input should be a finite number", "must be a finite number"),
        _rule(r"^input should be a valid number", "must be a number"),
        _rule(r"^input should be a valid integer", "must be a whole number"),
        _rule(r"^input should be a valid boolean", "must be yes or no (true or false)"),
        _rule(r"^input should be a valid (datetime|date|time)",
              "must be a date and time with a zone, like 2026-12-01T00:00Z"),
        _rule(r"^input should be a valid string", "must be text"),
        _rule(r"^input should be a valid (list|array|tuple|set)", "must be a list"),
        _rule(r"^input should be a valid (dictionary|object)", "must be a set of named values"),
        _rule(r"^input should be greater than or equal to (\S+)$",
              lambda m: f"must be at least {at(m[1])}"),
        _rule(r"^input should be greater than (\S+)$", lambda m: f"must be greater than {at(m[1])}"),
        _rule(r"^input should be less than or equal to (\S+)$",
              lambda m: f"must be at most {at(m[1])}"),
        _rule(r"^input should be less than (\S+)$", lambda m: f"must be less than {at(m[1])}"),
        _rule(r"^input should be (('|<).*)$", lambda m: f"must be one of {choices(m[1])}"),
        _rule(r"^string should have at least 1 character", "must not be empty"),
        _rule(r"^string should have at least (\d+) characters",
              lambda m: f"must be at least {m[1]} characters long"),
        _rule(r"^string should have at most (\d+) characters?",
              lambda m: f"must be at most {m[1]} characters long"),
        _rule(r"^string should match pattern", "holds characters that are not allowed there"),
        _rule(r"^(list|tuple|set) should have at least (\d+) items?",
              lambda m: f"needs at least {m[2]}"),
        _rule(r"^(list|tuple|set) should have at most (\d+) items?",
              lambda m: f"takes at most {m[2]}"),
        _rule(r"^dictionary should have at most (\d+) items?",
              lambda m: f"takes at most {m[1]} entries"),
        _rule(r"^extra inputs are not permitted", "is not a setting LTO knows"),
        _rule(r"^json decode error|^invalid json", "is not valid JSON"),
        _rule(r"^input should be (.*)$", lambda m: f"must be {m[1]}"),
    )  # fmt: skip


_PREFIXES = re.compile(r"^(value error|assertion failed), ", re.IGNORECASE)
_QUOTED_RULES = _rules(quoted_choices)


def without_prefix(rule: str) -> str:
    """``rule`` less the "Value error, " (or "Assertion failed, ") pydantic puts before LTO's
    own rules."""
    return _PREFIXES.sub("", str(rule).strip())


def in_words(rule: str, choices: Choices | None = None) -> str | None:
    """pydantic's wording of ``rule`` in plain words; None when it is not pydantic's (a rule
    LTO wrote itself, already in words)."""
    text = without_prefix(rule)
    for pattern, say in _rules(choices) if choices else _QUOTED_RULES:
        found = pattern.search(text)
        if found is not None:
            return say(found)
    return None


def plain_rule(rule: str, choices: Choices | None = None) -> str:
    """``rule`` in plain words: pydantic's wording translated, LTO's own kept (less the
    "Value error, " pydantic puts before it)."""
    return in_words(rule, choices) or without_prefix(rule)


__all__ = ["in_words", "number_as_written", "plain_rule", "quoted_choices", "without_prefix"]
