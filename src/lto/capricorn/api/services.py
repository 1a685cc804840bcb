"""What the API needs from the rest of LTO, as a protocol: the composition root
(``lto.bootstrap.Application``) provides it, tests may provide less. The API never chooses an
adapter itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from lto.capricorn.ports import ArtifactStore, Broker
    from lto.capricorn.service.messagebus import MessageBus
    from lto.capricorn.service.outbox import OutboxRelay
    from lto.capricorn.service.unit_of_work import UnitOfWork


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


__all__ = ["ApiServices"]
