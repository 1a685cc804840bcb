"""The serving half of ``lto demo``: the API (with its worker thread: the embedded broker lives
in one process) and the web app, as child processes of this one, with a ready-made API key.

The children write their logs to ``$LTO_DATA_DIR/logs/``; the terminal shows only where to go.
Ctrl-C (or SIGTERM) stops both, politely first (SIGTERM, then SIGKILL after a grace period),
and the demo exits 0; a child that dies on its own stops the demo with its log's last lines and
a non-zero exit.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from lto.cli.errors import CliError, ExitCode

if TYPE_CHECKING:
    from lto.bootstrap import Application

DEMO_USER = "demo"
READY_TIMEOUT_S = 120.0
GRACE_S = 10.0


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    url: str

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def check_ports(host: str, api_port: int, web_port: int) -> None:
    if api_port == web_port:
        raise CliError("--api-port and --web-port: the two must differ", ExitCode.BAD_INPUT)
    for port, option in ((api_port, "--api-port"), (web_port, "--web-port")):
        if not port_free(host, port):
            raise CliError(
                f"{option}: port {port} on {host} is taken (another LTO demo or server?); "
                f"choose another with {option} N",
                ExitCode.BAD_INPUT,
            )


def demo_key(app: Application) -> str:
    """A fresh key for the demo's admin user (made on the first run): every page works with it.
    Earlier demo keys are revoked, so only the one printed now is live."""
    from lto.capricorn.service.accounts import create_user, issue_key, revoke_key

    with app.uow() as uow:
        user = uow.users.by_name(DEMO_USER)
    if user is None:
        create_user(app.uow, DEMO_USER, role="admin")
    else:
        for key in user.active_keys:
            revoke_key(app.uow, DEMO_USER, key.id)
    return issue_key(app.uow, DEMO_USER, []).secret


def _start(name: str, args: list[str], log: Path, url: str, env: dict[str, str]) -> Child:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "lto", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    return Child(name, process, log, url)


def _ready(child: Child, probe: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise CliError(
                f"the {child.name} stopped while starting (exit {child.process.returncode}); "
                f"its log ({child.log}):\n{child.tail()}",
                ExitCode.ENVIRONMENT,
            )
        try:
            with urllib.request.urlopen(child.url + probe, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise CliError(
        f"the {child.name} did not answer at {child.url} within {READY_TIMEOUT_S:g} s; "
        f"its log ({child.log}):\n{child.tail()}",
        ExitCode.ENVIRONMENT,
    )


def stop(children: list[Child]) -> None:
    for child in children:
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    for child in children:
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()


def serve_demo(
    app: Application,
    console: Console,
    *,
    host: str = "127.0.0.1",
    api_port: int = 8000,
    web_port: int = 8050,
    once: bool = False,
) -> None:
    check_ports(host, api_port, web_port)
    key = demo_key(app)
    logs = Path(app.settings.data_dir) / "logs"
    env = dict(os.environ, LTO_DATA_DIR=str(app.settings.data_dir))
    api_url, web_url = f"http://{host}:{api_port}", f"http://{host}:{web_port}"
    children: list[Child] = []
    stopping = False

    def on_term(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # SIGINT too, explicitly: a process started with it ignored (a shell's `… &` does that)
    # would otherwise outlive its children, which stop on the terminal's Ctrl-C themselves
    previous = {sig: signal.signal(sig, on_term) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        children.append(_start("API", ["serve", "--host", host, "--port", str(api_port),
                                       "--log-format", "text"], logs / "api.log", api_url, env))  # fmt: skip
        children.append(_start("web app", ["web", "--host", host, "--port", str(web_port),
                                           "--api-url", api_url], logs / "web.log", web_url, env))  # fmt: skip
        _ready(children[0], "/api/v1/health", deadline)
        _ready(children[1], "/healthz", deadline)
        console.rule("[bold]LTO is running")
        console.print(f"  web app   {web_url}", markup=False)
        console.print(
            f"  API key   {key}   (sign in with it; user {DEMO_USER}, admin)", markup=False
        )
        console.print(f"  REST API  {api_url}/api/v1 (docs {api_url}/docs)", markup=False)
        console.print(f"  logs      {logs}", markup=False)
        console.print("  Ctrl-C stops the API, its worker and the web app.", markup=False)
        if once:
            return
        while True:
            for child in children:
                if child.process.poll() is not None:
                    raise CliError(
                        f"the {child.name} stopped (exit {child.process.returncode}); its log "
                        f"({child.log}):\n{child.tail()}",
                        ExitCode.ENVIRONMENT,
                    )
            time.sleep(0.5)
    except KeyboardInterrupt:
        stopping = True
    finally:
        stop(children)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if stopping:
            console.print("  stopped: API, worker and web app", markup=False)


__all__ = ["DEMO_USER", "check_ports", "demo_key", "port_free", "serve_demo", "stop"]
