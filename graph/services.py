"""Graph slices: the neighbourhood of one author, from bounded aggregate queries.

This first version lists the neighbours; the networkx layout and SVG drawing build on the
same lists later. Every list is capped, so a hub author costs the same number of queries
as anyone else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from profiles.models import Author, Institution
from profiles.selectors import author_top_topics
from works.models import Topic, Work

SLICE_LIMIT = 12
SLICE_PAPERS = 5


@dataclass(frozen=True)
class AuthorSlice:
    center: Author
    coauthors: list[Author]  # each annotated with .shared_works
    topics: list[Topic]  # each annotated with .works
    institutions: list[Institution]  # each annotated with .works (None: last known only)
    papers: list[Work]

    @property
    def is_empty(self) -> bool:
        return not (self.coauthors or self.topics or self.institutions or self.papers)


def author_coauthors(author: Author, *, limit: int = SLICE_LIMIT) -> list[Author]:
    """Co-authors by number of shared works, most first."""
    # filter() before annotate(): the count runs over the works shared with `author`.
    return list(
        Author.objects.filter(authorships__work__authorships__author=author)
        .exclude(pk=author.pk)
        .annotate(shared_works=Count("authorships__work", distinct=True))
        .only("pk", "slug", "display_name")
        .order_by("-shared_works", "display_name", "pk")[:limit]
    )


def author_institutions(author: Author, *, limit: int = SLICE_LIMIT) -> list[Institution]:
    """Institutions on the author's bylines, plus the last known one (first) if missing."""
    institutions = list(
        Institution.objects.filter(authorships__author=author)
        .annotate(works=Count("authorships__work", distinct=True))
        .order_by("-works", "display_name", "pk")[:limit]
    )
    last_known = author.last_known_institution
    if last_known and all(inst.pk != last_known.pk for inst in institutions):
        last_known.works = None
        institutions = [last_known, *institutions][:limit]
    return institutions


def author_key_papers(author: Author, *, limit: int = SLICE_PAPERS) -> list[Work]:
    return list(
        Work.objects.filter(authorships__author=author)
        .only("pk", "title", "year", "cited_by_count")
        .order_by("-cited_by_count", "-year", "pk")[:limit]
    )


def author_slice(author: Author, *, limit: int = SLICE_LIMIT) -> AuthorSlice:
    """Four queries; `author` should come with its last_known_institution selected."""
    return AuthorSlice(
        center=author,
        coauthors=author_coauthors(author, limit=limit),
        topics=list(author_top_topics(author, limit=limit)),
        institutions=author_institutions(author, limit=limit),
        papers=author_key_papers(author),
    )
