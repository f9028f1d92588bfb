"""Venues (OpenAlex id, else name) and topics ((source, id), parents before children).

A chunk holds few of either, so both go through ChunkLoader.write_few (the ORM) on every
database.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from django.db.models import Q

from works.models import Topic, Venue

from ..records import TopicRecord, VenueRecord
from .rows import apply_changes

if TYPE_CHECKING:
    from .chunk import ChunkLoader


def venues_upsert(loader: ChunkLoader, records: list[VenueRecord]) -> dict:
    by_key = {(r.openalex_id or f"name:{r.name}"): r for r in records}
    if not by_key:
        return {}
    openalex_ids = [r.openalex_id for r in by_key.values() if r.openalex_id]
    names = [r.name for r in by_key.values() if not r.openalex_id]
    existing = Venue.objects.filter(
        Q(openalex_id__any=openalex_ids) | Q(openalex_id__isnull=True, name__any=names)
    )
    found = {(v.openalex_id or f"name:{v.name}"): v for v in existing}
    to_create, to_update, fields = [], [], set()
    previous: dict[int, dict] = {}
    for key, record in by_key.items():
        values = {"name": record.name, "issn_l": record.issn_l, "type": record.type}
        instance = found.get(key)
        if instance is None:
            instance = found[key] = Venue(openalex_id=record.openalex_id, **values)
            to_create.append(instance)
        elif changed := apply_changes(instance, {k: v for k, v in values.items() if v}):
            fields.update(changed)
            to_update.append(instance)
            previous[instance.pk] = changed
        else:
            loader.counts.unchanged["venues"] += 1
    loader.write_few(Venue, "venues", to_create, to_update, fields, previous)
    return {key: found[key].pk for key in by_key}


def topics_upsert(loader: ChunkLoader, records: list[TopicRecord]) -> dict:
    """Returns {(source, external id): pk}; parents are written before their children."""
    by_key: dict[tuple[str, str], TopicRecord] = {}
    depth: dict[tuple[str, str], int] = {}
    for record in records:
        chain, node = [], record
        while node is not None:
            chain.append(node)
            node = node.parent
        for level, node in enumerate(reversed(chain)):
            key = (node.source, node.external_id)
            by_key.setdefault(key, node)
            depth[key] = max(depth.get(key, 0), level)
    if not by_key:
        return {}
    condition = Q()
    for source, group in itertools.groupby(sorted(by_key), key=lambda k: k[0]):
        condition |= Q(source=source, external_id__any=[k[1] for k in group])
    found = {(t.source, t.external_id): t for t in Topic.objects.filter(condition)}
    for level in sorted(set(depth.values())):
        to_create, to_update, fields = [], [], set()
        previous: dict[int, dict] = {}
        for key in [k for k, d in depth.items() if d == level]:
            record = by_key[key]
            parent = record.parent
            values = {
                "name": record.name,
                "level": record.level,
                "parent_id": found[(parent.source, parent.external_id)].pk if parent else None,
            }
            instance = found.get(key)
            if instance is None:
                found[key] = Topic(source=key[0], external_id=key[1], **values)
                to_create.append(found[key])
            elif changed := apply_changes(instance, values):
                fields.update(changed)
                to_update.append(instance)
                previous[instance.pk] = changed
            else:
                loader.counts.unchanged["topics"] += 1
        loader.write_few(Topic, "topics", to_create, to_update, fields, previous)
    return {key: found[key].pk for key in by_key}
