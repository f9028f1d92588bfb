"""A profile hidden at its owner's request is a 404 everywhere, linked from nowhere, and
cannot be followed."""

from __future__ import annotations

import pytest

from profiles.models import Follow

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden_and_coauthor(make_author, make_work):
    hidden = make_author("Hidden Person", hidden=True)
    coauthor = make_author("Open Person")
    work = make_work(authors=[coauthor, hidden])
    return hidden, coauthor, work


def test_hidden_profile_is_a_404_on_every_page_of_its_own(client, hidden_and_coauthor):
    hidden, _, _ = hidden_and_coauthor

    for url in (
        hidden.get_absolute_url(),
        f"/researchers/{hidden.slug}/graph/",
        f"/explore/?center={hidden.slug}",
    ):
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404, url


def test_hidden_profile_cannot_be_followed(make_user, hidden_and_coauthor, client):
    hidden, _, _ = hidden_and_coauthor
    client.force_login(make_user())

    response = client.post(f"/researchers/{hidden.slug}/follow/")

    assert response.status_code == 404
    assert not Follow.objects.exists()
    hidden.refresh_from_db()
    assert hidden.followers_count == 0


def test_a_follower_of_a_profile_hidden_later_can_still_leave(make_user, hidden_and_coauthor):
    hidden, _, _ = hidden_and_coauthor
    user = make_user()
    Follow.objects.create(author=hidden, user=user)
    from django.test import Client

    client = Client()
    client.force_login(user)

    response = client.post(f"/researchers/{hidden.slug}/follow/", {"action": "unfollow"})

    assert response.status_code == 302
    assert not Follow.objects.exists()


def test_hidden_profile_is_not_linked_from_work_pages_or_coauthor_pages(
    client, hidden_and_coauthor
):
    hidden, coauthor, work = hidden_and_coauthor

    work_page = client.get(work.get_absolute_url()).content.decode()
    coauthor_page = client.get(coauthor.get_absolute_url()).content.decode()

    for html in (work_page, coauthor_page):
        assert "Hidden Person" in html  # the byline still names them, as printed
        assert hidden.get_absolute_url() not in html
