"""Institutions: matched on OpenAlex id or ROR, linked to the parents their lineage names.

An institution record of its own speaks for the row; a copy embedded in a work's byline is
a snapshot that only fills blanks. Written by the ORM on every database: a chunk holds few.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from works.models import Institution

from ..records import InstitutionRecord
from .rows import apply_changes

if TYPE_CHECKING:
    from .chunk import ChunkLoader


def institutions_upsert(
    loader: ChunkLoader, records: list[InstitutionRecord], standalone: int
) -> dict:
    """Returns {openalex id or ror: pk}. Entity records win over copies embedded in works."""
    by_key: dict[str, InstitutionRecord] = {}
    authoritative: set[str] = set()
    for position, record in enumerate(records):
        key = record.openalex_id or record.ror
        if key and (key not in by_key or position < standalone):
            by_key[key] = record
            if position < standalone:
                authoritative.add(key)
    if not by_key:
        return {}
    openalex_ids = [r.openalex_id for r in by_key.values() if r.openalex_id]
    rors = [r.ror for r in by_key.values() if r.ror]
    existing = Institution.objects.filter(Q(openalex_id__any=openalex_ids) | Q(ror__any=rors))
    by_openalex = {i.openalex_id: i for i in existing if i.openalex_id}
    by_ror = {i.ror: i for i in existing if i.ror}

    to_create, to_update, fields = [], [], set()
    previous: dict[int, dict] = {}
    resolved: dict[str, Institution] = {}
    for key, record in by_key.items():
        instance = by_openalex.get(record.openalex_id) or by_ror.get(record.ror)
        values = {
            "display_name": record.display_name,
            "country_code": record.country_code,
            "type": record.type,
        }
        if record.homepage_url:
            values["homepage_url"] = record.homepage_url
        if instance is None:
            instance = Institution(openalex_id=record.openalex_id, ror=record.ror, **values)
            to_create.append(instance)
        else:
            if key not in authoritative:
                # a copy embedded in a work is a snapshot: it only fills blanks
                values = {k: v for k, v in values.items() if not getattr(instance, k)}
            if record.ror and not instance.ror and record.ror not in by_ror:
                values["ror"] = record.ror
            if changed := apply_changes(instance, values):
                fields.update(changed)
                to_update.append(instance)
                previous[instance.pk] = changed
            else:
                loader.counts.unchanged["institutions"] += 1
        resolved[key] = instance
    Institution.objects.bulk_create(to_create)
    loader.record_created(Institution, to_create)
    if to_update:
        Institution.objects.bulk_update(to_update, sorted(fields))
    loader.counts.created["institutions"] += len(to_create)
    loader.counts.updated["institutions"] += len(to_update)

    # Parents come from lineage; link the ones we know, never invent a nameless parent.
    parent_keys = {r.parent_openalex_id for r in by_key.values() if r.parent_openalex_id}
    parents = {
        i.openalex_id: i.pk for i in Institution.objects.filter(openalex_id__any=parent_keys)
    }
    relink = []
    created = {id(i) for i in to_create}
    for key, record in by_key.items():
        parent_pk = parents.get(record.parent_openalex_id)
        instance = resolved[key]
        if parent_pk and instance.parent_id != parent_pk and parent_pk != instance.pk:
            if id(instance) not in created:
                previous.setdefault(instance.pk, {}).setdefault("parent_id", instance.parent_id)
            instance.parent_id = parent_pk
            relink.append(instance)
    if relink:
        Institution.objects.bulk_update(relink, ["parent"])
    loader.record_updated(Institution, previous)
    return {key: instance.pk for key, instance in resolved.items()}
