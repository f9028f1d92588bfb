"""Writes about authors that touch many rows: the set-based trust recompute."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.utils import timezone

from works.models import Authorship, WorkTopic

from .models import Author, Follow, TrustSnapshot
from .trust import AuthorFacts, trust_score

# A co-author on at least this many shared works is a "close collaborator".
CLOSE_COLLABORATOR_MIN_SHARED_WORKS = 2


def _count_by_author(queryset, author_field: str, counted: str) -> dict[int, int]:
    rows = queryset.values(author_field).annotate(n=Count(counted, distinct=True))
    return {row[author_field]: row["n"] for row in rows}


def close_collaborator_counts(author_ids: Sequence[int]) -> dict[int, int]:
    """Per author, how many co-authors share at least two works with them (one query)."""
    pairs = (
        Authorship.objects.filter(author_id__in=author_ids)
        .annotate(coauthor=F("work__authorships__author"))
        .exclude(coauthor=F("author"))
        .exclude(coauthor__isnull=True)
        .values("author_id", "coauthor")
        .annotate(shared=Count("work", distinct=True))
        .filter(shared__gte=CLOSE_COLLABORATOR_MIN_SHARED_WORKS)
        .values_list("author_id", flat=True)
    )
    return Counter(pairs)


def trust_facts(author_ids: Sequence[int]) -> list[AuthorFacts]:
    """The facts behind every score, for a chunk of authors, in five queries."""
    levels = dict(Author.objects.filter(pk__in=author_ids).values_list("pk", "verification_level"))
    works = _count_by_author(Authorship.objects.filter(author_id__in=levels), "author", "work")
    followers = _count_by_author(Follow.objects.filter(author_id__in=levels), "author", "user")
    topics = _count_by_author(
        WorkTopic.objects.filter(work__authorships__author__in=levels),
        "work__authorships__author",
        "topic",
    )
    close = close_collaborator_counts(list(levels))
    return [
        AuthorFacts(
            author_id=pk,
            level=level,
            works=works.get(pk, 0),
            followers=followers.get(pk, 0),
            topics=topics.get(pk, 0),
            close_collaborators=close.get(pk, 0),
        )
        for pk, level in levels.items()
    ]


@transaction.atomic
def trust_scores_recompute(*, author_ids: Sequence[int]) -> int:
    """Recomputes scores and cached counts; stores a snapshot when score, band or level move.

    Safe to run twice: a second run finds nothing changed and writes no snapshot.
    """
    facts = trust_facts(author_ids)
    if not facts:
        return 0
    latest = TrustSnapshot.objects.filter(author=OuterRef("pk")).order_by("-computed_at", "-pk")
    authors = {
        a.pk: a
        for a in Author.objects.filter(pk__in=[f.author_id for f in facts])
        .annotate(last_level=Subquery(latest.values("level")[:1]))
        .select_for_update(of=("self",))
        .only("pk", "trust_score", "trust_band", "verification_level")
    }
    now = timezone.now()
    snapshots = []
    for fact in facts:
        author = authors[fact.author_id]
        result = trust_score(fact)
        if (author.trust_score, author.trust_band, author.last_level) != (
            result.score,
            result.band,
            fact.level,
        ):
            snapshots.append(
                TrustSnapshot(
                    author_id=fact.author_id,
                    score=result.score,
                    band=result.band,
                    level=fact.level,
                    factors=result.factors_as_dicts(),
                )
            )
        author.trust_score = result.score
        author.trust_band = result.band
        author.trust_computed_at = now
        author.works_count = fact.works
        author.followers_count = fact.followers
        author.topics_count = fact.topics
        author.close_collaborators_count = fact.close_collaborators
    Author.objects.bulk_update(
        authors.values(),
        [
            "trust_score",
            "trust_band",
            "trust_computed_at",
            "works_count",
            "followers_count",
            "topics_count",
            "close_collaborators_count",
        ],
        batch_size=1000,
    )
    TrustSnapshot.objects.bulk_create(snapshots, batch_size=1000)
    return len(facts)
