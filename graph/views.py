"""The research graph's pages: the profile's lazily loaded slice and the explorer."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from bzpeer.lib.cache import CACHE_ERRORS
from bzpeer.lib.htmx import HtmxHttpRequest
from bzpeer.lib.names import normalize_name
from profiles.selectors import AuthorMerged, author_for_page, authors_matching

from . import cache as slice_cache
from . import services
from .forms import ExploreFilterForm
from .presets import EXPLORER_TARGET, PROFILE, explorer_params
from .rendering import explore_url, slice_context
from .services import SliceState, graph_slice_get

EXPLORE_PICK_RESULTS = 20
# A large slice being built by a worker: the section polls after these many seconds, then
# stops and offers a button (about a minute in all).
PENDING_DELAYS = (2, 3, 5, 8, 13, 21)
# The cache (Redis) did not answer: a few slow retries, never a tight loop.
UNAVAILABLE_DELAY = 30
UNAVAILABLE_ATTEMPTS = 3
MAX_ATTEMPT = 50
NODE_ID = re.compile(r"^[awti]\d{1,18}$")


def _attempt(request: HtmxHttpRequest) -> int:
    try:
        return min(max(int(request.GET.get("attempt", 0)), 0), MAX_ATTEMPT)
    except ValueError:
        return 0


def _retry(state: SliceState, attempt: int) -> dict:
    """What the waiting section says, and when (whether) it asks again."""
    if state.pending:
        delay = PENDING_DELAYS[attempt] if attempt < len(PENDING_DELAYS) else None
        return {
            "message": "Building this graph slice…",
            "detail": "This researcher has a large neighbourhood; a worker is drawing it and "
            "it will appear here as soon as it is ready.",
            "delay": delay,
            "gave_up": "It is taking longer than usual.",
        }
    delay = UNAVAILABLE_DELAY if attempt < UNAVAILABLE_ATTEMPTS else None
    return {
        "message": "The research graph is unavailable right now.",
        "detail": f"This section will retry in {UNAVAILABLE_DELAY} seconds.",
        "delay": delay,
        "gave_up": "It is still unavailable.",
    }


def _with_attempt(url: str, attempt: int) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'attempt': attempt})}"


@require_GET
@vary_on_headers("HX-Request", "Cookie")
def author_graph(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The slice that replaces the profile page's loading placeholder (outerHTML)."""
    try:
        # hidden at the owner's request: no graph either
        author = author_for_page(slug, only=services.SLICE_AUTHOR_FIELDS)
    except AuthorMerged as merged:
        return HttpResponsePermanentRedirect(reverse("graph:slice", args=[merged.kept.slug]))
    if not request.htmx:
        # A fragment is no page of its own; without htmx the explorer shows the same slice.
        return redirect(explore_url(author.slug))
    try:
        version, html = slice_cache.profile_fragment_cached(author)
    except CACHE_ERRORS:
        version = html = None
    if html is not None:
        return HttpResponse(html)
    state = graph_slice_get(author=author, params=PROFILE)
    if state.slice is None:
        attempt = _attempt(request)
        url = reverse("graph:slice", args=[author.slug])
        context = {
            "author": author,
            "retry": _retry(state, attempt),
            "retry_url": _with_attempt(url, attempt + 1),
            "restart_url": _with_attempt(url, 0),
            "target": "#graph-slice",
            "pending_id": "graph-slice",
        }
        return render(request, "graph/_pending.html", context)
    if state.unavailable:  # built without the cache: say so
        context = slice_context(state.slice, PROFILE, cache_down=True)
        return render(request, "graph/_slice.html", context)
    if version is not None:
        slice_cache.profile_fragment_set(author, version, state.slice.html)
    return HttpResponse(state.slice.html)


@require_GET
@vary_on_headers("HX-Request", "Cookie")
def explore(request: HtmxHttpRequest) -> HttpResponse:
    center = request.GET.get("center", "").strip()
    if not center:
        query = request.GET.get("q", "").strip()
        matches = None
        if normalize_name(query):
            matches = authors_matching(query)[:EXPLORE_PICK_RESULTS]
        return render(request, "graph/explore.html", {"query": query, "matches": matches})
    try:
        author = author_for_page(center)
    except AuthorMerged as merged:
        query = request.GET.copy()
        query["center"] = merged.kept.slug
        return HttpResponsePermanentRedirect(f"{reverse('graph:explore')}?{query.urlencode()}")
    form = ExploreFilterForm(request.GET)
    params = explorer_params(**form.filters())
    state = graph_slice_get(author=author, params=params)
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    context = {
        "author": author,
        "form": form,
        "partial": partial,
        "params": params,
        "reset_url": explore_url(author.slug),
    }
    if state.slice is None:
        attempt = _attempt(request)
        url = explore_url(author.slug, params)
        context |= {
            "retry": _retry(state, attempt),
            "retry_url": _with_attempt(url, attempt + 1),
            "restart_url": _with_attempt(url, 0),
            "target": EXPLORER_TARGET,
            "pending_id": "explorer-pending",
        }
    else:
        context |= slice_context(state.slice, params, cache_down=state.unavailable)
        node_id = request.GET.get("node", "")
        selected = state.slice.by_id.get(node_id) if NODE_ID.match(node_id) else None
        context |= {
            "selected": selected or state.slice.center,
            "selected_explicitly": selected is not None,
        }
    template = "graph/explore.html"
    if partial:
        template += "#explorer"
    return render(request, template, context)
