"""How Metis words what others raised: the first line of a library's message, for one-line
errors and trial reasons."""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
