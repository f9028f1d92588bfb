"""Every POST of the account pages needs a CSRF token, and no GET changes anything."""

from __future__ import annotations

import pytest
from django.test import Client

from profiles.models import (
    Claim,
    ClaimDispute,
    Conversation,
    DirtyAuthor,
    FeaturedWork,
    Follow,
    Invitation,
    Message,
    UserProfile,
    WorkHiddenRequest,
)
from works.models import Author

pytestmark = [pytest.mark.sqlite, pytest.mark.usefixtures("clear_cache")]

MODELS = [
    Claim,
    ClaimDispute,
    Conversation,
    DirtyAuthor,
    FeaturedWork,
    Follow,
    Invitation,
    Message,
    UserProfile,
    WorkHiddenRequest,
]


@pytest.fixture
def world(make_author, make_work, make_account, make_owned, admin_client_for):
    """An owned record with a work, a pending claim, an open invitation and a conversation."""
    owner, other = make_account(), make_account()
    author = make_author(open_to_collaborate=True)
    work = make_work(authors=[author])
    owned = make_owned(author, owner)
    pending = Claim.objects.create(author=make_author(), user=other)
    invitation = Invitation.objects.create(
        author=author, sender=other, recipient=owner, subject="s", message="m"
    )
    answered = Invitation.objects.create(
        author=author, sender=other, recipient=owner, subject="s", message="m", status="accepted"
    )
    conversation = Conversation.objects.create(
        invitation=answered, author=author, starter=other, owner=owner
    )
    slug = author.slug
    posts = {
        f"/researchers/{slug}/follow/": owner,
        f"/researchers/{slug}/claim/": other,
        f"/researchers/{slug}/edit/": owner,
        f"/researchers/{slug}/visibility/": owner,
        f"/researchers/{slug}/works/{work.pk}/not-mine/": owner,
        f"/researchers/{slug}/invite/": other,
        f"/claims/{owned.pk}/release/": owner,
        f"/invitations/{invitation.pk}/answer/": owner,
        f"/conversations/{conversation.pk}/": owner,
        "/following/digest/": owner,
        "/accounts/logout/": owner,
        f"/admin/profiles/claim/{pending.pk}/decide/": admin_client_for,
    }
    return author, posts


@pytest.fixture
def admin_client_for(make_account):
    return make_account(is_staff=True, is_superuser=True)


def _snapshot(author: Author) -> tuple:
    author.refresh_from_db()
    row = (author.bio, author.hidden, author.open_to_collaborate, author.verification_level)
    return row, tuple(model.objects.count() for model in MODELS)


PAYLOAD = {
    "route": "evidence",
    "note": "mine",
    "bio": "changed",
    "hidden": "1",
    "subject": "s",
    "message": "m",
    "body": "hello",
    "action": "accept",
    "follow_digest": "on",
    "decision": "approve",
    "reason_code": "evidence_confirmed",
}


def test_every_account_post_needs_a_csrf_token(world):
    author, posts = world
    before = _snapshot(author)

    for url, user in posts.items():
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        response = client.post(url, PAYLOAD)
        assert response.status_code == 403, url

    assert _snapshot(author) == before


def test_login_and_signup_posts_need_a_csrf_token(db):
    client = Client(enforce_csrf_checks=True)

    assert client.post("/accounts/login/", {"login": "a@b.c", "password": "x"}).status_code == 403
    response = client.post(
        "/accounts/signup/", {"email": "a@b.c", "password1": "x", "password2": "x"}
    )
    assert response.status_code == 403


def test_no_get_changes_anything(world):
    author, posts = world
    before = _snapshot(author)

    for url, user in posts.items():
        client = Client()
        client.force_login(user)
        response = client.get(url, PAYLOAD)
        assert response.status_code in (200, 405), url

    assert _snapshot(author) == before
