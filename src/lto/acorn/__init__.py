"""Acorn: the Dash web app. It talks to the REST API over HTTP (``lto.client``) and imports
only atlas contracts; ``create_app(api_url)`` builds it, ``lto web`` serves it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dash import Dash


def create_app(api_url: str, **options: Any) -> Dash:
    from lto.acorn.app import create_app as create

    return create(api_url, **options)


__all__ = ["create_app"]
