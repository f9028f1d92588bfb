"""Reads that build the public pages: each helper costs a fixed number of queries.

Writes live in the services (profiles/claims.py, follows.py, curation.py, trust_engine.py);
these only read.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from works.models import Author, Authorship, Topic, Work

from .models import FeaturedWork, TrustSnapshot, WorkHiddenRequest

# A merge of a merge is legal; a cycle is a curation bug that must not hang a request.
MAX_MERGE_HOPS = 10
# OFFSET cost grows with the page number; nobody reads page 5,000 of one author's works.
MAX_WORKS_PAGE = 5000
RECENT_PROFILES = 12
GENERIC_BIO = "{name} contributes to research discovery and scholarly infrastructure."


def author_kept(author: Author) -> Author:
    """The author a merged record now lives in (itself when not merged)."""
    seen = {author.pk}
    while author.merged_into_id and len(seen) <= MAX_MERGE_HOPS:
        author = Author.objects.only("pk", "slug", "merged_into").get(pk=author.merged_into_id)
        if author.pk in seen:
            break
        seen.add(author.pk)
    return author


class AuthorMerged(Exception):
    """The slug is a merged-away author's: a page answers 301 to the same page of `kept`."""

    def __init__(self, kept: Author) -> None:
        super().__init__(f"merged into {kept.slug}")
        self.kept = kept


def author_for_page(
    slug: str, *, for_action: bool = False, owner_preview: bool = False, leaving: bool = False
) -> Author:
    """The author behind a public URL's slug, with what the profile header shows: the one
    access rule of every public page and action about an author.

    - Unknown slug: 404.
    - Merged away: a page raises AuthorMerged (the view redirects, 301, so old links keep
      working); an action (`for_action`, a POST) applies to the kept author.
    - Hidden at the owner's request: 404, for pages and actions alike (a hidden profile
      cannot be followed, claimed, invited or explored). `owner_preview`: the profile page
      alone, which shows the record to its owner and staff, and a 404 page to anyone else.
      `leaving`: an action that only takes something back (unfollow) stays possible.
    """
    author = get_object_or_404(Author.objects.for_profile(), slug=slug)
    if author.merged_into_id:
        kept = author_kept(author)
        if not for_action:
            raise AuthorMerged(kept)
        author = get_object_or_404(Author.objects.for_profile(), pk=kept.pk)
    if author.hidden and not (owner_preview or leaving):
        raise Http404("No such researcher.")
    return author


# The derived bio speaks of what the author works on now: their latest works' topics.
BIO_RECENT_WORKS = 200


def author_top_topics(author: Author, *, limit: int) -> QuerySet[Topic]:
    """The topics of the author's latest works, most works first (one aggregate query over
    at most BIO_RECENT_WORKS works, so a hub costs what anyone does)."""
    recent = (
        Authorship.objects.filter(author=author)
        .order_by("-work_id")
        .values("work_id")[:BIO_RECENT_WORKS]
    )
    # filter() before annotate(): the count runs over those works only.
    return (
        Topic.objects.filter(work_topics__work__in=recent)
        .annotate(works=Count("work_topics__work", distinct=True))
        .order_by("-works", "name", "pk")[:limit]
    )


def author_bio_line(author: Author) -> str:
    """The one-line bio: the author's own, else one derived from the imported data."""
    if author.bio.strip():
        return author.bio.strip().splitlines()[0]
    names = [topic.name for topic in author_top_topics(author, limit=3)]
    if names:
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        return f"Publishes on {listed}."
    return GENERIC_BIO.format(name=author.display_name)


@dataclass(frozen=True)
class WorksPage:
    """One page of an author's works, found without a COUNT query.

    One extra row is fetched to know whether a next page exists; the total shown on the
    page is the cached Author.works_count.
    """

    number: int
    object_list: list[Work]
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def page_number(raw: str | None) -> int:
    try:
        number = int(raw or 1)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_WORKS_PAGE)


