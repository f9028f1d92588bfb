"""The PostgreSQL backend's health check without a round trip (bzpeer/lib/postgresql)."""

from __future__ import annotations

import select

import pytest
from django.db import connections

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

connection = connections["default"]


@pytest.fixture
def reused_connection(monkeypatch):
    """The default connection as a request finds it: open, idle, not yet checked; with the
    SELECT 1 check counted."""
    connection.ensure_connection()
    monkeypatch.setattr(connection, "health_check_enabled", True)
    connection.health_check_done = False
    asked = []
    select_one = type(connection).is_usable
    monkeypatch.setattr(
        type(connection), "is_usable", lambda self: asked.append(1) or select_one(self)
    )
    return asked


def test_a_healthy_idle_connection_is_kept_without_a_round_trip(reused_connection):
    kept = connection.connection

    connection.close_if_health_check_failed()

    assert connection.connection is kept
    assert reused_connection == []  # no SELECT 1
    assert connection.health_check_done


def test_a_connection_the_server_closed_is_replaced(reused_connection):
    pid = connection.connection.info.backend_pid
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    # wait (at most 5 s) for the server's goodbye to reach the socket
    select.select([connection.connection.pgconn.socket], [], [], 5)

    connection.close_if_health_check_failed()

    assert reused_connection == [1]  # something on the socket: Django's own check, which failed
    assert connection.connection is None
    with connection.cursor() as cursor:  # the next query opens a new connection
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
