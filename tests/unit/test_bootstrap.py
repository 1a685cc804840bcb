from __future__ import annotations

from pathlib import Path

import pytest

from lto.bootstrap import ConfigurationError, bootstrap, resolve_array_backend
from lto.config import load_settings


def test_bootstrap_wires_the_embedded_defaults() -> None:
    app = bootstrap()
    assert app.array_backend == "numpy"
    assert app.components == {
        "database": "sqlite",
        "broker": "memory",
        "model registry": "mlflow sqlite",
        "optimisation studies": "optuna journal",
        "array backend": "numpy",
        "simulator": "built-in physics (numpy)",
    }
    assert app.settings.data_dir.is_dir()
    assert app.settings.study_storage == f"journal:{app.settings.data_dir / 'studies.journal'}"


def test_studies_share_the_postgresql_database_when_there_is_one() -> None:
    url = "postgresql://lto@db:5432/lto"
    assert load_settings(database_url=url).study_storage == url
    assert (
        load_settings(study_storage="journal:/tmp/s.journal").study_storage
        == "journal:/tmp/s.journal"
    )
    with pytest.raises(ValueError, match="journal:PATH"):
        load_settings(study_storage="redis://x")


def test_auto_picks_cupy_only_where_a_device_exists() -> None:
    assert resolve_array_backend("auto", device_count=0) == "numpy"
    assert resolve_array_backend("auto", device_count=1) == "cupy"
    assert resolve_array_backend("cupy", device_count=2) == "cupy"
    assert resolve_array_backend("numpy", device_count=2) == "numpy"


def test_asking_for_cupy_without_a_device_says_what_to_do() -> None:
    with pytest.raises(ConfigurationError, match=r"pip install 'lto\[gpu\]'"):
        resolve_array_backend("cupy", device_count=0)


def test_bootstrap_refuses_cupy_here_when_no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lto.bootstrap.cuda_device_count", lambda: 0)
    with pytest.raises(ConfigurationError):
        bootstrap(load_settings(array_backend="cupy"))


def test_the_simulator_port_is_wired_from_settings() -> None:
    from lto.matrix.adapters.external import ExternalProcessSimulator
    from lto.matrix.adapters.physics import PhysicsSimulator

    builtin = bootstrap().simulator
    assert isinstance(builtin, PhysicsSimulator)
    assert builtin.health()["backend"] == "numpy"
    external = bootstrap(
        load_settings(simulator="external", external_simulator_command="prolith {input} {output}")
    )
    assert isinstance(external.simulator, ExternalProcessSimulator)
    assert external.components["simulator"] == "external: prolith {input} {output}"


def test_an_external_simulator_needs_its_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("LTO_SIMULATOR", "external")
    with pytest.raises(ValidationError, match="is required when LTO_SIMULATOR=external") as info:
        load_settings()
    assert [e["loc"] for e in info.value.errors()] == [("external_simulator_command",)]


def test_a_data_dir_that_cannot_be_created_names_the_variable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ConfigurationError, match=r"LTO_DATA_DIR=.*set LTO_DATA_DIR to a folder"):
        bootstrap(load_settings(data_dir=blocker / "lto"))
    bootstrap(load_settings(data_dir=blocker / "lto"), create_dirs=False)  # nothing to create


def test_the_builtin_simulator_takes_physics_settings_on_the_resolved_backend() -> None:
    from lto.matrix.adapters.physics import PhysicsSettings, PhysicsSimulator

    app = bootstrap()
    assert app.builtin_simulator
    simulator = app.simulator_with(PhysicsSettings(focus_points=5, backend="cupy"))
    assert isinstance(simulator, PhysicsSimulator)
    assert simulator.settings.focus_points == 5
    assert simulator.settings.backend == "numpy"  # the settings' backend, not the caller's


def test_a_model_made_current_elsewhere_is_loaded_beside_the_serving_one(
    current_model: Path, tmp_path: Path
) -> None:
    """Another process promotes: this one keeps answering with the loaded model (no stall
    while the new one loads) and swaps when the new one is ready."""
    import shutil
    import time

    from lto.daedalus.adapters.model_store import LocalModelStore

    app = bootstrap(load_settings())
    serving = app.production_surrogate()
    promoted = tmp_path / "promoted-model"
    shutil.copytree(current_model, promoted)
    LocalModelStore(tmp_path / "lto-data" / "models" / "surrogate").set_current(promoted)
    app.__dict__["_current_seen"]["at"] = 0.0  # the once-a-second look is due now

    assert app.production_surrogate() is serving  # answered at once, by the loaded model
    deadline = time.monotonic() + 60
    while app.production_surrogate() is serving and time.monotonic() < deadline:
        time.sleep(0.1)
        app.__dict__["_current_seen"]["at"] = 0.0
    assert app.production_surrogate() is not serving
    assert app.model_store.current_path() == promoted


def test_warm_up_loads_the_surrogate_and_is_quiet_without_one(current_model: Path) -> None:
    app = bootstrap(load_settings())
    app.warm_up()
    assert "preflight" in app.__dict__
    other = bootstrap(load_settings().model_copy(update={"data_dir": current_model.parent}))
    other.warm_up()  # no CURRENT pointer there: nothing to load, nothing raised
    assert "preflight" not in other.__dict__
