from __future__ import annotations

import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse


class Venue(models.Model):
    openalex_id = models.CharField(max_length=20, unique=True, null=True, blank=True)
    name = models.CharField(max_length=500, db_index=True)
    issn_l = models.CharField("ISSN-L", max_length=9, blank=True)
    type = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    class Source(models.TextChoices):
        OPENALEX_TOPIC = "openalex-topic", "OpenAlex topic"
        OPENALEX_CONCEPT = "openalex-concept", "OpenAlex concept"
        ARXIV = "arxiv", "arXiv category"

    source = models.CharField(max_length=20, choices=Source)
    external_id = models.CharField(max_length=80, help_text="Id within the source")
    name = models.CharField(max_length=255)
    level = models.CharField(max_length=20, blank=True, help_text="domain, field, subfield…")
    parent = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="children"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="works_topic_unique_source_id"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# A list shows this many names of a byline, then "and N more" (a paper can have thousands).
BYLINE_LENGTH = 10


class WorkQuerySet(models.QuerySet):
    def for_listing(self, *, author_id: int | None = None) -> WorkQuerySet:
        """Newest first, with what a work item shows, in a fixed number of queries.

        Each work brings at most BYLINE_LENGTH names of its byline (work.byline) plus the
        listed author's own place in it, and the byline's length (work.authors_total), so a
        page of hub papers costs what a page of small ones does.
        """
        shown = Q(position__lt=BYLINE_LENGTH)
        if author_id is not None:
            shown |= Q(author_id=author_id)
        byline = (
            Authorship.objects.filter(shown)
            .select_related("author")
            .only(
                "work_id",
                "position",
                "raw_author_name",
                "author__slug",
                "author__display_name",
                "author__hidden",
            )
            .order_by("position")
        )
        authors_total = (
            Authorship.objects.filter(work=OuterRef("pk"))
            .order_by()
            .values("work")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            self.select_related("venue")
            .annotate(authors_total=Subquery(authors_total))
            .prefetch_related(Prefetch("authorships", queryset=byline, to_attr="byline"))
            .order_by(*Work.LISTING_ORDER)
        )


