"""Open data on the pages: schema.org JSON-LD, feeds and sitemaps read these.

Only listed researchers (not hidden, not merged away) are described or linked anywhere here.
"""

from __future__ import annotations

from collections.abc import Iterable

from bzpeer.lib.names import person_name
from bzpeer.lib.text import latex_to_text

from .models import Author, Authorship, Work
from .models.records import UNLISTED_COAUTHORS

# A merge chain longer than this is a data error: stop following it.
MAX_MERGE_HOPS = 10
# A researcher's citation files and feed stop at this many works (newest first).
MAX_EXPORT_WORKS = 5000
FEED_ITEMS = 50


def author_listed(author: Author) -> bool:
    return not author.hidden and author.merged_into_id is None


def author_kept(author: Author) -> Author:
    """Where a merged record lives now (itself when not merged)."""
    seen = {author.pk}
    while author.merged_into_id and len(seen) <= MAX_MERGE_HOPS:
        author = Author.objects.get(pk=author.merged_into_id)
        if author.pk in seen:
            break
        seen.add(author.pk)
    return author


def author_works(
    author: Author, *, limit: int = MAX_EXPORT_WORKS, newest_added: bool = False
) -> list[Work]:
    """The author's works with their venues (one query): newest first by year, or by when
    they were added (the feed)."""
    ids = Authorship.objects.filter(author=author).values("work_id")
    works = Work.objects.select_related("venue").filter(pk__in=ids)
    order = ("-created_at", "-pk") if newest_added else Work.LISTING_ORDER
    return list(works.order_by(*order)[:limit])


def person_jsonld(author: Author, absolute_url: str) -> dict:
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Person",
        "@id": absolute_url,
        "name": author.display_name,
        "url": absolute_url,
    }
    same_as = [u for u in (author.orcid_url, author.openalex_url) if u]
    if same_as:
        data["sameAs"] = same_as
    if author.orcid:
        data["identifier"] = {
            "@type": "PropertyValue",
            "propertyID": "ORCID",
            "value": author.orcid,
        }
    institution = author.last_known_institution
    if institution is not None:
        data["affiliation"] = {"@type": "Organization", "name": institution.display_name}
        if institution.ror:
            data["affiliation"]["sameAs"] = institution.ror_url
    variants = [v for v in author.name_variants or [] if v and v != author.display_name]
    if variants:
        data["alternateName"] = variants[:20]
    return data


def article_jsonld(
    work: Work, authorships: Iterable[Authorship], absolute_url, topics: Iterable[str] = ()
) -> dict:
    """`absolute_url(path)` makes a path absolute (request.build_absolute_uri)."""
    data: dict = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "@id": absolute_url(work.get_absolute_url()),
        "url": absolute_url(work.get_absolute_url()),
        "headline": latex_to_text(work.title)[:110],
        "name": latex_to_text(work.title),
    }
    people = []
    for authorship in authorships:
        if authorship.author is None and authorship.raw_author_name == UNLISTED_COAUTHORS:
            continue  # "and others": no person to name
        person: dict = {"@type": "Person", "name": person_name(authorship.raw_author_name)}
        author = authorship.author
        if author is not None and author_listed(author):
            person["url"] = absolute_url(author.get_absolute_url())
            if author.orcid:
                person["sameAs"] = author.orcid_url
        people.append(person)
    if people:
        data["author"] = people
    if work.publication_date:
        data["datePublished"] = work.publication_date.isoformat()
    elif work.year:
        data["datePublished"] = str(work.year)
    if work.doi:
        data["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": work.doi}
        data["sameAs"] = work.doi_url
    if work.venue:
        data["isPartOf"] = {"@type": "Periodical", "name": work.venue.name}
    if work.abstract:
        data["abstract"] = latex_to_text(work.abstract)
    keywords = list(topics)
    if keywords:
        data["keywords"] = keywords
    return data
