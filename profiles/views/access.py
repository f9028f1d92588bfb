"""What the views share: the answer to a merged-away slug."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponsePermanentRedirect

from works.models import Author


def redirect_to_kept(
    request: HttpRequest, slug: str, kept: Author
) -> HttpResponsePermanentRedirect:
    """A merged author's old URL keeps working: 301 to the same page of the kept author."""
    url = request.path.replace(f"/{slug}/", f"/{kept.slug}/", 1)
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    return HttpResponsePermanentRedirect(url)