class Work(models.Model):
    class Type(models.TextChoices):
        ARTICLE = "article", "article"
        PREPRINT = "preprint", "preprint"
        REVIEW = "review", "review"
        BOOK = "book", "book"
        BOOK_CHAPTER = "book-chapter", "book chapter"
        PROCEEDINGS = "proceedings-article", "proceedings article"
        DISSERTATION = "dissertation", "dissertation"
        DATASET = "dataset", "dataset"
        OTHER = "other", "other"

    type = models.CharField(max_length=30, choices=Type, default=Type.ARTICLE)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    publication_date = models.DateField(null=True, blank=True)
    venue = models.ForeignKey(Venue, models.SET_NULL, null=True, blank=True, related_name="works")
    # Unique through Meta.constraints: a unique=True CharField also gets a LIKE index on
    # PostgreSQL, which equality lookups of ids never use and every insert pays for. NULL,
    # not '', stands for a missing id: unique among the rows that have one.
    doi = models.CharField("DOI", max_length=255, null=True, blank=True)  # noqa: DJ001
    arxiv_id = models.CharField("arXiv id", max_length=40, null=True, blank=True)  # noqa: DJ001
    openalex_id = models.CharField(max_length=20, null=True, blank=True)  # noqa: DJ001
    # Titles and abstracts are kept as the source wrote them (LaTeX included) and turned into
    # text when shown; title_key is the normalised title used to match records without ids.
    title = models.TextField()
    # indexed in Meta.indexes: one pattern-ops index serves both equality (import matching)
    # and prefixes (the duplicate finder)
    title_key = models.CharField(max_length=255, editable=False)
    abstract = models.TextField(blank=True)
    code_url = models.URLField(max_length=500, blank=True)
    cited_by_count = models.PositiveIntegerField(default=0)
    language = models.CharField(max_length=10, blank=True)

    source = models.CharField(max_length=20, blank=True)
    import_batch = models.ForeignKey(
        "works.ImportBatch", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The record the row was created from: "<OpenAlex id / arXiv id / BibTeX key> (line N)".
    source_record = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkQuerySet.as_manager()

    # Newest first, then alphabetically; a work without a year goes last on every database
    # (PostgreSQL would put it first). The same order reached from an author's authorships.
    LISTING_ORDER = (models.F("year").desc(nulls_last=True), "title_key", "pk")
    LISTING_ORDER_VIA_AUTHORSHIP = (
        models.F("work__year").desc(nulls_last=True),
        "work__title_key",
        "work_id",
    )

    class Meta:
        ordering = ["-year", "title"]
        constraints = [
            models.UniqueConstraint(fields=["doi"], name="works_work_doi_key"),
            models.UniqueConstraint(fields=["arxiv_id"], name="works_work_arxiv_id_key"),
            models.UniqueConstraint(fields=["openalex_id"], name="works_work_openalex_id_key"),
        ]
        indexes = [
            models.Index(
                fields=["title_key"],
                name="works_work_title_key_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            # author_works_page: sort an author's works by (year, title key) from the index
            # alone, without reading thousands of wide rows for a hub (PostgreSQL; SQLite
            # builds it without the included columns)
            models.Index(
                fields=["id"], include=["year", "title_key"], name="works_work_listing_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("works:detail", kwargs={"pk": self.pk})

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else ""

    @property
    def venue_label(self) -> str:
        return self.venue.name if self.venue else ""


class Authorship(models.Model):
    # Neither key gets an index of its own: the composite indexes below lead with each, and
    # every index is paid for on each of an import's millions of rows.
    work = models.ForeignKey(Work, models.CASCADE, related_name="authorships", db_index=False)
    # Null when the source names an author it has no record for (OpenAlex author.id: null).
    author = models.ForeignKey(
        "profiles.Author",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="authorships",
        db_index=False,
    )
    position = models.PositiveSmallIntegerField(help_text="0-based order in the byline")
    raw_author_name = models.CharField(max_length=500)
    is_corresponding = models.BooleanField(default=False)
    institutions = models.ManyToManyField(
        "profiles.Institution", blank=True, related_name="authorships"
    )
    source = models.CharField(max_length=20, blank=True)
    import_batch = models.ForeignKey(
        "works.ImportBatch", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_record = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["work", "position"]
        constraints = [
            models.UniqueConstraint(fields=["work", "position"], name="works_authorship_position"),
        ]
        indexes = [
            # profile page and trust facts: an author's works; co-author self-joins
            models.Index(fields=["author", "work"], name="works_authorship_author_idx"),
            # trust engine, the co-author side of the close-collaborator self-join
            # (profiles.services.close_collaborator_counts: JOIN works_authorship theirs ON
            # theirs.work_id = mine.work_id, reading theirs.author_id): index-only, no heap
            # visit per co-author row. Also serves the works list's byline prefetch.
            models.Index(fields=["work", "author"], name="works_authorship_coauthor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.raw_author_name} on {self.work_id}"


class WorkTopic(models.Model):
    # indexed by the two composite indexes below, each key leading one
    work = models.ForeignKey(Work, models.CASCADE, related_name="work_topics", db_index=False)
    topic = models.ForeignKey(Topic, models.CASCADE, related_name="work_topics", db_index=False)
    score = models.FloatField(default=1.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["work", "topic"], name="works_worktopic_once"),
        ]
        indexes = [models.Index(fields=["topic", "work"], name="works_worktopic_topic_idx")]

    def __str__(self) -> str:
        return f"{self.work_id} about {self.topic_id}"


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        UNDONE = "undone", "Undone"

    class Format(models.TextChoices):
        # the keys of works.services.IMPORTERS, and "auto" until the run detects the format
        AUTO = "auto", "Detect from the file"
        OPENALEX = "openalex", "OpenAlex (JSON array or JSON Lines)"
        ARXIV = "arxiv", "arXiv metadata snapshot (JSON Lines)"
        ARXIV_OAI = "arxiv-oai", "arXiv OAI-PMH XML (arXiv / arXivRaw)"
        BIBTEX = "bibtex", "BibTeX"

    format = models.CharField(max_length=20, choices=Format, default=Format.AUTO)
    file_name = models.CharField(max_length=500)
    # Uploaded through the admin; batches of the import_works command name a path instead.
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True, max_length=500)
    bytes_total = models.PositiveBigIntegerField(default=0, help_text="Size of the file")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    skip_bad = models.BooleanField(default=False, help_text="Skip bad records instead of failing")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    records_read = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True, help_text="created / updated / …")
    errors = models.JSONField(default=list, blank=True, help_text="[{line, record, message}]")
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.format} import of {self.file_name} ({self.status})"


class ExactJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder keeping a datetime's microseconds: undo restores values exactly."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        return super().default(o)


class BatchChange(models.Model):
    """What one import batch did to one row, kept so that the batch can be undone.

    Written set-based by works.loader (one bulk_create per chunk): `created` rows are deleted
    on undo; `updated` rows hold only the changed fields' previous values ({attname: value},
    JSON); `authorships_replaced` / `topics_replaced` (object_pk = the work) hold the work's
    previous byline rows (with their pks and institution links) or topic rows.
    """

    class Action(models.TextChoices):
        CREATED = "created", "created"
        UPDATED = "updated", "updated"
        AUTHORSHIPS_REPLACED = "authorships_replaced", "byline replaced"
        TOPICS_REPLACED = "topics_replaced", "topics replaced"

    # indexed by works_batchchange_batch_idx, which it leads
    batch = models.ForeignKey(ImportBatch, models.CASCADE, related_name="changes", db_index=False)
    model = models.CharField(max_length=40, help_text="app_label.model_name")
    object_pk = models.BigIntegerField()
    action = models.CharField(max_length=20, choices=Action)
    previous = models.JSONField(null=True, blank=True, encoder=ExactJSONEncoder)

    class Meta:
        indexes = [
            models.Index(fields=["batch", "model", "action"], name="works_batchchange_batch_idx"),
            # undo: "did a later batch change the same rows?"
            models.Index(fields=["model", "object_pk"], name="works_batchchange_object_idx"),
        ]

    def __str__(self) -> str:
        return f"batch {self.batch_id}: {self.action} {self.model} {self.object_pk}"


class AuthorshipOverride(models.Model):
    """An admin's decision about one byline slot, re-applied by every later import.

    The slot is the work plus the normalised printed name (`name_key`); `position` tells two
    identical names on one byline apart. `author` is the decided author, or null when the
    authorship was removed (the loader then leaves it out). Written by merge, split and
    "remove authorship" (profiles.services); read by works.loader once per chunk.
    """

    work = models.ForeignKey(Work, models.CASCADE, related_name="authorship_overrides")
    position = models.PositiveSmallIntegerField()
    name_key = models.CharField(max_length=500)
    author = models.ForeignKey(
        "profiles.Author",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="authorship_overrides",
        help_text="Empty: the authorship was removed and is never re-added",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["work", "name_key", "position"], name="works_override_one_per_slot"
            ),
        ]

    def __str__(self) -> str:
        decided = f"author {self.author_id}" if self.author_id else "removed"
        return f"work {self.work_id}, {self.name_key!r} at {self.position}: {decided}"


class DuplicateWorkCandidate(models.Model):
    """Two works that look like one (same or near-identical title, same year): for review.

    `work_a` is the older (lower pk) work, kept on merge; `work_b` is emptied when merged,
    and `removed_work` then records what it was. Filled by works.services.work_duplicates_find
    after every import.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MERGED = "merged", "Merged"
        DISMISSED = "dismissed", "Dismissed"

    class Reason(models.TextChoices):
        SAME_TITLE = "same-title", "same title and year"
        SIMILAR_TITLE = "similar-title", "near-identical title, same year"

    work_a = models.ForeignKey(Work, models.CASCADE, related_name="+")
    work_b = models.ForeignKey(Work, models.CASCADE, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason)
    similarity = models.FloatField(default=1.0, help_text="difflib ratio of the title keys")
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    removed_work = models.JSONField(default=dict, blank=True, help_text="the merged-away work")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["work_a", "work_b"], name="works_duplicate_pair_once"),
            models.CheckConstraint(
                condition=models.Q(work_b__isnull=True) | models.Q(work_a__lt=models.F("work_b")),
                name="works_duplicate_pair_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="works_duplicate_status_idx")
        ]

    def __str__(self) -> str:
        return f"works {self.work_a_id} / {self.work_b_id or '-'} ({self.status})"
