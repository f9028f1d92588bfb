"""The loader's COPY path (PostgreSQL) leaves exactly the rows its ORM path leaves.

One scenario runs twice on the same database, once per path (settings.IMPORT_COPY), from
emptied tables with restarted sequences: the demo load (OpenAlex samples, the seed
researcher's works with an owner), a batch that changes records of every kind, an admin's
split and removal, a batch that changes them back (sticky decisions), name-only authors
from arXiv and BibTeX, then undo. Every column of every row the loader or undo writes is
compared, pks included; only timestamps (when, not what) are left out.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import DateTimeField

from profiles.curation import authorships_remove, authorships_split
from profiles.models import DirtyAuthor
from works.imports.batches import import_batch_run
from works.imports.undo import import_batch_undo
from works.models import (
    Author,
    Authorship,
    AuthorshipOverride,
    BatchChange,
    DuplicateWorkCandidate,
    ImportBatch,
    Institution,
    Topic,
    Venue,
    Work,
    WorkTopic,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's"),
]

SAMPLES = Path(__file__).resolve().parents[2] / "works" / "fixtures" / "openalex"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
OA = "https://openalex.org/"
# small chunks: records of one kind span chunks, so "created in an earlier chunk" happens
CHUNK = 97
MODELS = (
    Work,
    Author,
    Authorship,
    Authorship.institutions.through,
    WorkTopic,
    Topic,
    Institution,
    Venue,
    BatchChange,
    AuthorshipOverride,
    DuplicateWorkCandidate,
    DirtyAuthor,
    ImportBatch,
)


def _load(name: str) -> list[dict]:
    with gzip.open(SAMPLES / name, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _timeless(value):
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k not in ("updated_at", "created_at")}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def _dump() -> dict[str, list[dict]]:
    """Every row of every table the loader and undo write, all columns but timestamps."""
    out = {}
    for model in MODELS:
        times = {f.attname for f in model._meta.concrete_fields if isinstance(f, DateTimeField)}
        rows = model.objects.order_by("pk").values()
        out[model.__name__] = [
            _timeless({k: v for k, v in row.items() if k not in times}) for row in rows
        ]
    return out


def _empty() -> None:
    """Empties the tables (not the users) and restarts their sequences, in the test's
    transaction: the second run starts where the first did."""
    tables = [m._meta.db_table for m in MODELS]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks on them
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _files(tmp_path: Path) -> dict[str, Path]:
    works = copy.deepcopy(_load("rag_works_sample.json.gz"))
    authors = copy.deepcopy(_load("rag_authors_sample.json.gz")[:3])
    institutions = copy.deepcopy(_load("rag_institutions_sample.json.gz")[:2])
    changed = copy.deepcopy(works[:40])
    changed[0]["title"] = "A different title"
    changed[0]["cited_by_count"] += 5
    changed[1]["authorships"].reverse()
    changed[2]["authorships"][-1] = {
        "author": {"id": f"{OA}A999999999", "display_name": "Brand New"},
        "institutions": [{"id": f"{OA}I999999999", "display_name": "Institute of Sameness"}],
        "raw_author_name": "B. New",
    }
    changed[3]["concepts"] = [{"id": f"{OA}C999999999", "display_name": "Same", "score": 0.9}]
    changed[4]["primary_location"] = {"source": {"id": f"{OA}S999999999", "display_name": "J."}}
    changed[5]["publication_year"] = None
    for work in changed[6:]:
        work["cited_by_count"] += 1
    fresh = copy.deepcopy(works[7])
    fresh.update(id=f"{OA}W999999999", doi=None, title="A work only batch B has")
    authors[0]["display_name"] = "Renamed By Batch B"
    authors[1]["display_name_alternatives"] = ["Another Variant"]
    institutions[0]["display_name"] = "Renamed Institution"
    return {
        "b": _write(tmp_path / "b.jsonl", institutions + authors + changed + [fresh]),
        "c": _write(tmp_path / "c.jsonl", works[:60]),
    }


def _run(path: Path, format: str = "openalex") -> ImportBatch:
    batch = ImportBatch.objects.create(format=format, file_name=path.name)
    import_batch_run(batch=batch, path=path)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    return batch


def _scenario(files: dict[str, Path], admin) -> list[dict]:
    states = []
    call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())
    states.append(_dump())
    _run(files["b"])
    states.append(_dump())
    split, removed = Authorship.objects.filter(author__isnull=False).order_by("pk")[5:7]
    authorships_split(authorships=[split], user=admin, reason="another person")
    authorships_remove(authorships=[removed], user=admin, reason="not an author")
    batch_c = _run(files["c"])
    states.append(_dump())
    import_batch_undo(batch=batch_c, user=admin)
    states.append(_dump())
    _run(FIXTURES / "arxiv" / "arxiv_snapshot_head.jsonl", "arxiv")
    _run(FIXTURES / "vipa_mingli_song.bib", "bibtex")
    states.append(_dump())
    return states


def test_copy_path_leaves_the_rows_the_orm_path_leaves(settings, tmp_path, make_user):
    admin = make_user(is_staff=True, is_superuser=True)
    files = _files(tmp_path)
    settings.IMPORT_CHUNK_SIZE = settings.IMPORT_COPY_CHUNK_SIZE = CHUNK

    settings.IMPORT_COPY = False
    _empty()
    orm = _scenario(files, admin)
    settings.IMPORT_COPY = True
    _empty()
    fast = _scenario(files, admin)

    assert len(fast) == len(orm)
    for step, (a, b) in enumerate(zip(orm, fast, strict=True)):
        for table in a:
            assert b[table] == a[table], f"step {step}: {table} differs"
    # the scenario did exercise the paths it compares
    final = orm[-1]
    actions = {row["action"] for row in final["BatchChange"]}
    assert actions == {"created", "updated", "authorships_replaced", "topics_replaced"}
    assert final["AuthorshipOverride"]


def test_copy_path_merges_sources_as_the_orm_path_does(settings, tmp_path):
    """The merge matrix's paper from BibTeX, arXiv, then OpenAlex (conflicts kept, name-only
    placeholders deleted), then undo of the OpenAlex batch (placeholders back): both paths
    leave the same rows at every step."""
    from tests.works.test_merge_fidelity import SOURCES

    files = {name: build(tmp_path) for name, build in SOURCES.items()}

    def scenario() -> list[dict]:
        _empty()
        states = []
        for name in ("bibtex", "arxiv", "openalex"):
            last = _run(files[name], name)
            states.append(_dump())
        import_batch_undo(batch=last, user=None)
        states.append(_dump())
        return states

    settings.IMPORT_COPY = False
    orm = scenario()
    settings.IMPORT_COPY = True
    fast = scenario()

    for step, (a, b) in enumerate(zip(orm, fast, strict=True)):
        for table in a:
            assert b[table] == a[table], f"step {step}: {table} differs"
    actions = {row["action"] for row in orm[2]["BatchChange"]}
    assert {"deleted", "updated", "authorships_replaced", "topics_replaced"} <= actions
    assert orm[2]["Work"][0]["conflicts"]


def test_duplicate_candidates_trigram_finds_what_the_sqlite_prefix_path_finds_and_more(
    make_work,
):
    """PostgreSQL's pg_trgm candidates against SQLite's same-first-words ones, both judged by
    the same pair_reason: the trigram path loses none and adds the typo in word three."""
    from works.imports.duplicates import _candidates_prefix, _candidates_trigram, pair_reason

    titles = [
        ("deep residual learning for image recognition", 2016),
        ("deep residual learnin for image recognition", 2016),  # typo in word three
        ("deep residual learning for image recognitoin", 2017),  # typo at the end, next year
        ("deep residual learning for image recognition", 2019),  # three years on
        ("attention is all you need", 2017),
        ("attention is all you nead", 2017),
        ("graph neural networks part 1", 2020),
        ("graph neural networks part 2", 2020),  # numbers differ: another work
    ]
    works = [make_work(title=t, year=y) for t, y in titles]
    mine = list(
        Work.objects.filter(pk__in=[w.pk for w in works]).values_list(
            "pk", "title_key", "year", "doi", "arxiv_id"
        )
    )

    def accepted(candidates) -> set[tuple[int, int]]:
        return {
            (min(a[0], b[0]), max(a[0], b[0]))
            for a, b in candidates
            if a[0] != b[0] and pair_reason(a, b)
        }

    # the prefix path on PostgreSQL too: what imports above IMPORT_DUPLICATES_TRGM_MAX_WORKS use
    trigram, prefix = accepted(_candidates_trigram(mine)), accepted(_candidates_prefix(mine))
    first, typo3, typo_end, later, attention, nead, part1, part2 = (w.pk for w in works)
    assert prefix <= trigram
    assert (first, typo3) in trigram - prefix
    assert {(first, typo_end), (typo3, typo_end), (attention, nead)} <= trigram
    assert not {pair for pair in trigram if later in pair}
    assert (part1, part2) not in trigram | prefix


def test_write_backend_is_chosen_once_from_the_database_and_the_setting(settings):
    from works.imports.loader import ChunkLoader, LoadCounts
    from works.imports.loader.backends import CopyBackend, OrmBackend

    settings.IMPORT_COPY = True
    loader = ChunkLoader(source="openalex", batch=None, counts=LoadCounts())
    assert isinstance(loader.backend, CopyBackend)
    settings.IMPORT_COPY = False  # a loader keeps the backend it started with
    assert isinstance(loader.backend, CopyBackend)
    assert isinstance(
        ChunkLoader(source="openalex", batch=None, counts=LoadCounts()).backend, OrmBackend
    )
