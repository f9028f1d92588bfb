"""What the views share: the answer to a merged-away slug, the answer of a form page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render

from bzpeer.lib.ratelimit import RateLimited
from works.models import Author


def redirect_to_kept(
    request: HttpRequest, slug: str, kept: Author
) -> HttpResponsePermanentRedirect:
    """A merged author's old URL keeps working: 301 to the same page of the kept author."""
    url = request.path.replace(f"/{slug}/", f"/{kept.slug}/", 1)
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    return HttpResponsePermanentRedirect(url)


def form_page(
    request: HttpRequest, template: str, context: dict, limited: RateLimited | None = None
) -> HttpResponse:
    """The form page again: 400 for a POST with errors, 429 with Retry-After past a limit."""
    if limited is not None:
        response = render(request, template, context, status=429)
        response["Retry-After"] = str(limited.retry_after)
        return response
    return render(request, template, context, status=400 if request.method == "POST" else 200)
