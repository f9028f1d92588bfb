"""Authors: persistent ids first, then name-only authors by the evidence of their bylines.

Two records with different persistent ids are never merged; a name-only author (BibTeX,
arXiv) joins an existing author of the same normalised name only when they share a work or
a co-author; a name that mixes scripts or looks like a stored name letter for letter is a
new author flagged `confusable_name`, never a match.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils.text import slugify

from bzpeer.lib.names import confusable_skeleton, mixes_scripts, name_slug, normalize_name
from works.models import Author, Authorship, search_names_for

from .. import merge
from ..records import AuthorRecord, WorkRecord
from .rows import apply_changes, field_names, new

if TYPE_CHECKING:
    from .chunk import ChunkLoader


def authors_upsert(
    loader: ChunkLoader, entities: list[AuthorRecord], embedded: list[AuthorRecord]
) -> dict:
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
            author = new(
                Author,
                {
                    "display_name": record.display_name[:255],
                    "name_variants": list(record.name_variants),
                    "openalex_id": record.openalex_id,
                    "orcid": record.orcid if record.orcid not in index else None,
                    "dblp_pid": record.dblp_pid if record.dblp_pid not in index else None,
                    "arxiv_name": record.arxiv_name,
                    "source_record": (
                        record.source_record or loader.embedded_source.get(id(record), "")
                    ),
                    "last_known_institution_id": institution_pk(loader, record),
                    **loader.provenance,
                    **loader.imported_author,
                },
            )
            author.field_sources = author_sources(loader, author)
            to_create.append(author)
        elif author.pk and id(author) not in seen:
            offered = {}
            # Only an author entity speaks for the author's name and affiliation; the
            # copy embedded in a work is a snapshot of it.
            if id(record) in entity_ids:
                offered["display_name"] = record.display_name[:255]
                variants = sorted(set(author.name_variants) | set(record.name_variants))
                offered["name_variants"] = variants
                offered["last_known_institution_id"] = institution_pk(loader, record)
            for name in ("openalex_id", "orcid", "dblp_pid"):
                value = getattr(record, name)
                # never take over an id another record already holds
                if value and not getattr(author, name) and value not in index:
                    offered[name] = value
            # by source precedence, as a work's fields (merge.fields_merge)
            merged = merge.fields_merge(
                {name: getattr(author, name) for name in offered},
                offered,
                sources=author.field_sources,
                conflicts={},
                source=loader.source,
                batch_id=loader.provenance["import_batch_id"],
                row_source=author.source,
                conflict_fields=(),
            )
            values = merged.values | {"field_sources": merged.sources}
            if changed := apply_changes(author, values):
                fields.update(changed)
                updated[author.pk] = author
                previous[author.pk] = changed
        seen.add(id(author))
        for key in keys:
            index.setdefault(key, author)
    assign_slugs(to_create)
    for author in to_create:
        author.name_key = normalize_name(author.display_name)
        author.search_names = search_names(author)
    flag_confusable_names(to_create)
    loader.backend.insert(Author, to_create)
    loader.record_created(Author, to_create)
    loader.created_author_pks.update(a.pk for a in to_create)
    if updated:
        for author in updated.values():
            # derived columns the update rewrites go back too on undo
            for name in ("name_key", "search_names", "updated_at"):
                previous[author.pk].setdefault(name, getattr(author, name))
        if fields & {"display_name", "name_variants"}:
            fields |= {"name_key", "search_names"}
            for author in updated.values():
                author.name_key = normalize_name(author.display_name)
                author.search_names = search_names(author)
        fields.add("updated_at")
        for author in updated.values():
            author.updated_at = loader.now
        loader.record_updated(Author, previous)
        loader.backend.update(Author, list(updated.values()), field_names(Author, fields))
    loader.counts.created["authors"] += len(to_create)
    loader.counts.updated["authors"] += len(updated)
    matched = {a.pk for a in existing}
    loader.counts.unchanged["authors"] += len(matched - set(updated))
    loader.counts.touched_author_ids.update(a.pk for a in to_create)
    # a merged author's ids keep pointing at the author it was merged into
    return {key: (a.merged_into_id or a.pk) for key, a in index.items()}


AUTHOR_SOURCED_FIELDS = (
    "display_name",
    "name_variants",
    "openalex_id",
    "orcid",
    "dblp_pid",
    "arxiv_name",
    "last_known_institution_id",
)


def author_sources(loader: ChunkLoader, author: Author) -> dict:
    """field_sources of an author the loader creates: every field its record gave."""
    return merge.new_row_sources(
        {name: getattr(author, name) for name in AUTHOR_SOURCED_FIELDS},
        source=loader.source,
        batch_id=loader.provenance["import_batch_id"],
    )


def institution_pk(loader: ChunkLoader, record: AuthorRecord) -> int | None:
    institution = record.last_known_institution
    if institution is None:
        return None
    return loader.institution_ids.get(institution.openalex_id or institution.ror)


def name_only_resolve(
    loader: ChunkLoader, works: list[WorkRecord], work_ids: list[int], decided: dict | None = None
) -> dict:
    """{(work index, position): author pk} for authors known by name only.

    Evidence for joining an existing author: the same work already credits them, or they
    share a co-author on this byline. Otherwise the name gets a new author. Slots an
    admin decided (`decided`, see bylines.decisions) are left alone.
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
            if loader.owner is not None and key == loader.owner.name_key:
                resolved[(w_index, position)] = loader.owner.pk
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
                pending[match] = new(
                    Author,
                    {
                        "display_name": record.display_name[:255],
                        "name_variants": list(record.name_variants),
                        "arxiv_name": record.arxiv_name,
                        "source_record": work.source_record,
                        **loader.provenance,
                        **loader.imported_author,
                    },
                )
                pending[match].field_sources = author_sources(loader, pending[match])
                candidates[key].append(match)
            resolved[(w_index, position)] = match
            coauthors[match] |= others
            works_of[match].add(work_pk)
    fresh = list(pending.values())
    assign_slugs(fresh)
    for author in fresh:
        author.name_key = normalize_name(author.display_name)
        author.search_names = search_names(author)
    flag_confusable_names(fresh)
    loader.backend.insert(Author, fresh)
    loader.record_created(Author, fresh)
    loader.created_author_pks.update(a.pk for a in fresh)
    loader.counts.created["authors"] += len(fresh)
    loader.counts.touched_author_ids.update(a.pk for a in fresh)
    return {slot: pending[pk].pk if pk < 0 else pk for slot, pk in resolved.items()}


def assign_slugs(authors: list[Author]) -> None:
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


def flag_confusable_names(authors: list[Author]) -> None:
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


def search_names(author: Author) -> str:
    return search_names_for(author.display_name, author.name_variants)
