"""Import batches, their undo log, and the curation decisions imports must respect."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .records import Work


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        UNDONE = "undone", "Undone"

    class Format(models.TextChoices):
        # works.imports.registry.FORMATS, and "auto" until the run detects the format
        AUTO = "auto", "Detect from the file"
        OPENALEX = "openalex", "OpenAlex (JSON array or JSON Lines)"
        ARXIV = "arxiv", "arXiv metadata snapshot (JSON Lines)"
        ARXIV_OAI = "arxiv-oai", "arXiv OAI-PMH XML (arXiv / arXivRaw)"
        BIBTEX = "bibtex", "BibTeX"
        CROSSREF = "crossref", "Crossref works (a /works response, a list or JSON Lines)"

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
    # Values this batch offered that a higher source's kept them out (works.imports.merge),
    # and records of the file that were one work, merged: for curators.
    conflicts = models.JSONField(
        default=list, blank=True, help_text="[{work, record, field, kept, kept_by, offered}]"
    )
    merged_records = models.JSONField(
        default=list, blank=True, help_text="records of the file that were the same work"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.format} import of {self.file_name} ({self.status})"


class ImportPart(models.Model):
    """One part of a staged import (works.imports.staged): a file of a split snapshot, or a
    byte range of one large JSON Lines file. Each part is parsed into staging by its own task
    (on the "imports" queue); one final task merges every part in one transaction.

    The row is logged and committed when its part is staged, so progress ("3 of 8 parts")
    survives a crash; what it staged sits in the UNLOGGED StagedRecord table, and `records`
    lets the merge notice rows a server crash lost (the part is staged again).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        STAGED = "staged", "Staged"
        FAILED = "failed", "Failed"

    batch = models.ForeignKey(ImportBatch, models.CASCADE, related_name="parts")
    number = models.PositiveIntegerField(help_text="Order of the part in the batch, from 1")
    path = models.CharField(max_length=1000)
    # bytes [start, end) of `path`; end null: the whole file (any format, gzip allowed)
    start = models.PositiveBigIntegerField(default=0)
    end = models.PositiveBigIntegerField(null=True, blank=True)
    # numbering of the part's first line and record within `path`, for messages
    first_line = models.PositiveBigIntegerField(default=1)
    first_index = models.PositiveBigIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    records_read = models.PositiveIntegerField(default=0)
    records = models.PositiveIntegerField(default=0, help_text="Records staged")
    ignored = models.PositiveIntegerField(default=0, help_text="Record kinds not kept")
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    staged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="works_importpart_unique")
        ]

    def __str__(self) -> str:
        return f"part {self.number} of batch {self.batch_id} ({self.status})"


class StagedRecord(models.Model):
    """A parsed record of an import part, waiting for the merge (works.imports.staged).

    UNLOGGED on PostgreSQL (migration 0013): no WAL for rows that live minutes; a server
    crash empties the table, which the merge detects (ImportPart.records) and restages.
    No foreign key to the batch: the merge and "discard" delete a batch's rows themselves.
    The table also holds `search_document`, the work's search vector computed by the part
    task (PostgreSQL only, declared in the migration as works_work's is).
    """

    pk = models.CompositePrimaryKey("batch_id", "part", "seq")
    batch_id = models.BigIntegerField()
    part = models.PositiveIntegerField()
    seq = models.PositiveIntegerField()
    record = models.BinaryField(help_text="works.imports.staged.codec")

    def __str__(self) -> str:
        return f"staged record {self.batch_id}/{self.part}/{self.seq}"


class ExactJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder keeping a datetime's microseconds: undo restores values exactly."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        return super().default(o)


class BatchChange(models.Model):
    """What one import batch did to one row, kept so that the batch can be undone.

    Written set-based by works.imports.loader (once per chunk): `created` rows are deleted
    on undo; `updated` rows hold only the changed fields' previous values ({attname: value},
    JSON); `authorships_replaced` / `topics_replaced` (object_pk = the work) hold the work's
    previous byline rows (with their pks and institution links) or topic rows; `deleted`
    rows (a name-only author a better byline left without work) hold the whole row.
    """

    class Action(models.TextChoices):
        CREATED = "created", "created"
        UPDATED = "updated", "updated"
        AUTHORSHIPS_REPLACED = "authorships_replaced", "byline replaced"
        TOPICS_REPLACED = "topics_replaced", "topics replaced"
        DELETED = "deleted", "deleted"

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
    "remove authorship" (profiles.curation); read by works.imports.loader once per chunk.
    """

    work = models.ForeignKey(Work, models.CASCADE, related_name="authorship_overrides")
    position = models.PositiveSmallIntegerField()
    name_key = models.CharField(max_length=500)
    author = models.ForeignKey(
        "works.Author",
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
    """Two works that look like one (same or near-identical title, same or adjacent year, or a
    preprint and its published version): for review.

    `work_a` is the older (lower pk) work, kept on merge; `work_b` is emptied when merged,
    and `removed_work` then records what it was. Filled after every import by
    works.imports.duplicates.work_duplicates_find.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MERGED = "merged", "Merged"
        DISMISSED = "dismissed", "Dismissed"

    class Reason(models.TextChoices):
        SAME_TITLE = "same-title", "same title and year"
        SIMILAR_TITLE = "similar-title", "near-identical title, same or adjacent year"
        PREPRINT_PUBLISHED = "preprint-published", "preprint and published version"

    work_a = models.ForeignKey(Work, models.CASCADE, related_name="+")
    work_b = models.ForeignKey(Work, models.CASCADE, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason)
    similarity = models.FloatField(
        default=1.0, help_text="title similarity (pg_trgm on PostgreSQL, difflib on SQLite)"
    )
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


class WorkRedirect(models.Model):
    """The id of a work merged into another: its URL answers 301 to the kept work.

    Written by works.imports.duplicates.work_duplicates_merge, removed by its unmerge.
    """

    old_id = models.BigIntegerField(primary_key=True)
    work = models.ForeignKey(Work, models.CASCADE, related_name="redirects_from")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"work {self.old_id} → {self.work_id}"
