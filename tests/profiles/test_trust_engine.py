"""The trust engine at scale: dirty marking, the beat task, recompute --all, query bounds."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from profiles import tasks, trust_engine
from profiles.follows import author_follow
from profiles.models import DirtyAuthor, TrustSnapshot
from profiles.trust import trust_score
from works.imports.run import works_import
from works.models import Author

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]

OPENALEX_WORKS = Path(__file__).parents[1] / "integration" / "fixtures" / "openalex_works_3.json"
STORED = (
    "trust_score",
    "trust_band",
    "works_count",
    "followers_count",
    "topics_count",
    "close_collaborators_count",
)


@pytest.fixture
def team(make_author, make_work, make_topic):
    """Seven authors: a centre with close and occasional co-authors, and strangers."""
    centre, close, once, other, loner = (make_author() for _ in range(5))
    pair = [make_author(), make_author()]
    topics = [make_topic() for _ in range(4)]
    make_work(authors=[centre, close, once], topics=topics[:2])
    make_work(authors=[centre, close], topics=topics[1:3])
    make_work(authors=[centre, other])
    make_work(authors=[loner], topics=topics[3:])
    make_work(authors=pair, topics=topics[:1])
    make_work(authors=pair[::-1])
    return [centre, close, once, other, loner, *pair]


def stored(authors) -> dict[int, tuple]:
    return {
        a.pk: tuple(getattr(a, f) for f in STORED)
        for a in Author.objects.filter(pk__in=[a.pk for a in authors])
    }


def test_authors_mark_dirty_keeps_one_row_per_author(make_author):
    a, b = make_author(), make_author()
    assert trust_engine.authors_mark_dirty(author_ids=[a.pk, b.pk, a.pk]) == 2
    first = DirtyAuthor.objects.get(author=a).marked_at
    trust_engine.authors_mark_dirty(author_ids=[a.pk])
    assert DirtyAuthor.objects.count() == 2
    assert DirtyAuthor.objects.get(author=a).marked_at >= first


def test_works_import_marks_touched_authors_dirty():
    works_import(path=OPENALEX_WORKS, format="openalex")
    imported = set(Author.objects.values_list("pk", flat=True))
    assert imported
    assert set(DirtyAuthor.objects.values_list("author_id", flat=True)) == imported


def test_author_follow_marks_the_author_dirty(make_author, make_user):
    author = make_author()
    author_follow(author=author, user=make_user())
    assert DirtyAuthor.objects.filter(author=author).exists()


def test_trust_dirty_recompute_chunk_claims_recomputes_and_clears(team):
    trust_engine.authors_mark_dirty(author_ids=[a.pk for a in team])
    assert trust_engine.trust_dirty_recompute_chunk(limit=3) == 3
    # the lowest ids first; the rest stay dirty for the next chunk
    remaining = sorted(DirtyAuthor.objects.values_list("author_id", flat=True))
    assert remaining == sorted(a.pk for a in team)[3:]
    first_three = Author.objects.filter(pk__in=sorted(a.pk for a in team)[:3])
    assert all(a.trust_score is not None for a in first_three)
    assert trust_engine.trust_dirty_recompute_chunk(limit=100) == len(team) - 3
    assert trust_engine.trust_dirty_recompute_chunk(limit=100) == 0
    assert not DirtyAuthor.objects.exists()


def test_trust_dirty_recompute_says_when_a_backlog_remains(team):
    trust_engine.authors_mark_dirty(author_ids=[a.pk for a in team])
    assert trust_engine.trust_dirty_recompute(chunk=2, max_chunks=2) == (4, True)
    assert trust_engine.trust_dirty_recompute(chunk=2, max_chunks=5) == (len(team) - 4, False)


def test_trust_dirty_recompute_task_drains_the_backlog(team, settings, eager_celery):
    settings.TRUST_RECOMPUTE_CHUNK = 2
    settings.TRUST_DIRTY_MAX_CHUNKS = 1
    trust_engine.authors_mark_dirty(author_ids=[a.pk for a in team])
    tasks.trust_dirty_recompute.delay()
    assert not DirtyAuthor.objects.exists()
    assert not Author.objects.filter(pk__in=[a.pk for a in team], trust_score=None).exists()


def test_trust_dirty_recompute_is_in_the_beat_schedule(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "profiles.tasks.trust_dirty_recompute" in tasks_scheduled


def test_retry_countdown_stays_below_the_visibility_timeout(settings):
    task = tasks.trust_scores_recompute
    assert task.acks_late and task.reject_on_worker_lost
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert task.retry_backoff_max < visibility
    assert tasks.trust_dirty_recompute.retry_backoff_max < visibility


def test_recompute_all_equals_one_author_at_a_time(team):
    out = io.StringIO()
    call_command(
        "recompute_trust", "--all", "--inline", "--chunk", "3", "--no-progress", stdout=out
    )
    assert f"{len(team)} authors recomputed inline" in out.getvalue()
    chunked = stored(team)

    Author.objects.update(
        trust_score=None,
        trust_band="",
        works_count=0,
        topics_count=0,
        close_collaborators_count=0,
        trust_computed_at=None,
    )
    TrustSnapshot.objects.all().delete()
    for author in team:
        trust_engine.trust_scores_recompute(author_ids=[author.pk])

    assert stored(team) == chunked
    centre = team[0]
    assert chunked[centre.pk][2:] == (3, 0, 3, 1)  # works, followers, topics, close


def test_recompute_all_through_celery_equals_inline(team, eager_celery):
    assert tasks.trust_recompute_all(chunk=2) == len(team)
    through_celery = stored(team)
    TrustSnapshot.objects.all().delete()
    Author.objects.update(trust_score=None, trust_band="")
    assert tasks.trust_recompute_all(chunk=5, inline=True) == len(team)
    assert stored(team) == through_celery


def test_trust_scores_recompute_queries_do_not_grow_with_the_chunk(
    make_author, make_work, django_assert_max_num_queries
):
    small = [make_author() for _ in range(2)]
    large = [make_author() for _ in range(40)]
    make_work(authors=small)
    for i in range(0, 40, 4):
        make_work(authors=large[i : i + 4])
        make_work(authors=large[i : i + 3])
    # SET LOCAL work_mem, lock, 4 fact counts, update, snapshot insert; savepoint + release
    with django_assert_max_num_queries(10) as small_queries:
        trust_engine.trust_scores_recompute(author_ids=[a.pk for a in small])
    with django_assert_max_num_queries(10) as large_queries:
        trust_engine.trust_scores_recompute(author_ids=[a.pk for a in large])
    assert len(large_queries.captured_queries) == len(small_queries.captured_queries)


def test_trust_scores_recompute_twice_writes_nothing_the_second_time(team):
    ids = [a.pk for a in team]
    trust_engine.trust_scores_recompute(author_ids=ids)
    before = dict(Author.objects.filter(pk__in=ids).values_list("pk", "trust_computed_at"))
    snapshots = TrustSnapshot.objects.count()
    with CaptureQueriesContext(connection) as queries:
        trust_engine.trust_scores_recompute(author_ids=ids)
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert TrustSnapshot.objects.count() == snapshots
    after = dict(Author.objects.filter(pk__in=ids).values_list("pk", "trust_computed_at"))
    assert after == before


def test_close_collaborator_counts_ignore_unknown_authors_and_self(make_author, make_work):
    me, you = make_author(), make_author()
    for _ in range(2):
        work = make_work(authors=[me, you])
        work.authorships.create(author=None, position=5, raw_author_name="Nobody Known")
    assert trust_engine.close_collaborator_counts([me.pk]) == {me.pk: 1}
    assert trust_engine.close_collaborator_counts([]) == {}


def test_trust_facts_match_the_pure_formula_stored(team):
    ids = [a.pk for a in team]
    trust_engine.trust_scores_recompute(author_ids=ids)
    for fact in trust_engine.trust_facts(ids):
        author = Author.objects.get(pk=fact.author_id)
        assert author.trust_score == trust_score(fact).score
