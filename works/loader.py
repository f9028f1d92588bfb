"""The one loader every source shares: parsed records in, set-based upserts out.

Each chunk of records costs a fixed number of queries whatever its size: existing rows are
fetched with one query per entity kind (the keys as one array: bzpeer.lib.lookups), new rows are
written with `bulk_create`, changed rows with `bulk_update` (on PostgreSQL: COPY, see "Two
write paths" below).
Identity rules:

- works match on OpenAlex id, DOI or arXiv id; a work with none of them matches a work with
  the same normalised title and year;
- authors match on OpenAlex id, ORCID or DBLP pid; two records with different persistent
  ids are never merged; a name-only author (BibTeX, arXiv) joins an existing author with the
  same normalised name only when they share a co-author or the same work;
- institutions match on OpenAlex id or ROR, venues on OpenAlex id or name, topics on
  (source, id);
- names are compared after Unicode normalisation (bzpeer.lib.names.normalize_name); a name
  that mixes scripts or is a letter-for-letter look-alike of a stored name (Cyrillic 'а' for
  Latin 'a') gets a new author flagged `confusable_name`, never a match.

Admin decisions (works.AuthorshipOverride, written by merge / split / remove authorship)
are read once per chunk and win over the file: a byline slot (work, normalised printed
name, position) decided for an author is written with that author, a removed one is left
out, so re-importing a file never undoes a split or re-adds a removed authorship.

Provenance and undo: rows the loader creates carry `import_batch` and `source_record`.
With a batch, every write is also recorded as works.BatchChange rows, built from the same
in-memory diff the upserts use (no extra query per row) and written with one bulk_create
per chunk (`_flush_changes`):
  created               model, pk                        → undo deletes the row
  updated               model, pk, {attname: previous}   → only the fields that changed
  authorships_replaced  work pk, previous byline rows    → rows with pks and institution
                                                           links, as read for the diff
  topics_replaced       work pk, previous WorkTopic rows
works.services.import_batch_undo reads it.

Two write paths, one set of decisions: everything above (matching, diffs, decisions, the
change log) is computed here the same way on every database. On PostgreSQL (settings.
IMPORT_COPY, on by default) the heavy writes — works, authors, authorships, their
institution links, work topics and the change log — go through COPY (bzpeer.lib.pgcopy): new
rows take their pks from the table's sequence in list order and are COPY'd in, changed rows
are COPY'd to a staging table and written with one UPDATE … FROM, missing affiliations are
filled with one UPDATE. Elsewhere (SQLite) the ORM's bulk_create / bulk_update do it. Both
leave identical rows, pks included (tests/works/test_copy_path.py).
"""

from __future__ import annotations

import gc
import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import F, Model, Q
from django.utils import timezone
from django.utils.text import slugify

from bzpeer.lib import pgcopy
from bzpeer.lib.names import confusable_skeleton, mixes_scripts, name_slug, normalize_name
from bzpeer.lib.text import title_key
from works.models import Author, Institution, VerificationLevel

from .importers.records import (
    AuthorRecord,
    InstitutionRecord,
    ParsedRecord,
    TopicRecord,
    VenueRecord,
    WorkRecord,
)
from .models import (
    Authorship,
    AuthorshipOverride,
    BatchChange,
    ImportBatch,
    Topic,
    Venue,
    Work,
    WorkTopic,
)
from .undo import rows_delete

ENTITY_KINDS = ("works", "authors", "institutions", "venues", "topics")
# Records per chunk: each chunk costs a fixed number of queries; COPY makes larger ones pay.
CHUNK_SIZE = 1000
COPY_CHUNK_SIZE = 5000


def copy_path() -> bool:
    """Whether the loader writes through COPY (PostgreSQL, unless settings.IMPORT_COPY is off)."""
    return connection.vendor == "postgresql" and getattr(settings, "IMPORT_COPY", True)


@dataclass
class LoadCounts:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENTITY_KINDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENTITY_KINDS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENTITY_KINDS, 0))
    authorships_written: int = 0
    ignored: int = 0
    touched_author_ids: set[int] = field(default_factory=set)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "authorships_written": self.authorships_written,
            "ignored": self.ignored,
        }

    def summary(self) -> str:
        parts = []
        for kind in ENTITY_KINDS:
            c, u, n = self.created[kind], self.updated[kind], self.unchanged[kind]
            if c or u or n:
                parts.append(f"{kind}: {c} created, {u} updated, {n} unchanged")
        if self.ignored:
            parts.append(f"{self.ignored} ignored")
        return "; ".join(parts) or "nothing to import"


