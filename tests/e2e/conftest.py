"""The whole product in a real browser: ``lto demo --no-tour`` (the API with its worker thread and
the web app, as a new user starts them) on free ports and its own data directory, with the
session's trained surrogate as the current model, driven by Playwright in Debian's headless
Chromium.

Chromium comes from Debian (``apt-get install -y chromium``; never ``playwright install``: this
machine downloads nothing at run time). Without it the tests fail and say how to get it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

CHROMIUM = Path(os.environ.get("LTO_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage"]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOTS = REPO / "docs" / "img" / "web"
STARTUP_S = 180.0


@dataclass
class Stack:
    web_url: str
    api_url: str
    api_key: str
    data_dir: Path
    process: subprocess.Popen[str]
    output: list[str]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ensure_chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=False,
                       capture_output=True, timeout=900)  # fmt: skip
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser tests need Chromium at {CHROMIUM}: `apt-get install -y chromium` "
            "(or set LTO_TEST_CHROMIUM to a Chromium binary)"
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def stack(
    trained_model: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    from lto.daedalus.adapters.model_store import LocalModelStore

    data_dir = tmp_path_factory.mktemp("e2e") / "lto-data"
    folder = trained_model["folder"]
    assert isinstance(folder, Path)
    LocalModelStore(data_dir / "models" / "surrogate").set_current(folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LTO_")}
    env.update({"LTO_DATA_DIR": str(data_dir), "COLUMNS": "200", "PYTHONUNBUFFERED": "1",
                "LTO_LOG_LEVEL": "WARNING"})  # fmt: skip
    api_port, web_port = _free_port(), _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lto", "demo", "--no-tour", "--api-port", str(api_port),
         "--web-port", str(web_port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=data_dir.parent,
    )  # fmt: skip
    output: list[str] = []
    key = None
    deadline = time.monotonic() + STARTUP_S
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        found = re.search(r"API key\s+(lto_\S+)", line)
        key = found.group(1) if found else key
        if "Ctrl-C stops" in line:
            break
    if key is None or process.poll() is not None:
        process.kill()
        pytest.fail("lto demo did not start:\n" + "".join(output))
    made = Stack(f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{api_port}", key, data_dir,
                 process, output)  # fmt: skip
    yield made
    process.send_signal(signal.SIGINT)
    try:
        rest, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        rest, _ = process.communicate()
    output.append(rest or "")
    made.output = output


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = _ensure_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    """A signed-in page (a fresh browser context: its own cookies) at 1280×800."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(opened, stack)
    yield opened
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def sign_in(page: Any, stack: Stack, key: str | None = None) -> None:
    page.goto(stack.web_url + "/login")
    page.fill("#api_key", key or stack.api_key)
    page.click("#login-key-submit")


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
