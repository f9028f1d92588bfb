"""Undoing an import batch from its BatchChange rows (imports.loader says what they hold).

import_batch_undo owns the transaction, the checks on the batch itself and the announcement
of the authors it touched; undo_plan / undo_conflicts / undo_apply plan, check and restore.

Policy for rows touched after the batch (well defined, refused rather than guessed):
- a later batch that is not undone changed a row this batch changed or created
  (same model and pk in its BatchChange rows): refused; undo the later batch first;
- a row this batch created is used by a row it did not write (an authorship moved to one of
  its authors, a follow, a claim, an admin decision, a merge, a later work's venue, topic
  or institution link): refused, since deleting it would change that row too.
Admin edits made by hand to rows the batch updated are overwritten with the values before
the batch; admins' AuthorshipOverride decisions are kept and re-applied by the next import.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import models, transaction
from django.db.models import Exists, Min, Model, OuterRef, Q, QuerySet
from django.db.models.deletion import get_candidate_relations_to_delete
from django.utils import timezone

from bzpeer.lib.events import Why, authors_changed_announce
from bzpeer.lib.locks import import_lock
from works.models import (
    Author,
    Authorship,
    AuthorshipOverride,
    BatchChange,
    ImportBatch,
    Institution,
    Topic,
    Venue,
    Work,
    WorkTopic,
)
from works.signals import authors_deletion_blockers

logger = logging.getLogger(__name__)

# Deletion order: works first (their bylines and topics go with them), then what they used.
MODELS: dict[str, type[Model]] = {
    model._meta.label_lower: model for model in (Work, Author, Topic, Venue, Institution)
}
Action = BatchChange.Action
# pks per set-based delete: bounds the statement size, not a query per row
DELETE_CHUNK = 10_000


@dataclass
class UndoPlan:
    created: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    # {model label: {pk: {attname: value before the batch}}}, earliest value per field
    updated: dict[str, dict[int, dict]] = field(default_factory=lambda: defaultdict(dict))
    bylines: dict[int, list[dict]] = field(default_factory=dict)
    topics: dict[int, list[list]] = field(default_factory=dict)
    # {model label: {pk: the whole row}}: rows the batch deleted, put back first
    deleted: dict[str, dict[int, dict]] = field(default_factory=lambda: defaultdict(dict))

    @property
    def is_empty(self) -> bool:
        return not (self.created or self.updated or self.bylines or self.topics or self.deleted)


@dataclass
class UndoResult:
    deleted: dict[str, int] = field(default_factory=dict)
    restored: dict[str, int] = field(default_factory=dict)
    bylines_restored: int = 0
    topics_restored: int = 0
    touched_author_ids: set[int] = field(default_factory=set)

    def summary(self) -> str:
        parts = [f"{label}: {n} deleted" for label, n in self.deleted.items() if n]
        parts += [f"{label}: {n} restored" for label, n in self.restored.items() if n]
        if self.bylines_restored:
            parts.append(f"{self.bylines_restored} bylines restored")
        if self.topics_restored:
            parts.append(f"{self.topics_restored} topic lists restored")
        return "; ".join(parts) or "nothing to undo"


def undo_plan(batch: ImportBatch) -> UndoPlan:
    """Reads the batch's changes once (streamed) into what undo must do per row."""
    plan = UndoPlan()
    rows = (
        BatchChange.objects.filter(batch=batch)
        .order_by("pk")
        .values_list("model", "object_pk", "action", "previous")
        .iterator(chunk_size=5000)
    )
    for label, pk, action, previous in rows:
        if action == Action.CREATED:
            plan.created[label].add(pk)
        elif action == Action.UPDATED:
            values = plan.updated[label].setdefault(pk, {})
            for name, value in (previous or {}).items():
                values.setdefault(name, value)  # the first change holds the value before
        elif action == Action.AUTHORSHIPS_REPLACED:
            plan.bylines.setdefault(pk, previous or [])
        elif action == Action.TOPICS_REPLACED:
            plan.topics.setdefault(pk, previous or [])
        elif action == Action.DELETED:
            plan.deleted[label][pk] = previous
    # rows the batch created are deleted: their updates and bylines need no restoring
    for label, pks in plan.created.items():
        for pk in pks:
            plan.updated.get(label, {}).pop(pk, None)
    created_works = plan.created.get("works.work", set())
    for pk in created_works:
        plan.bylines.pop(pk, None)
        plan.topics.pop(pk, None)
    return plan