def author_works_page(author: Author, number: int, *, per_page: int | None = None) -> WorksPage:
    """Newest first (then by title); two queries whatever the page or the author's size.

    The page's work ids are chosen in a subquery from indexes alone (the author's
    authorships, then each work's year and title key from works_work_listing_idx), so a hub
    with thousands of works sorts small index tuples instead of whole rows; the outer query
    reads only the page's rows. Then one query for the bylines.
    """
    per_page = per_page or settings.WORKS_PER_PAGE
    offset = (number - 1) * per_page
    # "Not mine" waiting for an admin: hidden from the owner's profile meanwhile.
    pending_not_mine = WorkHiddenRequest.objects.filter(
        author=author, status=WorkHiddenRequest.Status.PENDING
    ).values("work")
    page_ids = (
        Authorship.objects.filter(author=author)
        .exclude(work_id__in=pending_not_mine)
        .order_by(*Work.LISTING_ORDER_VIA_AUTHORSHIP)
        .values("work_id")[offset : offset + per_page + 1]
    )
    page = list(Work.objects.filter(pk__in=page_ids).for_listing(author_id=author.pk))
    return WorksPage(number=number, object_list=page[:per_page], has_next=len(page) > per_page)


def author_featured_works(author: Author) -> list[Work]:
    """The works the owner chose to show first (one query)."""
    rows = FeaturedWork.objects.filter(author=author).select_related("work__venue")
    return [row.work for row in rows.order_by("position", "pk")]


def authors_recently_updated(limit: int = RECENT_PROFILES) -> QuerySet[Author]:
    return Author.objects.listed().for_profile().order_by("-updated_at", "-pk")[:limit]


def authors_matching(query: str) -> QuerySet[Author]:
    return Author.objects.search(query).for_profile().order_by("display_name", "pk")


# "Why this score" and the score's history (templates/profiles/_trust_details.html).
TRUST_HISTORY_LIMIT = 50
TRUST_CHART_WIDTH, TRUST_CHART_HEIGHT, TRUST_CHART_PAD = 240, 64, 4


@dataclass(frozen=True)
class TrustDetails:
    """The latest snapshot's factor breakdown and up to 50 scores, oldest first."""

    latest: TrustSnapshot | None
    history: list[TrustSnapshot]

    @property
    def factors(self) -> list[dict]:
        return list(self.latest.factors) if self.latest else []

    @property
    def chart_points(self) -> str:
        """SVG polyline points: x spreads the snapshots evenly, y is the score (0 at the bottom)."""
        n = len(self.history)
        inner_w = TRUST_CHART_WIDTH - 2 * TRUST_CHART_PAD
        inner_h = TRUST_CHART_HEIGHT - 2 * TRUST_CHART_PAD
        points = []
        for i, snapshot in enumerate(self.history):
            x = TRUST_CHART_PAD + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)
            y = TRUST_CHART_PAD + inner_h * (1 - min(max(snapshot.score, 0), 100) / 100)
            points.append(f"{x:.1f},{y:.1f}")
        return " ".join(points)

    @property
    def chart_size(self) -> dict[str, int]:
        return {"width": TRUST_CHART_WIDTH, "height": TRUST_CHART_HEIGHT}


def author_trust_details(author: Author) -> TrustDetails:
    """One query: the author's latest snapshots (index profiles_snapshot_author_idx)."""
    recent = list(
        TrustSnapshot.objects.filter(author=author)
        .order_by("-computed_at", "-pk")
        .only("score", "band", "level", "factors", "computed_at")[:TRUST_HISTORY_LIMIT]
    )
    return TrustDetails(latest=recent[0] if recent else None, history=recent[::-1])


# How the import sources are named on the page (works.imports.registry formats).
SOURCE_LABELS = {"openalex": "OpenAlex", "arxiv": "arXiv", "arxiv-oai": "arXiv", "bibtex": "BibTeX"}


@dataclass(frozen=True)
class Provenance:
    """'Imported from OpenAlex on 3 March 2025', and the record it came from."""

    source: str
    imported_at: object  # datetime
    record: str


def record_provenance(record: Author | Work) -> Provenance | None:
    """Where an imported author or work came from; no query (the row carries it all).

    None for rows nobody imported (made by hand, or by an admin's split).
    """
    label = SOURCE_LABELS.get(record.source)
    if label is None:
        return None
    return Provenance(source=label, imported_at=record.created_at, record=record.source_record)
