"""Athena: stateless, vectorised analytics (scores, process windows, drift, calibration, economics).

Pure functions over numpy arrays and pandas frames; imports no other lto package. Built in issue 3."""

__all__: list[str] = []
