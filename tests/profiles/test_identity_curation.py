"""Identity changes only through audited, reversible admin actions (issue 15, items 1-3, 5)."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from profiles.curation import (
    CurationError,
    author_level_set,
    authors_merge,
    authors_unmerge,
)
from profiles.models import AuthorAuditLog, Claim, DirtyAuthor, Follow
from profiles.review_queues import staff_waiting_notify
from works.models import Authorship, AuthorshipOverride, VerificationLevel

ORCID_A = "0000-0002-1825-0097"
ORCID_B = "0000-0001-5109-3700"


@pytest.fixture
def curator(make_user):
    return make_user(is_staff=True, is_superuser=True, email="curator@example.org")


@pytest.fixture
def admin_client(curator) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator)
    client.get(reverse("admin:index"))
    return client, client.cookies["csrftoken"].value


# 1. Identity fields are read-only; "set level with a reason"


@pytest.mark.django_db
def test_author_change_form_cannot_edit_identity_fields(make_author, admin_client):
    author = make_author("Kang Liu", slug="kang-liu", orcid=ORCID_A)
    client, token = admin_client
    url = reverse("admin:works_author_change", args=[author.pk])
    page = client.get(url).content.decode()
    assert 'name="verification_level"' not in page and 'name="orcid"' not in page
    assert 'name="merged_into"' not in page and 'name="slug"' not in page
    assert "Set level with a reason" in page

    response = client.post(
        url,
        {
            "csrfmiddlewaretoken": token,
            "display_name": "Kang Liu",
            "name_variants": "[]",
            "open_to_collaborate": "on",
            "verification_level": "3",
            "verification_evidence": "ORCID iD confirmed by sign-in",
            "orcid": ORCID_B,
            "slug": "someone-else",
        },
    )

    assert response.status_code == 302
    author.refresh_from_db()
    assert author.verification_level == VerificationLevel.L1
    assert (author.orcid, author.slug, author.verification_evidence) == (ORCID_A, "kang-liu", "")


@pytest.mark.django_db
def test_set_level_needs_a_reason_and_an_owner_for_claimed_levels(make_author, admin_client):
    author = make_author("Kang Liu")
    client, token = admin_client
    url = reverse("admin:works_author_set_level", args=[author.pk])

    no_reason = client.post(url, {"csrfmiddlewaretoken": token, "level": "0", "evidence": ""})
    claimed_level = client.post(
        url,
        {"csrfmiddlewaretoken": token, "level": "3", "evidence": "trust me", "reason": "x"},
    )

    assert no_reason.status_code == 200 and "This field is required" in no_reason.content.decode()
    assert "has no approved claim" in claimed_level.content.decode()
    author.refresh_from_db()
    assert author.verification_level == VerificationLevel.L1
    assert not AuthorAuditLog.objects.exists()


@pytest.mark.django_db
def test_set_level_is_audited_announced_and_in_recent_actions(make_author, admin_client, curator):
    author = make_author("Kang Liu", verification_evidence="OpenAlex record")
    client, token = admin_client
    url = reverse("admin:works_author_set_level", args=[author.pk])
    assert "Set the verification level" in client.get(url).content.decode()

    response = client.post(
        url,
        {
            "csrfmiddlewaretoken": token,
            "level": "0",
            "evidence": "",
            "reason": "the OpenAlex record is a bad cluster",
        },
    )

    assert response.status_code == 302
    author.refresh_from_db()
    assert author.verification_level == VerificationLevel.L0
    entry = AuthorAuditLog.objects.get(action="set_level")
    assert entry.actor == curator and entry.reason == "the OpenAlex record is a bad cluster"
    assert entry.before["author"]["verification_level"] == "L1"
    assert entry.after["author"]["verification_level"] == "L0"
    assert "Kang Liu: verification level L1 → L0" in entry.changes_in_words()
    assert DirtyAuthor.objects.filter(author=author).exists()  # the trust recompute follows
    assert LogEntry.objects.filter(object_id=str(author.pk), user=curator).exists()
    log_page = client.get(reverse("admin:profiles_authorauditlog_changelist")).content.decode()
    assert "verification level L1 → L0" in log_page and "bad cluster" in log_page


@pytest.mark.django_db
def test_set_level_on_an_owned_record_moves_the_claim_level_too(
    make_author, make_user, make_owned, curator
):
    author = make_author("Kang Liu")
    claim = make_owned(author, make_user(), level=VerificationLevel.L2, evidence="reviewed")
    with pytest.raises(CurationError, match="revoke the claim"):
        author_level_set(author=author, level=1, evidence="", user=curator, reason="x")

    author_level_set(
        author=author, level=4, evidence="curated after a call", user=curator, reason="call"
    )

    claim.refresh_from_db()
    author.refresh_from_db()
    assert author.verification_level == claim.level == VerificationLevel.L4
    assert claim.evidence_summary == "curated after a call"


# 2. Merges respect persistent ids and can be undone


@pytest.mark.django_db
def test_merge_refuses_different_orcids_unless_overridden_with_a_reason(make_author, curator):
    keep = make_author("Kang Liu", orcid=ORCID_A, openalex_id="A1")
    other = make_author("K. Liu", orcid=ORCID_B)

    with pytest.raises(CurationError, match="different persistent ids"):
        authors_merge(keep=keep, others=[other], user=curator, reason="same person")
    with pytest.raises(CurationError, match="give a reason"):
        authors_merge(keep=keep, others=[other], user=curator, reason=" ", override_ids=True)
    other.refresh_from_db()
    assert other.merged_into is None and other.orcid == ORCID_B

    authors_merge(
        keep=keep, others=[other], user=curator, reason="ORCID duplicate", override_ids=True
    )

    keep.refresh_from_db()
    other.refresh_from_db()
    assert keep.orcid == ORCID_A and other.merged_into == keep
    # the merged-away row keeps no id, so an import naming it cannot land there
    assert (other.orcid, other.openalex_id, other.dblp_pid) == (None, None, None)
    entry = AuthorAuditLog.objects.get(action="merge")
    assert entry.details["override_ids"] is True
    assert entry.before["other_author"]["orcid"] == ORCID_B


@pytest.mark.django_db
def test_merge_admin_page_warns_about_different_ids_and_needs_the_override(
    make_author, admin_client
):
    keep = make_author("Kang Liu", orcid=ORCID_A)
    other = make_author("Kang Liu", orcid=ORCID_B)
    client, token = admin_client
    url = reverse("admin:works_author_changelist")
    chosen = {"action": "merge_authors", "_selected_action": [keep.pk, other.pk]}

    page = client.post(url, {**chosen, "csrfmiddlewaretoken": token}).content.decode()
    refused = client.post(
        url,
        {**chosen, "csrfmiddlewaretoken": token, "confirm": "yes", "keep": keep.pk, "reason": "r"},
    )
    merged = client.post(
        url,
        {
            **chosen,
            "csrfmiddlewaretoken": token,
            "confirm": "yes",
            "keep": keep.pk,
            "reason": "one person, two ORCID iDs",
            "override_ids": "on",
        },
    )

    assert "carry different persistent ids" in page and f"orcid {ORCID_B} / {ORCID_A}" in page
    assert refused.status_code == 200 and "Not merged" in refused.content.decode()
    assert merged.status_code == 302
    other.refresh_from_db()
    assert other.merged_into_id == keep.pk


@pytest.mark.django_db
def test_unmerge_restores_both_records_from_the_audit_entry(
    make_author, make_work, make_user, curator, client
):
    keep = make_author("Kang Liu", slug="kang-liu", openalex_id="A1")
    other = make_author(
        "K. Liu",
        slug="k-liu",
        orcid=ORCID_B,
        dblp_pid="12/3",
        name_variants=["Liu K."],
        bio="Works on graphs.",
    )
    own_works = [make_work([other]) for _ in range(2)]
    make_work([keep])
    fan, both = make_user(), make_user()
    Follow.objects.bulk_create(
        [
            Follow(user=fan, author=other),
            Follow(user=both, author=other),
            Follow(user=both, author=keep),
        ]
    )
    claim = Claim.objects.create(author=other, user=make_user())
    authors_merge(keep=keep, others=[other], user=curator, reason="looked the same")
    keep.refresh_from_db()
    assert keep.orcid == ORCID_B and keep.bio == "Works on graphs."
    assert client.get("/researchers/k-liu/").status_code == 301

    entry = AuthorAuditLog.objects.get(action="merge")
    result = authors_unmerge(entry=entry, user=curator, reason="two people after all")

    keep.refresh_from_db()
    other.refresh_from_db()
    claim.refresh_from_db()
    assert other.merged_into is None and result.authorships == 2
    assert (other.orcid, other.dblp_pid, other.name_variants) == (ORCID_B, "12/3", ["Liu K."])
    assert (keep.orcid, keep.dblp_pid, keep.openalex_id) == (None, None, "A1")
    assert keep.name_variants == [] and keep.bio == "" and other.bio == "Works on graphs."
    assert set(Authorship.objects.filter(work__in=own_works).values_list("author", flat=True)) == {
        other.pk
    }
    assert set(Follow.objects.filter(author=other).values_list("user", flat=True)) == {
        fan.pk,
        both.pk,
    }
    assert set(Follow.objects.filter(author=keep).values_list("user", flat=True)) == {both.pk}
    assert claim.author_id == other.pk
    # later imports keep them apart: the byline decisions now name the restored author
    assert set(
        AuthorshipOverride.objects.filter(work__in=own_works).values_list("author", flat=True)
    ) == {other.pk}
    entry.refresh_from_db()
    assert entry.undone_by.action == "unmerge" and entry.undone_by.reason == "two people after all"
    assert client.get("/researchers/k-liu/").status_code == 200
    client.force_login(curator)
    entry_page = client.get(reverse("admin:profiles_authorauditlog_change", args=[entry.pk]))
    words = entry_page.content.decode()
    assert "authorships moved: 2" in words and "looked the same" in words
    assert f"K. Liu: ORCID iD {ORCID_B} → none" in words and "Unmerged since." in words
    with pytest.raises(CurationError, match="unmerged already"):
        authors_unmerge(entry=entry, user=curator, reason="again")


@pytest.mark.django_db
def test_unmerge_admin_page_confirms_then_unmerges(make_author, make_work, admin_client, curator):
    keep, other = make_author("Kang Liu"), make_author("Kang Liu")
    make_work([other])
    authors_merge(keep=keep, others=[other], user=curator, reason="same")
    client, token = admin_client
    change = client.get(reverse("admin:works_author_change", args=[other.pk])).content.decode()
    url = reverse("admin:works_author_unmerge", args=[other.pk])
    assert url in change

    page = client.get(url).content.decode()
    done = client.post(url, {"csrfmiddlewaretoken": token, "reason": "different people"})

    assert "Unmerge Kang Liu from Kang Liu?" in page and "1 authorship(s)" in page
    assert done.status_code == 302
    other.refresh_from_db()
    assert other.merged_into is None and other.authorships.count() == 1
    assert LogEntry.objects.filter(object_id=str(other.pk), change_message__startswith="Unmerged")


# 3. Claims: revoke instead of delete, the queue first, staff told


@pytest.mark.django_db
def test_revoke_resets_level_evidence_and_owner_and_replaces_delete(
    make_author, make_user, make_owned, admin_client, curator
):
    author = make_author("Kang Liu", verification_evidence="OpenAlex record")
    owner = make_user()
    claim = make_owned(author, owner, level=VerificationLevel.L2, evidence="reviewed by an admin")
    client, token = admin_client

    delete_page = client.get(reverse("admin:profiles_claim_delete", args=[claim.pk]))
    actions = client.get(reverse("admin:profiles_claim_changelist")).content.decode()
    no_reason = client.post(
        reverse("admin:profiles_claim_decide", args=[claim.pk]),
        {"csrfmiddlewaretoken": token, "decision": "revoke", "note": ""},
    )
    revoked = client.post(
        reverse("admin:profiles_claim_decide", args=[claim.pk]),
        {"csrfmiddlewaretoken": token, "decision": "revoke", "note": "identity theft"},
    )

    assert delete_page.status_code == 403 and "delete_selected" not in actions
    assert "Give the reason" in no_reason.content.decode()
    assert revoked.status_code == 302
    claim.refresh_from_db()
    author.refresh_from_db()
    assert claim.status == Claim.Status.REVOKED and claim.decision_reason == "identity theft"
    assert author.verification_level == VerificationLevel.L1
    assert author.verification_evidence == ""
    assert not Claim.objects.filter(author=author, status=Claim.Status.APPROVED).exists()
    entry = AuthorAuditLog.objects.get(action="revoke")
    assert entry.actor == curator and entry.reason == "identity theft"
    assert entry.before["author"]["owner"].endswith(f"(user #{owner.pk})")
    assert entry.after["author"] == {
        "verification_level": "L1",
        "verification_evidence": "",
        "owner": None,
    }
    assert DirtyAuthor.objects.filter(author=author).exists()
    assert LogEntry.objects.filter(object_id=str(claim.pk), change_message__startswith="Revoked")


@pytest.mark.django_db
def test_pending_claims_sort_first_and_the_index_counts_the_queues(
    make_author, make_user, admin_client
):
    decided = Claim.objects.create(
        author=make_author("Zed Approved"), user=make_user(), status=Claim.Status.REJECTED
    )
    pending = Claim.objects.create(author=make_author("Zed Pending"), user=make_user())
    client, _ = admin_client

    listing = client.get(reverse("admin:profiles_claim_changelist")).content.decode()
    index = client.get(reverse("admin:index")).content.decode()

    assert decided.pk and listing.index("Zed Pending") < listing.index("Zed Approved")
    assert pending.pk and "Claims pending review" in index
    assert '<td class="review-count">1</td>' in index


@pytest.mark.django_db
def test_staff_get_an_email_when_a_claim_waits(
    make_author, make_account, curator, mailoutbox, django_capture_on_commit_callbacks
):
    from profiles.claims import claim_with_evidence

    author = make_author("Kang Liu")
    with django_capture_on_commit_callbacks(execute=True):
        claim_with_evidence(author=author, user=make_account(), links=[], note="it is me")

    assert [m.to for m in mailoutbox] == [["curator@example.org"]]
    assert "A claim on Kang Liu" in mailoutbox[0].subject
    assert "Claims pending review: 1" in mailoutbox[0].body
    assert staff_waiting_notify(what="x") == 1


# 5. Curator navigation


@pytest.mark.django_db
def test_author_page_in_admin_tells_same_named_authors_apart(
    make_author, make_work, admin_client, django_assert_max_num_queries
):
    physicist, chemist = make_author("Kang Liu"), make_author("Kang Liu")
    make_work([physicist, make_author("Ada Lovelace")], title="Quantum dots", year=2019)
    make_work([make_author("Marie Curie"), chemist], title="Polymer membranes", year=2022)
    client, _ = admin_client

    with django_assert_max_num_queries(15):
        page = client.get(reverse("admin:works_author_change", args=[physicist.pk]))
    html = page.content.decode()
    other = client.get(reverse("admin:works_author_change", args=[chemist.pk])).content.decode()
    bylines = client.get(
        reverse("admin:works_authorship_changelist") + f"?author__id__exact={chemist.pk}"
    ).content.decode()

    assert "Quantum dots" in html and "(2019)" in html and "with Ada Lovelace" in html
    assert "Polymer membranes" not in html
    assert "Polymer membranes" in other and "with Marie Curie" in other
    assert f"?author__id__exact={physicist.pk}" in html
    assert "Polymer membranes" in bylines and "Quantum dots" not in bylines
    assert f"#{chemist.pk}" in bylines  # same names, told apart by id and slug


@pytest.mark.django_db
def test_bylines_cannot_be_reassigned_by_hand_in_admin(make_author, make_work, admin_client):
    author, intruder = make_author("Kang Liu"), make_author("Someone Else")
    work = make_work([author])
    authorship = work.authorships.get()
    client, token = admin_client

    page = client.get(reverse("admin:works_authorship_change", args=[authorship.pk]))
    work_page = client.get(reverse("admin:works_work_change", args=[work.pk]))
    client.post(
        reverse("admin:works_authorship_change", args=[authorship.pk]),
        {"csrfmiddlewaretoken": token, "author": intruder.pk, "work": work.pk, "position": 0},
    )

    assert 'name="author"' not in page.content.decode()
    assert 'name="authorships-0-author"' not in work_page.content.decode()
    authorship.refresh_from_db()
    assert authorship.author_id == author.pk


@pytest.mark.django_db
def test_admin_adds_an_author_with_a_slug_and_no_identity_by_hand(admin_client):
    client, token = admin_client
    response = client.post(
        reverse("admin:works_author_add"),
        {
            "csrfmiddlewaretoken": token,
            "display_name": "Grace Hopper",
            "name_variants": "[]",
            "open_to_collaborate": "on",
            "verification_level": "4",
            "orcid": ORCID_A,
        },
    )

    assert response.status_code == 302
    from works.models import Author

    author = Author.objects.get(display_name="Grace Hopper")
    assert author.slug == "grace-hopper"
    assert (author.verification_level, author.orcid) == (VerificationLevel.L0, None)


@pytest.mark.django_db
def test_authors_are_not_deleted_in_admin(make_author, admin_client):
    author = make_author("Kang Liu")
    client, token = admin_client

    delete = client.post(
        reverse("admin:works_author_delete", args=[author.pk]),
        {"csrfmiddlewaretoken": token, "post": "yes"},
    )
    listing = client.get(reverse("admin:works_author_changelist")).content.decode()

    assert delete.status_code == 403 and "delete_selected" not in listing
    assert type(author).objects.filter(pk=author.pk).exists()


@pytest.mark.django_db
def test_daily_digest_mails_staff_only_when_something_waits(
    make_author, make_work, make_user, curator, mailoutbox
):
    from profiles.review_queues import staff_review_digest
    from works.models import DuplicateWorkCandidate

    assert staff_review_digest() == 0 and mailoutbox == []
    DuplicateWorkCandidate.objects.create(
        work_a=make_work(title="Same title"),
        work_b=make_work(title="Same title"),
        reason="same-title",
    )

    assert staff_review_digest() == 1
    assert "Likely duplicate works: 1" in mailoutbox[0].body
    assert mailoutbox[0].to == ["curator@example.org"]
