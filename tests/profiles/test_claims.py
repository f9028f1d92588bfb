"""Claims and verification, end to end with the test client: the three routes, admin
decisions in Django admin, release, disputes, one owner under concurrency, and security."""

from __future__ import annotations

import threading

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db import connection
from django.test import Client

from profiles import claims
from profiles.models import Claim, ClaimDispute, DirtyAuthor
from tests.html import visible_text
from works.models import Author, Institution, VerificationLevel

from .conftest import ORCID_ID

pytestmark = [pytest.mark.sqlite, pytest.mark.usefixtures("clear_cache")]


def _claim_url(author: Author) -> str:
    return f"/researchers/{author.slug}/claim/"


def _text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return visible_text(response.content)


@pytest.fixture
def umich(db) -> Institution:
    return Institution.objects.create(
        display_name="University of Michigan", homepage_url="http://www.umich.edu/"
    )


@pytest.fixture
def admin_user(make_account):
    return make_account("admin@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def evidence_claim(make_author, make_account, logged_in):
    """Route 3 taken through the claim page: a pending claim and its claimant's client."""
    author = make_author("Mingli Song", slug="mingli-song", orcid=ORCID_ID)
    user = make_account("mingli@example.org")
    client = logged_in(user)
    response = client.post(
        _claim_url(author),
        {
            "route": "evidence",
            "links": "https://example.edu/~mingli\nhttps://scholar.example/mingli",
            "note": "This is my record: see my lab page.",
        },
    )
    claim = Claim.objects.get(author=author, user=user)
    assert response.status_code == 302
    assert response["Location"] == f"/claims/{claim.pk}/"
    return claim, client


def _decide(client: Client, claim: Claim, **data):
    return client.post(f"/admin/profiles/claim/{claim.pk}/decide/", data)


# The claim page


def test_claim_page_needs_login_and_comes_back(client, make_author):
    author = make_author()

    response = client.get(_claim_url(author))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={_claim_url(author)}"


def test_claim_page_offers_the_routes_that_fit(make_author, make_account, logged_in, umich):
    author = make_author(orcid=ORCID_ID, last_known_institution=umich)
    client = logged_in(make_account("someone@gmail.com"))

    text = _text(client, _claim_url(author))

    assert "Sign in with ORCID" in text
    assert f"This record's ORCID iD is {ORCID_ID}" in text
    assert "institution is at umich.edu" in text
    assert "Send evidence for review" in text


# Route 1: ORCID


def test_orcid_route_connects_orcid_then_claims_at_once_as_l3(
    make_author,
    make_account,
    logged_in,
    orcid_server,
    orcid_sign_in,
    django_capture_on_commit_callbacks,
):
    author = make_author("Ada Lovelace", orcid=ORCID_ID)
    user = make_account()
    client = logged_in(user)

    response = orcid_sign_in(client, process="connect", next_url=_claim_url(author))
    assert response["Location"] == _claim_url(author)
    assert SocialAccount.objects.get(user=user, provider="orcid").uid == ORCID_ID
    assert "Claim with my ORCID iD" in _text(client, _claim_url(author))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(_claim_url(author), {"route": "orcid"})

    assert response.status_code == 302
    claim = Claim.objects.get(author=author)
    assert (claim.user, claim.status, claim.level) == (user, "approved", 3)
    author.refresh_from_db()
    assert author.verification_level == VerificationLevel.L3
    assert callbacks  # the trust recompute, after commit
    assert author.trust_score is not None  # recomputed with the new level
    text = _text(Client(), author.get_absolute_url())
    assert "Verification L3 · ORCID iD confirmed by sign-in" in text
    assert "Claimed author" in text


def test_orcid_route_never_takes_a_typed_orcid(make_author, make_account, logged_in):
    author = make_author(orcid=ORCID_ID)
    client = logged_in(make_account())

    response = client.post(
        _claim_url(author), {"route": "orcid", "orcid": ORCID_ID, "uid": ORCID_ID}
    )

    assert response.status_code == 400
    assert "not this record's" in visible_text(response.content)
    assert not Claim.objects.exists()


def test_orcid_route_refuses_another_orcid(make_author, make_account, logged_in):
    author = make_author(orcid=ORCID_ID)
    user = make_account()
    SocialAccount.objects.create(user=user, provider="orcid", uid="0000-0001-5109-3700")

    response = logged_in(user).post(_claim_url(author), {"route": "orcid"})

    assert response.status_code == 400
    assert not Claim.objects.exists()


# Route 2: institutional email


def test_email_route_claims_with_a_verified_subdomain_email(
    make_author, make_account, logged_in, umich
):
    author = make_author(last_known_institution=umich)
    user = make_account("ada@cs.umich.edu")
    client = logged_in(user)
    assert "Your verified email ada@cs.umich.edu is at umich.edu" in _text(
        client, _claim_url(author)
    )

    client.post(_claim_url(author), {"route": "email"})

    claim = Claim.objects.get(author=author)
    assert (claim.status, claim.level, claim.route) == ("approved", 3, "email")
    text = _text(client, author.get_absolute_url())
    assert "Verification L3 · Institutional email at umich.edu verified" in text
    assert "You own this record" in text


def test_email_route_refuses_an_unverified_email(make_author, make_account, logged_in, umich):
    author = make_author(last_known_institution=umich)
    user = make_account("ada@umich.edu", verified=False)

    response = logged_in(user).post(_claim_url(author), {"route": "email"})

    assert response.status_code == 400
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("email", "matches"),
    [
        ("a@umich.edu", True),
        ("a@cs.umich.edu", True),
        ("a@UMICH.EDU", True),
        ("a@notumich.edu", False),
        ("a@umich.edu.evil.example", False),
        ("a@evil.example", False),
    ],
)
def test_email_domain_matches_only_the_domain_and_its_subdomains(email, matches):
    assert claims.email_domain_matches(email, "umich.edu") is matches


