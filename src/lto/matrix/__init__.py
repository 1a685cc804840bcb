"""Matrix: the simulators. `SimulatorPort`, the built-in imaging + resist engine and its array backends.

May import atlas and athena only. Built in issue 4."""

__all__: list[str] = []
