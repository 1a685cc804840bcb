"""The deploy, read without a Docker engine: docker/compose.yaml's services, their order,
health checks, volumes, limits and exposure; the Dockerfile's stages and user; the env file's
coverage of every setting. (docker/local_stack.py runs the same commands for real:
tests/integration/test_local_stack.py.)"""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest
import yaml

from lto.config import Settings
from tests.conftest import REPO

DOCKER = REPO / "docker"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DOCKER / "compose.yaml").read_text()))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return dict(compose["services"])


def test_the_droplet_runs_every_part_of_lto(services) -> None:
    assert set(services) >= {"api", "worker", "web", "postgres", "rabbitmq", "mlflow", "migrate",
                             "scheduler", "proxy"}  # fmt: skip
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert services["api"]["command"][0] == "serve"
    assert "--no-worker" in services["api"]["command"]  # workers are their own service
    assert services["worker"]["command"] == ["worker", "--no-monitor"]  # the one monitor:
    assert services["scheduler"]["command"] == ["scheduler"]  # the scheduler's
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["web"]["command"][0] == "web"


def test_migrations_run_before_the_services_that_use_the_database(services) -> None:
    for name in ("api", "worker", "scheduler"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully", name
        assert needs["rabbitmq"]["condition"] == "service_healthy", name
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    assert services["web"]["depends_on"]["api"]["condition"] == "service_healthy"


def test_every_long_running_service_has_a_health_check_restart_policy_and_limits(services) -> None:
    for name, spec in services.items():
        if spec.get("restart") == "no":  # one-off steps: migrate, backup, restore
            continue
        check = spec.get("healthcheck") or {}
        assert check.get("test"), f"{name}: no health check"
        assert not check.get("disable"), f"{name}: its health check is disabled"
        assert spec.get("restart") == "unless-stopped", name
        limits = spec["deploy"]["resources"]["limits"]
        assert limits.get("cpus"), name
        assert limits.get("memory"), name


def test_state_lives_in_named_volumes(compose, services) -> None:
    named = set(compose["volumes"])
    assert named >= {"pgdata", "rabbitmq-data", "mlflow-artifacts", "lto-data", "caddy-data"}
    mounts = {
        name: [str(v).split(":")[0] for v in spec.get("volumes") or []]
        for name, spec in services.items()
    }
    assert "pgdata" in mounts["postgres"]
    assert "rabbitmq-data" in mounts["rabbitmq"]
    assert "mlflow-artifacts" in mounts["mlflow"]
    for name in ("api", "worker", "scheduler"):
        assert "lto-data" in mounts[name], name
    used = {m for found in mounts.values() for m in found if not m.startswith((".", "$", "/"))}
    assert used <= named


def test_only_the_proxy_is_published_and_the_backend_has_no_route_out(compose, services) -> None:
    published = {name for name, spec in services.items() if spec.get("ports")}
    assert published == {"proxy"}
    assert sorted(services["proxy"]["ports"]) == ["443:443", "80:80"]
    assert compose["networks"]["backend"]["internal"] is True
    for name in ("postgres", "rabbitmq", "mlflow", "worker", "scheduler", "migrate"):
        assert services[name]["networks"] == ["backend"], name
    caddy = (DOCKER / "Caddyfile").read_text()
    assert "reverse_proxy api:8000" in caddy
    assert "reverse_proxy web:8050" in caddy
    assert "respond @metrics 404" in caddy  # metrics are scraped inside, never public


def test_secrets_come_from_the_env_file_and_are_required(services) -> None:
    text = (DOCKER / "compose.yaml").read_text()
    for secret in ("POSTGRES_PASSWORD", "RABBITMQ_PASSWORD", "LTO_DOMAIN"):
        assert re.search(r"\$\{" + secret + r":\?", text), f"{secret} is not required"
    assert "change-me" not in text
    for name in ("api", "worker", "web", "migrate", "scheduler", "mlflow"):
        assert services[name]["env_file"] == [".env"], name
    assert services["api"]["environment"]["LTO_API_DOCS"] == "false"  # /docs off in production


def test_the_env_example_documents_every_setting() -> None:
    example = (DOCKER / "lto.env.example").read_text()
    for name in Settings.model_fields:
        assert f"LTO_{name.upper()}=" in example, f"LTO_{name.upper()} is not in lto.env.example"
    for name in ("POSTGRES_PASSWORD", "RABBITMQ_PASSWORD", "LTO_DOMAIN", "LTO_JWT_SECRET"):
        assert re.search(rf"^{name}=", example, re.M), name


def test_the_image_is_multi_stage_non_root_with_a_cuda_variant() -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    stages = re.findall(r"^FROM .* AS (\S+)$", dockerfile, re.M)
    assert {"build", "runtime-cpu", "runtime-cuda", "runtime"} <= set(stages)
    assert re.search(r"^ARG VARIANT=cpu$", dockerfile, re.M)
    assert re.search(r"^USER lto$", dockerfile, re.M)
    assert "torch==2.13.0" in dockerfile  # the pin pyproject.toml has
    assert "'.[gpu]'" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "build-essential" not in dockerfile.split("AS runtime-cpu")[1]  # compilers stay behind


def test_backup_and_restore_are_one_off_operations_on_the_same_volumes(services) -> None:
    for name in ("backup", "restore"):
        spec = services[name]
        assert spec["profiles"] == ["ops"], name  # never started by a plain `up`
        assert spec["restart"] == "no"
        mounts = [str(v) for v in spec["volumes"]]
        assert "lto-data:/var/lib/lto" in mounts
        assert "mlflow-artifacts:/var/lib/mlflow" in mounts
    assert services["backup"]["entrypoint"][-1] == "backup.sh"
    assert services["restore"]["entrypoint"][-1] == "restore.sh"
    assert "COPY docker/backup.sh docker/restore.sh" in (DOCKER / "Dockerfile").read_text()


def test_the_local_stack_starts_services_in_compose_order(services) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("local_stack", DOCKER / "local_stack.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["local_stack"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    order = module.start_order(services)
    assert order.index("migrate") < order.index("api") < order.index("web")
    assert order.index("mlflow") < order.index("api")
    assert set(order) == {"migrate", "mlflow", "api", "worker", "scheduler", "web"}
