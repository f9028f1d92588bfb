"""People and places of the scholarly record: authors and institutions as sources name them.

What people do with a record (claim, follow, score it) lives in the profiles app, above.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from bzpeer.lib.names import normalize_name


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
        # The table predates the model's move from profiles to works: kept, no data moved.
        db_table = "profiles_institution"
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        # "<id>-<slug>", as Topic's: stable ids, readable slugs
        slug = slugify(self.display_name) or "institution"
        return reverse("discovery:institution", kwargs={"pk": self.pk, "slug": slug})

    @property
    def ror_url(self) -> str:
        return f"https://ror.org/{self.ror}" if self.ror else ""


class AuthorQuerySet(models.QuerySet):
    def public(self) -> AuthorQuerySet:
        return self.filter(merged_into__isnull=True)

    def for_profile(self) -> AuthorQuerySet:
        return self.select_related("last_known_institution")

    def listed(self) -> AuthorQuerySet:
        """What search and lists show: not merged, not hidden at the owner's request."""
        return self.public().filter(hidden=False)

    def search(self, query: str) -> AuthorQuerySet:
        """Authors whose name or a variant contains every word of the query."""
        qs = self.listed()
        for word in normalize_name(query).split():
            qs = qs.filter(search_names__contains=word)
        return qs


class Author(models.Model):
    slug = models.SlugField(max_length=140, unique=True)
    display_name = models.CharField(max_length=255)
    name_variants = models.JSONField(default=list, blank=True)
    # Lower-case, accent-free forms: name_key matches name-only records from BibTeX and
    # arXiv; search_names (display name and variants) serves the home page search.
    name_key = models.CharField(max_length=255, editable=False)  # indexed in Meta.indexes
    search_names = models.TextField(blank=True, editable=False)
    bio = models.TextField(blank=True)
    last_known_institution = models.ForeignKey(
        Institution, models.SET_NULL, null=True, blank=True, related_name="authors"
    )
    open_to_collaborate = models.BooleanField(default=True)
    # Consent / opt-out: the owner asked for the profile to leave public pages and lists.
    hidden = models.BooleanField(
        default=False, help_text="Hidden from public pages at the owner's request"
    )

    # Unique through Meta.constraints: a unique=True CharField also gets a LIKE index on
    # PostgreSQL, which equality lookups of ids never use and every insert pays for. NULL,
    # not '', stands for a missing id: unique among the rows that have one.
    openalex_id = models.CharField(max_length=20, null=True, blank=True)  # noqa: DJ001
    orcid = models.CharField("ORCID iD", max_length=19, null=True, blank=True)  # noqa: DJ001
    dblp_pid = models.CharField("DBLP pid", max_length=40, null=True, blank=True)  # noqa: DJ001
    arxiv_name = models.CharField("arXiv name", max_length=255, blank=True)

    verification_level = models.PositiveSmallIntegerField(
        choices=VerificationLevel, default=VerificationLevel.L0
    )
    verification_evidence = models.CharField(max_length=255, blank=True)

    # Written by the trust engine (profiles.trust_engine.trust_scores_recompute), never by hand.
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
    source_record = models.CharField(max_length=255, blank=True)
    # Which source (and batch) set each field: {"display_name": ["openalex", 12]}; a field not
    # listed was set by `source` (works.imports.merge).
    field_sources = models.JSONField(default=dict, blank=True, editable=False)
    # Set by the loader when the name mixes scripts or looks like another author's name
    # letter for letter (Cyrillic 'а' for Latin 'a'): such names are never matched, only flagged.
    confusable_name = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuthorQuerySet.as_manager()

    class Meta:
        db_table = "profiles_author"  # as Institution's: the table predates the move
        ordering = ["display_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["openalex_id"], name="profiles_author_openalex_id_key"),
            models.UniqueConstraint(fields=["orcid"], name="profiles_author_orcid_key"),
            models.UniqueConstraint(fields=["dblp_pid"], name="profiles_author_dblp_pid_key"),
        ]
        indexes = [
            models.Index(fields=["name_key"], name="profiles_author_name_key_idx"),
            # home page: "recently updated profiles" (selectors.authors_recently_updated:
            # ORDER BY updated_at DESC, id DESC LIMIT 12). With the id in the index the top 12
            # are read off it; on updated_at alone, ties (a bulk import stamps thousands of
            # rows alike) made PostgreSQL sort the whole table (1 s at 600k authors).
            models.Index(fields=["-updated_at", "-id"], name="profiles_author_updated_idx"),
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
