"""What the API needs from the rest of LTO, as a protocol: the composition root
(``lto.bootstrap.Application``) provides it, tests may provide less. The API never chooses an
adapter itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from lto.atlas.contracts import JobParameters
    from lto.atlas.events import ModelPromoted, ModelRolledBack
    from lto.capricorn.ports import ArtifactStore, Broker
    from lto.capricorn.service.messagebus import MessageBus
    from lto.capricorn.service.outbox import OutboxRelay
    from lto.capricorn.service.unit_of_work import UnitOfWork
    from lto.daedalus.ports import SurrogatePort
    from lto.metis.ports import StudyEngine
    from lto.metis.registry import ModelVersion


class RegistryUnavailable(RuntimeError):
    """The model registry cannot be reached (the API answers 503); the message says where."""


class ApiServices(Protocol):
    def uow(self) -> UnitOfWork: ...

    @property
    def bus(self) -> MessageBus: ...

    @property
    def broker(self) -> Broker: ...

    @property
    def relay(self) -> OutboxRelay: ...

    @property
    def artifacts(self) -> ArtifactStore: ...

    def component_health(self) -> dict[str, dict[str, Any]]:
        """Per component (database, broker, simulator, model store): ``status`` ("ok",
        "degraded" or "down") and what was found."""
        ...

    def physics_setup(self, parameters: JobParameters) -> Any | None:
        """The built-in physics' setup for a job (its constraint profile, clip, cut line, optics
        and resist: ``lto.matrix.adapters.physics.Setup``), to redraw the pictures of a job
        the pipeline ran from its stored images; None where it cannot be made."""
        ...

    def drift_psi(self) -> float | None:
        """The worst PSI of the last drift report on the current surrogate (``lto drift``);
        None without a surrogate or a report."""
        ...

    def drift_report(self, model_version: str) -> dict[str, Any] | None:
        """The last drift report on this model version (``lto drift``), as
        ``lto.metis.drift.DriftReport.to_json`` wrote it; None without one."""
        ...

    def production_surrogate(self) -> SurrogatePort:
        """The surrogate production answers with (the current one, with its shadow);
        ``lto.capricorn.service.preflight.NoSurrogate`` when none is trained."""
        ...

    def warm_up(self) -> None:
        """Load what the first prediction would load (the production surrogate), if any."""
        ...

    def scratch_study_engine(self) -> StudyEngine:
        """A fresh search engine that stores nothing (in memory): the API's optimisation
        runs keep their results in the database themselves."""
        ...

    # --- the surrogate's registry and lifecycle (routes/models.py) -----------------------------

    def registered_models(self) -> dict[str, ModelVersion] | None:
        """The registry's versions by alias (those set); empty while no registry store
        exists yet, None when it cannot be reached."""
        ...

    def promote_model(
        self, version: str | None = None, *, override: str | None = None, actor: str = "system"
    ) -> ModelPromoted:
        """Through ``lto.metis.lifecycle.ModelLifecycle.promote`` (the gate applies); the
        champion then answers here. ``RegistryError`` with the reason it was refused,
        ``RegistryUnavailable`` when the registry cannot be reached."""
        ...

    def rollback_model(self, *, actor: str = "system") -> ModelRolledBack:
        """The previous champion back (``ModelLifecycle.rollback``), errors as promote's."""
        ...

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
        """A candidate trained on fresh physics, registered and gated (never made current);
        blocks for minutes: run it off the request. What became of it, as JSON."""
        ...


__all__ = ["ApiServices", "RegistryUnavailable"]
