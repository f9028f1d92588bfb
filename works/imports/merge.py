"""Many sources, one record: which source's value a field keeps (README "Many sources, one
record").

settings.IMPORT_SOURCE_PRECEDENCE ranks the sources, highest first (admin or owner edit >
OpenAlex > Crossref > arXiv > BibTeX > curated publication list by default). For each field
a record offers:

- an empty value ("", None, 0, no topics, no byline) is *absent*: it never erases anything;
- an empty stored field takes any source's value;
- a stored value is replaced by a source of the same or a higher rank (the newest import of
  one source updates its own values), never by a lower one;
- a lower source's different value is kept aside in Work.conflicts ({field: {source:
  value}}), and so is a lower source's value a higher one replaces: whatever the import
  order, the record ends with the highest source's value and the others listed.

Which source (and batch) set a field is kept in `field_sources` ({field: [source, batch]})
on Work and Author, written by the same statement as the values, so undo restores both.
A field missing there was set by the row's `source` (rows imported before this existed).

Pure functions: nothing here touches the database.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings

from bzpeer.lib.text import title_key

from .records import WorkRecord

ADMIN = "admin"
# Source names the loader writes that rank as another: the arXiv OAI reader writes "arxiv"
# already; load_demo's curated seed lists write "seed".
SOURCE_ALIASES = {"seed": "publication-list", "owner": ADMIN}

# Work fields whose disagreements are kept for curators (an abstract or a count that differs
# is not a choice anyone makes).
CONFLICT_FIELDS = ("title", "type", "year", "publication_date", "venue_id", "language")
# How two values are compared: titles by their normalised key ("The X" = "the x").
SAME: dict[str, Callable[[object], object]] = {"title": title_key}


def source_rank(source: str) -> int:
    """0 for the highest source; a source not in the setting ranks below all of them."""
    order = tuple(settings.IMPORT_SOURCE_PRECEDENCE)
    name = SOURCE_ALIASES.get(source, source)
    return order.index(name) if name in order else len(order)


def is_absent(value: object) -> bool:
    return value is None or value == "" or value == 0 or value == () or value == []


def _json(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime.date) else value


@dataclass
class FieldMerge:
    """What one record changes on one row: values, their sources, the conflicts kept."""

    values: dict[str, object] = field(default_factory=dict)
    sources: dict[str, list] = field(default_factory=dict)
    conflicts: dict[str, dict[str, object]] = field(default_factory=dict)
    # (field, kept value, kept by, offered value): what this record offered and did not set
    rejected: list[tuple[str, object, str, object]] = field(default_factory=list)


def fields_merge(
    stored: dict[str, object],
    offered: dict[str, object],
    *,
    sources: dict,
    conflicts: dict,
    source: str,
    batch_id: int | None,
    row_source: str,
    conflict_fields: Iterable[str] = CONFLICT_FIELDS,
) -> FieldMerge:
    """Merges the `offered` values of a record from `source` into a row's `stored` values.

    `sources` and `conflicts` are the row's field_sources and conflicts (not modified: the
    result holds new dicts); `row_source` is the row's `source` column, the setter of any
    field `sources` does not list.
    """
    result = FieldMerge(sources=dict(sources), conflicts={k: dict(v) for k, v in conflicts.items()})
    rank = source_rank(source)
    tracked = set(conflict_fields)
    for name, value in offered.items():
        if is_absent(value):
            continue  # absent is not empty: never erases
        old = stored.get(name)
        setter = (sources.get(name) or [row_source])[0]
        same = SAME.get(name, lambda v: v)
        kept_aside = result.conflicts.get(name, {})
        if is_absent(old) or rank <= source_rank(setter):
            if old != value:
                result.values[name] = value
                replaced_other = not is_absent(old) and setter != source
                if name in tracked and replaced_other and same(old) != same(value):
                    kept_aside[setter] = _json(old)
            if old != value or setter != source:
                # the same value from the same source keeps the batch that first set it
                result.sources[name] = [source, batch_id]
            # what equals the new value is no conflict any more, nor is this source's own
            kept_aside = {s: v for s, v in kept_aside.items() if s != source and v != _json(value)}
        elif name in tracked and same(old) != same(value):
            kept_aside[source] = _json(value)
            result.rejected.append((name, _json(old), setter, _json(value)))
        else:
            kept_aside.pop(source, None)
        if kept_aside:
            result.conflicts[name] = kept_aside
        else:
            result.conflicts.pop(name, None)
    return result


def new_row_sources(offered: dict[str, object], *, source: str, batch_id: int | None) -> dict:
    """field_sources of a row a record creates: every field it gave a value."""
    return {name: [source, batch_id] for name, value in offered.items() if not is_absent(value)}


# --- bylines and the same work twice in one file ---------------------------------------------

IDENTITIES = ("doi", "arxiv_id", "openalex_id")


def identity_label(record: WorkRecord) -> str:
    """How a report names the work: its DOI, arXiv id or OpenAlex id, else its title."""
    return next((getattr(record, k) for k in IDENTITIES if getattr(record, k)), record.title)


def byline_has_persistent_ids(record: WorkRecord) -> bool:
    return any(a.author is not None and a.author.has_persistent_id for a in record.authorships)


def byline_outranks(
    record: WorkRecord, source: str, *, stored_persistent: bool, stored_source: str
) -> bool:
    """May `record`'s byline replace a stored one? A byline with persistent ids beats one
    without, whatever the sources; between two alike the higher (or same) source wins.
    An empty byline never replaces anything."""
    if not record.authorships:
        return False
    mine = (not byline_has_persistent_ids(record), source_rank(source))
    theirs = (not stored_persistent, source_rank(stored_source))
    return mine <= theirs