def undo_conflicts(batch: ImportBatch, plan: UndoPlan) -> list[str]:
    """Why the batch cannot be undone now (empty when it can); a fixed number of queries."""
    problems = []
    mine = BatchChange.objects.filter(batch=batch)
    first = mine.aggregate(first=Min("pk"))["first"]
    if first is not None:
        later = (
            BatchChange.objects.filter(pk__gt=first)
            .exclude(batch=batch)
            .exclude(batch__status=ImportBatch.Status.UNDONE)
            .filter(Exists(mine.filter(model=OuterRef("model"), object_pk=OuterRef("object_pk"))))
            .values_list("batch_id", flat=True)
            .distinct()
        )
        if later_ids := sorted(set(later)):
            ids = ", ".join(f"#{pk}" for pk in later_ids)
            problems.append(f"later batches changed the same records: undo {ids} first")

    created = plan.created
    authors = created.get("works.author", set())
    institutions = created.get("works.institution", set())
    venues = created.get("works.venue", set())
    topics = created.get("works.topic", set())
    works = created.get("works.work", set())
    updated_authors = {
        pk
        for pk, values in plan.updated.get("works.author", {}).items()
        if "last_known_institution_id" in values
    }
    updated_venue_works = {
        pk for pk, values in plan.updated.get("works.work", {}).items() if "venue_id" in values
    }
    topic_works = works | set(plan.topics)
    checks: list[tuple[str, QuerySet]] = []
    if authors:
        checks += [
            (
                "authorships it did not write credit authors it created",
                Authorship.objects.filter(author_id__in=authors).filter(
                    ~Q(import_batch=batch) | Q(import_batch__isnull=True)
                ),
            ),
            (
                "authors were merged into authors it created",
                Author.objects.filter(merged_into_id__in=authors),
            ),
            (
                "admins assigned authorships to authors it created",
                AuthorshipOverride.objects.filter(author_id__in=authors),
            ),
        ]
    if institutions:
        through = Authorship.institutions.through
        checks += [
            (
                "authorships it did not write link institutions it created",
                through.objects.filter(institution_id__in=institutions).filter(
                    ~Q(authorship__import_batch=batch) | Q(authorship__import_batch__isnull=True)
                ),
            ),
            (
                "other authors' affiliations are institutions it created",
                Author.objects.filter(last_known_institution_id__in=institutions).exclude(
                    pk__in=authors | updated_authors
                ),
            ),
            (
                "other institutions have parents it created",
                Institution.objects.filter(parent_id__in=institutions).exclude(
                    pk__in=institutions | set(plan.updated.get("works.institution", {}))
                ),
            ),
        ]
    if venues:
        checks.append(
            (
                "other works appear in venues it created",
                Work.objects.filter(venue_id__in=venues).exclude(
                    pk__in=works | updated_venue_works
                ),
            )
        )
    if topics:
        checks += [
            (
                "other works have topics it created",
                WorkTopic.objects.filter(topic_id__in=topics).exclude(work_id__in=topic_works),
            ),
            (
                "other topics have parents it created",
                Topic.objects.filter(parent_id__in=topics).exclude(
                    pk__in=topics | set(plan.updated.get("works.topic", {}))
                ),
            ),
        ]
    for message, queryset in checks:
        if queryset.exists():
            problems.append(message)
    if authors:
        # What other apps hold on these authors (followers, claims): they answer for it.
        for _, reasons in authors_deletion_blockers.send(sender=undo_conflicts, author_ids=authors):
            problems.extend(reasons)
    return problems


