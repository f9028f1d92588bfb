"""Search answers served from the cache: a repeated search is one cache round trip.

What is stored is the finished answer (the rendered results of the /search/ page, the JSON
body of an API search or researcher), keyed by everything it depends on (the normalised
query, filters and page; the host, for the API's absolute URLs) and stored together with
the works data version read before it was built (bzpeer.lib.versions). One get_many reads
the version and the entry; an entry built under another version is stale and rebuilt. Any
change to what search shows moves the version once it commits, so the next search shows it.

The API reads the version in the rate limit's round trip (api.middleware) and keeps the
responses it served last in process memory (local_get, local_put): a repeated call whose
version has not moved is answered from there, with no other round trip.

The cache is a helper only: when Redis does not answer, the answer is computed and
returned as if there were no cache (the breaker in bzpeer.lib.cache makes that fast).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from bzpeer.lib.versions import WORKS_VERSION_KEY, versioned_get_or_build, works_data_version

logger = logging.getLogger(__name__)

T = TypeVar("T")


def answer_key(namespace: str, parts: object) -> str:
    """A short key for any JSON-able description of the question."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return f"search:{namespace}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


# Answers kept in process memory, with the version they were built under: a few MiB.
LOCAL_ANSWERS = 256
_local: OrderedDict[str, tuple[int, object]] = OrderedDict()
_local_lock = threading.Lock()


def local_get(key: str, version: int) -> tuple[bool, object]:
    """(True, the value) when this process holds `key` stored under `version`."""
    with _local_lock:
        entry = _local.get(key)
        if entry is None or entry[0] != version:
            return False, None
        _local.move_to_end(key)
        return True, entry[1]


def local_put(key: str, version: int, value: object) -> None:
    """Keeps `value` in process memory under `version` read before it was built (the
    oldest entries go past LOCAL_ANSWERS)."""
    with _local_lock:
        _local[key] = (version, value)
        _local.move_to_end(key)
        while len(_local) > LOCAL_ANSWERS:
            _local.popitem(last=False)


def answer_cached(namespace: str, parts: object, build: Callable[[], T]) -> T:
    """The stored answer to `parts` if built from the current data, else build() (stored)."""
    seconds = settings.SEARCH_CACHE_SECONDS
    if not seconds:
        return build()
    return versioned_get_or_build(
        answer_key(namespace, parts), WORKS_VERSION_KEY, works_data_version, build,
        timeout=seconds, what="search",
    )  # fmt: skip


def anonymous_page_cached(request: HttpRequest, render: Callable[[], HttpResponse]) -> HttpResponse:
    """A page the same for every anonymous visitor (no session, no pending message), served
    whole from the cache per full path and htmx request kind; anyone else gets render()."""
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return render()
    htmx = getattr(request, "htmx", None)
    parts = [bool(htmx), bool(htmx and htmx.history_restore_request), request.get_full_path()]
    rendered: list[HttpResponse] = []

    def build() -> bytes | None:
        response = render()
        rendered.append(response)
        return response.content if response.status_code == 200 else None

    body = answer_cached("anonymous-page", parts, build)
    if rendered:
        return rendered[0]
    if body is None:  # stored as not cacheable a moment ago
        return render()
    return HttpResponse(body)
