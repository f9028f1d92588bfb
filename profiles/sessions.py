"""The session store (settings.SESSION_ENGINE): Django's database sessions, in
profiles.models.sessions.UserSession, which also keeps the signed-in user's id as a column."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import ValidationError


def user_id_of(data: dict) -> int | None:
    """The signed-in user's id in session data, as Django's auth reads it; None otherwise."""
    try:
        return get_user_model()._meta.pk.to_python(data[SESSION_KEY])
    except (KeyError, ValidationError):
        return None


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        from profiles.models.sessions import UserSession

        return UserSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_id = user_id_of(data)
        return session

    async def acreate_model_instance(self, data):
        session = await super().acreate_model_instance(data)
        session.user_id = user_id_of(data)
        return session
