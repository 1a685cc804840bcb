"""The web app's pages. Each module names its ``PATH``, ``NAME``, ``TITLE`` and ``ORDER``, and
has ``layout(**query)`` (the page, built fresh on every visit) and ``register(app)`` (its
callbacks, on the app it is given: several apps in one process, as tests make, never share a
callback list).

Ids are namespaced by page (``whatif-…``, ``jobs-…``); repeated controls use pattern-matching
dict ids (``{"type": "whatif-field", "name": "na"}``).
"""

from __future__ import annotations

import importlib
from types import ModuleType

# in the navigation bar's order
PAGE_MODULES = (
    "home",
    "whatif",
    "compare",
    "optimise",
    "jobs",
    "alerts",
    "models",
    "cells",
    "economics",
)


def pages() -> list[ModuleType]:
    return [importlib.import_module(f"lto.acorn.pages.{name}") for name in PAGE_MODULES]


__all__ = ["PAGE_MODULES", "pages"]
