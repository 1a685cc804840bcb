"""Run the commands docker/compose.yaml gives its containers, outside containers, against this
machine's real PostgreSQL and RabbitMQ, and smoke-test the result through the API.

No Docker engine runs on LTO's development machines, so the deploy is proven this way: the
services' commands and environment are read from compose.yaml itself (not copied here), started
in its dependency order (migrate must exit 0 before the api, workers and scheduler start; the
web app after the api is healthy), with each service's replicas, each in its own process. Only
what a container network provides is replaced: host names become 127.0.0.1, ports become free
ones, the databases and the RabbitMQ vhost are fresh ones made for this run (dropped after).

    python docker/local_stack.py            # start, smoke-test, stop; exit 0 when all passed
    python docker/local_stack.py --keep     # start and smoke-test, then wait for Ctrl-C

The smoke test: every component healthy, an operator's key made with the CLI the deploy docs
use, a job submitted through the API and completed by one of the workers, a small surrogate
trained through the CLI and a prediction served, the web app's sign-in page served.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
COMPOSE = HERE / "compose.yaml"
BIN = Path(sys.executable).parent
POSTGRES_ADMIN = os.environ.get(
    "LTO_TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
AMQP_HOST = os.environ.get("LTO_TEST_AMQP_HOST", "127.0.0.1:5672")
LTO_SERVICES = ("migrate", "mlflow", "api", "worker", "scheduler", "web")
FINAL = {"rejected", "blocked", "cancelled", "failed", "completed", "anomaly_flagged"}


@dataclass
class Running:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Stack:
    scratch: Path
    env: dict[str, str]
    ports: dict[str, int]
    running: list[Running] = field(default_factory=list)
    database: str = ""
    mlflow_database: str = ""
    vhost: str = ""

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"


def load_compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text()))


def start_order(services: dict[str, Any]) -> list[str]:
    """The LTO services in an order that honours every depends_on (a topological sort)."""
    done: list[str] = []

    def visit(name: str, path: tuple[str, ...] = ()) -> None:
        if name in done or name not in LTO_SERVICES:
            return
        if name in path:
            raise SystemExit(f"compose.yaml: a dependency cycle through {name}")
        for needed in services[name].get("depends_on") or {}:
            visit(needed, (*path, name))
        done.append(name)

    for name in LTO_SERVICES:
        visit(name)
    return done


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _psql(sql: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(sql)


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


def _interpolate(value: str, variables: dict[str, str]) -> str:
    """compose's ${NAME}, ${NAME:-default} and ${NAME:?message}, from ``variables``."""

    def one(found: re.Match[str]) -> str:
        name, _, rest = found.group(1).partition(":")
        if name in variables:
            return variables[name]
        if rest.startswith("-"):
            return rest[1:]
        raise SystemExit(f"compose.yaml needs {name}: {rest.lstrip('?') or 'not set'}")

    return re.sub(r"\$\{([^}]+)\}", one, value)


def _localise(value: str, stack: Stack) -> str:
    """What the container network provides, on this machine: hosts and ports."""
    value = value.replace("@postgres:5432/lto", f"@127.0.0.1:5432/{stack.database}")
    value = value.replace("@postgres:5432/mlflow", f"@127.0.0.1:5432/{stack.mlflow_database}")
    value = value.replace("@rabbitmq:5672/%2F", f"@{AMQP_HOST}/{stack.vhost}")
    for service in ("mlflow", "api", "web"):
        value = re.sub(rf"http://{service}:\d+", stack.url(service), value)
    return value


def _command(
    service: str, spec: dict[str, Any], stack: Stack, variables: dict[str, str]
) -> list[str]:
    entry = spec.get("entrypoint") or ["tini", "--", "lto"]
    program = entry[-1]
    args = [_localise(_interpolate(str(a), variables), stack) for a in spec.get("command") or []]
    if service in stack.ports:  # the service's own listening port, and 0.0.0.0 → 127.0.0.1
        args = [str(stack.ports[service]) if a in ("5000", "8000", "8050") and i and
                args[i - 1] == "--port" else a for i, a in enumerate(args)]  # fmt: skip
        args = ["127.0.0.1" if a == "0.0.0.0" else a for a in args]
    if program == "mlflow":
        args = [a.replace("/var/lib/mlflow", str(stack.scratch / "mlflow")) for a in args]
    return [str(BIN / program), *args]


