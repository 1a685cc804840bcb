"""Capricorn: persistence, unit of work, outbox, message bus, broker adapters, worker, REST API."""

__all__: list[str] = []
