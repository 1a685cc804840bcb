"""Metis's adapters: the libraries it searches and tracks with (imported lazily inside)."""
