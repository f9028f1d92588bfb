"""The advisory lock that serialises imports with the curation decisions they must respect."""

from __future__ import annotations

from django.db import connection

# An arbitrary constant naming "an import is writing" among the database's advisory locks.
IMPORT_LOCK_KEY = 0x627A_7065_6572_01


def import_lock() -> None:
    """Waits, inside the caller's transaction, for any other import's transaction to end.

    Imports take it first; a merge, split or undo takes it too, so an import sees each
    decision either whole or not at all. PostgreSQL only: SQLite has a single writer.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])


def import_lock_try() -> bool:
    """import_lock without waiting: False when another import's transaction holds it."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
        return cursor.fetchone()[0]
