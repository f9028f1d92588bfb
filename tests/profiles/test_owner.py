"""What an owner may change: bio, open to collaborate, featured works, "not mine" (reviewed
by an admin, then a split), and hiding the profile from public pages."""

from __future__ import annotations

import pytest
from django.test import Client

from profiles.models import AuthorAuditLog, FeaturedWork, WorkHiddenRequest
from tests.html import visible_text
from works.models import Author, Authorship, VerificationLevel

pytestmark = [pytest.mark.sqlite, pytest.mark.usefixtures("clear_cache")]


@pytest.fixture
def owner(make_account):
    return make_account("owner@example.org")


@pytest.fixture
def record(make_author, make_work, make_owned, owner):
    author = make_author("Grace Hopper", bio="Old bio", works_count=3)
    works = [make_work(authors=[author], title=f"Compilers, part {i}") for i in range(3)]
    make_owned(author, owner)
    return author, works


def _edit_url(author: Author) -> str:
    return f"/researchers/{author.slug}/edit/"


def test_owner_edits_bio_collaboration_and_featured_works(record, owner, logged_in):
    author, works = record
    client = logged_in(owner)
    assert client.get(_edit_url(author)).status_code == 200

    response = client.post(
        _edit_url(author),
        {"bio": "I write compilers.", "featured": [works[2].pk, works[0].pk]},
    )

    assert response.status_code == 302
    author.refresh_from_db()
    assert author.bio == "I write compilers."
    assert author.open_to_collaborate is False  # an unticked checkbox
    assert list(FeaturedWork.objects.values_list("work_id", flat=True)) == [
        works[2].pk,
        works[0].pk,
    ]
    text = visible_text(Client().get(author.get_absolute_url()).content)
    assert "I write compilers." in text
    assert "Featured work Compilers, part 2 (2020) Compilers, part 0 (2020)" in text
    assert "Open to collaborate" not in text


def test_owner_edit_ignores_mass_assignment(record, owner, logged_in):
    author, _ = record

    logged_in(owner).post(
        _edit_url(author),
        {
            "bio": "New",
            "open_to_collaborate": "on",
            "display_name": "Someone Else",
            "orcid": "0000-0001-5109-3700",
            "verification_level": "4",
            "verification_evidence": "Curated",
            "trust_score": "100",
            "followers_count": "9999",
            "slug": "someone-else",
            "hidden": "1",
        },
    )

    author.refresh_from_db()
    assert author.bio == "New"
    assert (author.display_name, author.slug, author.orcid) == ("Grace Hopper", author.slug, None)
    assert author.verification_level == VerificationLevel.L3
    assert author.trust_score is None
    assert author.followers_count == 0
    assert author.hidden is False


def test_featured_works_must_be_the_owners(record, owner, logged_in, make_work, make_author):
    author, works = record
    elsewhere = make_work(authors=[make_author()])

    response = logged_in(owner).post(_edit_url(author), {"bio": "", "featured": [elsewhere.pk]})

    assert response.status_code == 400
    assert not FeaturedWork.objects.exists()


def test_only_the_owner_edits(record, make_account, logged_in):
    author, _ = record
    other = logged_in(make_account())

    assert other.get(_edit_url(author)).status_code == 404
    assert other.post(_edit_url(author), {"bio": "hacked"}).status_code == 404
    assert other.post(f"/researchers/{author.slug}/visibility/", {"hidden": "1"}).status_code == 404
    author.refresh_from_db()
    assert author.bio == "Old bio"


def test_not_mine_hides_the_work_until_an_admin_splits_it(record, owner, logged_in, make_account):
    author, works = record
    client = logged_in(owner)
    url = f"/researchers/{author.slug}/works/{works[1].pk}/not-mine/"
    assert client.get(url).status_code == 200

    client.post(url, {"note": "Another Grace Hopper"})

    text = visible_text(Client().get(author.get_absolute_url()).content)
    assert "Compilers, part 1" not in text
    assert "Compilers, part 0" in text
    request = WorkHiddenRequest.objects.get()
    admin = logged_in(make_account(is_staff=True, is_superuser=True))
    admin.post(
        f"/admin/profiles/workhiddenrequest/{request.pk}/decide/",
        {"decision": "approve", "note": "Different person"},
    )

    request.refresh_from_db()
    assert request.status == "approved"
    moved = Authorship.objects.get(work=works[1])
    assert moved.author_id != author.pk
    assert moved.author.display_name == "Grace Hopper"  # a new author, split off
    assert AuthorAuditLog.objects.filter(action="split", author=author).exists()


def test_rejected_not_mine_shows_the_work_again(record, owner, logged_in, make_account):
    author, works = record
    logged_in(owner).post(f"/researchers/{author.slug}/works/{works[1].pk}/not-mine/", {})
    request = WorkHiddenRequest.objects.get()
    logged_in(make_account(is_staff=True, is_superuser=True)).post(
        f"/admin/profiles/workhiddenrequest/{request.pk}/decide/", {"decision": "reject"}
    )

    assert "Compilers, part 1" in visible_text(Client().get(author.get_absolute_url()).content)
    assert Authorship.objects.get(work=works[1]).author_id == author.pk


def test_hidden_profile_is_gone_from_public_pages_but_not_for_its_owner(
    record, owner, logged_in, make_account
):
    author, _ = record
    client = logged_in(owner)

    client.post(f"/researchers/{author.slug}/visibility/", {"hidden": "1"})

    anonymous = Client().get(author.get_absolute_url())
    assert anonymous.status_code == 404
    assert "hidden" in visible_text(anonymous.content)
    assert "Grace Hopper" not in anonymous.content.decode()
    assert logged_in(make_account()).get(author.get_absolute_url()).status_code == 404
    assert "Grace Hopper" not in visible_text(Client().get("/?q=grace").content)
    assert "Grace Hopper" not in visible_text(Client().get("/").content)
    owner_view = client.get(author.get_absolute_url())
    assert owner_view.status_code == 200
    assert "Hidden from public pages" in visible_text(owner_view.content)
    staff = logged_in(make_account(is_staff=True))
    assert staff.get(author.get_absolute_url()).status_code == 200

    client.post(f"/researchers/{author.slug}/visibility/", {"hidden": "0"})

    assert Client().get(author.get_absolute_url()).status_code == 200


def test_hidden_profile_cannot_be_claimed_or_invited(record, make_account, logged_in):
    author, _ = record
    type(author).objects.filter(pk=author.pk).update(hidden=True)
    client = logged_in(make_account())

    assert client.get(f"/researchers/{author.slug}/claim/").status_code == 404
    assert client.post(f"/researchers/{author.slug}/invite/", {"subject": "s"}).status_code == 404
