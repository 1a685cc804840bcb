"""Simulator adapters (built-in physics, external programs). Only lto.bootstrap wires them."""

__all__: list[str] = []