def _changed(instance, values: dict) -> dict[str, object]:
    """Sets the fields whose value differs; returns {name: previous value} of those."""
    changed = {}
    for name, value in values.items():
        previous = getattr(instance, name)
        if previous != value:
            setattr(instance, name, value)
            changed[name] = previous
    return changed


class ChunkLoader:
    def __init__(
        self,
        *,
        source: str,
        batch: ImportBatch | None,
        counts: LoadCounts,
        owner: Author | None = None,
    ) -> None:
        # A publication list of one person (a researcher's own BibTeX, the seed page): every
        # name-only authorship under the owner's name is the owner, co-authors or not.
        self.owner = owner
        self.source = source
        self.batch = batch
        self.counts = counts
        self.now = timezone.now()
        self.copy = copy_path()
        # columns every row this loader creates shares
        self.provenance = {"source": source, "import_batch_id": batch.pk if batch else None}
        self.imported_author = {
            "verification_level": VerificationLevel.L1,
            "verification_evidence": f"Imported from {source}",
        }
        # BatchChange rows of the current chunk, (model label, pk, action, previous), written
        # by _flush_changes
        self.changes: list[tuple[str, int, str, object]] = []

    # -- entry point ----------------------------------------------------------------------

    def load(self, records: Sequence[ParsedRecord]) -> None:
        # rows created in this chunk: their later updates and bylines need no undo record
        self.created_work_pks: set[int] = set()
        self.created_author_pks: set[int] = set()
        works = [r for r in records if isinstance(r, WorkRecord)]
        authors = [r for r in records if isinstance(r, AuthorRecord)]
        venues = [r for r in records if isinstance(r, VenueRecord)]
        topics = [r for r in records if isinstance(r, TopicRecord)]
        institutions = [r for r in records if isinstance(r, InstitutionRecord)]
        standalone = len(institutions)
        institutions += [i for a in authors for i in a.institutions]
        institutions += [
            i for w in works for authorship in w.authorships for i in authorship.institutions
        ]
        self.institution_ids = self._upsert_institutions(institutions, standalone=standalone)
        self.venue_ids = self._upsert_venues(venues + [w.venue for w in works if w.venue])
        self.topic_ids = self._upsert_topics(topics + [t.topic for w in works for t in w.topics])
        embedded = [a.author for w in works for a in w.authorships if a.author]
        # an author first seen on a work's byline comes from that work's record
        self.embedded_source = {
            id(a.author): w.source_record for w in works for a in w.authorships if a.author
        }
        self.author_ids = self._upsert_authors(authors, embedded)
        work_ids = self._upsert_works(works)
        self._replace_authorships(works, work_ids)
        self._replace_topics(works, work_ids)
        self._flush_changes()

    # -- change log for undo (see the module docstring) -----------------------------------

    def _record(self, model: type[Model], pk: int, action: str, previous=None) -> None:
        if self.batch is not None:
            self.changes.append((model._meta.label_lower, pk, action, previous))

    def _write_few(
        self,
        model: type[Model],
        kind: str,
        to_create: list,
        to_update: list,
        fields: set[str],
        previous: dict[int, dict],
    ) -> None:
        """Venues and topics: a few rows a chunk, written by the ORM on every database."""
        model.objects.bulk_create(to_create)
        self._record_created(model, to_create)
        self._record_updated(model, previous)
        if to_update:
            model.objects.bulk_update(to_update, sorted(f.removesuffix("_id") for f in fields))
        self.counts.created[kind] += len(to_create)
        self.counts.updated[kind] += len(to_update)

    def _record_created(self, model: type[Model], instances) -> None:
        for instance in instances:
            self._record(model, instance.pk, BatchChange.Action.CREATED)

    def _record_updated(self, model: type[Model], previous: dict[int, dict]) -> None:
        for pk, values in previous.items():
            self._record(model, pk, BatchChange.Action.UPDATED, values)

    def _flush_changes(self) -> None:
        if self.changes and self.copy:
            encode = BatchChange._meta.get_field("previous").encoder
            pgcopy.copy_rows(
                BatchChange._meta.db_table,
                ["batch_id", "model", "object_pk", "action", "previous"],
                (
                    (self.batch.pk, label, pk, action, _json(previous, encode))
                    for label, pk, action, previous in self.changes
                ),
            )
        elif self.changes:
            BatchChange.objects.bulk_create(
                [
                    BatchChange(
                        batch=self.batch, model=label, object_pk=pk, action=action, previous=prev
                    )
                    for label, pk, action, prev in self.changes
                ],
                batch_size=5000,
            )
        self.changes = []

    # -- the two write paths (see the module docstring) -----------------------------------

    def _insert(self, model: type[Model], instances: list[Model]) -> None:
        if self.copy:
            pgcopy.instances_insert(model, instances)
        else:
            model.objects.bulk_create(instances)

    def _update(self, model: type[Model], instances: list[Model], fields) -> None:
        if self.copy:
            pgcopy.instances_update(model, instances, fields)
        else:
            model.objects.bulk_update(instances, fields)

    # -- institutions, venues, topics ------------------------------------------------------

    def _upsert_institutions(self, records: list[InstitutionRecord], standalone: int) -> dict:
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
                if changed := _changed(instance, values):
                    fields.update(changed)
                    to_update.append(instance)
                    previous[instance.pk] = changed
                else:
                    self.counts.unchanged["institutions"] += 1
            resolved[key] = instance
        Institution.objects.bulk_create(to_create)
        self._record_created(Institution, to_create)
        if to_update:
            Institution.objects.bulk_update(to_update, sorted(fields))
        self.counts.created["institutions"] += len(to_create)
        self.counts.updated["institutions"] += len(to_update)

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
        self._record_updated(Institution, previous)
        return {key: instance.pk for key, instance in resolved.items()}

    def _upsert_venues(self, records: list[VenueRecord]) -> dict:
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
            elif changed := _changed(instance, {k: v for k, v in values.items() if v}):
                fields.update(changed)
                to_update.append(instance)
                previous[instance.pk] = changed
            else:
                self.counts.unchanged["venues"] += 1
        self._write_few(Venue, "venues", to_create, to_update, fields, previous)
        return {key: found[key].pk for key in by_key}

    def _upsert_topics(self, records: list[TopicRecord]) -> dict:
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
                elif changed := _changed(instance, values):
                    fields.update(changed)
                    to_update.append(instance)
                    previous[instance.pk] = changed
                else:
                    self.counts.unchanged["topics"] += 1
            self._write_few(Topic, "topics", to_create, to_update, fields, previous)
        return {key: found[key].pk for key in by_key}

    # -- authors --------------------------------------------------------------------------

    def _upsert_authors(self, entities: list[AuthorRecord], embedded: list[AuthorRecord]) -> dict:
        """Authors with persistent ids. Returns {persistent id: pk} for every id seen."""
        records = [r for r in entities + embedded if r.has_persistent_id]
        if not records:
            return {}
        entity_ids = {id(r) for r in entities}
        openalex_ids = {r.openalex_id for r in records if r.openalex_id}
        orcids = {r.orcid for r in records if r.orcid}
        dblp = {r.dblp_pid for r in records if r.dblp_pid}
        existing = list(
            Author.objects.filter(
                Q(openalex_id__any=openalex_ids) | Q(orcid__any=orcids) | Q(dblp_pid__any=dblp)
            ).select_related("merged_into")
        )
        index: dict[str, Author] = {}
        for author in existing:
            for key in (author.openalex_id, author.orcid, author.dblp_pid):
                if key:
                    index[key] = author

        to_create: list[Author] = []
        updated: dict[int, Author] = {}
        previous: dict[int, dict] = {}
        fields: set[str] = set()
        seen: set[int] = set()
        for record in records:
            keys = [k for k in (record.openalex_id, record.orcid, record.dblp_pid) if k]
            # The strongest id decides: an OpenAlex id that is new is a new author even when
            # its ORCID is already held by another (OpenAlex has such pairs; never merge them).
            author = index.get(keys[0])
            if author is None and not record.openalex_id:
                author = next((index[k] for k in keys if k in index), None)
            if author is None:
                author = _new(
                    Author,
                    {
                        "display_name": record.display_name[:255],
                        "name_variants": list(record.name_variants),
                        "openalex_id": record.openalex_id,
                        "orcid": record.orcid if record.orcid not in index else None,
                        "dblp_pid": record.dblp_pid if record.dblp_pid not in index else None,
                        "arxiv_name": record.arxiv_name,
                        "source_record": (
                            record.source_record or self.embedded_source.get(id(record), "")
                        ),
                        "last_known_institution_id": self._institution_pk(record),
                        **self.provenance,
                        **self.imported_author,
                    },
                )
                to_create.append(author)
            elif author.pk and id(author) not in seen:
                values = {}
                # Only an author entity speaks for the author's name and affiliation; the
                # copy embedded in a work is a snapshot of it.
                if id(record) in entity_ids:
                    values["display_name"] = record.display_name[:255]
                    variants = sorted(set(author.name_variants) | set(record.name_variants))
                    values["name_variants"] = variants
                    if pk := self._institution_pk(record):
                        values["last_known_institution_id"] = pk
                for name in ("openalex_id", "orcid", "dblp_pid"):
                    value = getattr(record, name)
                    # never take over an id another record already holds
                    if value and not getattr(author, name) and value not in index:
                        values[name] = value
                if changed := _changed(author, values):
                    fields.update(changed)
                    updated[author.pk] = author
                    previous[author.pk] = changed
            seen.add(id(author))
            for key in keys:
                index.setdefault(key, author)
        self._assign_slugs(to_create)
        for author in to_create:
            author.name_key = normalize_name(author.display_name)
            author.search_names = _search_names(author)
        _flag_confusable_names(to_create)
        self._insert(Author, to_create)
        self._record_created(Author, to_create)
        self.created_author_pks.update(a.pk for a in to_create)
        if updated:
            for author in updated.values():
                # derived columns the update rewrites go back too on undo
                for name in ("name_key", "search_names", "updated_at"):
                    previous[author.pk].setdefault(name, getattr(author, name))
            if fields & {"display_name", "name_variants"}:
                fields |= {"name_key", "search_names"}
                for author in updated.values():
                    author.name_key = normalize_name(author.display_name)
                    author.search_names = _search_names(author)
            fields.add("updated_at")
            for author in updated.values():
                author.updated_at = self.now
            self._record_updated(Author, previous)
            self._update(
                Author, list(updated.values()), sorted(f.removesuffix("_id") for f in fields)
            )
        self.counts.created["authors"] += len(to_create)
        self.counts.updated["authors"] += len(updated)
        matched = {a.pk for a in existing}
        self.counts.unchanged["authors"] += len(matched - set(updated))
        self.counts.touched_author_ids.update(a.pk for a in to_create)
        # a merged author's ids keep pointing at the author it was merged into
        return {key: (a.merged_into_id or a.pk) for key, a in index.items()}

    def _institution_pk(self, record: AuthorRecord) -> int | None:
        institution = record.last_known_institution
        if institution is None:
            return None
        return self.institution_ids.get(institution.openalex_id or institution.ror)

    @staticmethod
    def _assign_slugs(authors: list[Author]) -> None:
        """Readable, stable slugs: 'jason-priem', then 'jason-priem-a5023888391' on a clash."""
        bases = [name_slug(a.display_name) for a in authors]
        taken = set(Author.objects.filter(slug__any=set(bases)).values_list("slug", flat=True))
        for author, base in zip(authors, bases, strict=True):
            slug = base
            if slug in taken:
                suffix = (author.openalex_id or author.orcid or author.dblp_pid or "").lower()
                slug = slugify(f"{base}-{suffix}") if suffix else ""
            counter = 1
            while not slug or slug in taken:
                counter += 1
                slug = f"{base}-{counter}"
                if Author.objects.filter(slug=slug).exists():
                    taken.add(slug)
            taken.add(slug)
            author.slug = slug

    def _resolve_name_only(
        self, works: list[WorkRecord], work_ids: list[int], decided: dict | None = None
    ) -> dict:
        """{(work index, position): author pk} for authors known by name only.

        Evidence for joining an existing author: the same work already credits them, or they
        share a co-author on this byline. Otherwise the name gets a new author. Slots an
        admin decided (`decided`, see _decisions) are left alone.
        """
        decided = decided or {}
        wanted = {
            normalize_name(a.author.display_name)
            for w_index, w in enumerate(works)
            for position, a in enumerate(w.authorships)
            if a.author and not a.author.has_persistent_id and (w_index, position) not in decided
        }
        if not wanted:
            return {}
        candidates: dict[str, list[int]] = defaultdict(list)
        for pk, key in (
            Author.objects.public().filter(name_key__any=wanted).values_list("pk", "name_key")
        ):
            candidates[key].append(pk)
        # co-author names and works of every candidate, in one query
        coauthors: dict[int, set[str]] = defaultdict(set)
        works_of: dict[int, set[int]] = defaultdict(set)
        all_candidates = [pk for pks in candidates.values() for pk in pks]
        rows = Authorship.objects.filter(author_id__any=all_candidates).values_list(
            "author_id", "work_id", "work__authorships__author__name_key"
        )
        for author_id, work_id, co_key in rows:
            works_of[author_id].add(work_id)
            if co_key:
                coauthors[author_id].add(co_key)

        resolved: dict[tuple[int, int], int] = {}
        # authors created in this chunk get a temporary negative key until they are saved
        pending: dict[int, Author] = {}
        for w_index, (work, work_pk) in enumerate(zip(works, work_ids, strict=True)):
            byline = {
                normalize_name(a.author.display_name if a.author else a.raw_author_name)
                for a in work.authorships
            }
            for position, authorship in enumerate(work.authorships):
                record = authorship.author
                if record is None or record.has_persistent_id or (w_index, position) in decided:
                    continue
                key = normalize_name(record.display_name)
                others = byline - {key}
                if self.owner is not None and key == self.owner.name_key:
                    resolved[(w_index, position)] = self.owner.pk
                    continue
                match = next(
                    (
                        pk
                        for pk in candidates.get(key, [])
                        if work_pk in works_of[pk] or coauthors[pk] & others
                    ),
                    None,
                )
                if match is None:
                    match = -(len(pending) + 1)
                    pending[match] = _new(
                        Author,
                        {
                            "display_name": record.display_name[:255],
                            "name_variants": list(record.name_variants),
                            "arxiv_name": record.arxiv_name,
                            "source_record": work.source_record,
                            **self.provenance,
                            **self.imported_author,
                        },
                    )
                    candidates[key].append(match)
                resolved[(w_index, position)] = match
                coauthors[match] |= others
                works_of[match].add(work_pk)
        fresh = list(pending.values())
        self._assign_slugs(fresh)
        for author in fresh:
            author.name_key = normalize_name(author.display_name)
            author.search_names = _search_names(author)
        _flag_confusable_names(fresh)
        self._insert(Author, fresh)
        self._record_created(Author, fresh)
        self.created_author_pks.update(a.pk for a in fresh)
        self.counts.created["authors"] += len(fresh)
        self.counts.touched_author_ids.update(a.pk for a in fresh)
        return {slot: pending[pk].pk if pk < 0 else pk for slot, pk in resolved.items()}

    # -- works ----------------------------------------------------------------------------

    def _upsert_works(self, records: list[WorkRecord]) -> list[int]:
        if not records:
            return []
        openalex_ids = {r.openalex_id for r in records if r.openalex_id}
        dois = {r.doi for r in records if r.doi}
        arxiv_ids = {r.arxiv_id for r in records if r.arxiv_id}
        keys = {title_key(r.title) for r in records if not r.has_persistent_id}
        existing = Work.objects.filter(
            Q(openalex_id__any=openalex_ids)
            | Q(doi__any=dois)
            | Q(arxiv_id__any=arxiv_ids)
            | Q(title_key__any=keys)
        )
        index: dict[tuple[str, object], Work] = {}
        for work in existing:
            for kind in ("openalex_id", "doi", "arxiv_id"):
                if value := getattr(work, kind):
                    index[(kind, value)] = work
            index[("title", (work.title_key, work.year))] = work

        result: list[Work] = []
        to_create: list[Work] = []
        updated: dict[int, Work] = {}
        previous: dict[int, dict] = {}
        fields: set[str] = set()
        for record in records:
            lookups = [
                (kind, getattr(record, kind))
                for kind in ("openalex_id", "doi", "arxiv_id")
                if getattr(record, kind)
            ]
            if not lookups:
                lookups = [("title", (title_key(record.title), record.year))]
            work = next((index[k] for k in lookups if k in index), None)
            values = {
                "title": record.title,
                "title_key": title_key(record.title),
                "type": record.type,
                "year": record.year,
                "publication_date": record.publication_date,
                "venue_id": self._venue_pk(record.venue),
                "abstract": record.abstract,
                "code_url": record.code_url,
                "cited_by_count": record.cited_by_count,
                "language": record.language,
            }
            if work is None:
                work = _new(
                    Work,
                    {
                        "openalex_id": record.openalex_id,
                        "doi": record.doi,
                        "arxiv_id": record.arxiv_id,
                        "source_record": record.source_record,
                        **self.provenance,
                        **values,
                    },
                )
                to_create.append(work)
            else:
                for kind, value in lookups:
                    if kind != "title" and not getattr(work, kind) and (kind, value) not in index:
                        values[kind] = value
                if work.pk and (changed := _changed(work, values)):
                    fields.update(changed)
                    updated[work.pk] = work
                    previous[work.pk] = changed | {"updated_at": work.updated_at}
                    work.updated_at = self.now
            for key in lookups:
                index[key] = work
            result.append(work)
        self._insert(Work, to_create)
        self._record_created(Work, to_create)
        self.created_work_pks.update(w.pk for w in to_create)
        if updated:
            self._update(
                Work,
                list(updated.values()),
                sorted({f.removesuffix("_id") for f in fields} | {"updated_at"}),
            )
            self._record_updated(Work, previous)
        self.counts.created["works"] += len(to_create)
        self.counts.updated["works"] += len(updated)
        self.counts.unchanged["works"] += (
            len({w.pk for w in result}) - len(to_create) - len(updated)
        )
        return [w.pk for w in result]

    def _venue_pk(self, venue: VenueRecord | None) -> int | None:
        if venue is None:
            return None
        return self.venue_ids.get(venue.openalex_id or f"name:{venue.name}")

    def _decisions(self, works: list[WorkRecord], work_ids: list[int]) -> dict:
        """{(work index, position): author pk, or None for removed} from the admins'
        AuthorshipOverride rows of these works (one query).

        A decision matches the slot whose printed name normalises to its name_key; when the
        byline prints that name more than once, only the slot at the decided position.
        """
        slots: dict[int, dict[str, dict[int, int | None]]] = defaultdict(dict)
        # works this chunk created have no decisions yet
        for work_id, name_key, position, author_id in AuthorshipOverride.objects.filter(
            work_id__any=set(work_ids) - self.created_work_pks
        ).values_list("work_id", "name_key", "position", "author_id"):
            slots[work_id].setdefault(name_key, {})[position] = author_id
        decided: dict[tuple[int, int], int | None] = {}
        if not slots:
            return decided
        for w_index, (record, work_pk) in enumerate(zip(works, work_ids, strict=True)):
            if work_pk not in slots:
                continue
            keys = [normalize_name(a.raw_author_name) for a in record.authorships]
            for position, key in enumerate(keys):
                choices = slots[work_pk].get(key)
                if not choices:
                    continue
                if position in choices:
                    decided[(w_index, position)] = choices[position]
                elif len(choices) == 1 and keys.count(key) == 1:
                    decided[(w_index, position)] = next(iter(choices.values()))
        return decided

    def _replace_authorships(self, works: list[WorkRecord], work_ids: list[int]) -> None:
        """Rewrites a work's byline only when it differs from what is stored.

        Admins' decisions win over the file (see _decisions): a decided slot gets the decided
        author, a removed one is left out (its position stays free).
        """
        if not works:
            return
        decided = self._decisions(works, work_ids)
        name_only = self._resolve_name_only(works, work_ids, decided)
        desired: dict[int, dict[int, tuple]] = {}
        record_of: dict[int, WorkRecord] = {}
        for w_index, (record, work_pk) in enumerate(zip(works, work_ids, strict=True)):
            byline = {}
            for position, authorship in enumerate(record.authorships):
                author_pk = None
                if (w_index, position) in decided:
                    author_pk = decided[(w_index, position)]
                    if author_pk is None:
                        continue  # removed by an admin: never re-added
                elif authorship.author is not None:
                    author_pk = name_only.get((w_index, position))
                    if author_pk is None:
                        ref = authorship.author
                        key = ref.openalex_id or ref.orcid or ref.dblp_pid
                        author_pk = self.author_ids.get(key)
                institution_pks = tuple(
                    sorted(
                        {
                            self.institution_ids[k]
                            for i in authorship.institutions
                            if (k := i.openalex_id or i.ror) in self.institution_ids
                        }
                    )
                )
                byline[position] = (
                    position,
                    author_pk,
                    authorship.raw_author_name,
                    authorship.is_corresponding,
                    institution_pks,
                )
            desired[work_pk] = byline
            record_of[work_pk] = record

        # the stored bylines, whole rows: compared with the desired ones, and kept for undo
        # (works this chunk created have none yet)
        through = Authorship.institutions.through
        links: dict[int, list[tuple[int, int]]] = defaultdict(list)
        rows: dict[int, list[dict]] = defaultdict(list)
        stored: dict[int, dict[int, tuple]] = defaultdict(dict)
        existing = [pk for pk in desired if pk not in self.created_work_pks]
        for link_pk, authorship_id, institution_id in through.objects.filter(
            authorship__work_id__any=existing
        ).values_list("pk", "authorship_id", "institution_id"):
            links[authorship_id].append((link_pk, institution_id))
        for row in Authorship.objects.filter(work_id__any=existing).values(*_AUTHORSHIP_COLUMNS):
            row["institutions"] = sorted(links[row["id"]])
            rows[row["work_id"]].append(row)
            stored[row["work_id"]][row["position"]] = (
                row["position"],
                row["author_id"],
                row["raw_author_name"],
                row["is_corresponding"],
                tuple(sorted(i for _, i in row["institutions"])),
            )

        stale = [work_pk for work_pk, byline in desired.items() if stored[work_pk] != byline]
        if not stale:
            return
        previous_authors = {
            row["author_id"] for pk in stale for row in rows[pk] if row["author_id"] is not None
        }
        for work_pk in stale:
            if work_pk not in self.created_work_pks:
                previous = sorted(rows[work_pk], key=lambda r: r["position"])
                self._record(Work, work_pk, BatchChange.Action.AUTHORSHIPS_REPLACED, previous)
        if replaced := [pk for pk in stale if pk not in self.created_work_pks]:
            if self.copy:
                rows_delete(Authorship, Authorship.objects.filter(work_id__any=replaced))
            else:
                Authorship.objects.filter(work_id__any=replaced).delete()
        # (work, author, position, printed name, corresponding, source record) per new row
        new_rows = [
            (work_pk, author_pk, position, name, corresponding, record_of[work_pk].source_record)
            for work_pk in stale
            for position, author_pk, name, corresponding, _ in desired[work_pk].values()
        ]
        institution_pks = [pks for work_pk in stale for *_, pks in desired[work_pk].values()]
        if self.copy:
            self._copy_bylines(new_rows, institution_pks)
        else:
            authorships = [
                Authorship(
                    work_id=work_pk,
                    author_id=author_pk,
                    position=position,
                    raw_author_name=raw_name,
                    is_corresponding=corresponding,
                    source=self.source,
                    import_batch=self.batch,
                    source_record=source_record,
                )
                for work_pk, author_pk, position, raw_name, corresponding, source_record in new_rows
            ]
            Authorship.objects.bulk_create(authorships)
            through.objects.bulk_create(
                through(authorship_id=row.pk, institution_id=pk)
                for row, pks in zip(authorships, institution_pks, strict=True)
                for pk in pks
            )
        self.counts.authorships_written += len(new_rows)
        current_authors = {row[1] for row in new_rows if row[1]}
        touched = previous_authors | current_authors
        self.counts.touched_author_ids.update(touched)
        self._fill_missing_affiliations(current_authors)

    def _copy_bylines(self, new_rows: list[tuple], institution_pks: list[tuple]) -> None:
        """The COPY path's bylines: pks from the sequence, then two COPYs."""
        batch_pk = self.batch.pk if self.batch else None
        pks = pgcopy.pks_take(Authorship, len(new_rows))
        pgcopy.copy_rows(
            Authorship._meta.db_table,
            _AUTHORSHIP_COLUMNS,
            (
                (pk, work_pk, author_pk, position, name, corresponding, self.source, batch_pk, rec)
                for pk, (work_pk, author_pk, position, name, corresponding, rec) in zip(
                    pks, new_rows, strict=True
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

    def _fill_missing_affiliations(self, author_pks: set[int]) -> None:
        """Authors known only from works get the institution of their latest authorship.

        Latest: the newest year (works without one last), then the earliest byline position,
        the newest work, the first link; the COPY path does the same in one UPDATE.
        """
        if self.copy:
            latest = pgcopy.affiliations_fill(author_pks)
        else:
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
            latest = sorted(found)
        # the rows matched only while the column was empty: that is its previous value
        self._record_updated(
            Author,
            {
                pk: {"last_known_institution_id": None}
                for pk in latest
                if pk not in self.created_author_pks
            },
        )

    def _replace_topics(self, works: list[WorkRecord], work_ids: list[int]) -> None:
        desired = {
            work_pk: {
                self.topic_ids[(t.topic.source, t.topic.external_id)]: round(t.score, 4)
                for t in record.topics
            }
            for record, work_pk in zip(works, work_ids, strict=True)
        }
        stored: dict[int, dict[int, float]] = defaultdict(dict)
        rows: dict[int, list[list]] = defaultdict(list)
        existing = [pk for pk in desired if pk not in self.created_work_pks]
        for pk, work_id, topic_id, score in WorkTopic.objects.filter(
            work_id__any=existing
        ).values_list("pk", "work_id", "topic_id", "score"):
            stored[work_id][topic_id] = round(score, 4)
            rows[work_id].append([pk, topic_id, score])
        stale = [pk for pk, topics in desired.items() if stored[pk] != topics]
        if not stale:
            return
        for work_pk in stale:
            if work_pk not in self.created_work_pks:
                previous = sorted(rows[work_pk])
                self._record(Work, work_pk, BatchChange.Action.TOPICS_REPLACED, previous)
        if replaced := [pk for pk in stale if pk not in self.created_work_pks]:
            WorkTopic.objects.filter(work_id__any=replaced).delete()
        new_rows = ((pk, topic, score) for pk in stale for topic, score in desired[pk].items())
        if self.copy:
            pgcopy.copy_rows(WorkTopic._meta.db_table, ("work_id", "topic_id", "score"), new_rows)
        else:
            WorkTopic.objects.bulk_create(
                WorkTopic(work_id=pk, topic_id=topic_id, score=score)
                for pk, topic_id, score in new_rows
            )
        # (the bylines of works this chunk created are touched already: _replace_authorships)
        self.counts.touched_author_ids.update(
            Authorship.objects.filter(work_id__any=replaced, author__isnull=False).values_list(
                "author_id", flat=True
            )
        )


# Authorship columns kept in an `authorships_replaced` record (plus "institutions").
_AUTHORSHIP_COLUMNS = (
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


def _flag_confusable_names(authors: list[Author]) -> None:
    """Flags new authors whose name mixes scripts or looks like a stored author's name.

    One query for the whole list; the flag is shown in admin (list filter), the name is
    never matched to the look-alike.
    """
    skeletons = {id(a): confusable_skeleton(a.display_name) for a in authors}
    lookalikes = {s for a in authors if (s := skeletons[id(a)]) != a.name_key}
    stored = set()
    if lookalikes:
        stored = set(
            Author.objects.filter(name_key__any=lookalikes).values_list("name_key", flat=True)
        )
    for author in authors:
        skeleton = skeletons[id(author)]
        author.confusable_name = mixes_scripts(author.display_name) or (
            skeleton != author.name_key and skeleton in stored
        )


assign_slugs = ChunkLoader._assign_slugs


def _new(model: type[Model], values: dict) -> Model:
    """model(**values) through Model.__init__'s positional path (the one from_db takes): a
    chunk builds thousands of instances, and the keyword path costs several times as much."""
    return model(
        *[
            values[f.attname] if f.attname in values else f.get_default()
            for f in model._meta.concrete_fields
        ]
    )


def _json(value, encoder) -> str | None:
    """A change's previous values as the JSONField would store them."""
    return None if value is None else json.dumps(value, cls=encoder)


def _search_names(author: Author) -> str:
    from works.models import search_names_for

    return search_names_for(author.display_name, author.name_variants)


def load_records(
    records: Iterable[ParsedRecord],
    *,
    source: str,
    batch: ImportBatch | None = None,
    counts: LoadCounts | None = None,
    chunk_size: int | None = None,
    owner: Author | None = None,
) -> LoadCounts:
    """Loads records chunk by chunk; the caller owns the transaction.

    Chunks hold settings.IMPORT_COPY_CHUNK_SIZE records on the COPY path, else
    settings.IMPORT_CHUNK_SIZE (defaults COPY_CHUNK_SIZE, CHUNK_SIZE), unless given.
    """
    counts = counts or LoadCounts()
    loader = ChunkLoader(source=source, batch=batch, counts=counts, owner=owner)
    if chunk_size is None:
        if loader.copy:
            chunk_size = getattr(settings, "IMPORT_COPY_CHUNK_SIZE", COPY_CHUNK_SIZE)
        else:
            chunk_size = getattr(settings, "IMPORT_CHUNK_SIZE", CHUNK_SIZE)
    iterator = iter(records)
    with _one_collection_per_chunk():
        while chunk := list(itertools.islice(iterator, chunk_size)):
            loader.load(chunk)
            del chunk
            gc.collect()  # the chunk's cycles, if any, once its records are gone
    return counts


@contextmanager
def _one_collection_per_chunk() -> Iterator[None]:
    """Python's cyclic garbage collector off while chunks load, one full collection after
    each instead.

    Decoding and parsing a chunk allocates millions of objects (an OpenAlex abstract is an
    inverted index: a dict of lists), and the collector, run every 700 allocations, kept
    walking the chunk's live records: a quarter of an import's time. Cycles are freed after
    each chunk instead, so memory stays bounded.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
