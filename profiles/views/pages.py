"""The public pages: search (home) and an author's profile."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from bzpeer.lib.htmx import HtmxHttpRequest
from bzpeer.lib.names import normalize_name
from works.models import Author

from .. import page_cache, selectors, signed_in, works_list
from .. import viewer as viewers
from .access import redirect_to_kept

SEARCH_RESULTS_PER_PAGE = 20


@require_GET
@vary_on_headers("HX-Request", "Cookie")
def home(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    context: dict = {"query": query}
    # "!!!" normalises to nothing, and search("") would list every author.
    if normalize_name(query):
        paginator = Paginator(selectors.authors_matching(query), SEARCH_RESULTS_PER_PAGE)
        context["results"] = paginator.get_page(request.GET.get("page"))
    else:
        context["recent"] = selectors.authors_recently_updated()
    template = "profiles/home.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#results"
    return render(request, template, context)


@require_GET
@vary_on_headers("HX-Request", "HX-Target", "Cookie")
def author_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    if page_cache.is_cacheable(request):
        state = page_cache.AuthorState.for_slug(slug)
        if state is not None and state.servable:
            return page_cache.cached_page(
                request,
                state,
                lambda: _author_page(request, selectors.author_for_page(slug, owner_preview=True)),
            )
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        # One query: the session, its user, and the author's row with the columns the live
        # sections use and this viewer's claim and follow (profiles/signed_in.py).
        author = signed_in.author_and_user(request, slug)
        if request.user.is_authenticated:
            if author is None:
                raise Http404("No such researcher.")
            if author.merged_into_id:
                return redirect_to_kept(request, slug, selectors.author_kept(author))
            return _author_page(request, author)
    try:
        author = selectors.author_for_page(slug, owner_preview=True)
    except selectors.AuthorMerged as merged:
        return redirect_to_kept(request, slug, merged.kept)
    return _author_page(request, author)


def _author_page(request: HtmxHttpRequest, author: Author) -> HttpResponse:
    viewer = viewers.author_viewer(author, request.user)
    if author.hidden and not viewer.sees_hidden:
        # Consent: the owner took the profile off public pages (profiles/claims.py).
        return render(request, "profiles/author_hidden.html", status=404)
    query = works_list.WorksQuery.from_params(request.GET)
    if request.htmx and not request.htmx.history_restore_request:
        # Sorting or filtering swaps the whole list; "More works" appends the next page.
        fragment = "works-list" if request.htmx.target == "works-list" else "works-page"
        parts = page_cache.shared_parts(
            author,
            fragment,
            query,
            lambda: _shared_parts(_whole(author), query, fragment=fragment),
        )
        return HttpResponse(parts[fragment])
    if request.user.is_authenticated and not messages.get_messages(request):
        return page_cache.signed_in_page(
            request,
            author,
            viewer.kind,
            query,
            lambda holes: render_to_string(
                "profiles/author_detail.html",
                _page_context(author, viewer, query) | _holes_context(request, holes),
            ),
        )
    return render(request, "profiles/author_detail.html", _page_context(author, viewer, query))


def _page_context(author: Author, viewer: viewers.Viewer, query: works_list.WorksQuery) -> dict:
    parts = page_cache.shared_parts(
        author, "page", query, lambda: _shared_parts(_whole(author), query, fragment=None)
    )
    return {
        "author": author,
        # HTML rendered by templates (autoescaped) in _shared_parts; bio_line is plain text
        "parts": {name: mark_safe(parts[name]) for name in ("top", "works")},
        "bio_line": parts["bio_line"],
        "is_following": viewer.is_following,
        "viewer": viewer,
        "explore_url": f"{reverse('graph:explore')}?{urlencode({'center': author.slug})}",
    }


def _holes_context(request: HtmxHttpRequest, holes: page_cache.Holes) -> dict:
    """What the context processors give a template, with holes for the request's own values
    (page_cache.signed_in_page): the page is rendered without the request, once per kind of
    viewer, and holds nothing else of this request."""
    user = request.user
    return {
        "user": SimpleNamespace(
            is_authenticated=True,
            is_staff=user.is_staff,
            email=holes.name,
            get_username=holes.name,
        ),
        "csrf_token": holes.csrf,
        "request": SimpleNamespace(scheme=holes.scheme, get_host=holes.host),
        "messages": (),
    }


def _whole(author: Author) -> Author:
    """The whole row, for rendering the shared parts: a signed-in request loaded only the
    columns its own sections use (profiles/signed_in.py)."""
    if author.get_deferred_fields():
        return Author.objects.for_profile().get(pk=author.pk)
    return author


def _shared_parts(
    author: Author, query: works_list.WorksQuery, *, fragment: str | None
) -> dict[str, str]:
    """The HTML that is the same for every viewer: rendered without the request, so it
    cannot pick up a user, a CSRF token or a message (profiles/page_cache.py caches it)."""
    page = works_list.author_works_page(author, query)
    if page.number > 1 and not page.object_list:
        raise Http404("No such page of works.")
    context = {"author": author, "page": page}
    if fragment == "works-page":
        context["appended"] = True
        return {fragment: render_to_string("profiles/_works.html#works-page", context)}
    facets = works_list.author_works_facets(author)
    context |= {
        "type_choices": facets.types,
        "topic_choices": works_list.author_topic_choices(author),
    }
    if fragment == "works-list":
        return {fragment: render_to_string("profiles/_works.html#works-list", context)}
    topics = context["topic_choices"]
    context |= {
        "bio_line": selectors.author_bio_line(author, topics=[name for _, name in topics[:3]]),
        "featured": selectors.author_featured_works(author) if author.is_claimed else [],
        "per_year": facets.per_year,
    }
    return {
        "bio_line": context["bio_line"],
        "top": render_to_string("profiles/_profile_top.html", context),
        "works": render_to_string("profiles/_works.html", context),
    }