def test_institution_domains_skip_public_mail_providers(db):
    author = Author(
        last_known_institution=Institution(display_name="X", homepage_url="https://gmail.com")
    )

    assert claims.institution_domains(author) == []


# Route 3: evidence, reviewed in Django admin


def test_evidence_claim_waits_for_review_and_the_claimant_sees_it(evidence_claim):
    claim, client = evidence_claim

    text = _text(client, f"/claims/{claim.pk}/")

    assert claim.status == "pending"
    assert "Pending review" in text
    assert "https://example.edu/~mingli" in text
    profile = _text(client, claim.author.get_absolute_url())
    assert "Your claim on this record is waiting for an admin's review." in profile
    assert "Verification L1" in profile


def test_evidence_claim_submitted_twice_is_one_claim(evidence_claim):
    claim, client = evidence_claim

    client.post(_claim_url(claim.author), {"route": "evidence", "note": "again"})

    assert Claim.objects.filter(author=claim.author).count() == 1


def test_admin_approves_an_evidence_claim_with_a_reason_code_l2(
    evidence_claim, admin_user, logged_in, django_capture_on_commit_callbacks
):
    claim, client = evidence_claim
    admin = logged_in(admin_user)
    assert "This is my record: see my lab page." in visible_text(
        admin.get(f"/admin/profiles/claim/{claim.pk}/decide/").content
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _decide(
            admin, claim, decision="approve", reason_code="evidence_confirmed", note="Lab page ok"
        )

    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.level, claim.decided_by) == ("approved", 2, admin_user)
    assert callbacks
    text = _text(client, f"/claims/{claim.pk}/")
    assert "Approved" in text
    assert "The evidence shows the record is yours" in text
    assert "Lab page ok" in text
    profile = _text(Client(), claim.author.get_absolute_url())
    assert "Verification L2 · Evidence reviewed and approved by an admin" in profile


