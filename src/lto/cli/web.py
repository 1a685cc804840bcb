"""``lto web``: the Dash web app, as its own process on Flask with threads (waitress), talking
to the REST API at ``--api-url`` (``LTO_API_URL``)."""

from __future__ import annotations

import os

import click

from lto.cli.errors import CliError, ExitCode


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8050, show_default=True)
@click.option(
    "--api-url",
    default=lambda: os.environ.get("LTO_API_URL", "http://127.0.0.1:8000"),
    show_default="LTO_API_URL or http://127.0.0.1:8000",
    help="Where the REST API runs (`lto serve`).",
)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Requests served at once (callbacks wait on the API, not the CPU).")  # fmt: skip
@click.option("--secure-cookie/--no-secure-cookie", default=False, show_default=True,
              help="Mark the session cookie Secure (behind a TLS proxy).")  # fmt: skip
def web(host: str, port: int, api_url: str, threads: int, secure_cookie: bool) -> None:
    """Serve the web app (sign in with an API key or a user's password)."""
    if not api_url.startswith(("http://", "https://")):
        raise CliError(
            f"--api-url: {api_url!r} is not an http:// or https:// URL", ExitCode.BAD_INPUT
        )
    import waitress

    from lto.acorn import create_app

    app = create_app(api_url, secure_cookie=secure_cookie)
    click.echo(f"LTO web app on http://{host}:{port} (API {api_url})", err=True)
    waitress.serve(app.server, host=host, port=port, threads=threads, ident="lto-web",
                   _quiet=True)  # fmt: skip
