"""Domain errors: each names what was wrong and the rule it broke."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain model raises on purpose."""


class InvalidValue(DomainError, ValueError):
    """A value broke a rule. ``field`` and ``rule`` say which, for APIs and forms."""

    def __init__(self, field: str, rule: str, value: object = None) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        shown = "" if value is None else f" (got {value!r})"
        super().__init__(f"{field}: {rule}{shown}")


class UnknownName(DomainError, KeyError):
    """A lookup by name found nothing; the message lists the names that exist."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.known = known
        super().__init__(f"unknown {kind} {name!r}; known: {', '.join(known)}")

    def __str__(self) -> str:  # KeyError would otherwise quote the whole message
        return str(self.args[0])


class InvariantViolated(DomainError):
    """A change to an aggregate would break one of its invariants; nothing was changed."""


class IllegalTransition(DomainError):
    """A job was asked to move between two states the lifecycle does not connect."""

    def __init__(
        self, current: object, requested: object, allowed: list[str], why: str = ""
    ) -> None:
        self.current = current
        self.requested = requested
        options = ", ".join(allowed) if allowed else "none: it is a final state"
        super().__init__(
            why
            or f"illegal job transition {current} -> {requested}; from {current} the allowed "
            f"next states are: {options}"
        )
