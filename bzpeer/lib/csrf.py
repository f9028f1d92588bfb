"""Django's CSRF token for a form or a header (django.middleware.csrf.get_token), made faster.

Django draws each of the 32 characters of a mask (and of a new secret) with its own
secrets.choice call: 64 calls of several Python frames and a system call each, a sixth of
the CPU of a signed-in profile page served from the cache. Here the characters come from one
secrets.token_bytes call, bytes that would favour some characters dropped, so each character
is as uniform and unpredictable as Django's. The token is the same thing Django makes (mask +
secret shifted by the mask) and CsrfViewMiddleware checks it, sets and renews the cookie as
for a token from get_token: the request's META says what the middleware expects.
"""

from __future__ import annotations

import secrets

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH

_COUNT = len(CSRF_ALLOWED_CHARS)
_INDEX = {char: i for i, char in enumerate(CSRF_ALLOWED_CHARS)}
# A byte below this maps to a character with b % _COUNT, every character equally often.
_FAIR_BELOW = 256 - 256 % _COUNT


def random_csrf_string(length: int = CSRF_SECRET_LENGTH) -> str:
    chars: list[str] = []
    while len(chars) < length:
        chars += [CSRF_ALLOWED_CHARS[b % _COUNT] for b in secrets.token_bytes(length + 8)
                  if b < _FAIR_BELOW]  # fmt: skip
    return "".join(chars[:length])


def get_token(request: HttpRequest) -> str:
    """As django.middleware.csrf.get_token: a new mask over the request's secret (a new
    secret when it has none), and the cookie sent (renewed) with the response."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        secret = request.META["CSRF_COOKIE"] = random_csrf_string()
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = random_csrf_string()
    shifted = (_INDEX[s] + _INDEX[m] for s, m in zip(secret, mask, strict=True))
    cipher = "".join(CSRF_ALLOWED_CHARS[i % _COUNT] for i in shifted)
    return mask + cipher
