"""The database session, with the signed-in user's id in a column of its own.

Sessions stay in the database (settings.SESSION_ENGINE): Redis is only a helper. Django's
session row keeps the user's id inside its signed data, so a signed-in page had to read the
session, then the user, then what it shows: three round trips. With the id in a column, the
signed-in profile page reads the session, its user and the author in one query
(profiles/signed_in.py). This is Django's documented way to extend the database session
(AbstractBaseSession); profiles/sessions.py is its store.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class UserSession(AbstractBaseSession):
    # No database constraint: a session is written while the user may be deleted
    # concurrently; a row whose user is gone reads as signed out, as Django's would.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
    )

    class Meta(AbstractBaseSession.Meta):
        db_table = "profiles_session"

    @classmethod
    def get_session_store_class(cls):
        from profiles.sessions import SessionStore

        return SessionStore
