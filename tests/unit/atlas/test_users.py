from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import pytest

from lto.atlas.errors import InvalidValue, InvariantViolated, UnknownName
from lto.atlas.users import KEY_PREFIX, ROLES, User, hash_key


def test_an_issued_key_shows_its_secret_once_and_keeps_only_the_hash() -> None:
    user = User(name="ada", email="ada@fab.example")
    key, secret = user.issue_key(["jobs:read", "jobs:write"])
    assert re.fullmatch(r"lto_[A-Za-z0-9_-]{43}", secret)  # 32 random bytes, URL-safe
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest() == hash_key(secret)
    assert key.prefix == secret[len(KEY_PREFIX) :][:8]
    assert len(key.prefix) == 8
    assert secret not in repr(key)
    assert key.user_id == user.id
    assert key.scopes == ("jobs:read", "jobs:write")
    assert key.created_at.tzinfo is not None
    assert key.last_used_at is None
    assert key.revoked_at is None
    assert key.active
    assert key.matches(secret)
    assert not key.matches(secret + "x")
    assert user.keys == [key]
    assert user.key(key.id) is key


def test_every_key_is_different() -> None:
    user = User(name="ada")
    secrets = {user.issue_key(["jobs:read"])[1] for _ in range(50)}
    assert len(secrets) == 50
    assert len({k.id for k in user.keys}) == len({k.key_hash for k in user.keys}) == 50


def test_scopes_are_kept_in_order_without_repeats_and_checked() -> None:
    user = User(name="ada")
    key, _ = user.issue_key(["jobs:write", "jobs:read", "jobs:write"])
    assert key.scopes == ("jobs:write", "jobs:read")
    assert key.allows("jobs:read")
    assert not key.allows("admin")
    for bad in ([], [""], ["jobs read"], [" jobs:read"]):
        with pytest.raises(InvalidValue, match=r"api_key\.scopes"):
            user.issue_key(bad)
    assert len(user.keys) == 1


def test_a_revoked_key_stays_on_record_and_revoking_twice_keeps_the_first_time() -> None:
    user = User(name="ops", role="service")
    key, _ = user.issue_key(["jobs:read"])
    other, _ = user.issue_key(["jobs:read"])
    first = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert user.revoke(key.id, at=first) is key
    assert key.revoked_at == first
    assert not key.active
    assert not key.allows("jobs:read")
    user.revoke(key.id, at=datetime(2026, 12, 4, tzinfo=UTC))
    assert key.revoked_at == first
    assert user.keys == [key, other]
    assert user.active_keys == [other]
    with pytest.raises(UnknownName, match="unknown API key 'key-nope'"):
        user.revoke("key-nope")


def test_users_have_a_name_and_a_known_role() -> None:
    assert set(ROLES) == {"engineer", "operator", "admin", "service"}
    for role in ROLES:
        assert User(name="someone", role=role).role == role
    assert User(name="someone").role == "engineer"
    with pytest.raises(InvalidValue, match=r"user\.role"):
        User(name="someone", role="root")
    with pytest.raises(InvalidValue, match=r"user\.name"):
        User(name="  ")
    with pytest.raises(InvalidValue, match=r"user\.email"):
        User(name="someone", email="not an address")
    made = User(name="someone")
    assert made.id.startswith("user-")
    assert made.created_at.tzinfo is UTC
    assert not made.disabled


def test_a_disabled_user_gets_no_new_keys() -> None:
    user = User(name="leaver")
    user.issue_key(["jobs:read"])
    user.disable()
    assert user.disabled
    with pytest.raises(InvariantViolated, match="disabled"):
        user.issue_key(["jobs:read"])
    assert len(user.keys) == 1
