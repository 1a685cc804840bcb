"""Passwords, hashed with Argon2id (argon2-cffi's defaults: RFC 9106's second recommendation)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

MIN_LENGTH = 12


@lru_cache(maxsize=1)
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"password: must be at least {MIN_LENGTH} characters")
    if password.strip() != password:
        raise ValueError("password: must not start or end with whitespace")


def hash_password(password: str) -> str:
    check_strength(password)
    return str(_hasher().hash(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one hashed; a user without a password never matches (but
    the work is done anyway, so timing does not say which users have one)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    target = password_hash or _dummy()
    try:
        ok = bool(_hasher().verify(target, password))
    except (VerificationError, InvalidHashError):
        return False
    return ok and password_hash is not None


@lru_cache(maxsize=1)
def _dummy() -> str:
    return str(_hasher().hash("no password is set for this user"))


__all__ = ["MIN_LENGTH", "check_strength", "hash_password", "verify_password"]
