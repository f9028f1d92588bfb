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
HTML) comes from `shared_parts`, keyed like the page above plus the works list's query.
The whole signed-in page is then cached per kind of viewer (`signed_in_page`: following or
not, owner or not, staff or not...) with holes where the request's own values go (CSRF
token, account name), filled per request: rendering navigation, Follow, claim and
collaboration for every request cost more than everything else the request does.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import astuple, dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import get_script_prefix
from django.utils.html import escape

from bzpeer.lib.cache import CACHE_ERRORS
from bzpeer.lib.csrf import get_token
from bzpeer.lib.versions import author_version, author_version_key, versioned_get_or_build
from works.models import Author

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
    """render()'s value cached under the author's data version (one round trip)."""
    return versioned_get_or_build(
        key, author_version_key(author_id), lambda: author_version(author_id), render,
        timeout=settings.PROFILE_PAGE_CACHE_SECONDS, what="profile",
    )  # fmt: skip


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


# --- the signed-in page: the whole page per kind of viewer, with holes ----------------------


@dataclass(frozen=True)
class Holes:
    """Stand-ins rendered where the request's own values go in a signed-in page (the CSRF
    token, the account's name, the site's address). Random for each rendering and kept with
    it, so no text of the page (a work's title, a name) can be taken for one."""

    csrf: str
    name: str
    scheme: str
    host: str

    @classmethod
    def new(cls) -> Holes:
        tag = secrets.token_hex(10)
        return cls(*(f"bzpeer-hole-{tag}-{what}" for what in ("csrf", "name", "scheme", "host")))

    def filled(self, html: str, request: HttpRequest) -> str:
        user = request.user
        return (
            html.replace(self.csrf, get_token(request))
            .replace(self.name, escape(user.email or user.get_username()))
            .replace(self.scheme, escape(request.scheme))
            .replace(self.host, escape(request.get_host()))
        )


def signed_in_page(
    request: HttpRequest, author: Author, kind: tuple, query: object, render: Callable[[Holes], str]
) -> HttpResponse:
    """The page for a signed-in viewer: rendered once per kind of viewer (`kind`: what the
    viewer's own sections and navigation show, e.g. following or not, owner or not, staff or
    not) and author state (every live column of the row, the data version, the works list's
    `query`), then the request's own values put in its holes. render(holes) renders it."""
    state = AuthorState.of(author)
    live = tuple(getattr(author, name) for name in ("slug", "display_name", "hidden",
                 "verification_evidence", "open_to_collaborate"))  # fmt: skip
    parts = (*state.facts, live, kind, query, get_script_prefix())
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()

    def rendered() -> tuple[str, tuple[str, ...]]:
        holes = Holes.new()
        return render(holes), astuple(holes)  # plain strings in the cache, not our class

    html, holes = _versioned_get_or_render(f"profile:frame:{state.pk}:{digest}", state.pk, rendered)
    return HttpResponse(Holes(*holes).filled(html, request))