def _environment(spec: dict[str, Any], stack: Stack, variables: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LTO_")}
    env.update(stack.env)
    for name, value in (spec.get("environment") or {}).items():
        env[name] = _localise(_interpolate(str(value), variables), stack)
    env["LTO_DATA_DIR"] = str(stack.scratch / "lto-data")  # the lto-data volume
    env["LTO_API_TLS"] = "false"  # no proxy in front here
    return env


def _wait(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"{url}: the process exited {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=3) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {timeout:g} s:\n{log.read_text()[-3000:]}")


HEALTH_URL = {"mlflow": "/health", "api": "/api/v1/health", "web": "/healthz"}


def start(stack: Stack) -> None:
    compose = load_compose()
    services = compose["services"]
    variables = dict(stack.env)
    for name in start_order(services):
        spec = services[name]
        replicas = int(((spec.get("deploy") or {}).get("replicas")) or 1)
        env = _environment(spec, stack, variables)
        command = _command(name, spec, stack, variables)
        for replica in range(replicas):
            log = stack.scratch / "logs" / f"{name}-{replica + 1}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("wb") as sink:
                process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
            print(f"  started {name}#{replica + 1}: {' '.join(command[1:])[:110]}", flush=True)
            if name == "migrate":  # service_completed_successfully
                if process.wait(timeout=300) != 0:
                    raise SystemExit(
                        f"migrate exited {process.returncode}:\n{log.read_text()[-3000:]}"
                    )
                continue
            stack.running.append(Running(f"{name}#{replica + 1}", process, log))
            if name in HEALTH_URL:
                _wait(stack.url(name) + HEALTH_URL[name], process, log)


def _lto(stack: Stack, *args: str, stdin: str | None = None) -> str:
    env = _environment(load_compose()["services"]["api"], stack, dict(stack.env))
    done = subprocess.run([str(BIN / "lto"), *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=900, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"lto {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout


def _call(stack: Stack, method: str, path: str, key: str, body: Any = None) -> tuple[int, Any]:
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    if method == "POST":
        headers["Idempotency-Key"] = uuid.uuid4().hex
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        stack.url("api") + path, data=data, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _down(health: Any, allow: set[str]) -> dict[str, str]:
    parts = (health or {}).get("components", {})
    if not parts:
        return {"components": "no answer"}
    return {k: v["status"] for k, v in parts.items() if v["status"] != "ok" and k not in allow}


def smoke(stack: Stack) -> list[str]:
    """What a first deploy checks; each line one check passed (SystemExit on a failure)."""
    passed = []
    _lto(stack, "users", "create", "ops", "--role", "admin")
    key = re.search(r"(lto_\S+)", _lto(stack, "keys", "create", "ops"))
    if key is None:
        raise SystemExit("lto keys create printed no key")
    secret = key.group(1)
    passed.append("an admin's key made with `lto users create` / `lto keys create`")
    # before the first `lto train` the model store is "degraded" (no model yet): everything else
    # must be up now, and everything once a model is trained
    status, health = _call(stack, "GET", "/api/v1/health/components", secret)
    down = _down(health, allow={"model store"})
    if down:
        raise SystemExit(f"components not healthy ({status}): {down}")
    passed.append(f"components healthy: {', '.join(sorted(health['components']))} (no model yet)")
    job = {"na": 0.85, "wavelength_nm": 193, "dose_mj_cm2": 30, "sigma": 0.7,
           "resist_thickness_nm": 100, "grid_size_nm": 4, "target_cd_nm": 90, "pitch_nm": 180}  # fmt: skip
    status, submitted = _call(stack, "POST", "/api/v1/jobs", secret, job)
    if status != 201:
        raise SystemExit(f"submit answered {status}: {submitted}")
    deadline = time.monotonic() + 300
    state = submitted["state"]
    while state not in FINAL and time.monotonic() < deadline:
        time.sleep(1)
        state = _call(stack, "GET", f"/api/v1/jobs/{submitted['id']}", secret)[1]["state"]
    if state not in ("completed", "anomaly_flagged"):
        raise SystemExit(f"job {submitted['id']} ended {state}")
    _, full = _call(stack, "GET", f"/api/v1/jobs/{submitted['id']}", secret)
    workers = {c.get("reason", "") for c in full["history"] if c["state"] == "running"}
    passed.append(
        f"a job submitted through the API and run by a worker: {state} ({'; '.join(workers)})"
    )
    _lto(stack, "train", "--samples", "120", "--seed", "1")
    deadline = time.monotonic() + 30
    while True:  # each API process follows the model store's CURRENT pointer (checked ≤ 1/s)
        status, predicted = _call(stack, "POST", "/api/v1/tradeoffs/predict", secret, job)
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(1)
    if status != 200:
        raise SystemExit(f"predict answered {status}: {predicted}")
    passed.append(
        f"a surrogate trained with `lto train` and served: model {predicted['model_version']}"
    )
    status, health = _call(stack, "GET", "/api/v1/health/components", secret)
    if down := _down(health, allow=set()):
        raise SystemExit(f"components not healthy after training ({status}): {down}")
    passed.append("every component healthy, the model store included")
    with urllib.request.urlopen(stack.url("web") + "/login", timeout=10) as answer:
        if answer.status != 200 or b"API key" not in answer.read():
            raise SystemExit("the web app's sign-in page did not render")
    passed.append("the web app's sign-in page served")
    return passed


def stop(stack: Stack) -> None:
    for running in reversed(stack.running):
        if running.process.poll() is None:
            running.process.send_signal(signal.SIGTERM)
    for running in stack.running:
        try:
            running.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait()


def make_stack() -> Stack:
    tag = uuid.uuid4().hex[:10]
    scratch = Path(tempfile.mkdtemp(prefix="lto-stack-"))
    stack = Stack(
        scratch=scratch,
        env={
            "POSTGRES_PASSWORD": "lto-stack",
            "RABBITMQ_PASSWORD": "lto-stack",
            "LTO_JWT_SECRET": uuid.uuid4().hex + uuid.uuid4().hex,
            "LTO_DOMAIN": "localhost",
            "LTO_LOG_LEVEL": "WARNING",
        },
        ports={"mlflow": _free_port(), "api": _free_port(), "web": _free_port()},
        database=f"lto_stack_{tag}",
        mlflow_database=f"lto_stack_mlflow_{tag}",
        vhost=f"lto_stack_{tag}",
    )
    # the roles and grants docker/postgres-init.sql and the images' environment make
    _psql("DO $$ BEGIN CREATE ROLE lto LOGIN PASSWORD 'lto-stack'; EXCEPTION WHEN duplicate_object THEN "
          "ALTER ROLE lto LOGIN PASSWORD 'lto-stack'; END $$")  # fmt: skip
    _psql(f'CREATE DATABASE "{stack.database}" OWNER lto')
    _psql(f'CREATE DATABASE "{stack.mlflow_database}" OWNER lto')
    try:
        _rabbitmqctl("add_user", "lto", "lto-stack")
    except subprocess.CalledProcessError:
        _rabbitmqctl("change_password", "lto", "lto-stack")
    _rabbitmqctl("add_vhost", stack.vhost)
    _rabbitmqctl("set_permissions", "-p", stack.vhost, "lto", ".*", ".*", ".*")
    return stack


def destroy(stack: Stack) -> None:
    for name in (stack.database, stack.mlflow_database):
        try:
            _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception as error:  # keep cleaning up the rest
            print(f"  could not drop {name}: {error}", file=sys.stderr)
    try:
        _rabbitmqctl("delete_vhost", stack.vhost)
    except subprocess.CalledProcessError as error:
        print(f"  could not delete vhost {stack.vhost}: {error}", file=sys.stderr)
    shutil.rmtree(stack.scratch, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep running after the smoke test")
    args = parser.parse_args()
    stack = make_stack()
    try:
        start(stack)
        for line in smoke(stack):
            print(f"  ok: {line}", flush=True)
        print(f"SMOKE PASSED: api {stack.url('api')}, web {stack.url('web')}", flush=True)
        if args.keep:
            signal.pause()
        return 0
    except SystemExit as failure:
        print(f"SMOKE FAILED: {failure}", file=sys.stderr, flush=True)
        for running in stack.running:
            print(
                f"--- {running.name} ({running.log}):\n{running.log.read_text()[-1500:]}",
                file=sys.stderr,
            )
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(stack)
        destroy(stack)


if __name__ == "__main__":
    raise SystemExit(main())
