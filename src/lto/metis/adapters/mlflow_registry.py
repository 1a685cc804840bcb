"""``ModelRegistry`` on MLflow 3 (imported here only, on first use), and run tracking.

Every registered surrogate is an MLflow run in the ``lto-surrogate-training`` experiment: its
held-out metrics (flattened: ``accuracy.overall``, ``coverage.yield_risk`` …), its parameters,
the dataset's identity as tags, and the artifact directory under ``surrogate/``; the registered
model ``lto-surrogate`` gets a version pointing there. Aliases (``champion``, ``challenger``,
``previous_champion``) through ``MlflowClient``'s alias calls; stages are not used.
Optimisations are runs of the ``lto-optimization`` experiment (``log_optimization``).

The tracking store is a SQLite file by default (``LTO_MLFLOW_TRACKING_URI``), its artifacts in
``LTO_DATA_DIR/mlflow-artifacts`` (never MLflow's default ``./mlruns`` of the working
directory); a tracking server (``http://…``) keeps both in a deployment.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lto.metis._text import first_line
from lto.metis.registry import MODEL_NAME, ModelVersion, RegistryError

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from lto.metis.results import OptimizationResult

TRAINING_EXPERIMENT = "lto-surrogate-training"
OPTIMIZATION_EXPERIMENT = "lto-optimization"
TUNING_EXPERIMENT = "lto-surrogate-tuning"


class MlflowRegistry:
    def __init__(
        self,
        tracking_uri: str,
        *,
        artifact_root: Path | None = None,
        cache_dir: Path | None = None,
        name: str = MODEL_NAME,
    ) -> None:
        self.tracking_uri = tracking_uri
        self.artifact_root = artifact_root
        self.cache_dir = cache_dir or Path(tempfile.gettempdir()) / "lto-registry-cache"
        self.name = name
        self._client: MlflowClient | None = None

    @property
    def client(self) -> MlflowClient:
        if self._client is None:
            import logging
            import os

            # MLflow's own chatter (store migrations, download bars) is not the engineer's
            logging.getLogger("mlflow").setLevel(logging.WARNING)
            os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
            # a tracking server that is down is said in seconds, not after MLflow's default
            # seven retries with exponential backoff (minutes per call)
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
            from mlflow import MlflowClient

            try:
                self._client = MlflowClient(
                    tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri
                )
                self._client.search_experiments(max_results=1)  # reach the store now
            except Exception as exc:
                self._client = None
                raise RegistryError(f"MLflow store {self.tracking_uri}: {first_line(exc)}") from exc
        return self._client

    # --- writing --------------------------------------------------------------------------

    def register(
        self,
        artifact: Path,
        *,
        metrics: Mapping[str, Any],
        tags: Mapping[str, str],
        figures: Mapping[str, bytes] | None = None,
    ) -> ModelVersion:
        from mlflow.entities import Metric, Param

        client = self.client
        try:
            run = client.create_run(self._experiment(TRAINING_EXPERIMENT), tags=dict(tags))
            run_id = run.info.run_id
            flat = _flatten(metrics)
            stamp = _millis()
            client.log_batch(
                run_id,
                metrics=[Metric(k, v, stamp, 0) for k, v in flat.items()],
                params=[Param(k, str(v)[:500]) for k, v in _params(metrics).items()],
            )
            client.log_artifacts(run_id, str(artifact), "surrogate")
            client.log_text(
                run_id, json.dumps(dict(metrics), indent=2, default=str), "metrics.json"
            )
            self._log_figures(run_id, figures)
            client.set_terminated(run_id)
            self._ensure_model()
            version = client.create_model_version(
                self.name,
                source=f"{run.info.artifact_uri}/surrogate",
                run_id=run_id,
                tags=dict(tags),
            )
        except RegistryError:
            raise
        except Exception as exc:
            raise RegistryError(
                f"registering the surrogate in MLflow failed: {first_line(exc)}"
            ) from exc
        return self.get(str(version.version))

    def set_alias(self, alias: str, version: str) -> None:
        self._call(lambda: self.client.set_registered_model_alias(self.name, alias, version))

    def clear_alias(self, alias: str) -> None:
        if self.by_alias(alias) is not None:
            self._call(lambda: self.client.delete_registered_model_alias(self.name, alias))

    def set_tag(self, version: str, key: str, value: str) -> None:
        self._call(lambda: self.client.set_model_version_tag(self.name, version, key, value))

    def log_optimization(
        self, result: OptimizationResult, figures: Mapping[str, bytes] | None = None
    ) -> str:
        """The study as a run: the problem as parameters, the best values as metrics, the
        result JSON and ``figures`` as artifacts; returns the run id."""
        from mlflow.entities import Metric, Param

        client = self.client
        document = result.to_json()
        problem = document["problem"]
        try:
            run = client.create_run(
                self._experiment(OPTIMIZATION_EXPERIMENT),
                tags={"study": result.study_name, "evaluator": result.evaluator},
            )
            params = {
                "free": ", ".join(
                    f"{p['name']}={p['low']:g}:{p['high']:g}" for p in problem["free"]
                ),
                "objectives": ", ".join(
                    f"{o['name']}:{o['direction']}" for o in problem["objectives"]
                ),
                "constraints": ", ".join(
                    f"{c['name']}{c['operator']}{c['bound']:g}" for c in problem["constraints"]
                )
                or "none",
                "profile": problem["profile"],
            }
            metrics = {
                "trials": float(document["trials"]),
                "feasible_trials": float(document["feasible_trials"]),
            }
            if result.best:
                for objective, value in zip(
                    problem["objectives"], result.best[0].values, strict=True
                ):
                    metrics[f"best.{objective['name']}"] = float(value)
            stamp = _millis()
            client.log_batch(
                run.info.run_id,
                metrics=[Metric(k, v, stamp, 0) for k, v in metrics.items()],
                params=[Param(k, v[:500]) for k, v in params.items()],
            )
            client.log_text(run.info.run_id, json.dumps(document, indent=2), "optimization.json")
            self._log_figures(run.info.run_id, figures)
            client.set_terminated(run.info.run_id)
        except Exception as exc:
            raise RegistryError(
                f"logging the optimisation to MLflow failed: {first_line(exc)}"
            ) from exc
        return str(run.info.run_id)

    def log_tuning(self, results: Mapping[str, Any], *, dataset: Mapping[str, str]) -> str:
        """A tuning session as a run of ``lto-surrogate-tuning``: the best hyperparameters of
        each member as parameters, its validation errors as metrics, every trial as JSON."""
        from mlflow.entities import Metric, Param

        client = self.client
        try:
            run = client.create_run(
                self._experiment(TUNING_EXPERIMENT),
                tags={f"dataset.{k}": v for k, v in dataset.items()},
            )
            params, metrics = [], []
            stamp = _millis()
            for member, result in results.items():
                params += [
                    Param(f"{member}.{k}", str(v)[:500]) for k, v in result["best_params"].items()
                ]
                metrics.append(
                    Metric(f"{member}.validation_mae", float(result["best_error"]), stamp, 0)
                )
                if result.get("default_error") is not None:
                    metrics.append(
                        Metric(
                            f"{member}.default_validation_mae",
                            float(result["default_error"]),
                            stamp,
                            0,
                        )
                    )
                metrics.append(Metric(f"{member}.pruned_trials", float(result["pruned"]), stamp, 0))
            client.log_batch(run.info.run_id, metrics=metrics, params=params)
            client.log_text(
                run.info.run_id, json.dumps(dict(results), indent=2, default=str), "tuning.json"
            )
            client.set_terminated(run.info.run_id)
        except Exception as exc:
            raise RegistryError(f"logging the tuning to MLflow failed: {first_line(exc)}") from exc
        return str(run.info.run_id)

    def _log_figures(self, run_id: str, figures: Mapping[str, bytes] | None) -> None:
        if not figures:
            return
        with tempfile.TemporaryDirectory() as folder:
            for name, data in figures.items():
                (Path(folder) / Path(name).name).write_bytes(data)
            self.client.log_artifacts(run_id, folder, "figures")

    # --- reading --------------------------------------------------------------------------

    def get(self, version: str) -> ModelVersion:
        from mlflow.exceptions import MlflowException

        try:
            found = self.client.get_model_version(self.name, str(version))
        except MlflowException:
            raise RegistryError(f"no version {version} of {self.name} in the registry") from None
        return self._version(found)

    def versions(self) -> list[ModelVersion]:
        found = self._call(lambda: self.client.search_model_versions(f"name='{self.name}'"))
        aliases = self._aliases() if found else {}
        listed = [self._version(v, aliases.get(str(v.version), ())) for v in found]
        return sorted(listed, key=lambda v: int(v.version))

    def _aliases(self) -> dict[str, tuple[str, ...]]:
        """version → its aliases (searched versions come back without them)."""
        model = self._call(lambda: self.client.get_registered_model(self.name))
        by_version: dict[str, list[str]] = {}
        for alias, version in (model.aliases or {}).items():
            by_version.setdefault(str(version), []).append(alias)
        return {v: tuple(sorted(a)) for v, a in by_version.items()}

    def by_alias(self, alias: str) -> ModelVersion | None:
        from mlflow.exceptions import MlflowException

        try:
            found = self.client.get_model_version_by_alias(self.name, alias)
        except MlflowException:
            return None
        return self._version(found)

    def download(self, version: str) -> Path:
        """The version's artifact under the cache (downloaded once; loading checks it)."""
        import mlflow

        found = self.client.get_model_version(self.name, str(version))
        target = self.cache_dir / f"{self.name}-v{found.version}"
        if (target / "surrogate" / "manifest.json").is_file():
            return target / "surrogate"
        staging = Path(tempfile.mkdtemp(prefix=".download-", dir=_made(self.cache_dir)))
        try:
            path = mlflow.artifacts.download_artifacts(
                artifact_uri=found.source, dst_path=str(staging), tracking_uri=self.tracking_uri
            )
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            Path(path).rename(target / "surrogate")
        except Exception as exc:
            raise RegistryError(f"downloading version {version} failed: {first_line(exc)}") from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target / "surrogate"

    # --- helpers --------------------------------------------------------------------------

    def _version(self, found: Any, aliases: tuple[str, ...] | None = None) -> ModelVersion:
        run = self.client.get_run(found.run_id) if found.run_id else None
        metrics = _unflatten(dict(run.data.metrics)) if run is not None else {}
        created = found.creation_timestamp
        return ModelVersion(
            version=str(found.version),
            run_id=str(found.run_id or ""),
            metrics=metrics,
            tags=dict(found.tags or {}),
            aliases=tuple(found.aliases or ()) if aliases is None else aliases,
            created_at="" if created is None else _iso(created),
        )

    def _experiment(self, name: str) -> str:
        existing = self.client.get_experiment_by_name(name)
        if existing is not None:
            return str(existing.experiment_id)
        location = None
        if self.artifact_root is not None and not self.tracking_uri.startswith(("http:", "https:")):
            location = (_made(self.artifact_root) / name).resolve().as_uri()
        return str(self.client.create_experiment(name, artifact_location=location))

    def _ensure_model(self) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(self.name)
        except MlflowException:
            self.client.create_registered_model(
                self.name, description="LTO's surrogate ensemble (lto.daedalus)"
            )

    def _call(self, work: Any) -> Any:
        try:
            return work()
        except RegistryError:
            raise
        except Exception as exc:
            raise RegistryError(f"MLflow registry: {first_line(exc)}") from exc


def _flatten(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Nested numbers as ``a.b.c`` keys (MLflow metrics are flat floats); others dropped."""
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int | float) and math.isfinite(value):
            flat[name] = float(value)
    return flat


def _unflatten(flat: Mapping[str, float]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        node = nested
        *path, leaf = key.split(".")
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested


def _params(metrics: Mapping[str, Any]) -> dict[str, Any]:
    rows = metrics.get("rows") or {}
    dataset = metrics.get("dataset") or {}
    return {
        **{f"rows.{k}": v for k, v in rows.items()},
        **{f"dataset.{k}": v for k, v in dataset.items()},
    }


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _millis() -> int:
    import time

    return int(time.time() * 1000)


def _iso(millis: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(millis / 1000, UTC).isoformat()


__all__ = ["OPTIMIZATION_EXPERIMENT", "TRAINING_EXPERIMENT", "MlflowRegistry"]
