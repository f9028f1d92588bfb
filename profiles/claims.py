"""Claims and verification, and disputes about an owner (what owners change: profiles.owner).

Routes to a claim (README, "Accounts, claims and verification"):
  1. ORCID: the user's ORCID iD from an ORCID sign-in (allauth SocialAccount, provider
     "orcid") equals the record's ORCID → approved at once, L3. A typed iD is never evidence.
  2. Institutional email: a verified email (allauth EmailAddress) whose domain is the
     record's institution's homepage domain, or a subdomain of it → approved at once, L3.
  3. Evidence (links, a note) → pending; an admin approves (L2) or rejects it with a reason
     code, and may later raise a reviewed claim to L4. Nobody decides their own claim.

Exactly one owner per record: the partial unique constraint
profiles_claim_one_approved_per_author decides between two approvals racing each other;
the loser gets ClaimConflict with a message to show. Every change of owner or level marks
the author dirty for the trust engine, which recomputes after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db import IntegrityError, transaction
from django.utils import timezone

from bzpeer.lib.events import Why, authors_changed_announce
from bzpeer.lib.ids import normalize_orcid
from bzpeer.lib.outbox.services import enqueue_on_commit
from works.models import Author, VerificationLevel

from .models import AuthorAuditLog, Claim, ClaimDispute, FeaturedWork

MAX_EVIDENCE_LINKS = 5
EVIDENCE_ORCID = "ORCID iD confirmed by sign-in"
EVIDENCE_EMAIL = "Institutional email at {domain} verified"
EVIDENCE_REVIEWED = "Evidence reviewed and approved by an admin"
EVIDENCE_CURATED = "{evidence} · curated by an admin"
# Mailbox providers anyone can sign up with: never an institution's domain.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "163.com",
        "126.com",
        "mail.ru",
        "yandex.ru",
        "gmx.de",
        "web.de",
    }
)


class ClaimError(Exception):
    """A claim action that cannot be done: the message is shown to the user as is."""


class ClaimConflict(ClaimError):
    """Someone else became the record's owner first."""


ALREADY_OWNED = "Another researcher has claimed this record. If it is yours, you can dispute it."


# --- reads -------------------------------------------------------------------------------


def author_owner_claim(author: Author) -> Claim | None:
    """The approved claim (with its user) that makes someone the record's owner."""
    return (
        Claim.objects.filter(author=author, status=Claim.Status.APPROVED)
        .select_related("user")
        .first()
    )


def user_orcid_ids(user) -> set[str]:
    """ORCID iDs this user proved by signing in with ORCID (never typed in); an iD whose
    check digit fails is none."""
    uids = SocialAccount.objects.filter(user=user, provider="orcid").values_list("uid", flat=True)
    return {orcid for uid in uids if (orcid := normalize_orcid(uid))}


def institution_domains(author: Author) -> list[str]:
    """Homepage domains of the record's institution and its parent ("www." dropped)."""
    institution = author.last_known_institution
    domains: list[str] = []
    seen = 0
    while institution is not None and seen < 3:
        host = (urlsplit(institution.homepage_url).hostname or "").lower().removeprefix("www.")
        if "." in host and host not in PUBLIC_MAIL_DOMAINS and host not in domains:
            domains.append(host)
        institution = institution.parent
        seen += 1
    return domains


def email_domain_matches(email: str, domain: str) -> bool:
    """cs.umich.edu matches umich.edu; umich.edu.evil.example and notumich.edu do not."""
    email_domain = email.rpartition("@")[2].lower().rstrip(".")
    return email_domain == domain or email_domain.endswith("." + domain)


def matching_institutional_email(author: Author, user) -> tuple[str, str] | None:
    """(email, domain) of one of the user's verified emails at the record's institution."""
    domains = institution_domains(author)
    if not domains:
        return None
    emails = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    for email in emails:
        for domain in domains:
            if email_domain_matches(email, domain):
                return email, domain
    return None


def user_has_verified_email(user) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


@dataclass(frozen=True)
class ClaimRoutes:
    """What the claim page offers this user for this record."""

    owner: Claim | None
    own_claims: list[Claim]
    record_orcid: str
    user_orcids: set[str]
    institution_domains: list[str]
    matching_email: tuple[str, str] | None
    has_verified_email: bool

    @property
    def orcid_matches(self) -> bool:
        record = normalize_orcid(self.record_orcid)
        return record is not None and record in self.user_orcids

    @property
    def pending(self) -> Claim | None:
        return next((c for c in self.own_claims if c.status == Claim.Status.PENDING), None)


