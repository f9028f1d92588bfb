from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Prefetch
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


class WorkQuerySet(models.QuerySet):
    def for_listing(self) -> WorkQuerySet:
        """Newest first, with what a work item shows, in a fixed number of queries."""
        return (
            self.select_related("venue")
            .prefetch_related(
                Prefetch(
                    "authorships",
                    queryset=Authorship.objects.select_related("author").order_by("position"),
                )
            )
            .order_by("-year", "title", "pk")
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
    doi = models.CharField("DOI", max_length=255, unique=True, null=True, blank=True)
    arxiv_id = models.CharField("arXiv id", max_length=40, unique=True, null=True, blank=True)
    openalex_id = models.CharField(max_length=20, unique=True, null=True, blank=True)
    # Titles and abstracts are kept as the source wrote them (LaTeX included) and turned into
    # text when shown; title_key is the normalised title used to match records without ids.
    title = models.TextField()
    title_key = models.CharField(max_length=255, db_index=True, editable=False)
    abstract = models.TextField(blank=True)
    code_url = models.URLField(max_length=500, blank=True)
    cited_by_count = models.PositiveIntegerField(default=0)
    language = models.CharField(max_length=10, blank=True)

    source = models.CharField(max_length=20, blank=True)
    import_batch = models.ForeignKey(
        "works.ImportBatch", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "title"]

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
    work = models.ForeignKey(Work, models.CASCADE, related_name="authorships")
    # Null when the source names an author it has no record for (OpenAlex author.id: null).
    author = models.ForeignKey(
        "profiles.Author", models.SET_NULL, null=True, blank=True, related_name="authorships"
    )
    position = models.PositiveSmallIntegerField(help_text="0-based order in the byline")
    raw_author_name = models.CharField(max_length=500)
    is_corresponding = models.BooleanField(default=False)
    institutions = models.ManyToManyField(
        "profiles.Institution", blank=True, related_name="authorships"
    )
    source = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["work", "position"]
        constraints = [
            models.UniqueConstraint(fields=["work", "position"], name="works_authorship_position"),
        ]
        indexes = [
            # profile page and trust facts: an author's works; co-author self-joins
            models.Index(fields=["author", "work"], name="works_authorship_author_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.raw_author_name} on {self.work_id}"


class WorkTopic(models.Model):
    work = models.ForeignKey(Work, models.CASCADE, related_name="work_topics")
    topic = models.ForeignKey(Topic, models.CASCADE, related_name="work_topics")
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

    format = models.CharField(max_length=20)
    file_name = models.CharField(max_length=500)
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

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.format} import of {self.file_name} ({self.status})"
