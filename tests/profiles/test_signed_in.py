"""The signed-in profile page: session, user and author in one query (profiles/signed_in.py),
and the page cached per kind of viewer with the request's own values filled in
(profiles/page_cache.signed_in_page)."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from profiles.models import Claim, Follow, UserSession

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]

CSRF_IN_PAGE = re.compile(r'"X-CSRFToken": "([^"]+)"')


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def signed_in_client(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def test_the_session_row_carries_its_users_id(make_user):
    user = make_user()
    client = signed_in_client(user)

    session = UserSession.objects.get(session_key=client.cookies["sessionid"].value)
    assert session.user_id == user.pk
    assert session.get_decoded()[SESSION_KEY] == str(user.pk)


def test_a_warm_signed_in_page_is_one_query_and_shows_the_viewer(make_author, make_user):
    author = make_author("Ada Joined")
    user = make_user(email="reader@example.org")
    client = signed_in_client(user)
    client.get(author.get_absolute_url())

    with CaptureQueriesContext(connection) as queries:
        page = client.get(author.get_absolute_url()).content.decode()

    assert len(queries.captured_queries) == 1, [q["sql"][:80] for q in queries.captured_queries]
    assert "reader@example.org" in page
    assert "Log out" in page and "Log in to follow" not in page
    assert "bzpeer-hole-" not in page


def test_a_logged_out_session_reads_as_anonymous(make_author, make_user):
    author = make_author("Ada Leaving")
    client = signed_in_client(make_user())
    client.get(author.get_absolute_url())
    UserSession.objects.all().delete()  # logout elsewhere, or the session expired

    page = client.get(author.get_absolute_url()).content.decode()

    assert "Log in to follow" in page
    assert "X-CSRFToken" not in page


def test_a_changed_password_signs_the_session_out(make_author, make_user):
    author = make_author("Ada Rotated")
    user = make_user()
    client = signed_in_client(user)
    key = client.cookies["sessionid"].value
    user.set_password("a new password for this test")
    user.save()

    page = client.get(author.get_absolute_url()).content.decode()

    assert "Log in to follow" in page
    assert not UserSession.objects.filter(session_key=key).exists()  # flushed, as Django does


def test_an_inactive_user_is_not_signed_in(make_author, make_user):
    author = make_author("Ada Closed")
    user = make_user()
    client = signed_in_client(user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)

    assert "Log in to follow" in client.get(author.get_absolute_url()).content.decode()


def test_a_session_without_the_user_column_still_signs_in(make_author, make_user):
    author = make_author("Ada Older")
    client = signed_in_client(make_user())
    UserSession.objects.update(user=None)  # as a row written before the column

    page = client.get(author.get_absolute_url()).content.decode()

    assert "Log out" in page and "Log in to follow" not in page


def test_viewers_of_one_kind_share_the_page_but_not_their_name_or_token(make_author, make_user):
    author = make_author("Ada Shared")
    first = signed_in_client(make_user(email="first@example.org"))
    second = signed_in_client(make_user(email="second@example.org"))

    one = first.get(author.get_absolute_url()).content.decode()
    two = second.get(author.get_absolute_url()).content.decode()

    assert "first@example.org" in one and "first@example.org" not in two
    assert "second@example.org" in two
    assert CSRF_IN_PAGE.search(one).group(1) != CSRF_IN_PAGE.search(two).group(1)


def test_the_viewers_own_state_shows_at_once(make_author, make_user):
    author = make_author("Ada Followed")
    follower, other = make_user(), make_user()
    following = signed_in_client(follower)
    looking = signed_in_client(other)
    assert "Follow researcher" in following.get(author.get_absolute_url()).content.decode()

    following.post(f"{author.get_absolute_url()}follow/")

    assert Follow.objects.filter(user=follower, author=author).exists()
    assert "Following" in following.get(author.get_absolute_url()).content.decode()
    page = looking.get(author.get_absolute_url()).content.decode()
    assert "Follow researcher" in page
    assert '<span class="stats__value" id="followers-count">1</span>' in page


def test_a_pending_claim_and_the_staff_link_belong_to_their_viewer(make_author, make_user):
    author = make_author("Ada Claimed")
    claimant, staff = make_user(), make_user(is_staff=True)
    Claim.objects.create(author=author, user=claimant, status=Claim.Status.PENDING)

    claimant_page = signed_in_client(claimant).get(author.get_absolute_url()).content.decode()
    staff_page = signed_in_client(staff).get(author.get_absolute_url()).content.decode()

    assert "Your claim on this record is waiting" in claimant_page
    assert "Your claim on this record is waiting" not in staff_page
    assert ">Admin</a>" in staff_page and ">Admin</a>" not in claimant_page


def test_the_token_in_a_cached_page_passes_the_csrf_check(make_author, make_user):
    author = make_author("Ada Guarded")
    user = make_user()
    client = signed_in_client(user, enforce_csrf_checks=True)
    client.get(author.get_absolute_url())  # renders the page for this kind of viewer
    page = client.get(author.get_absolute_url()).content.decode()  # from the cache
    token = CSRF_IN_PAGE.search(page).group(1)
    follow_url = f"{author.get_absolute_url()}follow/"

    assert client.post(follow_url).status_code == 403
    assert client.post(follow_url, headers={"X-CSRFToken": token}).status_code in (200, 302)
    assert Follow.objects.filter(user=user, author=author).exists()


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
        }
    }
)
def test_a_signed_in_page_renders_with_the_cache_down(make_author, make_user):
    author = make_author("Ada Uncached")
    page = signed_in_client(make_user()).get(author.get_absolute_url()).content.decode()

    assert "Ada Uncached" in page and "Log out" in page
    assert "bzpeer-hole-" not in page


def test_the_migration_carries_signed_in_sessions_over(make_user):
    user = make_user()
    old = DjangoSessionStore()
    old[SESSION_KEY] = str(user.pk)
    old.create()
    stale = DjangoSessionStore()
    stale.create()  # nothing in it: not carried over
    UserSession.objects.all().delete()

    migration = importlib.import_module("profiles.migrations.0012_user_session")
    migration.sessions_carried_over(apps, None)

    carried = UserSession.objects.get()
    assert carried.session_key == old.session_key
    assert carried.user_id == user.pk


def test_the_cached_page_is_the_page_django_renders(make_author, make_work, make_user, monkeypatch):
    """Besides the request's own values, the page from holes is byte for byte the template
    rendered with the request (the path a pending message takes)."""
    from profiles.views import pages

    author = make_author("Ada Same")
    make_work(authors=[author], title="A work on both pages")
    client = signed_in_client(make_user(email="same@example.org", is_staff=True))
    from_holes = client.get(author.get_absolute_url()).content.decode()
    message = type("Message", (), {"tags": "info", "__str__": lambda self: "Hello"})()
    monkeypatch.setattr(pages.messages, "get_messages", lambda request: [message])
    rendered = client.get(author.get_absolute_url()).content.decode()

    rendered = re.sub(r'<ul class="messages".*?</ul>\s*', "", rendered, flags=re.S)
    from_holes = re.sub(r"\s*\n\s*\n", "\n", from_holes)  # the empty messages block's lines
    rendered = re.sub(r"\s*\n\s*\n", "\n", rendered)
    token = re.compile(r"\b[A-Za-z0-9]{64}\b")
    assert "Hello" not in rendered and "same@example.org" in rendered
    assert token.sub("TOKEN", from_holes) == token.sub("TOKEN", rendered)