def test_admin_rejects_with_a_reason_the_claimant_sees(evidence_claim, admin_user, logged_in):
    claim, client = evidence_claim

    _decide(logged_in(admin_user), claim, decision="reject", reason_code="insufficient_evidence")

    claim.refresh_from_db()
    assert claim.status == "rejected"
    text = _text(client, f"/claims/{claim.pk}/")
    assert "Rejected" in text
    assert "The evidence does not show the record is yours" in text
    assert Author.objects.get(pk=claim.author_id).verification_level == VerificationLevel.L1


def test_admin_decision_needs_a_reason_code(evidence_claim, admin_user, logged_in):
    claim, _ = evidence_claim

    response = _decide(logged_in(admin_user), claim, decision="approve", reason_code="")

    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.status == "pending"


def test_nobody_decides_their_own_claim(make_author, make_account, logged_in):
    staff = make_account(is_staff=True, is_superuser=True)
    client = logged_in(staff)
    author = make_author()
    client.post(_claim_url(author), {"route": "evidence", "note": "mine"})
    claim = Claim.objects.get()

    response = _decide(client, claim, decision="approve", reason_code="evidence_confirmed")

    assert "Nobody decides their own claim" in visible_text(response.content)
    claim.refresh_from_db()
    assert claim.status == "pending"
    with pytest.raises(claims.ClaimError):
        claims.claim_decide(
            claim_id=claim.pk, admin=staff, approve=True, reason_code="evidence_confirmed"
        )


def test_admin_raises_a_reviewed_claim_to_l4(evidence_claim, admin_user, logged_in):
    claim, _ = evidence_claim
    admin = logged_in(admin_user)
    _decide(admin, claim, decision="approve", reason_code="evidence_confirmed")

    _decide(admin, claim, decision="raise_l4", note="Checked with the department by phone")

    claim.refresh_from_db()
    assert (claim.level, claim.reason_code) == (4, "curated")
    text = _text(Client(), claim.author.get_absolute_url())
    assert (
        "Verification L4 · Evidence reviewed and approved by an admin · curated by an admin" in text
    )


def test_pending_claim_cannot_be_raised_to_l4(evidence_claim, admin_user):
    claim, _ = evidence_claim

    with pytest.raises(claims.ClaimError):
        claims.claim_raise_to_l4(claim_id=claim.pk, admin=admin_user, note="x")


def test_second_approval_for_an_owned_record_gets_a_clear_message(
    evidence_claim, make_account, logged_in, admin_user
):
    claim, _ = evidence_claim
    rival = make_account()
    logged_in(rival).post(_claim_url(claim.author), {"route": "evidence", "note": "No, mine"})
    rival_claim = Claim.objects.get(user=rival)
    admin = logged_in(admin_user)
    _decide(admin, claim, decision="approve", reason_code="evidence_confirmed")

    response = _decide(admin, rival_claim, decision="approve", reason_code="evidence_confirmed")

    assert "Another researcher has claimed this record" in visible_text(response.content)
    rival_claim.refresh_from_db()
    assert rival_claim.status == "pending"
    assert Claim.objects.filter(author=claim.author, status="approved").count() == 1


# Release and dispute


def test_owner_releases_the_record(
    make_author, make_account, make_owned, logged_in, django_capture_on_commit_callbacks
):
    author = make_author()
    user = make_account()
    claim = make_owned(author, user)
    client = logged_in(user)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/claims/{claim.pk}/release/")

    assert response.status_code == 302
    claim.refresh_from_db()
    author.refresh_from_db()
    assert claim.status == "released"
    assert (author.verification_level, author.verification_evidence) == (1, "")
    assert callbacks
    assert "Unclaimed author" in _text(client, author.get_absolute_url())


