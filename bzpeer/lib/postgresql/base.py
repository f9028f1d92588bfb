"""Django's PostgreSQL backend, with a health check that costs no round trip when it can.

With CONN_HEALTH_CHECKS (settings.DATABASES), Django sends `SELECT 1` before the first
query of every request that reuses a connection: on the profile page that is one round trip
of two, with a PostgreSQL process to wake each time. A connection the server has closed
(a restart, an idle timeout, pg_terminate_backend) has something to read on its socket: the
server's goodbye, or the end of the stream. So a connection that is idle, not known broken
and has nothing waiting on its socket is taken as healthy without asking; any other gets
Django's `SELECT 1`. What neither can see (a peer gone without a word) is the same as before.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresDatabaseWrapper
from psycopg import pq


class DatabaseWrapper(PostgresDatabaseWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and self._quiet()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _quiet(self) -> bool:
        """Idle, not known closed or broken, and nothing unasked on the socket."""
        connection = self.connection
        if connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != pq.TransactionStatus.IDLE:
            return False
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable
