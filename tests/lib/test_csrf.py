"""bzpeer.lib.csrf: Django's CSRF token, made faster, still Django's."""

from __future__ import annotations

from collections import Counter

import pytest
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    _unmask_cipher_token,
)
from django.test import RequestFactory

from bzpeer.lib.csrf import get_token, random_csrf_string

pytestmark = pytest.mark.sqlite


def test_a_token_unmasks_to_the_requests_secret_and_renews_the_cookie():
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret = random_csrf_string()

    token = get_token(request)

    assert len(token) == 2 * CSRF_SECRET_LENGTH
    assert _unmask_cipher_token(token) == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert get_token(request) != token  # a new mask every time


def test_a_request_without_a_secret_gets_one_for_its_cookie():
    request = RequestFactory().get("/")

    token = get_token(request)

    secret = request.META["CSRF_COOKIE"]
    assert len(secret) == CSRF_SECRET_LENGTH and set(secret) <= set(CSRF_ALLOWED_CHARS)
    assert _unmask_cipher_token(token) == secret


def test_every_character_is_drawn_alike():
    counts = Counter("".join(random_csrf_string() for _ in range(4000)))

    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    expected = 4000 * CSRF_SECRET_LENGTH / len(CSRF_ALLOWED_CHARS)  # about 2,065 each
    # a byte % 62 without dropping the bytes from 248 up would give the first 8 characters
    # 5/4 of the others' share; drawn alike, all stay within 10% (over 4 standard deviations)
    assert all(abs(n - expected) < expected / 10 for n in counts.values()), counts
