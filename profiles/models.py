from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from works.models import Author, VerificationLevel


class Follow(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="follows")
    author = models.ForeignKey(Author, models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # a double click never counts twice
            models.UniqueConstraint(fields=["user", "author"], name="profiles_follow_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.author}"


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
        REVOKED = "revoked", "Revoked after a dispute"

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


class TrustSnapshot(models.Model):
    author = models.ForeignKey(Author, models.CASCADE, related_name="trust_snapshots")
    score = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=20)
    level = models.PositiveSmallIntegerField(choices=VerificationLevel)
    factors = models.JSONField(help_text="Each component's inputs and points")
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-computed_at", "-pk"]
        indexes = [
            # "Why this score" and the history chart: latest snapshots of one author
            models.Index(fields=["author", "-computed_at"], name="profiles_snapshot_author_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.score} ({self.band})"


class DirtyAuthor(models.Model):
    """An author whose trust score and cached counts wait for the trust engine.

    A narrow table of ids rather than a flag on Author: marking is an upsert of a 16-byte
    row, not a new version of a wide, often-read author row (PostgreSQL rewrites the whole
    tuple on every UPDATE), and the claim query reads only this table. The beat task
    profiles.tasks.trust_dirty_recompute claims rows with FOR UPDATE SKIP LOCKED and deletes
    them in the transaction that recomputes the authors, so a crash puts them back.
    """

    author = models.OneToOneField(
        Author, models.CASCADE, primary_key=True, related_name="+", db_column="author_id"
    )
    marked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"author {self.author_id} dirty since {self.marked_at:%Y-%m-%d %H:%M:%S}"


class AuthorAuditLog(models.Model):
    """Every merge, split and removal an admin made, with what it moved (append-only)."""

    class Action(models.TextChoices):
        MERGE = "merge", "merge"
        SPLIT = "split", "split"
        REMOVE = "remove", "remove authorship"

    action = models.CharField(max_length=10, choices=Action)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # merge: the kept author / the merged one; split: the author the authorships left / the
    # author they went to; remove: the author the authorships left.
    author = models.ForeignKey(
        Author, models.SET_NULL, null=True, blank=True, related_name="audit_log"
    )
    other_author = models.ForeignKey(
        Author, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.author_id} / {self.other_author_id}"


# --- accounts, claims, owner edits, direct collaboration (profiles/claims.py, collaboration.py)


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


class UserProfile(models.Model):
    """A user's own settings (not an author record): the follow digest opt-in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, primary_key=True, related_name="profile"
    )
    follow_digest = models.BooleanField(
        "email me a digest of new works by researchers I follow", default=False
    )
    follow_digest_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"settings of {self.user}"


class FeaturedWork(models.Model):
    """A work the record's owner puts first on the profile."""

    author = models.ForeignKey(Author, models.CASCADE, related_name="featured")
    work = models.ForeignKey("works.Work", models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["author", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["author", "work"], name="profiles_featured_once"),
        ]

    def __str__(self) -> str:
        return f"{self.author_id} features {self.work_id}"


class WorkHiddenRequest(AdminDecision):
    """An owner's "not mine" on a work: hidden from the profile while an admin reviews it;
    approval splits the authorship off the record (profiles.services.authorships_split)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved: split off"
        REJECTED = "rejected", "Rejected"

    author = models.ForeignKey(Author, models.CASCADE, related_name="hidden_work_requests")
    work = models.ForeignKey("works.Work", models.CASCADE, related_name="+")
    authorship = models.ForeignKey(
        "works.Authorship", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "work"],
                condition=Q(status="pending"),
                name="profiles_hidden_work_pending_once",
            ),
        ]

    def __str__(self) -> str:
        return f"not mine: work {self.work_id} on {self.author_id} ({self.status})"


class Invitation(models.Model):
    """A direct invitation to the owner of a claimed, open-to-collaborate record."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    author = models.ForeignKey(Author, models.CASCADE, related_name="invitations")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="invitations_sent"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="invitations_received"
    )
    subject = models.CharField(max_length=120)
    message = models.TextField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # the inbox: a recipient's invitations, newest first
            models.Index(fields=["recipient", "-created_at"], name="profiles_invitation_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sender} → {self.recipient}: {self.subject}"


class Conversation(models.Model):
    """Opened by an accepted invitation; only its two participants can read it."""

    invitation = models.OneToOneField(Invitation, models.CASCADE, related_name="conversation")
    author = models.ForeignKey(Author, models.CASCADE, related_name="+")
    starter = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return f"conversation {self.pk}: {self.starter} and {self.owner}"

    def get_absolute_url(self) -> str:
        return reverse("profiles:conversation", kwargs={"pk": self.pk})

    def other(self, user):
        return self.owner if user.pk == self.starter_id else self.starter


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"message {self.pk} in conversation {self.conversation_id}"
