"""The API's per-client rate limit (429 with Retry-After) and CORS for reads.

- Rate limit: settings.BZPEER_RATE_LIMITS["api"] (a fixed window, bzpeer.lib.ratelimit),
  per signed-in user, else per IP address (REMOTE_ADDR: behind a proxy, have the proxy set
  it to the client's address). A cache that does not answer lets the request through with
  a warning: the API stays up when Redis is down.
- Answers: a GET answered from the works data alone (search, a researcher) is served again
  from process memory while the works data version read with the rate limit holds.
- CORS: any origin may read (GET/HEAD, and the OPTIONS preflight); no credentials are
  shared, so no cookie ever rides along. Other methods get no CORS headers.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from bzpeer.lib.cache import CACHE_ERRORS
from bzpeer.lib.ratelimit import RateLimited, rate_limit_consume_hot
from bzpeer.lib.versions import WORKS_VERSION_KEY
from works.search_cache import local_get, local_put

logger = logging.getLogger(__name__)

PREFIX = "/api/"
READ_METHODS = ("GET", "HEAD")
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type",
    "Access-Control-Expose-Headers": "Retry-After",
    "Access-Control-Max-Age": "86400",
}


def client_key(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


class ApiMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
        else:
            response = self._limited(request) or self._answered(request)
        if request.method in (*READ_METHODS, "OPTIONS"):
            for name, value in CORS_HEADERS.items():
                response[name] = value
        return response

    def _answered(self, request: HttpRequest) -> HttpResponse:
        """The view's response; a GET whose answer depends on the works data alone (the view
        marks it works_data_only) is kept in process memory under the works data version
        read with the rate limit, and served from there while that version holds."""
        version = getattr(request, "works_data_version", None)
        if request.method != "GET" or version is None or not settings.SEARCH_CACHE_SECONDS:
            return self.get_response(request)
        key = f"api:{request.scheme}://{request.get_host()}{request.get_full_path()}"
        held, body = local_get(key, version)
        if held:
            return HttpResponse(body, content_type="application/json; charset=utf-8")
        response = self.get_response(request)
        if response.status_code == 200 and getattr(response, "works_data_only", False):
            local_put(key, version, response.content)
        return response

    def _limited(self, request: HttpRequest) -> HttpResponse | None:
        try:
            found = rate_limit_consume_hot(
                action="api", key=client_key(request), read=(WORKS_VERSION_KEY,)
            )
            # read in the same round trip: a held answer then costs no other (_answered)
            request.works_data_version = found.get(WORKS_VERSION_KEY)
        except RateLimited as limited:
            rate = settings.BZPEER_RATE_LIMITS["api"]
            response = JsonResponse(
                {"detail": f"Rate limit of {rate} reached; retry after the Retry-After seconds."},
                status=429,
            )
            response["Retry-After"] = str(limited.retry_after)
            return response
        except CACHE_ERRORS:
            logger.warning("api: rate-limit cache unavailable; request let through")
        return None