def undo_apply(plan: UndoPlan) -> UndoResult:
    """Restores the rows in reverse order of the load: values, bylines, topics, deletions.

    Set-based: per model one read and one bulk_update for the updated rows, one delete and
    one bulk_create each for bylines (rows keep their pks and institution links) and topics,
    one delete per model for the created rows.
    """
    result = UndoResult()
    byline_works = set(plan.bylines) | plan.created.get("works.work", set())
    if byline_works:
        result.touched_author_ids.update(
            Authorship.objects.filter(work_id__in=byline_works, author__isnull=False)
            .values_list("author_id", flat=True)
            .distinct()
        )
    if plan.topics:
        result.touched_author_ids.update(
            Authorship.objects.filter(work_id__in=plan.topics, author__isnull=False)
            .values_list("author_id", flat=True)
            .distinct()
        )

    # 0. rows the batch deleted come back as they were (bylines below point at them)
    for label, deleted in plan.deleted.items():
        model = MODELS[label]
        rows = [
            model(
                **{
                    name: model._meta.get_field(name).to_python(value)
                    for name, value in row.items()
                }
            )
            for row in deleted.values()
        ]
        stamps = {r.pk: (r.created_at, r.updated_at) for r in rows}
        model.objects.bulk_create(rows)  # which sets auto_now(_add) fields: put them back
        for r in rows:
            r.created_at, r.updated_at = stamps[r.pk]
        model.objects.bulk_update(rows, ["created_at", "updated_at"])
        result.restored[label] = result.restored.get(label, 0) + len(deleted)

    # 1. fields the batch changed get their previous values back
    for label, changes in plan.updated.items():
        model = MODELS[label]
        instances = model.objects.in_bulk(list(changes))
        fields: set[str] = set()
        for pk, values in changes.items():
            instance = instances.get(pk)
            if instance is None:
                continue  # deleted since, by hand
            for name, value in values.items():
                model_field = model._meta.get_field(name)
                setattr(instance, model_field.attname, model_field.to_python(value))
                fields.add(model_field.name)
        if fields and instances:
            model.objects.bulk_update(instances.values(), sorted(fields), batch_size=1000)
        result.restored[label] = result.restored.get(label, 0) + len(instances)
        if model is Author:
            result.touched_author_ids.update(instances)

    # 2. bylines the batch replaced: the previous rows, as they were
    if plan.bylines:
        through = Authorship.institutions.through
        Authorship.objects.filter(work_id__in=plan.bylines).delete()
        rows = [row for previous in plan.bylines.values() for row in previous]
        Authorship.objects.bulk_create(
            [Authorship(**{k: v for k, v in row.items() if k != "institutions"}) for row in rows],
            batch_size=2000,
        )
        through.objects.bulk_create(
            [
                through(pk=link_pk, authorship_id=row["id"], institution_id=institution_id)
                for row in rows
                for link_pk, institution_id in row["institutions"]
            ],
            batch_size=5000,
        )
        result.touched_author_ids.update(r["author_id"] for r in rows if r["author_id"])
        result.bylines_restored = len(plan.bylines)

    # 3. topic lists the batch replaced
    if plan.topics:
        WorkTopic.objects.filter(work_id__in=plan.topics).delete()
        WorkTopic.objects.bulk_create(
            [
                WorkTopic(pk=pk, work_id=work_pk, topic_id=topic_id, score=score)
                for work_pk, previous in plan.topics.items()
                for pk, topic_id, score in previous
            ],
            batch_size=5000,
        )
        result.topics_restored = len(plan.topics)

    # 4. rows the batch created go, works first
    for label, model in MODELS.items():
        pks = sorted(plan.created.get(label, ()))
        for start in range(0, len(pks), DELETE_CHUNK):
            rows_delete(model, model._base_manager.filter(pk__in=pks[start : start + DELETE_CHUNK]))
        if pks:
            result.deleted[label] = len(pks)
    result.touched_author_ids -= plan.created.get("works.author", set())
    return result


def rows_delete(model: type[Model], rows: QuerySet) -> None:
    """Deletes `rows` and what cascades from them with one statement per relation.

    Django's QuerySet.delete() loads every row and deletes in batches of 100; this follows
    the same on_delete rules (CASCADE, SET_NULL, DO_NOTHING) set-based, with subqueries, in
    a number of queries fixed by the schema. Any other rule (PROTECT, RESTRICT, SET…) falls
    back to Django's delete for that relation. No delete signals are sent (none are used).
    """
    for relation in get_candidate_relations_to_delete(model._meta):
        fk = relation.field
        on_delete = fk.remote_field.on_delete
        related = relation.related_model._base_manager.filter(**{f"{fk.name}__in": rows})
        if on_delete is models.CASCADE:
            rows_delete(relation.related_model, related)
        elif on_delete is models.SET_NULL:
            related.update(**{fk.name: None})
        elif on_delete is not models.DO_NOTHING:
            related.delete()
    rows._raw_delete(rows.db)


class BatchUndoRefused(Exception):
    """The batch cannot be undone (not finished, already undone, or later changes)."""


@transaction.atomic
def import_batch_undo(*, batch: ImportBatch, user) -> UndoResult:
    """Rolls a finished batch back in one transaction (the rules: this module's docstring).

    Rows it created are deleted, fields it changed get their previous values, bylines and
    topic lists it replaced come back with their original rows. Refused when a later batch
    changed the same rows or something outside the batch uses a row it created. The batch
    is marked undone; the authors it touched get their trust recomputed after commit.
    """
    import_lock()  # no import writes while the batch is taken apart
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportBatch.Status.SUCCEEDED:
        raise BatchUndoRefused(
            f"only a succeeded batch can be undone; this one is {batch.get_status_display()}"
        )
    plan = undo_plan(batch)
    if problems := undo_conflicts(batch, plan):
        raise BatchUndoRefused("cannot undo this batch: " + "; ".join(problems))
    result = undo_apply(plan)
    batch.status = ImportBatch.Status.UNDONE
    batch.undone_at = timezone.now()
    batch.undone_by = user
    batch.save(update_fields=["status", "undone_at", "undone_by"])
    logger.info("import batch %s undone by %s: %s", batch.pk, user, result.summary())
    authors_changed_announce(result.touched_author_ids, why=Why.WORKS, sender=import_batch_undo)
    return result
