"""The scholarly record: works, their venues, topics and bylines."""

from __future__ import annotations

from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils.text import slugify


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

    def get_absolute_url(self) -> str:
        # "<id>-<slug>": the id keeps the URL stable, the slug only reads well (a renamed
        # topic's old slug redirects to the new one, works.discovery_views)
        return reverse(
            "discovery:topic", kwargs={"pk": self.pk, "slug": slugify(self.name) or "topic"}
        )


# A list shows this many names of a byline, then "and N more" (a paper can have thousands).
BYLINE_LENGTH = 10
# The printed name of the byline slot without an author that stands for co-authors a source
# did not list (works.imports.records.OTHERS): shown as "co-authors not imported".
UNLISTED_COAUTHORS = "others"


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
        unlisted = Q(author__isnull=True, raw_author_name=UNLISTED_COAUTHORS)
        authors_total = (
            Authorship.objects.filter(work=OuterRef("pk"))
            .exclude(unlisted)
            .order_by()
            .values("work")
            .annotate(n=Count("pk"))
            .values("n")
        )
        byline_unlisted = Exists(Authorship.objects.filter(unlisted, work=OuterRef("pk")))
        return (
            self.select_related("venue")
            .annotate(authors_total=Subquery(authors_total), byline_unlisted=byline_unlisted)
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
    # NULL: no source gave a count (arXiv, BibTeX), shown as nothing rather than "cited by 0"
    cited_by_count = models.PositiveIntegerField(null=True, blank=True)
    language = models.CharField(max_length=10, blank=True)

    source = models.CharField(max_length=20, blank=True)
    import_batch = models.ForeignKey(
        "works.ImportBatch", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The record the row was created from: "<OpenAlex id / arXiv id / BibTeX key> (line N)".
    source_record = models.CharField(max_length=255, blank=True)
    # Which source (and batch) set each field: {"title": ["openalex", 12], ...}; a field not
    # listed was set by `source`. The loader writes it with the values (works.imports.merge).
    field_sources = models.JSONField(default=dict, blank=True, editable=False)
    # Values lower sources offered and the precedence kept out, for a curator to choose:
    # {"year": {"bibtex": 2017}, "venue_id": {"arxiv": 3}}.
    conflicts = models.JSONField(default=dict, blank=True, editable=False)
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
            # alone, without reading thousands of wide rows for a hub; author_works_facets:
            # count them by (year, type) likewise, where a hub's join read the whole table
            # (PostgreSQL; SQLite builds it without the included columns)
            models.Index(
                fields=["id"], include=["year", "title_key", "type"], name="works_work_listing_idx"
            ),
            # the duplicate finder's typo-tolerant title match (pg_trgm, PostgreSQL only:
            # created by migration 0008, not here, so SQLite builds without it)
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
        "works.Author",
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
        "works.Institution", blank=True, related_name="authorships"
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
            # (profiles.trust_engine.close_collaborator_counts: JOIN works_authorship theirs ON
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
