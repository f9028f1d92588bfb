"""Tell, before the test suite starts, whether PostgreSQL and Redis answer.

Stand-alone (no Django): `make test` runs it first so a missing service is one clear
message with the command that starts it, not a hundred errors from inside the tests.
"""

from __future__ import annotations

import os
import sys

import psycopg
import redis

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bzpeer"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/1"

START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'


def check_postgres(url: str) -> str | None:
    # The suite creates its own test database, so the server's maintenance database is
    # what must answer; the application database need not exist yet.
    try:
        with psycopg.connect(url, dbname="postgres", connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def check_redis(url: str) -> str | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as exc:
        return str(exc).strip()
    return None


def main() -> int:
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    problems = []
    if error := check_postgres(database_url):
        problems.append(
            f"PostgreSQL is not reachable at {database_url}: {error}\n"
            f"  start it with: {START_POSTGRES}"
        )
    if error := check_redis(redis_url):
        problems.append(
            f"Redis is not reachable at {redis_url}: {error}\n  start it with: {START_REDIS}"
        )
    for problem in problems:
        print(f"check_services: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("check_services: PostgreSQL and Redis are up.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
