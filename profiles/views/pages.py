"""The public pages: search (home) and an author's profile."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from bzpeer.lib.htmx import HtmxHttpRequest
from bzpeer.lib.names import normalize_name
from works.models import Author

from .. import claims, page_cache, selectors
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
@vary_on_headers("HX-Request", "Cookie")
def author_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    if page_cache.is_cacheable(request):
        state = page_cache.AuthorState.for_slug(slug)
        if state is not None and state.servable:
            return page_cache.cached_page(
                request,
                state,
                lambda: _author_page(request, selectors.author_for_page(slug, owner_preview=True)),
            )
    try:
        author = selectors.author_for_page(slug, owner_preview=True)
    except selectors.AuthorMerged as merged:
        return redirect_to_kept(request, slug, merged.kept)
    return _author_page(request, author)


def _author_page(request: HtmxHttpRequest, author: Author) -> HttpResponse:
    viewer = claims.author_viewer(author, request.user)
    if author.hidden and not viewer.sees_hidden:
        # Consent: the owner took the profile off public pages (profiles/claims.py).
        return render(request, "profiles/author_hidden.html", status=404)
    page = selectors.author_works_page(author, selectors.page_number(request.GET.get("page")))
    if page.number > 1 and not page.object_list:
        raise Http404("No such page of works.")
    context = {"author": author, "page": page}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "profiles/author_detail.html#works-page", context)
    context |= {
        "bio_line": selectors.author_bio_line(author),
        "is_following": viewer.is_following,
        "viewer": viewer,
        "featured": selectors.author_featured_works(author) if author.is_claimed else [],
    }
    return render(request, "profiles/author_detail.html", context)