def claim_routes(*, author: Author, user) -> ClaimRoutes:
    return ClaimRoutes(
        owner=author_owner_claim(author),
        own_claims=list(Claim.objects.filter(author=author, user=user).order_by("-created_at")),
        record_orcid=author.orcid or "",
        user_orcids=user_orcid_ids(user),
        institution_domains=institution_domains(author),
        matching_email=matching_institutional_email(author, user),
        has_verified_email=user_has_verified_email(user),
    )


# --- writes: claiming --------------------------------------------------------------------


def _claim_changed(author_ids) -> None:
    """Level, evidence or owner moved: trust and the author's cached pages follow."""
    authors_changed_announce(author_ids, why=Why.CLAIM, sender=_claim_changed)


def _owner_words(user) -> str | None:
    return f"{user} (user #{user.pk})" if user is not None else None


def _audit_claim(claim: Claim, *, action: str, actor, before: dict, after: dict, reason: str):
    """The claim decision in the author's audit log: level, evidence and owner, both sides."""
    AuthorAuditLog.objects.create(
        action=action,
        actor=actor,
        author_id=claim.author_id,
        reason=reason[:255],
        before={"author": before},
        after={"author": after},
        details={"claim": claim.pk, "route": claim.route, "reason_code": claim.reason_code},
    )


def _check_not_owned(author: Author, user, *, exclude_pk: int | None = None) -> None:
    owner = Claim.objects.filter(author=author, status=Claim.Status.APPROVED)
    if exclude_pk:
        owner = owner.exclude(pk=exclude_pk)
    owner_user_id = owner.values_list("user_id", flat=True).first()
    if owner_user_id is None:
        return
    if owner_user_id == user.pk:
        raise ClaimError("You already own this record.")
    raise ClaimConflict(ALREADY_OWNED)


def _approve(
    claim: Claim, *, level: int, summary: str, reason_code: str, decided_by=None, note=""
) -> Claim:
    """Makes the claim the record's one approved claim and gives the record its level.

    The caller's transaction holds; the savepoint lets a lost race (IntegrityError on the
    one-owner constraint) turn into ClaimConflict without breaking that transaction.
    """
    author = Author.objects.only("verification_level", "verification_evidence").get(
        pk=claim.author_id
    )
    now = timezone.now()
    claim.status = Claim.Status.APPROVED
    claim.level = level
    claim.evidence_summary = summary[:255]
    claim.reason_code = reason_code
    claim.decision_reason = note[:255]
    claim.decided_by = decided_by
    claim.decided_at = now
    claim.previous_level = author.verification_level
    claim.previous_evidence = author.verification_evidence
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError as error:
        raise ClaimConflict(ALREADY_OWNED) from error
    Author.objects.filter(pk=claim.author_id).update(
        verification_level=level, verification_evidence=summary[:255], updated_at=now
    )
    _audit_claim(
        claim,
        action=AuthorAuditLog.Action.CLAIM,
        actor=decided_by or claim.user,
        before={
            "verification_level": f"L{author.verification_level}",
            "verification_evidence": author.verification_evidence,
            "owner": None,
        },
        after={
            "verification_level": f"L{level}",
            "verification_evidence": summary[:255],
            "owner": _owner_words(claim.user),
        },
        reason=note or Claim.Reason(reason_code).label,
    )
    _claim_changed([claim.author_id])
    return claim


@transaction.atomic
def claim_by_orcid(*, author: Author, user) -> Claim:
    """Route 1. Only an ORCID iD proved by signing in counts; request data is never read."""
    if not author.orcid:
        raise ClaimError("This record has no ORCID iD to compare with.")
    record = normalize_orcid(author.orcid)
    if record is None or record not in user_orcid_ids(user):
        raise ClaimError(
            "The ORCID iD you signed in with is not this record's. Use another route instead."
        )
    _check_not_owned(author, user)
    claim = Claim(author=author, user=user, route=Claim.Route.ORCID)
    return _approve(
        claim,
        level=VerificationLevel.L3,
        summary=EVIDENCE_ORCID,
        reason_code=Claim.Reason.ORCID_MATCH,
    )


@transaction.atomic
def claim_by_email(*, author: Author, user) -> Claim:
    """Route 2: one of the user's verified emails is at the record's institution."""
    match = matching_institutional_email(author, user)
    if match is None:
        raise ClaimError(
            "None of your verified emails is at this record's institution. "
            "Add and verify one under Account, or use another route."
        )
    _check_not_owned(author, user)
    email, domain = match
    claim = Claim(
        author=author, user=user, route=Claim.Route.EMAIL, evidence_links=f"mailto:{email}"
    )
    return _approve(
        claim,
        level=VerificationLevel.L3,
        summary=EVIDENCE_EMAIL.format(domain=domain),
        reason_code=Claim.Reason.EMAIL_DOMAIN,
    )


