"""Acorn: the Dash web app. It talks to the REST API over HTTP and imports only atlas contracts."""

__all__: list[str] = []
