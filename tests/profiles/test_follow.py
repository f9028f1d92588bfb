"""Follow (finished): bounded queries for the POST and the logged-in profile, trust recompute
on commit, the Following page and the opt-in email digest (Celery beat task, locmem email)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from profiles import digests, tasks
from profiles.models import DirtyAuthor, Follow, UserProfile
from tests.html import visible_text
from works.models import Work

pytestmark = [pytest.mark.sqlite, pytest.mark.usefixtures("clear_cache")]


def test_follow_post_queries_are_bounded(
    make_author, make_account, logged_in, django_assert_max_num_queries
):
    author = make_author()
    client = logged_in(make_account())
    url = f"/researchers/{author.slug}/follow/"

    # session, user, author, savepoint + get_or_create (select, insert), count, dirty mark,
    # refresh of the count: the same for the first follower and the 10,000th.
    with django_assert_max_num_queries(12):
        response = client.post(url, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "Following" in response.content.decode()


def test_follow_and_unfollow_mark_the_author_for_the_trust_engine(
    make_author, make_account, logged_in, django_capture_on_commit_callbacks
):
    author = make_author()
    client = logged_in(make_account())

    with django_capture_on_commit_callbacks() as callbacks:
        client.post(f"/researchers/{author.slug}/follow/")

    assert DirtyAuthor.objects.filter(author=author).exists()
    assert len(callbacks) == 1  # the recompute waits for the commit
    DirtyAuthor.objects.all().delete()
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(f"/researchers/{author.slug}/follow/", {"action": "unfollow"})
    assert DirtyAuthor.objects.filter(author=author).exists()
    assert len(callbacks) == 1


def test_logged_in_profile_page_queries_stay_bounded(
    make_author, make_work, make_account, make_owned, logged_in, django_assert_max_num_queries
):
    """Claimed record seen by a logged-in visitor: no query per work, follower or claim."""
    author = make_author(works_count=30)
    for _ in range(30):
        make_work(authors=[author, make_author()])
    make_owned(author, make_account())
    for _ in range(5):
        Follow.objects.create(author=author, user=make_account())
    client = logged_in(make_account())

    # session, user, author, viewer (owner, own claim, follow state); the parts every viewer
    # shares: works, bylines, works per year and type, topics, trust details, featured works
    with django_assert_max_num_queries(10):
        response = client.get(author.get_absolute_url())

    assert response.status_code == 200
    assert "Send invitation" in response.content.decode()

    # The shared parts come from the cache on the next visit; the viewer's own are read again.
    with django_assert_max_num_queries(3):  # session, user; the author with the viewer's columns
        response = client.get(author.get_absolute_url())
    assert "Send invitation" in response.content.decode()


def test_anonymous_profile_page_queries_stay_bounded(
    make_author, make_work, make_account, make_owned, django_assert_max_num_queries
):
    author = make_author(works_count=30)
    for _ in range(30):
        make_work(authors=[author, make_author()])
    make_owned(author, make_account())

    with django_assert_max_num_queries(8):
        assert Client().get(author.get_absolute_url()).status_code == 200


# The Following page


@pytest.fixture
def followed(make_author, make_work, make_account):
    """A user following two authors; works new and old, and works of someone not followed."""
    user = make_account()
    ada, alan, other = make_author("Ada"), make_author("Alan"), make_author("Other Person")
    Follow.objects.create(user=user, author=ada)
    Follow.objects.create(user=user, author=alan)
    make_work(authors=[ada], title="Ada's new work")
    make_work(authors=[alan, ada], title="Shared new work")
    make_work(authors=[other], title="Not followed work")
    old = make_work(authors=[ada], title="Ada's old work")
    Work.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    return user


def test_following_page_lists_new_works_of_followed_authors(followed, logged_in):
    text = visible_text(logged_in(followed).get("/following/").content)

    assert "Ada's new work" in text
    assert text.count("Shared new work") == 1
    assert "Not followed work" not in text
    assert "Ada's old work" not in text
    assert "Researchers you follow" in text


def test_following_page_queries_do_not_grow_with_follows(
    followed, make_author, make_work, logged_in, django_assert_max_num_queries
):
    for i in range(20):
        author = make_author()
        Follow.objects.create(user=followed, author=author)
        make_work(authors=[author], title=f"More {i}")
    client = logged_in(followed)

    # session, user, user profile, followed authors, new works ids, works, bylines
    with django_assert_max_num_queries(8):
        assert client.get("/following/").status_code == 200


def test_following_page_needs_login(client, db):
    assert client.get("/following/")["Location"] == "/accounts/login/?next=/following/"


# The email digest


def test_digest_is_opt_in_and_sent_by_the_beat_task(followed, logged_in, make_account):
    make_account()  # never opted in
    client = logged_in(followed)
    client.post("/following/digest/", {"follow_digest": "on"})
    assert UserProfile.objects.get(user=followed).follow_digest

    sent = tasks.follow_digests_send.delay().get()

    assert sent == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [followed.email]
    assert "Ada's new work" in mail.outbox[0].body
    assert "Not followed work" not in mail.outbox[0].body

    tasks.follow_digests_send.delay()  # the next beat in the same period
    assert len(mail.outbox) == 1


def test_digest_opt_out_stops_it(followed, logged_in):
    client = logged_in(followed)
    client.post("/following/digest/", {"follow_digest": "on"})
    client.post("/following/digest/", {})

    tasks.follow_digests_send.delay()

    assert mail.outbox == []


def test_digest_covers_only_works_since_the_last_one(followed, make_work):
    digests.follow_digest_set(user=followed, enabled=True)
    assert digests.follow_digest_send(user_id=followed.pk)
    UserProfile.objects.filter(pk=followed.pk).update(
        follow_digest_sent_at=timezone.now() - timedelta(days=2)
    )
    ada = followed.follows.get(author__display_name="Ada").author
    make_work(authors=[ada], title="Brand new")
    Work.objects.exclude(title="Brand new").update(created_at=timezone.now() - timedelta(days=3))

    assert digests.follow_digest_send(user_id=followed.pk)
    assert "Brand new" in mail.outbox[-1].body
    assert "Ada's new work" not in mail.outbox[-1].body
