"""LTO, the Lithography Tradeoff Optimizer.

Importing ``lto`` loads nothing heavy: the bounded contexts are subpackages
(``lto.atlas``, ``lto.athena``, ``lto.matrix``, ``lto.daedalus``, ``lto.metis``,
``lto.capricorn``, ``lto.acorn``) imported on demand.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
