"""The loader's two ways of writing, chosen once per import: the ORM or PostgreSQL COPY.

Everything the loader decides (matching, diffs, admins' decisions, the undo log) is the same
on both; only how the rows reach the tables differs, so both leave identical rows, pks
included (tests/works/test_copy_path.py). COPY (bzpeer.lib.pgcopy) is PostgreSQL's and on
by default there (settings.IMPORT_COPY); the ORM's bulk_create / bulk_update serve SQLite.
Venues, topics and institutions, a few rows a chunk, go through the ORM on both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Protocol

from django.conf import settings
from django.db import connection
from django.db.models import F, Model

from bzpeer.lib import pgcopy
from works.models import Author, Authorship, BatchChange, ImportBatch, Work, WorkTopic

from ..undo import rows_delete

# Records per chunk: each chunk costs a fixed number of queries; COPY makes larger ones pay.
CHUNK_SIZE = 1000
COPY_CHUNK_SIZE = 5000

# A new byline row: (work, author, position, printed name, corresponding, source record).
Byline = tuple[int, int | None, int, str, bool, str]
# A change-log entry: (model label, pk, action, previous values).
Change = tuple[str, int, str, object]

# Authorship columns in COPY order, also the ones an `authorships_replaced` record keeps
# (plus "institutions").
AUTHORSHIP_COLUMNS = (
    "id",
    "work_id",
    "author_id",
    "position",
    "raw_author_name",
    "is_corresponding",
    "source",
    "import_batch_id",
    "source_record",
)


class WriteBackend(Protocol):
    """What the loader asks of a backend; every method writes what it is given, deciding
    nothing."""

    chunk_size: int

    def insert(self, model: type[Model], instances: list[Model]) -> None: ...
    def update(self, model: type[Model], instances: list[Model], fields: Sequence[str]) -> None: ...
    def bylines_delete(self, work_pks: list[int]) -> None: ...
    def bylines_insert(
        self,
        rows: list[Byline],
        institution_pks: list[tuple[int, ...]],
        *,
        source: str,
        batch: ImportBatch | None,
    ) -> None: ...
    def work_topics_insert(self, rows: Iterable[tuple[int, int, float]]) -> None: ...
    def affiliations_fill(self, author_pks: set[int]) -> list[int]: ...
    def changes_write(self, batch: ImportBatch, changes: list[Change]) -> None: ...


class OrmBackend:
    """bulk_create / bulk_update: any database."""

    @property
    def chunk_size(self) -> int:
        return getattr(settings, "IMPORT_CHUNK_SIZE", CHUNK_SIZE)

    def insert(self, model: type[Model], instances: list[Model]) -> None:
        model.objects.bulk_create(instances)

    def update(self, model: type[Model], instances: list[Model], fields: Sequence[str]) -> None:
        model.objects.bulk_update(instances, fields)

    def bylines_delete(self, work_pks: list[int]) -> None:
        Authorship.objects.filter(work_id__any=work_pks).delete()

    def bylines_insert(
        self,
        rows: list[Byline],
        institution_pks: list[tuple[int, ...]],
        *,
        source: str,
        batch: ImportBatch | None,
    ) -> None:
        authorships = [
            Authorship(
                work_id=work_pk,
                author_id=author_pk,
                position=position,
                raw_author_name=raw_name,
                is_corresponding=corresponding,
                source=source,
                import_batch=batch,
                source_record=source_record,
            )
            for work_pk, author_pk, position, raw_name, corresponding, source_record in rows
        ]
        Authorship.objects.bulk_create(authorships)
        through = Authorship.institutions.through
        through.objects.bulk_create(
            through(authorship_id=row.pk, institution_id=pk)
            for row, pks in zip(authorships, institution_pks, strict=True)
            for pk in pks
        )

    def work_topics_insert(self, rows: Iterable[tuple[int, int, float]]) -> None:
        WorkTopic.objects.bulk_create(
            WorkTopic(work_id=pk, topic_id=topic_id, score=score) for pk, topic_id, score in rows
        )

    def affiliations_fill(self, author_pks: set[int]) -> list[int]:
        """Authors among author_pks without a last known institution get the first institution
        of their latest authorship; returns their pks, ascending.

        Latest: the newest year (works without one last), then the earliest byline position,
        the newest work, the first link (pgcopy.affiliations_fill: the same in one UPDATE).
        """
        through = Authorship.institutions.through
        rows = (
            through.objects.filter(
                authorship__author_id__any=author_pks,
                authorship__author__last_known_institution__isnull=True,
            )
            .order_by(
                "authorship__author_id",
                F("authorship__work__year").desc(nulls_last=True),
                "authorship__position",
                "-authorship__work_id",
                "pk",
            )
            .values_list("authorship__author_id", "institution_id")
        )
        found: dict[int, int] = {}
        for author_id, institution_id in rows:
            found.setdefault(author_id, institution_id)
        authors = [Author(pk=pk, last_known_institution_id=i) for pk, i in found.items()]
        Author.objects.bulk_update(authors, ["last_known_institution"])
        return sorted(found)

    def changes_write(self, batch: ImportBatch, changes: list[Change]) -> None:
        BatchChange.objects.bulk_create(
            [
                BatchChange(batch=batch, model=label, object_pk=pk, action=action, previous=prev)
                for label, pk, action, prev in changes
            ],
            batch_size=5000,
        )


class CopyBackend:
    """COPY for the heavy writes: new rows take their pks from the table's sequence in list
    order and are COPY'd in, changed rows are COPY'd to a staging table and written with one
    UPDATE … FROM, missing affiliations are filled with one UPDATE. PostgreSQL only."""

    @property
    def chunk_size(self) -> int:
        return getattr(settings, "IMPORT_COPY_CHUNK_SIZE", COPY_CHUNK_SIZE)

    def insert(self, model: type[Model], instances: list[Model]) -> None:
        extra = {}
        if model is Work and (vectors := _search_documents_given(instances)):
            extra["search_document"] = vectors
        pgcopy.instances_insert(model, instances, extra=extra)

    def update(self, model: type[Model], instances: list[Model], fields: Sequence[str]) -> None:
        pgcopy.instances_update(model, instances, fields)

    def bylines_delete(self, work_pks: list[int]) -> None:
        rows_delete(Authorship, Authorship.objects.filter(work_id__any=work_pks))

    def bylines_insert(
        self,
        rows: list[Byline],
        institution_pks: list[tuple[int, ...]],
        *,
        source: str,
        batch: ImportBatch | None,
    ) -> None:
        batch_pk = batch.pk if batch else None
        pks = pgcopy.pks_take(Authorship, len(rows))
        pgcopy.copy_rows(
            Authorship._meta.db_table,
            AUTHORSHIP_COLUMNS,
            (
                (pk, work_pk, author_pk, position, name, corresponding, source, batch_pk, rec)
                for pk, (work_pk, author_pk, position, name, corresponding, rec) in zip(
                    pks, rows, strict=True
                )
            ),
        )
        pgcopy.copy_rows(
            Authorship.institutions.through._meta.db_table,
            ("authorship_id", "institution_id"),
            (
                (authorship_pk, institution_pk)
                for authorship_pk, institutions in zip(pks, institution_pks, strict=True)
                for institution_pk in institutions
            ),
        )

    def work_topics_insert(self, rows: Iterable[tuple[int, int, float]]) -> None:
        pgcopy.copy_rows(WorkTopic._meta.db_table, ("work_id", "topic_id", "score"), rows)

    def affiliations_fill(self, author_pks: set[int]) -> list[int]:
        return pgcopy.affiliations_fill(author_pks)

    def changes_write(self, batch: ImportBatch, changes: list[Change]) -> None:
        encode = BatchChange._meta.get_field("previous").encoder
        pgcopy.copy_rows(
            BatchChange._meta.db_table,
            ["batch_id", "model", "object_pk", "action", "previous"],
            (
                (batch.pk, label, pk, action, _json(previous, encode))
                for label, pk, action, previous in changes
            ),
        )


def _search_documents_given(works: list[Work]) -> list[str | None] | None:
    """The search vectors a staged import computed for these new works, where the title and
    abstract are still those it computed them from (None: the trigger computes it); None
    when there is none."""
    vectors = []
    for work in works:
        given = getattr(work, "search_document_given", None)
        fits = given is not None and given[0] == work.title and given[1] == work.abstract
        vectors.append(given[2] if fits else None)
    return vectors if any(v is not None for v in vectors) else None


def backend_choose() -> WriteBackend:
    """COPY on PostgreSQL unless settings.IMPORT_COPY is off; the ORM elsewhere."""
    if connection.vendor == "postgresql" and getattr(settings, "IMPORT_COPY", True):
        return CopyBackend()
    return OrmBackend()


def _json(value, encoder) -> str | None:
    """A change's previous values as the JSONField would store them."""
    return None if value is None else json.dumps(value, cls=encoder)
