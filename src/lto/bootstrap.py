"""The composition root: the one place where adapters are chosen and wired into ports.

The API, the worker, the CLI and the web app all call ``bootstrap()`` and receive the same
``Application``; nothing else in LTO decides which database, broker or array backend runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from lto.config import Settings, load_settings

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from fastapi import FastAPI
    from sqlalchemy import Engine

    from lto.atlas.events import DomainEvent, ModelPromoted, ModelRolledBack
    from lto.capricorn.api.config import ApiConfig
    from lto.capricorn.ports import ArtifactStore, Broker
    from lto.capricorn.service.batching import MicroBatcher
    from lto.capricorn.service.messagebus import MessageBus
    from lto.capricorn.service.monitoring import Monitor
    from lto.capricorn.service.outbox import OutboxRelay
    from lto.capricorn.service.preflight import Preflight
    from lto.capricorn.service.simulation import SimulationHandler
    from lto.capricorn.service.unit_of_work import UnitOfWork
    from lto.daedalus.adapters.model_store import LocalModelStore
    from lto.daedalus.dataset import TrainingData
    from lto.daedalus.ensemble import EnsembleSurrogate
    from lto.daedalus.ports import Regressor, SurrogatePort
    from lto.matrix.adapters.physics import PhysicsSettings
    from lto.matrix.ports import SimulatorPort
    from lto.metis.lifecycle import ModelLifecycle
    from lto.metis.ports import StudyEngine
    from lto.metis.registry import GateDecision, ModelRegistry, ModelVersion
    from lto.metis.tuning import TuningTarget


def _held_out_figure(surrogate: EnsembleSurrogate, data: TrainingData, seed: int) -> bytes:
    """The test split the training (with ``seed``) measured on, predicted against its physics."""
    from lto.daedalus.columns import LEARNED, LEARNED_INDEX
    from lto.daedalus.training import split_rows, usable_rows
    from lto.metis.run_figures import accuracy_figure

    rows = usable_rows(data.frame)
    test = rows.iloc[split_rows(len(rows), seed=seed).test]
    found = surrogate.predict_frame(test)
    learned = list(LEARNED_INDEX)
    return accuracy_figure(
        found.mean[:, learned], test[list(LEARNED)].to_numpy(float),
        found.lower[:, learned], found.upper[:, learned], LEARNED,
    )  # fmt: skip


class ConfigurationError(RuntimeError):
    """Settings ask for something this machine cannot provide; the message says what to do."""


def cuda_device_count() -> int:
    """Number of CUDA devices cupy can see; 0 where cupy or a device is missing."""
    try:
        import cupy
    except Exception:  # ImportError, or a CUDA runtime that fails to load
        return 0
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:
        return 0


def resolve_array_backend(requested: str, *, device_count: int | None = None) -> str:
    """``numpy`` or ``cupy``: ``auto`` picks cupy only where a CUDA device is present."""
    if requested == "numpy":
        return "numpy"
    devices = cuda_device_count() if device_count is None else device_count
    if requested == "auto":
        return "cupy" if devices > 0 else "numpy"
    if requested == "cupy":
        if devices == 0:
            raise ConfigurationError(
                "LTO_ARRAY_BACKEND=cupy but no CUDA device is usable here: install the GPU extra "
                "(pip install 'lto[gpu]') on a machine with an NVIDIA GPU, or set LTO_ARRAY_BACKEND=auto"
            )
        return "cupy"
    raise ConfigurationError(f"LTO_ARRAY_BACKEND must be numpy, cupy or auto, not {requested!r}")


@dataclass(frozen=True)
class Application:
    """Everything an entry point needs, wired. Later contexts add their ports here."""

    settings: Settings
    array_backend: str
    components: dict[str, str] = field(default_factory=dict)

    @cached_property
    def simulator(self) -> SimulatorPort:
        """The simulator adapter the settings choose, built on first use (numpy/scipy load then).
        ``surrogate``: the current surrogate's answers in place of physics (pipeline tests)."""
        if self.settings.simulator == "surrogate":
            from lto.capricorn.adapters.surrogate_simulator import SurrogateSimulator

            return SurrogateSimulator(self.surrogate)
        return build_simulator(self.settings, self.array_backend)

    @property
    def builtin_simulator(self) -> bool:
        """True when the settings choose the built-in physics (which can draw its pictures)."""
        return self.settings.simulator == "builtin"

    @property
    def model_store(self) -> LocalModelStore:
        """Where `lto train` writes surrogates and which one is current (the embedded default,
        until Metis's registry takes over)."""
        from lto.daedalus.adapters.model_store import LocalModelStore

        return LocalModelStore(self.settings.data_dir / "models" / "surrogate")

    @cached_property
    def surrogate(self) -> SurrogatePort:
        """The current surrogate, loaded on first use; SurrogateError when none is trained. The
        last drift report for it (``lto drift``) sets the drift its reliability discounts."""
        return self._load_current_surrogate()

    def _load_current_surrogate(self) -> SurrogatePort:
        surrogate = self.model_store.load_current()
        drift = latest_drift_psi(self.settings.data_dir, surrogate.version)
        if drift is not None:
            surrogate.drift_psi = drift
        return surrogate

    def simulator_factory(self) -> Callable[[], SimulatorPort]:
        """A picklable recipe for the chosen simulator: dataset workers build their own."""
        from functools import partial

        return partial(build_simulator, self.settings, self.array_backend)

    @staticmethod
    def surrogate_members(
        seed: int, settings: Mapping[str, Mapping[str, Any]] | None = None
    ) -> dict[str, Regressor]:
        """Fresh, unfitted member models of the ensemble (XGBoost, MLP, GP), with ``settings``
        (tuned hyperparameters per member) in place of their defaults."""
        from lto.daedalus.adapters.members import default_members

        return default_members(seed, settings)

    @staticmethod
    def tuning_targets(seed: int) -> dict[str, TuningTarget]:
        """The members whose hyperparameters `lto tune` searches."""
        from lto.daedalus.adapters.tuning_targets import tuning_targets

        return tuning_targets(seed)

    @staticmethod
    def dose_prior_model(seed: int) -> Callable[[], Regressor]:
        """Makes the regressor of the surrogate's dose-to-size prior."""
        from lto.daedalus.adapters.members import default_dose_prior

        return default_dose_prior(seed)

    @staticmethod
    def saturation_gate_model(seed: int) -> Callable[[], Regressor]:
        """Makes the classifier of the surrogate's saturation gate."""
        from lto.daedalus.adapters.members import default_saturation_gate

        return default_saturation_gate(seed)

    @cached_property
    def study_engine(self) -> StudyEngine:
        """Metis's search (Optuna) over the study storage the settings choose."""
        from lto.metis.adapters.optuna_study import OptunaStudyEngine

        return OptunaStudyEngine(self.settings.study_storage)

    @cached_property
    def registry(self) -> ModelRegistry:
        """The surrogate registry (MLflow: the sqlite store under the data directory by
        default, a tracking server in a deployment)."""
        from lto.metis.adapters.mlflow_registry import MlflowRegistry

        data = self.settings.data_dir
        return MlflowRegistry(
            self.settings.mlflow_tracking_uri,
            artifact_root=data / "mlflow-artifacts",
            cache_dir=data / "registry-cache",
        )

    @cached_property
    def preflight(self) -> SurrogatePort:
        """What pre-flight answers with: the current surrogate, and the registry's challenger
        (when there is one) predicting beside it in shadow, logged, never returned."""
        return self._preflight_of(self.surrogate)

    def _preflight_of(self, surrogate: SurrogatePort) -> SurrogatePort:
        challenger = self._registered("challenger")
        if challenger is None:
            return surrogate
        from lto.daedalus import load_surrogate
        from lto.metis.lifecycle import ShadowEvaluator

        champion = self._registered("champion")
        shadow = ShadowEvaluator(
            surrogate,
            load_surrogate(self.registry.download(challenger.version)),
            self.lifecycle.shadow_log,
            champion_version=champion.version if champion else surrogate.version,
            challenger_version=challenger.version,
        )
        return shadow  # type: ignore[return-value]  # the champion's port, with a shadow

    def _registered(self, alias: str) -> ModelVersion | None:
        """The registry's version under ``alias``; None without a registry yet (a sqlite store
        not made: MLflow is then not even imported) or when it cannot be reached."""
        from lto.metis.registry import RegistryError

        uri = self.settings.mlflow_tracking_uri
        if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
            return None
        try:
            return self.registry.by_alias(alias)
        except RegistryError:
            return None

    @cached_property
    def lifecycle(self) -> ModelLifecycle:
        """Candidate → gate → shadow → promote, and rollback, over the registry."""
        from lto.metis.adapters.shadow_log import JsonLinesShadowLog
        from lto.metis.lifecycle import ModelLifecycle

        log = JsonLinesShadowLog(self.settings.data_dir / "shadow" / "shadow.jsonl")
        return ModelLifecycle(self.registry, log)

    # --- the surrogate's registry and lifecycle as services (the API's models routes) ----------

    def registered_models(self) -> dict[str, ModelVersion] | None:
        """The registry's versions by alias (champion, challenger, previous_champion: those
        set); empty while no registry store exists (MLflow is then not even imported), None
        when the registry cannot be reached."""
        from lto.metis.registry import ALIASES, RegistryError

        if not self._registry_store_exists():
            return {}
        try:
            found = {alias: self.registry.by_alias(alias) for alias in ALIASES}
        except RegistryError:
            return None
        return {alias: version for alias, version in found.items() if version is not None}

    def promote_model(
        self, version: str | None = None, *, override: str | None = None, actor: str = "system"
    ) -> ModelPromoted:
        """`lto models promote` as a service: the lifecycle's promotion (its gate applies
        unless ``override`` gives a reason), the event recorded as ``actor``'s (outbox and
        audit log), then the new champion is the local current model and what this process
        answers with. ``RegistryError`` says why not; ``RegistryUnavailable`` that the
        registry cannot be reached."""
        self._reachable_registry()
        self._adopt_current_as_champion()
        if version is not None and not version.isdigit():  # a surrogate's own name
            from lto.metis.registry import RegistryError

            named = [v for v in self.registry.versions() if v.surrogate_version == version]
            if not named:
                raise RegistryError(f"no registered version holds the surrogate {version}")
            version = named[-1].version
        event = self.lifecycle.promote(version, override=override)
        self._record_model_events([event], actor)
        self._follow_champion(event.version)
        return event

    def _adopt_current_as_champion(self) -> None:
        """Before the registry's first promotion, the model serving now (`lto train`'s or
        `lto demo`'s, current in the model store) becomes its champion, registered if it is
        not yet: the promotion then keeps it as the previous champion, to roll back to."""
        from lto.metis.registry import CHAMPION

        if self.registry.by_alias(CHAMPION) is not None:
            return
        folder = self.model_store.current_path()
        if folder is None:
            return
        serving = self.surrogate
        found = next(
            (v for v in self.registry.versions() if v.surrogate_version == serving.version), None
        )
        if found is None:
            found = self.registry.register(
                folder,
                metrics=getattr(serving, "metrics", {}),
                tags={
                    "surrogate_version": serving.version,
                    "gate": "adopted",
                    "adopted": "the model serving before the registry's first promotion",
                },
            )
        self.registry.set_alias(CHAMPION, found.version)

    def rollback_model(self, *, actor: str = "system") -> ModelRolledBack:
        """`lto models rollback` as a service: the previous champion back, recorded and
        followed as ``promote_model`` does."""
        self._reachable_registry()
        event = self.lifecycle.rollback()
        self._record_model_events([event], actor)
        self._follow_champion(event.to_version)
        return event

    def retrain_model(
        self,
        *,
        reason: str,
        samples: int,
        seed: int | None = None,
        workers: int = 2,
        actor: str = "system",
        progress: Callable[[float, str], None] | None = None,
    ) -> dict[str, Any]:
        """`lto retrain --force REASON` as a service: a dataset of ``samples`` physics jobs
        (the one kept for this size and seed, when there is one), a candidate trained on it
        and saved beside the others (never made current), registered and gated: the
        challenger, predicting in shadow, when the gate passes. Returns what became of it;
        ``progress(fraction, message)`` hears how far it is."""
        from lto.daedalus.dataset import build_dataset, load_dataset, save_dataset
        from lto.daedalus.domain import default_domain

        report = progress or (lambda fraction, message: None)
        self.registry.versions()  # an unreachable MLflow store is said now, not after training
        seed = self.fresh_seed() if seed is None else seed
        target = self.dataset_path(samples, seed)
        if target.exists():
            report(0.0, f"reusing the dataset of {samples} jobs with seed {seed}")
            data = load_dataset(target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            data = build_dataset(
                default_domain(),
                samples,
                seed=seed,
                simulator_factory=self.simulator_factory(),
                workers=workers,
                progress=lambda done, total: report(
                    0.6 * done / max(total, 1), f"simulating {done}/{total}"
                ),
            )
            save_dataset(data, target)
        candidate = self.fit_surrogate(
            data, seed, progress=lambda fraction, message: report(0.6 + 0.35 * fraction, message)
        )
        folder = self.model_store.save(candidate, make_current=False)  # a candidate until promoted
        report(0.96, "registering the candidate and gating it")
        registered, decision = self.register_candidate(
            candidate, folder, data, seed, reason=reason, actor=actor
        )
        self.forget_surrogate()  # a new challenger predicts in shadow from the next job on
        accuracy = candidate.metrics.get("accuracy") or {}
        return {
            "candidate": candidate.version,
            "registered_version": registered.version,
            "gate": "passed" if decision.passed else "refused",
            "gate_reasons": list(decision.reasons),
            "challenger": decision.passed,
            "dataset": {"rows": len(data.frame), "seed": data.seed},
            "accuracy": accuracy.get("overall"),
            "critical_accuracy": accuracy.get("critical"),
            "coverage": dict(candidate.metrics.get("coverage") or {}),
        }

    def fit_surrogate(
        self,
        data: TrainingData,
        seed: int,
        *,
        settings: Mapping[str, Mapping[str, Any]] | None = None,
        progress: Callable[[float, str], None] | None = None,
    ) -> EnsembleSurrogate:
        """The ensemble trained on ``data`` with this application's members (``settings``:
        tuned hyperparameters), dose prior and saturation gate: what `lto train`, `lto retrain`,
        `lto demo` and the API's retrain all fit."""
        from lto.daedalus.training import train_surrogate

        return train_surrogate(
            data.frame,
            data.domain,
            members=self.surrogate_members(seed, settings),
            dose_model=self.dose_prior_model(seed),
            gate_model=self.saturation_gate_model(seed),
            seed=seed,
            progress=progress,
            dataset={"seed": data.seed, "rows": len(data.frame), "lto_version": data.lto_version},
        )

    def register_candidate(
        self,
        candidate: EnsembleSurrogate,
        folder: Path,
        data: TrainingData,
        seed: int,
        *,
        reason: str = "",
        actor: str = "system",
    ) -> tuple[ModelVersion, GateDecision]:
        """``candidate`` (saved at ``folder``) registered with its dataset's identity, why it
        was trained and its held-out figure, through the offline gate; the registry's events
        recorded as ``actor``'s."""
        dataset = {
            "seed": str(data.seed), "rows": str(len(data.frame)), "lto_version": data.lto_version,
            "created_at": data.created_at, "simulator": data.simulator,
        }  # fmt: skip
        if reason:
            dataset["trained_because"] = reason
        before = len(self.lifecycle.events)
        registered, decision = self.lifecycle.submit(
            folder, candidate.metrics, surrogate_version=candidate.version, dataset=dataset,
            figures={"held_out_accuracy.png": _held_out_figure(candidate, data, seed)},
        )  # fmt: skip
        self._record_model_events(self.lifecycle.events[before:], actor)
        return registered, decision

    def _follow_current_model(self) -> None:
        """Another process (an API process beside this one, `lto models promote`) may have made
        another model current: look at the model store's pointer at most once a second, and
        load the new one when it moved."""
        import time

        state = self.__dict__.setdefault("_current_seen", {"at": 0.0, "path": None})
        now = time.monotonic()
        if now - state["at"] < 1.0:
            return
        state["at"] = now
        try:
            current = self.model_store.current_path()
        except OSError:
            return
        if state["path"] is not None and current != state["path"]:
            if "preflight" in self.__dict__:
                self._swap_in_background()
            else:
                self.forget_surrogate()
        state["path"] = current

    def _swap_in_background(self) -> None:
        """Load the newly current model beside the one serving, and swap when it is ready: a
        promotion in another process never stalls this one's predictions for the seconds a
        load takes (the registry's challenger included). A load that fails leaves the next
        prediction to load it, and to say why."""
        import threading

        swapping = self.__dict__.setdefault("_swapping", threading.Lock())
        if not swapping.acquire(blocking=False):  # one load at a time, whoever asks
            return

        def load() -> None:
            try:
                surrogate = self._load_current_surrogate()
                fresh = {"surrogate": surrogate, "preflight": self._preflight_of(surrogate)}
            except Exception:
                self.forget_surrogate()
            else:
                self.__dict__.update(fresh)
                if self.settings.simulator == "surrogate":
                    self.__dict__.pop("simulator", None)
            finally:
                swapping.release()

        threading.Thread(target=load, name="model-swap", daemon=True).start()

    def warm_up(self) -> None:
        """Load the production surrogate now (an API process at start), so the first
        prediction does not pay for it; nothing when none is trained or it cannot load."""
        from lto.capricorn.service.preflight import NoSurrogate

        try:
            self._production_surrogate()
        except NoSurrogate:
            return

    def forget_surrogate(self) -> None:
        """Drop the loaded surrogate and its shadow: the next prediction loads the current
        model (and the registry's challenger) again."""
        for name in ("surrogate", "preflight"):
            self.__dict__.pop(name, None)
        if self.settings.simulator == "surrogate":
            self.__dict__.pop("simulator", None)

    def _registry_store_exists(self) -> bool:
        uri = self.settings.mlflow_tracking_uri
        return not uri.startswith("sqlite:///") or Path(uri.removeprefix("sqlite:///")).exists()

    def _reachable_registry(self) -> None:
        from lto.capricorn.api.services import RegistryUnavailable
        from lto.metis.registry import CHAMPION, RegistryError

        if not self._registry_store_exists():
            raise RegistryError(
                "the registry holds no model yet: `lto train` registers the first version"
            )
        try:
            self.registry.by_alias(CHAMPION)
        except RegistryError as exc:
            raise RegistryUnavailable(str(exc)) from None

    def _follow_champion(self, version: str) -> None:
        """The champion's artifact (downloaded from the registry) as the local current model,
        and the surrogate this process answers with."""
        from lto.daedalus import SurrogateError, load_surrogate
        from lto.metis.registry import RegistryError

        try:
            folder = self.registry.download(version)
            load_surrogate(folder)  # refuses a damaged download before anything points at it
        except SurrogateError as exc:
            raise RegistryError(
                f"version {version} is the registry's champion now, but its artifact does not "
                f"load here ({exc}): roll back, or promote another version"
            ) from None
        self.model_store.set_current(folder)
        self.forget_surrogate()

    def _record_model_events(self, events: list[DomainEvent], actor: str) -> None:
        """The lifecycle's events into the outbox (the broker's notifications) and the audit
        log, as ``actor``'s."""
        from lto.capricorn.service.unit_of_work import audit_entries

        if not events:
            return
        with self.uow() as uow:
            uow.records.add_to_outbox(events)
            uow.records.add_audit(audit_entries(events, actor))
            uow.commit()
        self.relay.notify()
        for event in events:
            if event in self.lifecycle.events:
                self.lifecycle.events.remove(event)

    def dataset_path(self, samples: int, seed: int) -> Path:
        """Where the physics dataset of this size and seed is kept (and reused from)."""
        return self.settings.data_dir / "datasets" / f"physics-n{samples}-s{seed}.parquet"

    def fresh_seed(self) -> int:
        """One more than every seed seen: the current model's and those of the datasets kept
        (as `lto retrain` picks it)."""
        import re

        from lto.daedalus.ports import SurrogateError

        seeds = [0]
        try:
            metrics = getattr(self.surrogate, "metrics", {})
            seeds.append(int((metrics.get("dataset") or {}).get("seed", 0)))
        except (SurrogateError, TypeError, ValueError):
            pass
        for path in (self.settings.data_dir / "datasets").glob("physics-n*-s*.parquet"):
            found = re.fullmatch(r"physics-n\d+-s(-?\d+)", path.stem)
            if found:
                seeds.append(int(found[1]))
        return max(seeds) + 1

    # --- capricorn: the database, the broker and the job pipeline ------------------------------

    @cached_property
    def engine(self) -> Engine:
        """The database, its schema migrated: the embedded SQLite file is brought to the
        newest schema on first use; a server database must be migrated first (`lto db
        upgrade`) and is refused until it is."""
        from lto.capricorn.adapters import migrations
        from lto.capricorn.adapters.database import describe, make_engine

        url = self.settings.database_url
        if url.startswith("sqlite:"):
            migrations.upgrade(url)
        elif not migrations.is_up_to_date(url):
            raise ConfigurationError(
                f"the database {describe(url)} is not at the newest schema: run `lto db upgrade`"
            )
        return make_engine(url)

    @cached_property
    def artifacts(self) -> ArtifactStore:
        from lto.capricorn.adapters.artifact_store import FileArtifactStore

        return FileArtifactStore(self.settings.data_dir / "artifacts")

    @cached_property
    def broker(self) -> Broker:
        url = self.settings.broker_url
        if url.startswith("memory://"):
            from lto.capricorn.adapters.memory_broker import InMemoryBroker

            return InMemoryBroker()
        from lto.capricorn.adapters.rabbitmq import RabbitMqBroker

        return RabbitMqBroker(url)

    def uow(self) -> UnitOfWork:
        """A fresh unit of work (one per transaction); its commits wake this process's relay."""
        from lto.capricorn.adapters.sql_unit_of_work import SqlUnitOfWork

        return SqlUnitOfWork(self.engine, self.artifacts, on_commit=self.relay.notify)

    @cached_property
    def relay(self) -> OutboxRelay:
        from lto.capricorn.service.outbox import OutboxRelay

        return OutboxRelay(self.uow, self.broker)

    @cached_property
    def pipeline_preflight(self) -> Preflight:
        """Pre-flight over the production surrogate (with its shadow), blocking with an
        alternative from a short search over the surrogate (in memory: nothing stored)."""
        from lto.capricorn.service.preflight import Preflight

        return Preflight(self._batched_production_surrogate, alternatives=self._alternative)

    @cached_property
    def _preflight_batcher(self) -> MicroBatcher[Any, Any]:
        """Concurrent submissions (the API's) share one surrogate call for their pre-flight."""
        from lto.capricorn.service.batching import MicroBatcher

        return MicroBatcher(
            lambda batch: self._production_surrogate().evaluate_batch(list(batch)),
            max_batch=64,
            max_wait_s=0.002,
            name="preflight",
        )

    def _batched_production_surrogate(self) -> SurrogatePort:
        from lto.capricorn.service.batching import BatchedSurrogate

        surrogate = self._production_surrogate()  # NoSurrogate now, not inside a batch
        return BatchedSurrogate(surrogate, self._preflight_batcher)  # type: ignore[return-value]

    def _production_surrogate(self) -> SurrogatePort:
        from lto.capricorn.service.preflight import NoSurrogate
        from lto.daedalus.ports import SurrogateError

        self._follow_current_model()
        try:
            return self.preflight
        except SurrogateError as exc:
            raise NoSurrogate(str(exc)) from None

    def production_surrogate(self) -> SurrogatePort:
        """The surrogate production answers with (with its shadow); NoSurrogate when none is
        trained (the API answers 503: run `lto train`)."""
        return self._production_surrogate()

    @staticmethod
    def scratch_study_engine() -> StudyEngine:
        """A search that keeps nothing (Optuna in memory): the API's optimisation runs store
        their results with the run."""
        from lto.metis.adapters.optuna_study import OptunaStudyEngine

        return OptunaStudyEngine("memory:")

    def _alternative(self, job: Any, constraints: list[tuple[str, str, float]]) -> Any:
        from lto.metis.adapters.optuna_study import OptunaStudyEngine
        from lto.metis.alternatives import suggest_alternative
        from lto.metis.problem import OutcomeConstraint

        bounds = [OutcomeConstraint(name, op, bound) for name, op, bound in constraints]  # type: ignore[arg-type]
        return suggest_alternative(
            OptunaStudyEngine("memory:"), job, self._production_surrogate(), bounds, trials=40
        )

    @cached_property
    def bus(self) -> MessageBus:
        from lto.capricorn.service.messagebus import MessageBus

        return MessageBus(self.uow, self.pipeline_preflight)

    def simulation_handler(self, worker_id: str) -> SimulationHandler:
        from lto.capricorn.service.simulation import SimulationHandler
        from lto.daedalus.dataset import result_row

        return SimulationHandler(
            self.uow, self.simulator, worker_id=worker_id, training_row=result_row
        )

    @cached_property
    def monitor(self) -> Monitor:
        from lto.capricorn.service.monitoring import Monitor

        return Monitor(self.uow, self.broker, drift=self._drift)

    def _drift(self, pairs: list[tuple[Any, Any]]) -> tuple[float, str] | None:
        from lto.capricorn.service.preflight import NoSurrogate
        from lto.metis.drift import DriftError, check_drift

        try:
            surrogate = self._production_surrogate()
        except NoSurrogate:
            return None
        mine = [(j, p) for j, p in pairs if p.model_version == surrogate.version]
        try:
            report = check_drift(
                getattr(surrogate, "metrics", {}).get("training_distribution"),
                [j for j, _ in mine],
                [p for _, p in mine],
                model_version=surrogate.version,
            )
        except DriftError:
            return None
        worst = report.findings[0] if report.findings else None
        return (report.worst, f"{worst.kind} {worst.name}" if worst else "nothing")

    # --- the REST API -------------------------------------------------------------------------

    def api_config(self) -> ApiConfig:
        from lto.capricorn.api.config import ApiConfig

        s = self.settings
        return ApiConfig(
            jwt_secret=s.jwt_secret or api_secret(s.data_dir),
            jwt_ttl_s=s.api_token_ttl_s,
            cors_origins=tuple(o.strip() for o in s.cors_origins.split(",") if o.strip()),
            rate_limit_per_minute=s.api_rate_limit_per_minute,
            max_body_bytes=s.api_max_body_bytes,
            max_active_jobs_per_user=s.api_max_active_jobs_per_user,
            docs=s.api_docs,
            tls=s.api_tls,
            state_dir=s.data_dir,
        )

    def api(self) -> FastAPI:
        """The REST API over this application's services."""
        from lto.capricorn.api import create_app

        return create_app(self, self.api_config())

    def component_health(self) -> dict[str, dict[str, Any]]:
        """Each component's state, never raising: what failed is what the report says."""
        return {
            "database": self._database_health(),
            "broker": _normalised(self._guarded(lambda: self.broker.health())),
            "simulator": _normalised(self._guarded(self._simulator_health)),
            "model store": self._model_store_health(),
        }

    @staticmethod
    def _guarded(check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            return check()
        except Exception as exc:
            return {"status": "down", "error": f"{type(exc).__name__}: {exc}"}

    def _database_health(self) -> dict[str, Any]:
        from sqlalchemy import text

        from lto.capricorn.adapters.database import describe

        where = describe(self.settings.database_url)
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            return {"status": "down", "database": where, "error": type(exc).__name__}
        return {"status": "ok", "database": where}

    def _simulator_health(self) -> dict[str, Any]:
        health = getattr(self.simulator, "health", None)
        return health() if callable(health) else {"status": "ok", "simulator": "external"}

    def _model_store_health(self) -> dict[str, Any]:
        folder = self.model_store.current_path()
        if folder is None:
            return {"status": "degraded", "current": None, "note": "no surrogate trained yet"}
        return {"status": "ok", "current": folder.name}

    def simulator_with(self, physics: PhysicsSettings) -> SimulatorPort:
        """The chosen simulator, with ``physics`` as the built-in engine's settings (its array
        backend is always the one the settings resolved). The external simulator ignores them."""
        return build_simulator(self.settings, self.array_backend, physics)

    @staticmethod
    def physics_setup(parameters: Any) -> Any | None:
        """The built-in physics' setup for a job, as the pipeline's workers make it (their
        default physics settings), to redraw the job's pictures from its stored images; None
        where the physics cannot set the job up (no technology at its wavelength)."""
        from lto.matrix.adapters.physics import PhysicsSimulator
        from lto.matrix.ports import SimulationError

        try:
            return PhysicsSimulator().setup(parameters)
        except (SimulationError, ValueError):
            return None

    def drift_psi(self) -> float | None:
        """The worst PSI of the last drift report on the current surrogate, if any (read from
        the model store's pointer and the report file: no model is loaded)."""
        folder = self.model_store.current_path()
        return None if folder is None else latest_drift_psi(self.settings.data_dir, folder.name)

    def drift_report(self, model_version: str) -> dict[str, Any] | None:
        """The last drift report (``lto drift``) on this model version, as it was saved."""
        return latest_drift_report(self.settings.data_dir, model_version)


def _normalised(report: dict[str, Any]) -> dict[str, Any]:
    """Adapters say "unavailable"; the API says "down"."""
    status = report.get("status")
    if status not in ("ok", "degraded", "down"):
        report = report | {"status": "down"}
    return report


def api_secret(data_dir: Path) -> str:
    """The embedded API's signing secret: made once, kept in ``data_dir/api-secret`` (0600)."""
    import secrets

    path = data_dir / "api-secret"
    try:
        found = path.read_text().strip()
        if len(found) >= 32:
            return found
    except OSError:
        pass
    ensure_data_dir(data_dir)
    secret = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secret)
    return secret


def latest_drift_report(data_dir: Path, model_version: str) -> dict[str, Any] | None:
    """The last drift report (``lto drift``, ``drift/<version>.json``) if it judged this model;
    None without one, or where the file cannot be read."""
    import json

    path = data_dir / "drift" / f"{model_version}.json"
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(report, dict) or report.get("model_version") != model_version:
        return None
    return report


def latest_drift_psi(data_dir: Path, model_version: str) -> float | None:
    """The worst PSI of the last drift report (``lto drift``) if it judged this model."""
    import json

    path = data_dir / "drift" / f"{model_version}.json"
    try:
        report = json.loads(path.read_text())
        if report.get("model_version") == model_version:
            return float(report["worst_psi"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return None


def build_simulator(
    settings: Settings, array_backend: str, physics: PhysicsSettings | None = None
) -> SimulatorPort:
    if settings.simulator == "external":
        from lto.matrix.adapters.external import ExternalProcessSimulator

        return ExternalProcessSimulator(
            settings.external_simulator_command, timeout_s=settings.external_simulator_timeout_s
        )
    from dataclasses import replace

    from lto.matrix.adapters.physics import PhysicsSettings, PhysicsSimulator

    return PhysicsSimulator(replace(physics or PhysicsSettings(), backend=array_backend))


def ensure_data_dir(path: Path) -> None:
    """Create the data directory, or say which variable to change when it cannot be written."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(
            f"LTO_DATA_DIR={path} cannot be created ({exc.strerror or exc}): "
            "set LTO_DATA_DIR to a folder you can write"
        ) from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigurationError(
            f"LTO_DATA_DIR={path} is not writable: set LTO_DATA_DIR to a folder you can write"
        )


def bootstrap(settings: Settings | None = None, *, create_dirs: bool = True) -> Application:
    settings = settings or load_settings()
    if create_dirs and settings.database_url.startswith("sqlite:"):
        ensure_data_dir(settings.data_dir)
    backend = resolve_array_backend(settings.array_backend)
    components = {
        "database": settings.database_url.split(":", 1)[0],
        "broker": settings.broker_url.split(":", 1)[0],
        "model registry": "mlflow " + settings.mlflow_tracking_uri.split(":", 1)[0],
        "optimisation studies": "optuna " + settings.study_storage.split(":", 1)[0],
        "array backend": backend,
        "simulator": (
            f"external: {settings.external_simulator_command}"
            if settings.simulator == "external"
            else "the current surrogate (not physics)"
            if settings.simulator == "surrogate"
            else f"built-in physics ({backend})"
        ),
    }
    return Application(settings=settings, array_backend=backend, components=components)
