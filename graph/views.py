from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from bzpeer.htmx import HtmxHttpRequest
from profiles.models import Author
from profiles.names import normalize_name
from profiles.selectors import author_kept, authors_matching

from . import services

EXPLORE_PICK_RESULTS = 20


def _get_author(slug: str) -> Author:
    return get_object_or_404(Author.objects.for_profile(), slug=slug)


def _explore_url(slug: str) -> str:
    return f"{reverse('graph:explore')}?{urlencode({'center': slug})}"


@require_GET
@vary_on_headers("HX-Request")
def author_graph(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The slice that replaces the profile page's loading placeholder (outerHTML)."""
    author = _get_author(slug)
    if author.merged_into_id:
        kept = author_kept(author)
        return HttpResponsePermanentRedirect(reverse("graph:slice", args=[kept.slug]))
    if not request.htmx:
        # A fragment is no page of its own; without htmx the explorer shows the same lists.
        return redirect(_explore_url(author.slug))
    context = {"slice": services.author_slice(author), "recenter": False}
    return render(request, "graph/_slice.html", context)


@require_GET
def explore(request: HtmxHttpRequest) -> HttpResponse:
    center = request.GET.get("center", "").strip()
    if not center:
        query = request.GET.get("q", "").strip()
        matches = None
        if normalize_name(query):
            matches = authors_matching(query)[:EXPLORE_PICK_RESULTS]
        return render(request, "graph/explore.html", {"query": query, "matches": matches})
    author = _get_author(center)
    if author.merged_into_id:
        return HttpResponsePermanentRedirect(_explore_url(author_kept(author).slug))
    context = {"slice": services.author_slice(author), "recenter": True}
    return render(request, "graph/explore.html", context)
