"""`lto demo` in a real terminal: Ctrl-C typed at the keyboard reaches the whole foreground
process group (the demo, its API and its web app at once), not one process as a test's
``send_signal`` does. Everything must stop, quietly (no traceback from any child), and free
its ports."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import _free_port

STARTUP_S = 180.0


def _read(fd: int, until: float) -> str:
    chunks = []
    while time.monotonic() < until:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            if chunks:
                break
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:  # the terminal closed: everyone has gone
            break
        if not data:
            break
        chunks.append(data.decode(errors="replace"))
    return "".join(chunks)


def _take_the_terminal() -> None:
    """In the child, after setsid: the pty on stdin becomes its controlling terminal, so the
    terminal's Ctrl-C signals its foreground process group, as a shell's would."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as a shell's foreground job has it


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.timeout(400)
def test_ctrl_c_in_a_terminal_stops_the_demo_and_its_children_quietly(
    trained_model: dict[str, object], tmp_path: Path
) -> None:
    from lto.daedalus.adapters.model_store import LocalModelStore

    data_dir = tmp_path / "lto-data"
    folder = trained_model["folder"]
    assert isinstance(folder, Path)
    LocalModelStore(data_dir / "models" / "surrogate").set_current(folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LTO_")}
    env.update({"LTO_DATA_DIR": str(data_dir), "COLUMNS": "120", "TERM": "xterm"})
    api_port, web_port = _free_port(), _free_port()
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "lto", "demo", "--no-tour", "--api-port", str(api_port),
         "--web-port", str(web_port)],
        stdin=terminal, stdout=terminal, stderr=terminal, env=env, cwd=tmp_path,
        start_new_session=True, preexec_fn=_take_the_terminal,
    )  # fmt: skip
    os.close(terminal)
    output = ""
    try:
        deadline = time.monotonic() + STARTUP_S
        while "Ctrl-C stops" not in output and time.monotonic() < deadline:
            output += _read(controller, deadline)
            if process.poll() is not None:
                break
        assert "Ctrl-C stops" in output, output[-3000:]
        assert _listening(api_port)
        assert _listening(web_port)

        os.write(controller, b"\x03")  # Ctrl-C, as typed: the terminal signals the group
        output += _read(controller, time.monotonic() + 60)
        code = process.wait(timeout=60)
        output += _read(controller, time.monotonic() + 2)
        assert code == 0, output[-3000:]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 9)
        os.close(controller)
    assert "Traceback" not in output, output[-4000:]
    assert not re.search(r"KeyboardInterrupt|Exception in thread", output), output[-4000:]
    assert not _listening(api_port)
    assert not _listening(web_port)
