"""The trust formula (pure) and the set-based recompute that stores it."""

from __future__ import annotations

import pytest

from profiles.models import Follow, TrustSnapshot
from profiles.trust import AuthorFacts, band_for, trust_score
from profiles.trust_engine import trust_facts, trust_scores_recompute
from works.models import VerificationLevel

pytestmark = pytest.mark.sqlite


def test_trust_score_seed_calibration():
    facts = AuthorFacts(
        author_id=1, level=1, works=24, followers=0, topics=9, close_collaborators=4
    )
    result = trust_score(facts)
    assert result.score == 21
    assert result.band == "Emerging"
    points = {f.key: round(f.points, 2) for f in result.factors}
    assert points == {
        "identity": 5.0,
        "works": 10.0,
        "collaboration": 4.0,
        "topics": 2.25,
        "community": 0.0,
    }


def test_trust_score_components_are_capped():
    facts = AuthorFacts(
        author_id=1, level=4, works=10_000, followers=10_000, topics=500, close_collaborators=90
    )
    result = trust_score(facts)
    assert result.score == 100
    assert [f.points for f in result.factors] == [40, 25, 15, 10, 10]
    assert result.band == "Highly trusted"


@pytest.mark.parametrize(
    ("score", "band"),
    [(0, "Emerging"), (24, "Emerging"), (25, "Developing"), (49, "Developing"),
     (50, "Established"), (74, "Established"), (75, "Highly trusted"), (100, "Highly trusted")],
)  # fmt: skip
def test_band_for_edges(score, band):
    assert band_for(score) == band


def test_trust_score_rounds_halves_up():
    # L2 (20) + 1 close collaborator + 2 topics (0.5) + 0 works = 21.5 → 22
    facts = AuthorFacts(author_id=1, level=2, works=0, followers=0, topics=2, close_collaborators=1)
    assert trust_score(facts).score == 22


@pytest.mark.django_db
def test_trust_facts_count_close_collaborators_on_two_shared_works(
    make_author, make_work, make_topic
):
    centre, close, once = make_author(), make_author(), make_author()
    topics = [make_topic() for _ in range(3)]
    make_work(authors=[centre, close, once], topics=topics[:2])
    make_work(authors=[centre, close], topics=topics[1:])
    make_work(authors=[centre])
    [facts] = trust_facts([centre.pk])
    assert (facts.works, facts.topics, facts.close_collaborators) == (3, 3, 1)


@pytest.mark.django_db
def test_recompute_stores_a_snapshot_only_when_the_score_moves(make_author, make_work, make_user):
    author = make_author(verification_level=VerificationLevel.L1)
    make_work(authors=[author])
    assert trust_scores_recompute(author_ids=[author.pk]) == 1
    assert trust_scores_recompute(author_ids=[author.pk]) == 1  # twice is harmless
    snapshot = TrustSnapshot.objects.get(author=author)
    assert snapshot.score == trust_score(trust_facts([author.pk])[0]).score
    assert {f["key"] for f in snapshot.factors} == {
        "identity", "works", "collaboration", "topics", "community"
    }  # fmt: skip

    for _ in range(3):
        Follow.objects.create(user=make_user(), author=author)
    trust_scores_recompute(author_ids=[author.pk])
    author.refresh_from_db()
    assert author.followers_count == 3
    assert TrustSnapshot.objects.filter(author=author).count() == 2
    assert author.trust_score == TrustSnapshot.objects.filter(author=author).first().score


@pytest.mark.django_db
def test_recompute_queries_do_not_grow_with_authors(
    make_author, make_work, django_assert_max_num_queries
):
    authors = [make_author() for _ in range(40)]
    for left, right in zip(authors, authors[1:], strict=False):
        make_work(authors=[left, right])
    with django_assert_max_num_queries(12):
        trust_scores_recompute(author_ids=[a.pk for a in authors])
