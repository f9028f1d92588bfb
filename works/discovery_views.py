"""Search, topic and institution pages (thin: works.search and works.discovery do the work)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from bzpeer.lib.htmx import HtmxHttpRequest

from . import discovery, search, search_cache
from .models import Institution, Topic, Work

MAX_PAGE = 50


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=search.MAX_QUERY_LENGTH, strip=True)
    kind = forms.ChoiceField(required=False, choices=[("", "All"), *[(k, k) for k in search.KINDS]])
    type = forms.ChoiceField(required=False, choices=[("", "Any type"), *Work.Type.choices])
    year_from = forms.IntegerField(required=False, min_value=1000, max_value=2999)
    year_to = forms.IntegerField(required=False, min_value=1000, max_value=2999)
    topic = forms.IntegerField(required=False, min_value=1)
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)

    def clean(self):
        data = super().clean()
        low, high = data.get("year_from"), data.get("year_to")
        if low and high and low > high:
            self.add_error("year_to", "The end year comes before the start year.")
        return data

    def values(self) -> dict:
        """The valid fields only: a bad filter is reported and left out, the rest still runs."""
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields if name not in self.errors}


def _href(state: dict, **changes) -> str:
    """The search URL with the current state and some fields changed (None: removed)."""
    merged = {**state, **changes}
    if "page" not in changes:
        merged.pop("page", None)  # a new filter starts again at page 1
    params = {k: v for k, v in merged.items() if v not in (None, "")}
    return reverse("discovery:search") + ("?" + urlencode(params) if params else "")


def _facet_links(results: search.SearchResults, state: dict) -> dict[str, list[dict]]:
    links: dict[str, list[dict]] = {}
    chosen = {
        "kind": state.get("kind") or "",
        "type": state.get("type") or "",
        "decade": str(state.get("year_from") or ""),
        "topic": str(state.get("topic") or ""),
    }
    for name, facets in results.facets.items():
        entries = []
        for facet in facets:
            active = chosen[name] == facet.value
            if name == "decade":
                decade = int(facet.value)
                change = {"year_from": decade, "year_to": decade + 9}
                off = {"year_from": None, "year_to": None}
            else:
                change, off = {name: facet.value}, {name: None}
            entries.append(
                {
                    "label": facet.label,
                    "count": facet.count,
                    "active": active,
                    "href": _href(state, **(off if active else change)),
                }
            )
        links[name] = entries
    return links


def _results_context(query: str, state: dict) -> dict:
    filters = search.SearchFilters(
        kind=state.get("kind") or "",
        work_type=state.get("type") or "",
        year_from=state.get("year_from"),
        year_to=state.get("year_to"),
        topic_id=state.get("topic"),
    )
    results = search.search(query, filters, page=state.get("page") or 1)
    return {
        "query": query,
        "state": state,
        "results": results,
        "facets": _facet_links(results, state),
        "topic": search.topic_chosen(filters.topic_id),
        "previous_href": _href(state, page=results.page - 1) if results.has_previous else "",
        "next_href": _href(state, page=results.page + 1)
        if results.has_next and results.page < MAX_PAGE
        else "",
        "clear_href": _href({"q": query}),
    }


RESULTS = "works/search.html#results"


def _results_html(query: str, state: dict) -> str:
    """The results part, the same for every visitor (rendered without the request, so no
    context processor can put a visitor's data in it): cached per query, filters and page
    under the works data version (works.search_cache)."""
    return search_cache.answer_cached(
        "page",
        sorted(state.items()),
        lambda: str(render_to_string(RESULTS, _results_context(query, state))),
    )


@require_GET
@vary_on_headers("HX-Request")
def search_page(request: HtmxHttpRequest) -> HttpResponse:
    """An anonymous visitor's page comes whole from the cache; a signed-in one's is rendered
    around the cached results part (both under the works data version)."""
    return search_cache.anonymous_page_cached(request, lambda: _search_page(request))


def _search_page(request: HtmxHttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    form.is_valid()
    state = form.values()
    query = state.get("q") or ""
    context: dict = {"form": form, "query": query, "state": state}
    if query and form.errors:  # the errors show in the results part: built for this request
        context |= _results_context(query, state)
    elif query:
        context["results_html"] = mark_safe(_results_html(query, state))  # noqa: S308 - ours
    template = "works/search.html"
    if request.htmx and not request.htmx.history_restore_request:
        template = RESULTS
    return render(request, template, context)


def _canonical(request: HtmxHttpRequest, obj) -> HttpResponsePermanentRedirect | None:
    """A topic or institution reached by an old or missing slug: 301 to its current URL."""
    url = obj.get_absolute_url()
    if request.path != url:
        query = request.META.get("QUERY_STRING")
        return HttpResponsePermanentRedirect(url + ("?" + query if query else ""))
    return None


@require_GET
def topic_detail(request: HtmxHttpRequest, pk: int, slug: str = "") -> HttpResponse:
    topic = get_object_or_404(Topic, pk=pk)
    if redirect := _canonical(request, topic):
        return redirect
    return render(request, "works/topic_detail.html", {"page": discovery.topic_page(topic)})


@require_GET
def institution_detail(request: HtmxHttpRequest, pk: int, slug: str = "") -> HttpResponse:
    institution = get_object_or_404(Institution, pk=pk)
    if redirect := _canonical(request, institution):
        return redirect
    context = {"page": discovery.institution_page(institution)}
    return render(request, "works/institution_detail.html", context)
