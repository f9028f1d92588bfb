"""Claims on author records and disputes about them (services: profiles/claims.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from works.models import Author, VerificationLevel


class AdminDecision(models.Model):
    """A request an admin decides on: who decided, when and why."""

    decision_reason = models.CharField("decision note", max_length=255, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Claim(AdminDecision):
    """A user's claim to be the person behind an author record (services: profiles/claims.py)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        RELEASED = "released", "Released"
        REVOKED = "revoked", "Revoked"

    class Route(models.TextChoices):
        ORCID = "orcid", "ORCID sign-in"
        EMAIL = "email", "Institutional email"
        EVIDENCE = "evidence", "Evidence reviewed by an admin"

    class Reason(models.TextChoices):
        ORCID_MATCH = "orcid_match", "The ORCID iD confirmed by sign-in matches the record"
        EMAIL_DOMAIN = "email_domain", "A verified email belongs to the record's institution"
        EVIDENCE_CONFIRMED = "evidence_confirmed", "The evidence shows the record is yours"
        CURATED = "curated", "An admin reviewed the claim and curated the record"
        INSUFFICIENT = "insufficient_evidence", "The evidence does not show the record is yours"
        MISMATCH = "identity_mismatch", "The record belongs to another person"
        ALREADY_OWNED = "already_owned", "Another researcher already owns this record"
        DISPUTE_UPHELD = "dispute_upheld", "A dispute about this claim was upheld"
        REVOKED = "revoked", "An admin revoked the claim"
        OTHER = "other", "Other: see the note"

    author = models.ForeignKey(Author, models.CASCADE, related_name="claims")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="claims")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    route = models.CharField(max_length=10, choices=Route, default=Route.EVIDENCE)
    # What the claimant submitted (route 3): a note and links, one a line. Shown escaped.
    evidence = models.TextField("note", blank=True)
    evidence_links = models.TextField(blank=True)
    # What earned the level, as the profile shows it ("ORCID iD confirmed by sign-in").
    evidence_summary = models.CharField(max_length=255, blank=True)
    level = models.PositiveSmallIntegerField(choices=VerificationLevel, null=True, blank=True)
    reason_code = models.CharField(max_length=30, choices=Reason, blank=True)
    # The record's level and evidence before the approval, restored on release or revocation.
    previous_level = models.PositiveSmallIntegerField(
        choices=VerificationLevel, null=True, blank=True
    )
    previous_evidence = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # one owner per author record, enforced by the database, not by a view
            models.UniqueConstraint(
                fields=["author"],
                condition=Q(status="approved"),
                name="profiles_claim_one_approved_per_author",
            ),
            # a double submit never queues two reviews of the same claim
            models.UniqueConstraint(
                fields=["author", "user"],
                condition=Q(status="pending"),
                name="profiles_claim_one_pending_per_user",
            ),
        ]
        indexes = [
            # the admin's review queue: pending claims, oldest first
            models.Index(fields=["status", "created_at"], name="profiles_claim_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.author} ({self.status})"


class ClaimDispute(AdminDecision):
    """Another user says an approved claim is wrong: an admin reviews it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        UPHELD = "upheld", "Upheld: the claim was revoked"
        DISMISSED = "dismissed", "Dismissed"

    claim = models.ForeignKey(Claim, models.CASCADE, related_name="disputes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    note = models.TextField()
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "user"],
                condition=Q(status="open"),
                name="profiles_dispute_one_open_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} disputes claim {self.claim_id} ({self.status})"
