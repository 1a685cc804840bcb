"""``lto demo`` serving the product: the API (with its worker) and the web app as child
processes, a ready-made key that the API accepts, and nothing left running afterwards."""

from __future__ import annotations

import re
import socket
import urllib.request

from click.testing import CliRunner

from lto.cli import cli
from lto.cli.errors import ExitCode


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def test_the_demo_starts_the_api_and_the_web_app_with_a_working_key(current_model) -> None:
    api_port, web_port = _free_port(), _free_port()
    args = ["demo", "--no-tour", "--once", "--api-port", str(api_port), "--web-port", str(web_port)]
    result = CliRunner().invoke(cli, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"web app   http://127.0.0.1:{web_port}" in result.output
    assert f"using the current model {current_model.name}" in result.output
    key = re.search(r"API key\s+(lto_\S+)", result.output)
    assert key is not None
    # both children are gone once the demo returns
    assert not _answers(f"http://127.0.0.1:{api_port}/api/v1/health")
    assert not _answers(f"http://127.0.0.1:{web_port}/healthz")


def test_each_run_prints_a_fresh_key_and_revokes_the_last(tmp_path) -> None:
    from lto.bootstrap import bootstrap
    from lto.cli.demo_serve import DEMO_USER, demo_key

    app = bootstrap()
    first, second = demo_key(app), demo_key(app)
    assert first != second
    with app.uow() as uow:
        user = uow.users.by_name(DEMO_USER)
    assert user is not None
    assert user.role == "admin"
    assert len(user.active_keys) == 1


def test_a_taken_port_is_refused_before_the_tour() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = CliRunner().invoke(cli, ["demo", "--api-port", str(port)])
    assert result.exit_code == ExitCode.BAD_INPUT
    assert f"--api-port: port {port} on 127.0.0.1 is taken" in result.stderr
    assert "Typed quantities" not in result.output  # the tour did not start


def test_the_two_ports_must_differ() -> None:
    result = CliRunner().invoke(cli, ["demo", "--api-port", "8123", "--web-port", "8123"])
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "--api-port and --web-port" in result.stderr


def test_the_tours_cells_are_kept_once_for_the_web_app() -> None:
    from lto.atlas.examples import reference_fab
    from lto.bootstrap import bootstrap
    from lto.cli.demo import keep_cells

    app = bootstrap()
    fab = reference_fab()
    assert keep_cells(app, fab.cells)
    assert not keep_cells(app, fab.cells)  # a second demo adds none
    with app.uow() as uow:
        kept = uow.cells.list()
    assert sorted(c.id for c in kept) == sorted(c.id for c in fab.cells)
