"""Django work in spawned processes: a pool whose workers set Django up on this database.

Spawned, not forked: a forked child would share the parent's database connections. The
functions run here are named by dotted path and imported in the child after
django.setup(), so this module imports nothing of Django's apps at the top (a spawned child
unpickles its initializer before any app is ready).
"""

from __future__ import annotations

import importlib
import multiprocessing
from collections.abc import Iterable


def map_in_processes(function: str, arguments: Iterable, *, processes: int) -> list:
    """Calls `function` ("package.module.name") on each argument in `processes` spawned
    processes set up like this one (same settings, same database); results in any order."""
    from django.db import connection

    context = multiprocessing.get_context("spawn")
    name = connection.settings_dict["NAME"]
    with context.Pool(processes, _setup, (name,)) as pool:
        return list(pool.imap_unordered(_call, [(function, a) for a in arguments]))


def _setup(database_name: str) -> None:
    import django

    django.setup()
    from django.db import connections

    # the test runner renames the database in the parent after settings were read
    connections["default"].settings_dict["NAME"] = database_name


def _call(job: tuple[str, object]):
    from django.db import connection

    module, _, name = job[0].rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)(job[1])
    finally:
        connection.close()
