"""Citations out, Atom feeds, sitemaps and robots.txt. Hidden and merged-away profiles appear
in none of them: their citation files and feeds are 404 (merged: 301 to the kept profile),
and sitemaps list only listed researchers."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from bzpeer.lib.text import latex_to_text

from . import citations, opendata
from .models import Author, Institution, Topic, Work


def _citation_response(items: list[citations.Citable], fmt: str, filename: str) -> HttpResponse:
    render, content_type = citations.FORMATS[fmt]
    response = HttpResponse(render(items), content_type=content_type)
    disposition = "inline" if fmt == "json" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}.{fmt}"'
    return response


@require_GET
def work_citation(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """/works/<id>.bib|.ris|.json: two queries (the work and venue, the byline)."""
    if fmt not in citations.FORMATS:
        raise Http404("Unknown citation format.")
    work = get_object_or_404(Work.objects.select_related("venue"), pk=pk)
    return _citation_response(citations.citables([work]), fmt, f"bzpeer-work-{work.pk}")


def listed_author_or_redirect(request: HttpRequest, slug: str) -> Author | HttpResponse:
    author = get_object_or_404(Author.objects.for_profile(), slug=slug)
    if author.merged_into_id:
        kept = opendata.author_kept(author)
        return HttpResponsePermanentRedirect(
            request.path.replace(f"/{author.slug}/", f"/{kept.slug}/", 1)
        )
    if author.hidden:
        raise Http404("This profile is hidden at its owner's request.")
    return author


@require_GET
def author_citations(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    """/researchers/<slug>/works.bib|.ris|.json: three queries whatever the number of works."""
    if fmt not in citations.FORMATS:
        raise Http404("Unknown citation format.")
    author = listed_author_or_redirect(request, slug)
    if isinstance(author, HttpResponse):
        return author
    items = citations.citables(opendata.author_works(author))
    return _citation_response(items, fmt, f"{author.slug}-works")


class AuthorWorksFeed(Feed):
    """/researchers/<slug>/feed/: the researcher's works, newest first (Atom)."""

    feed_type = Atom1Feed

    def get_object(self, request, slug):
        return get_object_or_404(Author.objects.listed(), slug=slug)

    def title(self, author):
        return f"{author.display_name}: new works on BZPEER"

    def link(self, author):
        return author.get_absolute_url()

    def subtitle(self, author):
        return f"Works by {author.display_name}, newest first."

    def items(self, author):
        # newest first by when BZPEER learned of them: what a follower has not seen yet
        return opendata.author_works(author, limit=opendata.FEED_ITEMS, newest_added=True)

    def item_title(self, work):
        return latex_to_text(work.title)

    def item_description(self, work):
        return latex_to_text(work.abstract)[:1000]

    def item_link(self, work):
        return work.get_absolute_url()

    def item_pubdate(self, work):
        return work.created_at

    def item_updateddate(self, work):
        return work.updated_at

    def item_categories(self, work):
        return [work.get_type_display()]


_author_feed = AuthorWorksFeed()


@require_GET
def author_feed(request: HttpRequest, slug: str) -> HttpResponse:
    author = listed_author_or_redirect(request, slug)
    if isinstance(author, HttpResponse):  # merged: the kept profile's feed
        return author
    return _author_feed(request, slug=slug)


# ---------------------------------------------------------------- sitemaps


class _PagedSitemap(Sitemap):
    # Each section is split in pages of `limit` URLs (sitemap index -> ?p=N), so millions
    # of profiles fit; each page reads one slice of an id-ordered index.
    limit = 20_000


class AuthorSitemap(_PagedSitemap):
    changefreq = "weekly"

    def items(self):
        return Author.objects.listed().only("slug", "updated_at").order_by("pk")

    def lastmod(self, author):
        return author.updated_at

    def get_latest_lastmod(self):
        # Django's default reads every item for the index: one indexed row instead
        # (profiles_author_updated_idx)
        latest = Author.objects.listed().order_by("-updated_at", "-id").only("updated_at")
        return latest[0].updated_at if latest else None


class WorkSitemap(_PagedSitemap):
    changefreq = "monthly"

    def items(self):
        return Work.objects.only("pk", "updated_at").order_by("pk")

    def lastmod(self, work):
        return work.updated_at

    def get_latest_lastmod(self):
        return None  # no index on works' updated_at; the pages still carry each lastmod


class TopicSitemap(_PagedSitemap):
    def items(self):
        return Topic.objects.only("pk", "name").order_by("pk")


class InstitutionSitemap(_PagedSitemap):
    def items(self):
        return Institution.objects.only("pk", "display_name").order_by("pk")


SITEMAPS = {
    "researchers": AuthorSitemap,
    "works": WorkSitemap,
    "topics": TopicSitemap,
    "institutions": InstitutionSitemap,
}


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    sitemap = request.build_absolute_uri(reverse("discovery:sitemap_index"))
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /inbox/",
        "Disallow: /following/",
        "Disallow: /claims/",
        "Disallow: /conversations/",
        "Disallow: /invitations/",
        "Disallow: /search/",
        "Disallow: /_bench/",
        "",
        f"Sitemap: {sitemap}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