def test_another_user_disputes_an_approved_claim_and_an_admin_upholds_it(
    make_author, make_account, make_owned, logged_in, admin_user
):
    author = make_author()
    claim = make_owned(author, make_account())
    disputer = logged_in(make_account())
    assert "Dispute this claim" in _text(disputer, _claim_url(author))

    disputer.post(_claim_url(author), {"route": "dispute", "note": "That is me, not them."})
    dispute = ClaimDispute.objects.get()
    assert dispute.status == "open"
    logged_in(admin_user).post(
        f"/admin/profiles/claimdispute/{dispute.pk}/decide/",
        {"decision": "approve", "note": "Confirmed by email"},
    )

    claim.refresh_from_db()
    author.refresh_from_db()
    assert claim.status == "revoked"
    assert claim.reason_code == "dispute_upheld"
    assert author.verification_level == VerificationLevel.L1


def test_owner_cannot_dispute_their_own_claim(make_author, make_account, make_owned):
    author = make_author()
    user = make_account()
    claim = make_owned(author, user)

    with pytest.raises(claims.ClaimError):
        claims.claim_dispute(claim=claim, user=user, note="?")


# Security


def test_another_users_claim_is_a_404(evidence_claim, make_account, logged_in):
    claim, _ = evidence_claim
    other = logged_in(make_account())

    assert other.get(f"/claims/{claim.pk}/").status_code == 404
    assert other.post(f"/claims/{claim.pk}/release/").status_code == 404


def test_claim_form_ignores_mass_assignment(make_author, make_account, logged_in):
    author = make_author()
    victim = make_account()
    user = make_account()

    logged_in(user).post(
        _claim_url(author),
        {
            "route": "evidence",
            "note": "mine",
            "status": "approved",
            "level": "4",
            "user": str(victim.pk),
            "decided_by": str(user.pk),
            "verification_level": "4",
        },
    )

    claim = Claim.objects.get()
    assert (claim.user, claim.status, claim.level, claim.decided_by) == (
        user,
        "pending",
        None,
        None,
    )
    author.refresh_from_db()
    assert author.verification_level == VerificationLevel.L1


def test_claims_are_rate_limited_per_user(make_author, make_account, logged_in, settings):
    settings.BZPEER_RATE_LIMITS = {**settings.BZPEER_RATE_LIMITS, "claim": "2/h"}
    client = logged_in(make_account())
    authors = [make_author() for _ in range(3)]

    responses = [
        client.post(_claim_url(author), {"route": "evidence", "note": "mine"}) for author in authors
    ]

    assert [r.status_code for r in responses] == [302, 302, 429]
    assert 0 < int(responses[2]["Retry-After"]) <= 3600
    assert "limit" in visible_text(responses[2].content)
    assert Claim.objects.count() == 2


def test_evidence_route_needs_a_verified_email(make_author, make_account, logged_in):
    user = make_account(verified=False)

    response = logged_in(user).post(
        _claim_url(make_author()), {"route": "evidence", "note": "mine"}
    )

    assert response.status_code == 400
    assert not Claim.objects.exists()


def test_get_on_the_claim_page_changes_nothing(make_author, make_account, logged_in, umich):
    author = make_author(last_known_institution=umich)
    client = logged_in(make_account("ada@umich.edu"))

    client.get(_claim_url(author), {"route": "email"})

    assert not Claim.objects.exists()
    assert not DirtyAuthor.objects.exists()


# One owner, enforced by the database, under concurrency (PostgreSQL, two threads)


