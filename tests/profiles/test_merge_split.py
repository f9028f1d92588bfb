"""Merging and splitting authors: what moves, the audit log, redirects and admin actions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from profiles.curation import (
    CurationError,
    authors_merge,
    authorships_remove,
    authorships_split,
)
from profiles.models import AuthorAuditLog, Claim, Follow
from works.models import Authorship, AuthorshipOverride, VerificationLevel

pytestmark = pytest.mark.sqlite


@pytest.fixture
def admin_user(make_user):
    return make_user(is_staff=True, is_superuser=True)


def _csrf_client(user) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("admin:index"))
    return client, client.cookies["csrftoken"].value


# Merge


@pytest.mark.django_db
def test_authors_merge_moves_authorships_follows_and_claims(
    make_author, make_work, make_user, admin_user
):
    keep = make_author("Ada Lovelace", openalex_id="A1")
    first = make_author("A. Lovelace", orcid="0000-0002-1825-0097", name_variants=["Ada L."])
    second = make_author("Augusta Ada King", dblp_pid="12/345")
    shared = make_work([keep, first])
    works = [make_work([first]), make_work([second]), shared]
    both, one = make_user(), make_user()
    Follow.objects.bulk_create(
        [
            Follow(user=both, author=keep),
            Follow(user=both, author=first),
            Follow(user=one, author=first),
            Follow(user=one, author=second),
        ]
    )
    claim = Claim.objects.create(author=second, user=one)

    result = authors_merge(keep=keep, others=[first, second], user=admin_user, reason="same person")

    assert result.authorships == 3
    assert set(Authorship.objects.filter(work__in=works).values_list("author", flat=True)) == {
        keep.pk
    }
    assert not Authorship.objects.filter(author__in=[first, second]).exists()
    assert sorted(Follow.objects.filter(author=keep).values_list("user", flat=True)) == sorted(
        [both.pk, one.pk]
    )
    assert not Follow.objects.filter(author__in=[first, second]).exists()
    claim.refresh_from_db()
    assert claim.author == keep
    keep.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.merged_into, second.merged_into) == (keep, keep)
    assert set(keep.name_variants) >= {"A. Lovelace", "Ada L.", "Augusta Ada King"}
    assert "augusta ada king" in keep.search_names
    # ids the kept author lacked moved over; the merged rows gave them up
    assert (keep.openalex_id, keep.orcid, keep.dblp_pid) == ("A1", "0000-0002-1825-0097", "12/345")
    assert first.orcid is None and second.dblp_pid is None
    logs = AuthorAuditLog.objects.filter(action="merge", author=keep)
    assert sorted(logs.values_list("other_author", flat=True)) == sorted([first.pk, second.pk])
    log = logs.get(other_author=first)
    assert log.actor == admin_user
    assert log.reason == "same person"
    assert log.details["ids_moved"] == {"orcid": "0000-0002-1825-0097"}
    # the moved bylines are decisions later imports keep
    assert AuthorshipOverride.objects.filter(author=keep).count() == 3


@pytest.mark.django_db
def test_authors_merge_redirects_the_old_slug_permanently(client, make_author, admin_user):
    keep = make_author(slug="ada-lovelace")
    merged = make_author(slug="a-lovelace")
    authors_merge(keep=keep, others=[merged], user=admin_user, reason="same person")

    response = client.get(merged.get_absolute_url())

    assert response.status_code == 301
    assert response["Location"] == "/researchers/ada-lovelace/"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.django_db
def test_authors_merge_chain_resolves_in_one_redirect(client, make_author, admin_user):
    oldest, middle, final = (make_author(slug=s) for s in ("oldest", "middle", "final"))
    authors_merge(keep=middle, others=[oldest], user=admin_user, reason="same person")
    authors_merge(keep=final, others=[middle], user=admin_user, reason="same person")

    response = client.get(oldest.get_absolute_url())

    assert response.status_code == 301
    assert response["Location"] == "/researchers/final/"
    oldest.refresh_from_db()
    assert oldest.merged_into == final  # the chain was flattened


@pytest.mark.django_db
def test_authors_merge_query_count_does_not_grow_with_authorships(
    make_author, make_work, make_user, admin_user
):
    def merge_with(n_works: int) -> int:
        keep, other = make_author(), make_author()
        for _ in range(n_works):
            make_work([other])
        Follow.objects.create(user=make_user(), author=other)
        with CaptureQueriesContext(connection) as queries:
            authors_merge(keep=keep, others=[other], user=admin_user, reason="same person")
        return len(queries)

    small, large = merge_with(2), merge_with(30)

    assert small == large
    assert large <= 25


@pytest.mark.django_db
def test_authors_merge_refuses_two_claimed_authors(make_author, make_user, admin_user):
    keep, other = make_author(), make_author()
    Claim.objects.create(author=keep, user=make_user(), status=Claim.Status.APPROVED)
    Claim.objects.create(author=other, user=make_user(), status=Claim.Status.APPROVED)

    with pytest.raises(CurationError, match="claimed"):
        authors_merge(keep=keep, others=[other], user=admin_user, reason="same person")

    other.refresh_from_db()
    assert other.merged_into is None
    assert not AuthorAuditLog.objects.exists()


@pytest.mark.django_db
def test_authors_merge_refuses_an_author_merged_already(make_author, admin_user):
    keep, other, third = make_author(), make_author(), make_author()
    authors_merge(keep=keep, others=[other], user=admin_user, reason="same person")

    with pytest.raises(CurationError, match="already merged"):
        authors_merge(keep=third, others=[other], user=admin_user, reason="same person")


# Split and remove


@pytest.mark.django_db
def test_authorships_split_to_a_new_author(make_author, make_work, admin_user):
    author = make_author("Wei Zhang", source="openalex")
    works = [make_work([author]) for _ in range(4)]
    chosen = list(Authorship.objects.filter(work__in=works[:2]).order_by("work"))
    Authorship.objects.filter(pk=chosen[0].pk).update(raw_author_name="Zhang  Wei")

    result = authorships_split(authorships=chosen, user=admin_user, reason="two people")

    new = result.author
    assert result.created and result.authorships == 2
    assert new.display_name == "Zhang Wei"
    assert new.verification_level == VerificationLevel.L1
    assert new.slug and new.slug != author.slug
    assert set(new.authorships.values_list("work", flat=True)) == {w.pk for w in works[:2]}
    assert author.authorships.count() == 2
    log = AuthorAuditLog.objects.get(action="split")
    assert (log.author, log.other_author, log.actor) == (author, new, admin_user)
    assert log.details["new_author"] is True
    assert AuthorshipOverride.objects.filter(author=new).count() == 2


@pytest.mark.django_db
def test_authorships_split_to_another_author_in_bounded_queries(make_author, make_work, admin_user):
    def split(n_works: int) -> int:
        author, other = make_author(), make_author()
        works = [make_work([author]) for _ in range(n_works)]
        chosen = list(Authorship.objects.filter(work__in=works))
        with CaptureQueriesContext(connection) as queries:
            result = authorships_split(authorships=chosen, to_author=other, user=admin_user)
        assert result.author == other and other.authorships.count() == n_works
        return len(queries)

    assert split(2) == split(25)


@pytest.mark.django_db
def test_authorships_split_refuses_authorships_of_two_authors(make_author, make_work, admin_user):
    work = make_work([make_author(), make_author()])

    with pytest.raises(CurationError, match="one author"):
        authorships_split(authorships=list(work.authorships.all()), user=admin_user)


@pytest.mark.django_db
def test_authorships_split_refuses_a_merged_target(make_author, make_work, admin_user):
    author, merged, keep = make_author(), make_author(), make_author()
    authors_merge(keep=keep, others=[merged], user=admin_user, reason="same person")
    work = make_work([author])

    with pytest.raises(CurationError, match="merged"):
        authorships_split(
            authorships=list(work.authorships.all()), to_author=merged, user=admin_user
        )


@pytest.mark.django_db
def test_authorships_remove_deletes_and_records_the_decision(make_author, make_work, admin_user):
    author = make_author()
    work = make_work([author, make_author()])
    authorship = work.authorships.get(author=author)

    assert authorships_remove(authorships=[authorship], user=admin_user, reason="not theirs") == 1

    assert not work.authorships.filter(author=author).exists()
    decision = AuthorshipOverride.objects.get(work=work)
    assert (decision.author, decision.position, decision.decided_by) == (None, 0, admin_user)
    log = AuthorAuditLog.objects.get(action="remove")
    assert log.author == author and log.details["works"] == [work.pk]


# Admin actions


@pytest.mark.django_db
def test_merge_admin_action_chooses_the_kept_author_then_merges(make_author, make_work, admin_user):
    keep, other = make_author("Kept <b>Author</b>"), make_author("Other Author")
    make_work([other])
    client, token = _csrf_client(admin_user)
    url = reverse("admin:works_author_changelist")
    chosen = {"action": "merge_authors", "_selected_action": [keep.pk, other.pk]}

    page = client.post(url, {**chosen, "index": 0, "csrfmiddlewaretoken": token})
    assert page.status_code == 200
    html = page.content.decode()
    assert "which one stays?" in html
    assert "Kept &lt;b&gt;Author&lt;/b&gt;" in html  # imported text is escaped
    other.refresh_from_db()
    assert other.merged_into is None

    forged = client.post(url, {**chosen, "confirm": "yes", "keep": keep.pk})
    assert forged.status_code == 403
    done = client.post(
        url,
        {
            **chosen,
            "confirm": "yes",
            "keep": keep.pk,
            "reason": "dup",
            "csrfmiddlewaretoken": token,
        },
    )

    assert done.status_code == 302
    other.refresh_from_db()
    assert other.merged_into == keep
    assert keep.authorships.count() == 1
    assert AuthorAuditLog.objects.get().reason == "dup"


@pytest.mark.django_db
def test_merge_admin_action_is_refused_without_permission(make_author, make_user):
    staff = make_user(is_staff=True)
    keep, other = make_author(), make_author()
    client = Client()
    client.force_login(staff)

    response = client.post(
        reverse("admin:works_author_changelist"),
        {
            "action": "merge_authors",
            "_selected_action": [keep.pk, other.pk],
            "confirm": "yes",
            "keep": keep.pk,
        },
    )

    assert response.status_code == 403
    other.refresh_from_db()
    assert other.merged_into is None


@pytest.mark.django_db
def test_move_admin_action_moves_to_a_new_or_named_author(make_author, make_work, admin_user):
    author, target = make_author("Wei Zhang"), make_author("Wei Zhang", slug="wei-zhang-2")
    works = [make_work([author]) for _ in range(3)]
    client, token = _csrf_client(admin_user)
    url = reverse("admin:works_authorship_changelist")
    first = Authorship.objects.get(work=works[0])
    second = Authorship.objects.get(work=works[1])

    page = client.post(
        url,
        {
            "action": "move_authorships",
            "_selected_action": [first.pk],
            "index": 0,
            "csrfmiddlewaretoken": token,
        },
    )
    assert page.status_code == 200 and "Move authorships" in page.content.decode()
    client.post(
        url,
        {
            "action": "move_authorships",
            "_selected_action": [first.pk],
            "confirm": "yes",
            "to_author": "",
            "reason": "another Wei Zhang",
            "csrfmiddlewaretoken": token,
        },
    )
    client.post(
        url,
        {
            "action": "move_authorships",
            "_selected_action": [second.pk],
            "confirm": "yes",
            "to_author": "wei-zhang-2",
            "reason": "the other Wei Zhang",
            "csrfmiddlewaretoken": token,
        },
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.author not in (author, target) and first.author.display_name == "Wei Zhang"
    assert second.author == target
    assert author.authorships.count() == 1


@pytest.mark.django_db
def test_remove_admin_action_removes_for_good(make_author, make_work, admin_user):
    work = make_work([make_author(), make_author()])
    removed = work.authorships.get(position=1)
    client, token = _csrf_client(admin_user)

    response = client.post(
        reverse("admin:works_authorship_changelist"),
        {
            "action": "remove_authorships",
            "_selected_action": [removed.pk],
            "confirm": "yes",
            "reason": "wrong paper",
            "csrfmiddlewaretoken": token,
        },
    )

    assert response.status_code == 302
    assert list(work.authorships.values_list("position", flat=True)) == [0]
    assert AuthorshipOverride.objects.get(work=work).author is None


@pytest.mark.django_db
def test_author_admin_filters_confusable_and_merged_authors(make_author, admin_user):
    make_author("Jоhn Smith", confusable_name=True)  # Cyrillic о
    make_author("John Smith")
    client = Client()
    client.force_login(admin_user)

    response = client.get(reverse("admin:works_author_changelist"), {"confusable_name__exact": 1})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
