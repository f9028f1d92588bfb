from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from .names import normalize_name


class VerificationLevel(models.IntegerChoices):
    L0 = 0, "L0 · known by name only"
    L1 = 1, "L1 · imported from an open scholarly source"
    L2 = 2, "L2 · claim approved by an admin"
    L3 = 3, "L3 · claim backed by checked evidence"
    L4 = 4, "L4 · curated by an admin"


class Institution(models.Model):
    openalex_id = models.CharField(max_length=20, unique=True, null=True, blank=True)
    ror = models.CharField("ROR id", max_length=20, unique=True, null=True, blank=True)
    display_name = models.CharField(max_length=500)
    country_code = models.CharField(max_length=2, blank=True)
    type = models.CharField(max_length=40, blank=True)
    homepage_url = models.URLField(max_length=500, blank=True)
    # OpenAlex lineage: the first ancestor above this institution, if any.
    parent = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="children"
    )

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


class AuthorQuerySet(models.QuerySet):
    def public(self) -> AuthorQuerySet:
        return self.filter(merged_into__isnull=True)

    def for_profile(self) -> AuthorQuerySet:
        return self.select_related("last_known_institution")

    def search(self, query: str) -> AuthorQuerySet:
        """Authors whose name or a variant contains every word of the query."""
        qs = self.public()
        for word in normalize_name(query).split():
            qs = qs.filter(search_names__contains=word)
        return qs


class Author(models.Model):
    slug = models.SlugField(max_length=140, unique=True)
    display_name = models.CharField(max_length=255)
    name_variants = models.JSONField(default=list, blank=True)
    # Lower-case, accent-free forms: name_key matches name-only records from BibTeX and
    # arXiv; search_names (display name and variants) serves the home page search.
    name_key = models.CharField(max_length=255, db_index=True, editable=False)
    search_names = models.TextField(blank=True, editable=False)
    bio = models.TextField(blank=True)
    last_known_institution = models.ForeignKey(
        Institution, models.SET_NULL, null=True, blank=True, related_name="authors"
    )
    open_to_collaborate = models.BooleanField(default=True)

    openalex_id = models.CharField(max_length=20, unique=True, null=True, blank=True)
    orcid = models.CharField("ORCID iD", max_length=19, unique=True, null=True, blank=True)
    dblp_pid = models.CharField("DBLP pid", max_length=40, unique=True, null=True, blank=True)
    arxiv_name = models.CharField("arXiv name", max_length=255, blank=True)

    verification_level = models.PositiveSmallIntegerField(
        choices=VerificationLevel, default=VerificationLevel.L0
    )
    verification_evidence = models.CharField(max_length=255, blank=True)

    # Written by the trust engine (profiles.services.trust_scores_recompute), never by hand.
    trust_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    trust_band = models.CharField(max_length=20, blank=True, editable=False)
    trust_computed_at = models.DateTimeField(null=True, blank=True, editable=False)
    works_count = models.PositiveIntegerField(default=0, editable=False)
    followers_count = models.PositiveIntegerField(default=0, editable=False)
    topics_count = models.PositiveIntegerField(default=0, editable=False)
    close_collaborators_count = models.PositiveIntegerField(default=0, editable=False)

    merged_into = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="merged_authors"
    )
    source = models.CharField(max_length=20, blank=True, help_text="Where the record came from")
    import_batch = models.ForeignKey(
        "works.ImportBatch", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuthorQuerySet.as_manager()

    class Meta:
        ordering = ["display_name", "pk"]
        indexes = [
            # home page: "recently updated profiles"
            models.Index(fields=["-updated_at"], name="profiles_author_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs) -> None:
        self.name_key = normalize_name(self.display_name)
        self.search_names = search_names_for(self.display_name, self.name_variants)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("profiles:detail", kwargs={"slug": self.slug})

    @property
    def is_claimed(self) -> bool:
        return self.verification_level >= VerificationLevel.L2

    @property
    def orcid_url(self) -> str:
        return f"https://orcid.org/{self.orcid}" if self.orcid else ""

    @property
    def openalex_url(self) -> str:
        return f"https://openalex.org/{self.openalex_id}" if self.openalex_id else ""


def search_names_for(display_name: str, variants: list[str]) -> str:
    names = dict.fromkeys(normalize_name(n) for n in [display_name, *variants] if n)
    return " | ".join(names)


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


class Claim(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        RELEASED = "released", "Released"

    author = models.ForeignKey(Author, models.CASCADE, related_name="claims")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="claims")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    evidence = models.TextField(blank=True)
    decision_reason = models.CharField(max_length=255, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # one owner per author record, enforced by the database, not by a view
            models.UniqueConstraint(
                fields=["author"],
                condition=Q(status="approved"),
                name="profiles_claim_one_approved_per_author",
            ),
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
