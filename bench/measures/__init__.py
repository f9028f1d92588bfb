"""One module per measure, each with a MEASURE object (interface: bench/core.py).

To add one (the import COPY path, the graph slices...), drop a module here: run.py finds
every module of this package that has MEASURE, and runs them in MEASURE.order.
"""

from __future__ import annotations

import importlib
import pkgutil


def discover() -> list:
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "MEASURE"):
            found.append(module.MEASURE)
    return sorted(found, key=lambda m: (m.order, m.name))