def _race(*calls):
    """Runs the calls at the same moment in threads of their own; returns result or error."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results[i] = error
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgresql  # row locks under concurrent transactions
@pytest.mark.django_db(transaction=True)
def test_two_people_claiming_at_once_leave_one_owner(make_author, make_account):
    umich = Institution.objects.create(display_name="UMich", homepage_url="https://umich.edu")
    author = make_author(last_known_institution=umich)
    first, second = make_account("a@umich.edu"), make_account("b@umich.edu")

    results = _race(
        lambda: claims.claim_by_email(author=author, user=first),
        lambda: claims.claim_by_email(author=author, user=second),
    )

    assert Claim.objects.filter(author=author, status="approved").count() == 1
    assert sum(isinstance(r, Claim) for r in results) == 1
    [lost] = [r for r in results if not isinstance(r, Claim)]
    assert isinstance(lost, claims.ClaimConflict)
    assert "Another researcher has claimed this record" in str(lost)


@pytest.mark.postgresql  # row locks under concurrent transactions
@pytest.mark.django_db(transaction=True)
def test_two_admins_approving_at_once_leave_one_owner(make_author, make_account):
    author = make_author()
    pending = [
        claims.claim_with_evidence(author=author, user=make_account(), links=[], note="mine")
        for _ in range(2)
    ]
    admins = [make_account(is_staff=True) for _ in range(2)]

    results = _race(
        *(
            lambda c=claim, a=admin: claims.claim_decide(
                claim_id=c.pk, admin=a, approve=True, reason_code="evidence_confirmed"
            )
            for claim, admin in zip(pending, admins, strict=True)
        )
    )

    assert Claim.objects.filter(author=author, status="approved").count() == 1
    assert Claim.objects.filter(author=author, status="pending").count() == 1
    assert sum(isinstance(r, claims.ClaimConflict) for r in results) == 1


def test_unverified_email_rows_do_not_count(make_author, make_account, umich):
    author = make_author(last_known_institution=umich)
    user = make_account("ada@gmail.com")
    EmailAddress.objects.create(user=user, email="ada@umich.edu", verified=False)

    assert claims.matching_institutional_email(author, user) is None


def test_orcid_route_refuses_an_orcid_whose_check_digit_fails(make_author, make_account, logged_in):
    """The same iD on both sides, but not a valid one (bzpeer.lib.ids checks the ISO 7064
    check digit, as imports do): it proves nothing."""
    invalid = "0000-0002-1825-0098"
    author = make_author(orcid=invalid)
    user = make_account()
    SocialAccount.objects.create(user=user, provider="orcid", uid=invalid)

    response = logged_in(user).post(_claim_url(author), {"route": "orcid"})

    assert response.status_code == 400
    assert not Claim.objects.exists()


def test_orcid_route_matches_an_orcid_given_as_a_url(make_author, make_account, logged_in):
    author = make_author(orcid=ORCID_ID)
    user = make_account()
    SocialAccount.objects.create(user=user, provider="orcid", uid=f"https://orcid.org/{ORCID_ID}")

    logged_in(user).post(_claim_url(author), {"route": "orcid"})

    assert Claim.objects.get(author=author, user=user).status == Claim.Status.APPROVED


def test_several_pending_evidence_claims_on_one_record_end_with_one_owner(
    make_author, make_account, logged_in, admin_user
):
    """By design (README): anyone may ask; the reviewer approves one and the rest cannot
    be approved any more."""
    author = make_author()
    claimants = [make_account() for _ in range(2)]
    for user in claimants:
        logged_in(user).post(_claim_url(author), {"route": "evidence", "note": "mine"})
    first, second = Claim.objects.filter(author=author).order_by("pk")
    assert (first.status, second.status) == ("pending", "pending")

    claims.claim_decide(
        claim_id=second.pk, admin=admin_user, approve=True, reason_code="evidence_confirmed"
    )
    with pytest.raises(claims.ClaimConflict):
        claims.claim_decide(
            claim_id=first.pk, admin=admin_user, approve=True, reason_code="evidence_confirmed"
        )
    claims.claim_decide(
        claim_id=first.pk, admin=admin_user, approve=False, reason_code="already_owned"
    )

    statuses = dict(Claim.objects.filter(author=author).values_list("user", "status"))
    assert statuses == {claimants[0].pk: "rejected", claimants[1].pk: "approved"}