@transaction.atomic
def claim_with_evidence(*, author: Author, user, links: list[str], note: str) -> Claim:
    """Route 3: a pending claim for an admin to review. A second submit changes nothing."""
    if not user_has_verified_email(user):
        raise ClaimError("Verify your email address before you claim a record.")
    _check_not_owned(author, user)
    existing = Claim.objects.filter(author=author, user=user, status=Claim.Status.PENDING).first()
    if existing:
        return existing
    claim = Claim(
        author=author,
        user=user,
        route=Claim.Route.EVIDENCE,
        evidence=note.strip(),
        evidence_links="\n".join(links[:MAX_EVIDENCE_LINKS]),
    )
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError:  # the same claim, submitted twice at once
        return Claim.objects.get(author=author, user=user, status=Claim.Status.PENDING)
    staff_tell(f"A claim on {author}")
    return claim


def staff_tell(what: str) -> None:
    """Staff get an email once the new item commits (a task through the outbox: the request
    never waits on the broker, and the email is sent when the broker is back)."""
    from .tasks import staff_waiting_notify  # the tasks module imports this one

    enqueue_on_commit(staff_waiting_notify, what)


def require_reviewer(claim_user_id: int, admin) -> None:
    if not (admin.is_active and admin.is_staff):
        raise ClaimError("Only an admin decides claims.")
    if claim_user_id == admin.pk:
        raise ClaimError("Nobody decides their own claim: another admin has to.")


@transaction.atomic
def claim_decide(*, claim_id: int, admin, approve: bool, reason_code: str, note: str = "") -> Claim:
    """An admin approves (L2) or rejects a pending claim, with a reason code."""
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    require_reviewer(claim.user_id, admin)
    if claim.status != Claim.Status.PENDING:
        raise ClaimError(f"This claim was already decided ({claim.get_status_display()}).")
    if reason_code not in Claim.Reason.values:
        raise ClaimError("Choose a reason code.")
    if approve:
        _check_not_owned(claim.author, claim.user)
        return _approve(
            claim,
            level=VerificationLevel.L2,
            summary=EVIDENCE_REVIEWED,
            reason_code=reason_code,
            decided_by=admin,
            note=note,
        )
    claim.status = Claim.Status.REJECTED
    claim.reason_code = reason_code
    claim.decision_reason = note[:255]
    claim.decided_by = admin
    claim.decided_at = timezone.now()
    claim.save()
    return claim


@transaction.atomic
def claim_raise_to_l4(*, claim_id: int, admin, note: str) -> Claim:
    """An admin's documented review of an approved claim: the record becomes L4."""
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    require_reviewer(claim.user_id, admin)
    if claim.status != Claim.Status.APPROVED:
        raise ClaimError("Only an approved claim can be raised to L4.")
    if claim.level == VerificationLevel.L4:
        raise ClaimError("This claim is already at L4.")
    if not note.strip():
        raise ClaimError("Document the review in the note.")
    before = {
        "verification_level": f"L{claim.level}",
        "verification_evidence": claim.evidence_summary,
    }
    claim.level = VerificationLevel.L4
    claim.evidence_summary = EVIDENCE_CURATED.format(evidence=claim.evidence_summary)[:255]
    claim.reason_code = Claim.Reason.CURATED
    claim.decision_reason = note[:255]
    claim.decided_by = admin
    claim.decided_at = timezone.now()
    claim.save()
    Author.objects.filter(pk=claim.author_id).update(
        verification_level=VerificationLevel.L4,
        verification_evidence=claim.evidence_summary,
        updated_at=claim.decided_at,
    )
    _audit_claim(
        claim,
        action=AuthorAuditLog.Action.CLAIM,
        actor=admin,
        before=before,
        after={"verification_level": "L4", "verification_evidence": claim.evidence_summary},
        reason=note,
    )
    _claim_changed([claim.author_id])
    return claim


