"""The signed-in profile page's one query: the session, its user and the author's row with
the viewer's claim and follow columns, in a single round trip.

Django would read the session row, then the user, then the page its author: three queries,
each a round trip to PostgreSQL. The session row keeps its user's id in a column
(profiles.models.sessions.UserSession), so one statement joins the three. The answer is then
checked exactly as Django checks it (django.contrib.auth.get_user: the backend, the user
being active, the session's hash of the password), and request.session and request.user are
set as Django's lazy loading would have set them. Anything unusual (a session without the
column, a backend of another kind, a session already read) takes Django's own path.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Model
from django.db.models.expressions import Col
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from works.models import Author

from . import viewer
from .models.sessions import UserSession
from .sessions import SessionStore, user_id_of

# What the per-viewer sections and the key of the shared parts read from the author row; a
# cache miss loads the whole row again before rendering the shared parts.
LIVE_FIELDS = (
    "slug",
    "display_name",
    "hidden",
    "merged_into",
    "updated_at",
    "trust_computed_at",
    "followers_count",
    "verification_level",
    "verification_evidence",
    "open_to_collaborate",
)


class _Rows:
    """Builds model instances from a slice of a raw row, with the database's converters
    (SQLite returns datetimes as text), as the ORM would."""

    def __init__(self, model: type[Model], fields: list) -> None:
        self.model = model
        self.attnames = [f.attname for f in fields]
        self.converters = []
        for i, field in enumerate(fields):
            col = Col(model._meta.db_table, field)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                self.converters.append((i, col, found))

    def build(self, values: list) -> Model:
        for i, col, converters in self.converters:
            for convert in converters:
                values[i] = convert(values[i], col, connection)
        return self.model.from_db(connection.alias, self.attnames, values)


def _author_fields() -> list:
    wanted = {"id", *LIVE_FIELDS}
    return [f for f in Author._meta.concrete_fields if f.name in wanted]


@functools.cache
def _statements(vendor: str):
    """(SQL with the session joined, SQL for a known user, author rows, user rows), built
    once per process. `vendor` keys the cache: converters differ between databases."""
    user_model = get_user_model()
    user_fields = list(user_model._meta.concrete_fields)
    author_fields = _author_fields()
    author_table, user_table = Author._meta.db_table, user_model._meta.db_table
    user_pk, session_user = user_model._meta.pk.column, UserSession._meta.get_field("user").column
    author_columns = ", ".join(f"{author_table}.{f.column}" for f in author_fields)

    def select(user_sql: str, user_params: tuple) -> tuple[str, tuple]:
        columns = viewer.viewer_columns(user_sql, user_params)
        sql = ", ".join(f"{text} AS {name}" for name, text, _ in columns)
        return sql, tuple(p for _, _, params in columns for p in params)

    viewer_sql, viewer_params = select(f"u.{user_pk}", ())
    user_columns = ", ".join(f"u.{f.column}" for f in user_fields)
    joined = (
        f"SELECT s.session_data, {user_columns}, {author_columns}, {viewer_sql} "
        f"FROM {author_table} "
        f"LEFT JOIN {UserSession._meta.db_table} s ON s.session_key = %s AND s.expire_date > %s "
        f"LEFT JOIN {user_table} u ON u.{user_pk} = s.{session_user} "
        f"WHERE {author_table}.slug = %s"
    )
    viewer_sql_p, viewer_params_p = select("%s", ("\x00user",))
    known = (
        f"SELECT {author_columns}, {viewer_sql_p} FROM {author_table} "
        f"WHERE {author_table}.slug = %s"
    )
    return (
        (joined, viewer_params),
        (known, viewer_params_p),
        _Rows(Author, author_fields),
        _Rows(user_model, user_fields),
    )


def _with_viewer_columns(author: Author, values: list) -> Author:
    for (name, _, _), value in zip(viewer.viewer_columns("%s"), values, strict=True):
        setattr(author, name, value)
    return author


def author_for_viewer(slug: str, user) -> Author | None:
    """The author's row (LIVE_FIELDS) with `user`'s claim and follow columns (one query), for
    viewer.author_viewer; None when no author has that slug."""
    _, (sql, params), authors, _ = _statements(connection.vendor)
    params = tuple(user.pk if p == "\x00user" else p for p in params)
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, slug))
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(authors.attnames)
    return _with_viewer_columns(authors.build(list(row[:n])), row[n:])


def _can_join(request: HttpRequest) -> bool:
    """Whether the session and the user are still to be read, by our store."""
    session = getattr(request, "session", None)
    return (
        isinstance(session, SessionStore)
        and session.session_key is not None
        and not hasattr(session, "_session_cache")
        and "_cached_user" not in request.__dict__
    )


def author_and_user(request: HttpRequest, slug: str) -> Author | None:
    """For a request with a session cookie: the author's row (LIVE_FIELDS, with the viewer's
    columns) when the visitor is signed in, with request.session and request.user set on the
    way; None when no author has that slug or the visitor is not signed in after all. One
    query when the session is ours and unread, else up to three."""
    if not _can_join(request):
        return author_for_viewer(slug, request.user) if request.user.is_authenticated else None
    (sql, params), _, authors, users = _statements(connection.vendor)
    session = request.session
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, session.session_key, timezone.now(), slug))
        row = cursor.fetchone()
    if row is None:
        return None  # no such author: the 404 page reads the session as usual
    user_count = len(users.attnames)
    session_data, user_values = row[0], list(row[1 : 1 + user_count])
    rest = row[1 + user_count :]
    author = _with_viewer_columns(authors.build(list(rest[: len(authors.attnames)])),
                                  rest[len(authors.attnames) :])  # fmt: skip
    # as SessionStore.load(): a session that is gone or expired reads as empty, without a key
    session.accessed = True
    if session_data is None:
        session._session_key = None
        session._session_cache = {}
    else:
        session._session_cache = _decoded(session, session_data)
    joined_user = users.build(user_values) if user_values[0] is not None else None
    request.user = request._cached_user = _user(request, joined_user)
    return author if request.user.is_authenticated else None


# Session data already decoded, by its text: the same signed text always decodes the same
# under this process's keys, and checking its signature again cost 4% of the request.
# Only data of plain values is kept, and each request gets its own copy to change.
_DECODED: dict[str, dict] = {}
_DECODED_MAX = 4096
_PLAIN = (str, int, float, bool, type(None))


def _decoded(session: SessionStore, data: str) -> dict:
    known = _DECODED.get(data)
    if known is not None:
        return dict(known)
    decoded = session.decode(data)
    if decoded and all(isinstance(value, _PLAIN) for value in decoded.values()):
        if len(_DECODED) >= _DECODED_MAX:
            _DECODED.clear()
        _DECODED[data] = dict(decoded)
    return decoded


def _user(request: HttpRequest, joined_user):
    """django.contrib.auth.get_user(request), with the user row read by the joined query
    instead of the backend's own query. Falls back to get_user() for a backend that does not
    read users like ModelBackend, or a session row whose user column disagrees with its
    data (written before the column existed)."""
    from django.contrib.auth import get_user

    session = request.session
    user_id = user_id_of(session._session_cache)
    backend_path = session._session_cache.get(BACKEND_SESSION_KEY)
    if user_id is None or backend_path is None:
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    backend = load_backend(backend_path)
    if type(backend).get_user is not ModelBackend.get_user or (
        joined_user is None or joined_user.pk != user_id
    ):
        return get_user(request)
    user = joined_user if backend.user_can_authenticate(joined_user) else None
    if user is None:
        return AnonymousUser()
    # Verify the session, as get_user() does
    session_hash = session.get(HASH_SESSION_KEY)
    session_auth_hash = user.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, session_auth_hash):
        return user
    if session_hash and any(
        constant_time_compare(session_hash, fallback)
        for fallback in user.get_session_auth_fallback_hash()
    ):
        session.cycle_key()
        session[HASH_SESSION_KEY] = session_auth_hash
        return user
    session.flush()
    return AnonymousUser()
