"""Matrix: the simulators. The array-backend port, the built-in imaging + resist engine and the
``SimulatorPort`` its adapters implement. May import atlas and athena only.

Notebook API: ``lto.matrix.imaging.aerial_image`` / ``socs_image`` and
``lto.matrix.sources.conventional`` / ``annular`` / ``dipole`` / ``quadrupole`` / ``pixelated``.
"""

__all__: list[str] = []