def _end_ownership(claim: Claim, *, status: str, actor=None, reason: str = "") -> None:
    """The record goes back to the level and evidence it had before the claim, and has no
    owner: level, evidence and ownership change together, in the audit log as one entry."""
    now = timezone.now()
    before = {
        "verification_level": f"L{claim.level}" if claim.level is not None else None,
        "verification_evidence": claim.evidence_summary,
        "owner": _owner_words(claim.user),
    }
    claim.status = status
    claim.decided_at = now
    claim.save()
    previous = claim.previous_level if claim.previous_level is not None else VerificationLevel.L1
    level = min(previous, VerificationLevel.L1)
    # evidence of an unclaimed level is kept; a claim's evidence never outlives its claim
    evidence = claim.previous_evidence if previous <= VerificationLevel.L1 else ""
    Author.objects.filter(pk=claim.author_id).update(
        verification_level=level, verification_evidence=evidence, updated_at=now
    )
    FeaturedWork.objects.filter(author_id=claim.author_id).delete()
    _audit_claim(
        claim,
        action=AuthorAuditLog.Action.REVOKE,
        actor=actor or claim.user,
        before=before,
        after={"verification_level": f"L{level}", "verification_evidence": evidence, "owner": None},
        reason=reason or claim.get_status_display(),
    )
    _claim_changed([claim.author_id])


@transaction.atomic
def claim_release(*, claim_id: int, user) -> Claim:
    """The owner gives the record up; it is unclaimed again (L1, or L0 if it was)."""
    claim = Claim.objects.select_for_update().get(pk=claim_id, user=user)
    if claim.status != Claim.Status.APPROVED:
        raise ClaimError("Only a record you own can be released.")
    _end_ownership(claim, status=Claim.Status.RELEASED)
    return claim


@transaction.atomic
def claim_dispute(*, claim: Claim, user, note: str) -> ClaimDispute:
    """Another user says an approved claim is wrong; an admin reviews it."""
    if claim.user_id == user.pk:
        raise ClaimError("You cannot dispute your own claim.")
    if claim.status != Claim.Status.APPROVED:
        raise ClaimError("Only an approved claim can be disputed.")
    if not user_has_verified_email(user):
        raise ClaimError("Verify your email address before you dispute a claim.")
    existing = ClaimDispute.objects.filter(
        claim=claim, user=user, status=ClaimDispute.Status.OPEN
    ).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            dispute = ClaimDispute.objects.create(claim=claim, user=user, note=note.strip())
    except IntegrityError:
        return ClaimDispute.objects.get(claim=claim, user=user, status=ClaimDispute.Status.OPEN)
    staff_tell(f"A dispute about the claim on {claim.author}")
    return dispute


@transaction.atomic
def dispute_decide(*, dispute_id: int, admin, uphold: bool, note: str = "") -> ClaimDispute:
    """Upheld: the claim is revoked and the record unclaimed. Dismissed: nothing changes."""
    dispute = ClaimDispute.objects.select_for_update().select_related("claim").get(pk=dispute_id)
    if not (admin.is_active and admin.is_staff):
        raise ClaimError("Only an admin decides disputes.")
    if admin.pk in (dispute.user_id, dispute.claim.user_id):
        raise ClaimError("Nobody decides a dispute they are part of: another admin has to.")
    if dispute.status != ClaimDispute.Status.OPEN:
        raise ClaimError("This dispute was already decided.")
    dispute.status = ClaimDispute.Status.UPHELD if uphold else ClaimDispute.Status.DISMISSED
    dispute.decision_reason = note[:255]
    dispute.decided_by = admin
    dispute.decided_at = timezone.now()
    dispute.save()
    if uphold:
        claim = Claim.objects.select_for_update().get(pk=dispute.claim_id)
        if claim.status == Claim.Status.APPROVED:
            claim.reason_code = Claim.Reason.DISPUTE_UPHELD
            claim.decision_reason = note[:255]
            claim.decided_by = admin
            _end_ownership(
                claim, status=Claim.Status.REVOKED, actor=admin, reason=note or "dispute upheld"
            )
    return dispute


@transaction.atomic
def claim_revoke(*, claim_id: int, admin, reason: str) -> Claim:
    """An admin ends an approved claim (instead of deleting it): the record loses its owner
    and goes back to the level and evidence it had before, and the claim stays as history."""
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    if not (admin.is_active and admin.is_staff):
        raise ClaimError("Only an admin revokes claims.")
    if claim.status != Claim.Status.APPROVED:
        raise ClaimError("Only an approved claim can be revoked.")
    if not reason.strip():
        raise ClaimError("Give a reason: the claimant and the audit log see it.")
    claim.reason_code = Claim.Reason.REVOKED
    claim.decision_reason = reason.strip()[:255]
    claim.decided_by = admin
    _end_ownership(claim, status=Claim.Status.REVOKED, actor=admin, reason=reason.strip())
    return claim
