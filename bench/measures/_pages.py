"""Helpers the page measures share: a logged-in session and in-process query capture."""

from __future__ import annotations

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

BENCH_USERNAME = "bench-reader"


def bench_user():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=BENCH_USERNAME)
    return user


def session_cookie() -> str:
    """A database session of the bench user, valid for any process with this SECRET_KEY."""
    from profiles.sessions import SessionStore  # settings.SESSION_ENGINE

    user = bench_user()
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def client(*, logged_in: bool) -> Client:
    c = Client(HTTP_HOST="localhost")
    if logged_in:
        c.force_login(bench_user())
    return c


def captured(c: Client, url: str) -> tuple[int, list[str]]:
    """The page's status and its SQL, as run (second request: warm caches)."""
    c.get(url)
    with CaptureQueriesContext(connection) as queries:
        status = c.get(url).status_code
    return status, [q["sql"] for q in queries.captured_queries]
