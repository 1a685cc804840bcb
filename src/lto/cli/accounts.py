"""``lto users`` and ``lto keys``: who may call the API, and with which credential."""

from __future__ import annotations

import json
import sys

import click

from lto.cli.errors import CliError, ExitCode

ROLE_HELP = (
    "engineer: their own jobs, predictions, optimisations; operator: every job, cells, ingest; "
    "admin: everything, models included; service: a system calling LTO."
)


@click.group()
def users() -> None:
    """Users of the API (their keys: `lto keys`)."""


@users.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["engineer", "operator", "admin", "service"]),
    default="engineer",
    show_default=True,
    help=ROLE_HELP,
)
@click.option("--email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read a password (for `POST /api/v1/auth/token`) from stdin; 12+ characters.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the user as JSON.")
def users_create(
    name: str, role: str, email: str | None, password_stdin: bool, as_json: bool
) -> None:
    """Create a user; `lto keys create NAME` then gives them a key."""
    from lto.bootstrap import bootstrap
    from lto.capricorn.service.accounts import create_user

    password_hash = None
    if password_stdin:
        from lto.capricorn.api.passwords import hash_password

        password = sys.stdin.readline().rstrip("\n")
        try:
            password_hash = hash_password(password)
        except ValueError as exc:
            raise CliError(str(exc), ExitCode.BAD_INPUT) from None
    app = bootstrap()
    user = create_user(app.uow, name, role=role, email=email, password_hash=password_hash)
    if as_json:
        click.echo(json.dumps({"id": user.id, "name": user.name, "role": user.role}))
    else:
        click.echo(f"user {user.name} ({user.role}) created: {user.id}")


@users.command("list")
def users_list() -> None:
    from lto.bootstrap import bootstrap

    app = bootstrap()
    with app.uow() as uow:
        found = uow.users.list()
    for user in found:
        state = "disabled" if user.disabled else f"{len(user.active_keys)} active keys"
        click.echo(f"{user.name:<24} {user.role:<9} {state}")
    if not found:
        click.echo("no users yet: `lto users create NAME`")


@click.group()
def keys() -> None:
    """API keys (shown once when made; only their hash is kept)."""


@keys.command("create")
@click.argument("user")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="A scope the key holds (repeat it); all the user's role allows when none is given.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the key as JSON.")
def keys_create(user: str, scopes: tuple[str, ...], as_json: bool) -> None:
    """Issue a key for USER and print its secret, once."""
    from lto.bootstrap import bootstrap
    from lto.capricorn.service.accounts import issue_key

    app = bootstrap()
    issued = issue_key(app.uow, user, list(scopes))
    if as_json:
        click.echo(
            json.dumps(
                {"id": issued.key.id, "key": issued.secret, "scopes": list(issued.key.scopes)}
            )
        )
        return
    click.echo(issued.secret)
    click.echo(
        f"key {issued.key.id} for {user} ({', '.join(issued.key.scopes)}): keep it now, it is "
        "not shown again. Use it as `X-API-Key: <key>` or LTO_API_KEY.",
        err=True,
    )


@keys.command("list")
@click.argument("user")
def keys_list(user: str) -> None:
    from lto.bootstrap import bootstrap
    from lto.capricorn.service.handlers import NotFound

    app = bootstrap()
    with app.uow() as uow:
        found = uow.users.by_name(user)
    if found is None:
        raise NotFound("user", user)
    for key in found.keys:
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        click.echo(f"{key.id}  lto_{key.prefix}…  {state:<18} {' '.join(key.scopes)}")


@keys.command("revoke")
@click.argument("user")
@click.argument("key_id")
def keys_revoke(user: str, key_id: str) -> None:
    """Stop a key from working (within seconds; it stays on record)."""
    from datetime import UTC, datetime

    from lto.bootstrap import bootstrap
    from lto.capricorn.service.accounts import revoke_key

    app = bootstrap()
    started = datetime.now(UTC)
    key = revoke_key(app.uow, user, key_id)
    if key.revoked_at is not None and key.revoked_at < started:
        click.echo(
            f"key {key.id} of {user} was already revoked on {key.revoked_at:%Y-%m-%d %H:%M} UTC"
        )
    else:
        click.echo(f"key {key.id} of {user} revoked")
