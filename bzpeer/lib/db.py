"""Database helpers several apps use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def without_statement_timeout() -> Iterator[None]:
    """A transaction without the web statement_timeout (settings.WEB_STATEMENT_TIMEOUT_MS),
    for the few admin actions whose statements may rightly run long on a big data set (an
    import batch undone deletes what the import wrote). SET LOCAL: it ends with the
    transaction, the connection keeps its timeout for the next request."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = 0")
        yield
