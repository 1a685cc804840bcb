"""Surrogate adapters over the ML frameworks. Only lto.bootstrap wires them."""

__all__: list[str] = []
