"""Users and their credentials: what ``lto users create`` and ``lto keys create`` do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lto.atlas.users import ApiKey, User
from lto.capricorn.service.handlers import NotFound
from lto.capricorn.service.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # shown once: only its hash is stored


def create_user(
    uow_factory: UnitOfWorkFactory,
    name: str,
    *,
    role: str = "engineer",
    email: str | None = None,
    password_hash: str | None = None,
) -> User:
    """A new user (``DuplicateName`` if the name is taken)."""
    user = User(name=name.strip(), role=role, email=email)
    if password_hash is not None:
        user.set_password_hash(password_hash)
    with uow_factory() as uow:
        uow.actor = "lto users create"
        uow.users.add(user)
        uow.commit()
    return user


def issue_key(uow_factory: UnitOfWorkFactory, user_name: str, scopes: Sequence[str]) -> IssuedKey:
    """A new key for ``user_name`` with ``scopes`` (all the role allows when empty)."""
    with uow_factory() as uow:
        uow.actor = "lto keys create"
        user = uow.users.by_name(user_name)
        if user is None:
            raise NotFound("user", user_name)
        key, secret = user.issue_key(scopes or user.allowed_scopes)
        uow.commit()
    return IssuedKey(key, secret)


def revoke_key(uow_factory: UnitOfWorkFactory, user_name: str, key_id: str) -> ApiKey:
    with uow_factory() as uow:
        user = uow.users.by_name(user_name)
        if user is None:
            raise NotFound("user", user_name)
        key = user.revoke(key_id)
        uow.commit()
    return key


def set_password(uow_factory: UnitOfWorkFactory, user_name: str, password_hash: str) -> None:
    with uow_factory() as uow:
        user = uow.users.by_name(user_name)
        if user is None:
            raise NotFound("user", user_name)
        user.set_password_hash(password_hash)
        uow.commit()


__all__ = ["IssuedKey", "create_user", "issue_key", "revoke_key", "set_password"]
