"""Reads that build the public pages: each helper costs a fixed number of queries.

Writes live in the services (profiles/claims.py, follows.py, curation.py, trust_engine.py);
these only read.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from works.models import Author, Authorship, Topic, Work

from .models import FeaturedWork, TrustSnapshot

# A merge of a merge is legal; a cycle is a curation bug that must not hang a request.
MAX_MERGE_HOPS = 10
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
    slug: str,
    *,
    for_action: bool = False,
    owner_preview: bool = False,
    leaving: bool = False,
    only: tuple[str, ...] = (),
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

    `only`: the columns a caller reads (with those the rule needs), for a view answered
    from the cache: building the query for the whole row was half its CPU.
    """
    authors = Author.objects.for_profile()
    if only:
        authors = Author.objects.only("slug", "merged_into", "hidden", *only)
    author = get_object_or_404(authors, slug=slug)
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


def author_bio_line(author: Author, *, topics: list[str] | None = None) -> str:
    """The one-line bio: the author's own, else one derived from the imported data.

    `topics`: the author's top topic names when the caller has them (no query then)."""
    if author.bio.strip():
        return author.bio.strip().splitlines()[0]
    if topics is None:
        topics = [topic.name for topic in author_top_topics(author, limit=3)]
    names = topics[:3]
    if names:
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        return f"Publishes on {listed}."
    return GENERIC_BIO.format(name=author.display_name)


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
    def chart_last(self) -> dict[str, str] | None:
        """The latest point, marked and labelled with its score: a history of one point has
        no line to draw, and would otherwise be an empty box."""
        if not self.history:
            return None
        x, y = self.chart_points.split()[-1].split(",")
        anchor = "end" if float(x) > TRUST_CHART_WIDTH - 40 else "middle"
        # the value above the point, or below it when the point is near the top
        label_y = float(y) - 8 if float(y) > 20 else float(y) + 18
        return {"x": x, "y": y, "label_y": f"{label_y:.1f}", "anchor": anchor}

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
