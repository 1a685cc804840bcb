"""Bearer tokens for a user's name and password, and who a credential belongs to."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from lto.atlas.users import SCOPES
from lto.capricorn.api.auth import Authenticator, unauthorized
from lto.capricorn.api.deps import AnyPrincipal, Services
from lto.capricorn.api.passwords import verify_password
from lto.capricorn.api.views import API, Out

router = APIRouter(prefix=f"{API}/auth", tags=["auth"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)
    scopes: list[str] | None = Field(
        default=None,
        max_length=len(SCOPES),
        description="the scopes wanted (at most what the user's role allows); all when absent",
    )


class TokenOut(Out):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    scopes: list[str]


class MeOut(Out):
    user_id: str
    name: str
    role: str
    scopes: list[str]
    credential: str


@router.post(
    "/token",
    response_model=TokenOut,
    summary="A bearer token (JWT, HS256) for a user's name and password",
    responses={
        401: {"description": "wrong name or password, or the user is disabled"},
        403: {"description": "a scope asked for is beyond what the user's role allows"},
    },
)
def token(body: TokenRequest, request: Request, services: Services) -> TokenOut:
    authenticator: Authenticator = request.app.state.authenticator
    with services.uow() as uow:
        user = uow.users.by_name(body.username)
    # the password is checked even for an unknown name: timing does not tell names apart
    ok = verify_password(user.password_hash if user else None, body.password)
    if user is None or not ok:
        raise unauthorized("wrong user name or password")
    if user.disabled:
        raise unauthorized(f"user {user.name!r} is disabled")
    issued, ttl, scopes = authenticator.issue_token(user, body.scopes)
    return TokenOut(access_token=issued, expires_in=ttl, scopes=scopes)


@router.get("/me", response_model=MeOut, summary="Who this credential is, and what it may do")
def me(principal: AnyPrincipal) -> MeOut:
    return MeOut(
        user_id=principal.user_id,
        name=principal.name,
        role=principal.role,
        scopes=sorted(principal.scopes),
        credential=principal.credential,
    )
