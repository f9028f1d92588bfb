"""allauth's account adapter: a new user's username is a random handle, never derived from
their email address (which other users must not be able to guess from it). People see a
user's public name instead (profiles.public_names)."""

from __future__ import annotations

import secrets

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import user_username
from django.contrib.auth import get_user_model

HANDLE_PREFIX = "member-"


def random_handle() -> str:
    """'member-3f9a1c0b2d': unique among users (tried again on the rare clash)."""
    users = get_user_model().objects
    while True:
        handle = HANDLE_PREFIX + secrets.token_hex(5)
        if not users.filter(username=handle).exists():
            return handle


class AccountAdapter(DefaultAccountAdapter):
    def populate_username(self, request, user) -> None:
        # also replaces a username a social provider suggested (sign-up only: no pk yet)
        if user.pk is None:
            user_username(user, random_handle())
