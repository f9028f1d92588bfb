"""Site-wide views: the health check and the 429 page allauth's rate limits answer with."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from bzpeer.lib.cache import CACHE_ERRORS

logger = logging.getLogger(__name__)

# allauth does not say which limit was hit; its per-IP limits are per minute (the per-key
# ones per 5 minutes), so a minute is the shortest wait that can help.
LOGIN_RETRY_AFTER_SECONDS = 60


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("healthz: database unavailable: %s", error)
        return "unavailable"
    return "ok"


def _redis_state() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    try:
        cache._cache.get_client(write=True).ping()
    except CACHE_ERRORS as error:
        logger.warning("healthz: redis unavailable: %s", error)
        return "unavailable"
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and the compose health checks: 200 while the database answers.

    Redis is reported but does not fail the check: the site keeps working without it
    (rate limits fail open, tasks wait in the outbox), so a replica must stay in rotation.
    """
    state = {"database": _database_state(), "redis": _redis_state()}
    return JsonResponse(state, status=200 if state["database"] == "ok" else 503)


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """allauth's rate limits (login, signup, password reset) answer with this."""
    response = render(request, "429.html", status=429)
    response["Retry-After"] = str(LOGIN_RETRY_AFTER_SECONDS)
    return response
