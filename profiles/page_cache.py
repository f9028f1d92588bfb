"""The anonymous profile page, served from the cache.

Most profile views come from visitors who are not logged in (readers following a link,
crawlers). For them the page is the same for everyone, so its HTML is cached under a key
that changes whenever anything shown on it does:

- the author's data version (bzpeer.lib.versions), which imports, merges, splits,
  undo and claims bump;
- the author row's updated_at (owner edits, claims, hiding), trust_computed_at (a new
  score), followers_count and verification_level;
- the full path, so every page of works and every query string has its own entry.

A merged or hidden author is checked on the row before the cache is read, so a redirect
or a 404 never comes from a stale entry. A request that carries a session or a pending
message is never served from here: what it shows depends on who asks.

A signed-in visitor gets the page assembled from parts: what is the same for everyone (the
header and trust snapshot, the works list with its links and LaTeX already turned into
HTML) comes from `shared_parts`, keyed like the page above plus the works list's query;
only navigation, Follow, claim and collaboration are rendered for the request.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from bzpeer.lib.cache import CACHE_ERRORS
from bzpeer.lib.versions import author_version, author_version_key
from works.models import Author

from . import viewer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuthorState:
    """The few columns that decide whether a cached page is still right (one narrow query)."""

    pk: int
    merged_into_id: int | None
    hidden: bool
    updated_at: datetime
    trust_computed_at: datetime | None
    followers_count: int
    verification_level: int

    @classmethod
    def for_slug(cls, slug: str) -> AuthorState | None:
        row = (
            Author.objects.filter(slug=slug)
            .values_list(
                "pk",
                "merged_into_id",
                "hidden",
                "updated_at",
                "trust_computed_at",
                "followers_count",
                "verification_level",
            )
            .first()
        )
        return cls(*row) if row else None

    @classmethod
    def of(cls, author: Author) -> AuthorState:
        """The same facts from an author row already loaded (no query)."""
        return cls(
            author.pk,
            author.merged_into_id,
            author.hidden,
            author.updated_at,
            author.trust_computed_at,
            author.followers_count,
            author.verification_level,
        )

    @property
    def servable(self) -> bool:
        return not self.merged_into_id and not self.hidden

    @property
    def facts(self) -> tuple:
        return (
            self.updated_at.timestamp(),
            self.trust_computed_at.timestamp() if self.trust_computed_at else 0,
            self.followers_count,
            self.verification_level,
        )


def is_cacheable(request: HttpRequest) -> bool:
    cookies = request.COOKIES
    return (
        settings.PROFILE_PAGE_CACHE_SECONDS > 0
        and settings.SESSION_COOKIE_NAME not in cookies
        and "messages" not in cookies
    )


def page_key(request: HttpRequest, state: AuthorState) -> str:
    # HX-Target: the works list (sort, filters) and "More works" are different fragments
    parts = (
        *state.facts,
        bool(getattr(request, "htmx", False)),
        request.headers.get("HX-Target", ""),
        request.get_full_path(),
    )
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"profile:page:{state.pk}:{digest}"


def _versioned_get_or_render(key: str, author_id: int, render: Callable[[], object]):
    """render()'s value from the cache when it was stored at the author's current data
    version; else render() stored for the next request. The version and the entry come back
    in one round trip. With the cache down, render() every time."""
    try:
        found = cache.get_many([author_version_key(author_id), key])
        version = found.get(author_version_key(author_id)) or author_version(author_id)
    except CACHE_ERRORS:
        logger.warning("profile cache unavailable; rendering author %s", author_id)
        return render()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    value = render()
    try:
        cache.set(key, (version, value), settings.PROFILE_PAGE_CACHE_SECONDS)
    except CACHE_ERRORS:
        logger.warning("profile cache unavailable; not stored for %s", author_id)
    return value


def shared_parts(
    author: Author, name: str, query: object, render: Callable[[], dict[str, str]]
) -> dict[str, str]:
    """The parts of the profile that are the same for every viewer (HTML strings, by name),
    cached under the author's facts, `name` (which parts) and `query` (the works list's
    canonical parameters). They must never contain anything that depends on the viewer."""
    state = AuthorState.of(author)
    parts = (*state.facts, name, query)
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return _versioned_get_or_render(f"profile:parts:{state.pk}:{digest}", state.pk, render)


def cached_page(
    request: HttpRequest, state: AuthorState, render: Callable[[], HttpResponse]
) -> HttpResponse:
    """The rendered page from the cache, or render() stored there for the next visitor.

    The entry holds the data version it was rendered at; the version and the entry come
    back in one round trip, and an entry from an older version is rendered anew.
    """
    key = page_key(request, state)
    try:
        found = cache.get_many([author_version_key(state.pk), key])
        version = found.get(author_version_key(state.pk)) or author_version(state.pk)
    except CACHE_ERRORS:
        logger.warning("profile page cache unavailable; rendering author %s", state.pk)
        return render()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return HttpResponse(entry[1])
    response = render()
    if response.status_code == 200:
        try:
            cache.set(key, (version, response.content), settings.PROFILE_PAGE_CACHE_SECONDS)
        except CACHE_ERRORS:
            logger.warning("profile page cache unavailable; not stored for %s", state.pk)
    return response


# --- the signed-in page's own row ----------------------------------------------------------

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
_SLUG, _USER = "\x00slug", -424242  # stand-ins replaced by each request's values


@functools.cache
def _live_author_statement() -> tuple[str, tuple]:
    """The SQL of the signed-in page's author query, compiled by the ORM once per process:
    compiling it (four subqueries) cost more CPU than the rest of the request."""
    stand_in = SimpleNamespace(pk=_USER, is_authenticated=True)
    authors = (
        Author.objects.only(*LIVE_FIELDS)
        .annotate(**viewer.viewer_annotations(stand_in))
        .filter(slug=_SLUG)
    )
    return authors.query.sql_with_params()


def author_for_viewer(slug: str, user) -> Author | None:
    """The author's row with the viewer's claim and follow columns (one query), for
    viewer.author_viewer; None when no author has that slug."""
    sql, params = _live_author_statement()
    values = {_SLUG: slug, _USER: user.pk}
    rows = list(Author.objects.raw(sql, [values.get(p, p) for p in params]))
    return rows[0] if rows else None
