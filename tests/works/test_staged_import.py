"""Staged imports (works.imports.staged) leave exactly the rows a whole-file import leaves.

The scenario of test_copy_path (demo, a batch changing records of every kind, an admin's
split and removal, a batch changing them back, undo, name-only authors) runs twice from
emptied tables with restarted sequences: once through works_import, once with each file cut
into byte-range parts staged separately and merged. Every column of every row is compared,
pks included, timestamps aside, and the works' search vectors (computed by the parts in the
staged run, by the trigger in the other).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from django.db import connection

from tests.works import test_copy_path as copy_path
from works.imports.batches import import_batch_run
from works.imports.registry import importer_for
from works.imports.run import ImportFailed
from works.imports.sources import openalex
from works.imports.staged import (
    PartsNotStaged,
    codec,
    parts,
    parts_stage_local,
    staged_batch_discard,
    staged_batch_merge,
    staged_batch_prepare,
    staged_batch_run,
)
from works.imports.staged.parts import part_raw_records, ranges_plan
from works.models import ImportBatch, ImportPart, StagedRecord, Work

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgresql,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="staging is PostgreSQL's"),
]

SAMPLE = copy_path.SAMPLES / "rag_works_sample.json.gz"


def _sample() -> list[dict]:
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def _sample_file(tmp_path: Path) -> Path:
    """The OpenAlex sample as JSON Lines."""
    path = tmp_path / "w.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _sample()), encoding="utf-8")
    return path


def _staged_run(path: Path, format: str = "openalex") -> ImportBatch:
    batch = ImportBatch.objects.create(format=format, file_name=path.name)
    staged_batch_run(batch, path, parts=3, workers=1)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    if format == "openalex":
        assert batch.parts.count() == 3  # the file was cut, as the test means
    assert not StagedRecord.objects.filter(batch_id=batch.pk).exists()
    return batch


def _search_documents() -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, search_document::text FROM works_work ORDER BY id")
        return cursor.fetchall()


def test_staged_import_leaves_the_rows_a_whole_file_import_leaves(
    settings, tmp_path, make_user, monkeypatch
):
    admin = make_user(is_staff=True, is_superuser=True)
    files = copy_path._files(tmp_path)
    settings.IMPORT_CHUNK_SIZE = settings.IMPORT_COPY_CHUNK_SIZE = copy_path.CHUNK
    monkeypatch.setattr(parts, "MIN_PART_BYTES", 1)
    compared = [m for m in copy_path.MODELS if m is not ImportBatch]

    copy_path._empty()
    whole = copy_path._scenario(files, admin)
    whole_vectors = _search_documents()
    monkeypatch.setattr(copy_path, "_run", _staged_run)
    copy_path._empty()
    staged = copy_path._scenario(files, admin)

    for step, (a, b) in enumerate(zip(whole, staged, strict=True)):
        for model in compared:
            assert b[model.__name__] == a[model.__name__], f"step {step}: {model} differs"
    assert _search_documents() == whole_vectors
    assert all(vector for _, vector in whole_vectors)


def test_parts_number_lines_and_records_as_the_whole_file(tmp_path, monkeypatch):
    monkeypatch.setattr(parts, "MIN_PART_BYTES", 1)
    lines = [json.dumps(r) for r in _sample()[:30]]
    lines[4:4] = ["", "   "]  # blank lines: counted as lines, not as records
    lines[20] = "{not json"
    path = tmp_path / "w.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    importer = importer_for("openalex")
    whole = [(r.line, r.index) for r in importer.read(path)]

    plans = ranges_plan(path, 4)
    assert len(plans) == 4
    assert plans[0].start == 0 and plans[-1].end == path.stat().st_size
    assert all(a.end == b.start for a, b in zip(plans, plans[1:], strict=False))
    split = [
        (r.line, r.index) for p in plans for r in part_raw_records(p, importer, max_bytes=None)
    ]
    assert split == whole


def test_codec_gives_back_the_record_it_was_given(tmp_path):
    path = _sample_file(tmp_path)
    records = [openalex.parse(raw) for raw in openalex.read(path)]
    assert [codec.decode(codec.encode(r)) for r in records] == records


def _bad_file(tmp_path: Path) -> Path:
    lines = [json.dumps(r) for r in _sample()[:40]]
    lines[25] = '{"id": "https://openalex.org/W1", "title": '  # broken JSON
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_bad_record_fails_the_batch_naming_its_line_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(parts, "MIN_PART_BYTES", 1)
    batch = ImportBatch.objects.create(format="openalex", file_name="bad.jsonl")
    with pytest.raises(ImportFailed) as failed:
        staged_batch_run(batch, _bad_file(tmp_path), parts=3, workers=1)
    assert "line 26, record 26" in str(failed.value)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.errors[0]["line"] == 26
    assert not Work.objects.exists()
    assert not StagedRecord.objects.filter(batch_id=batch.pk).exists()


def test_skip_bad_imports_the_rest_and_lists_the_bad_record(tmp_path, monkeypatch):
    monkeypatch.setattr(parts, "MIN_PART_BYTES", 1)
    batch = ImportBatch.objects.create(format="openalex", file_name="bad.jsonl", skip_bad=True)
    result = staged_batch_run(batch, _bad_file(tmp_path), parts=3, workers=1)
    assert Work.objects.count() == 39
    assert [e.line for e in result.skipped] == [26]
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.SUCCEEDED and batch.records_read == 40


def test_a_part_lost_before_the_merge_is_staged_again(tmp_path, monkeypatch):
    """A database crash empties UNLOGGED tables: the merge notices, writes nothing, and the
    batch merges once the part is staged again."""
    monkeypatch.setattr(parts, "MIN_PART_BYTES", 1)
    path = _sample_file(tmp_path)
    batch = ImportBatch.objects.create(format="openalex", file_name=path.name)
    staged_batch_prepare(batch, path, parts=3)
    parts_stage_local(batch, workers=1)
    StagedRecord.objects.filter(batch_id=batch.pk, part=2).delete()
    with pytest.raises(PartsNotStaged) as lost:
        staged_batch_merge(batch)
    assert lost.value.numbers == [2]
    assert not Work.objects.exists()
    ImportPart.objects.filter(batch=batch, number=2).update(status=ImportPart.Status.PENDING)
    parts_stage_local(batch, workers=1)
    staged_batch_merge(batch)
    assert Work.objects.count() == len(_sample())
    assert staged_batch_merge(batch) is None  # merged already: a second delivery does nothing


def test_discard_drops_what_was_staged(tmp_path):
    path = _sample_file(tmp_path)
    batch = ImportBatch.objects.create(format="openalex", file_name=path.name)
    staged_batch_prepare(batch, path, parts=2)
    parts_stage_local(batch, workers=1)
    staged_batch_discard(batch, by="admin")
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert "discarded by admin" in batch.errors[0]["message"]
    assert not StagedRecord.objects.filter(batch_id=batch.pk).exists()
    assert not batch.parts.exists() and not Work.objects.exists()


def test_a_directory_imports_file_by_file_with_each_file_named_in_errors(tmp_path):
    records = _sample()
    folder = tmp_path / "snapshot"
    folder.mkdir()
    with gzip.open(folder / "part_000.gz", "wt", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in records[:100]))
    (folder / "part_001").write_text(
        "".join(json.dumps(r) + "\n" for r in records[100:]) + "[1, 2\n", encoding="utf-8"
    )
    batch = ImportBatch.objects.create(format="openalex", file_name="snapshot", skip_bad=True)
    result = staged_batch_run(batch, folder, parts=8, workers=1)
    assert batch.parts.count() == 2
    assert Work.objects.count() == len(records)
    (error,) = result.skipped
    assert error.file.endswith("part_001") and error.line == len(records) - 100 + 1


@pytest.mark.django_db(transaction=True)
def test_two_processes_stage_what_one_does(tmp_path, monkeypatch):
    """Parts staged by two spawned processes merge to the same works as a one-process run."""
    monkeypatch.setattr(parts, "MIN_PART_BYTES", 1)
    path = _sample_file(tmp_path)
    batch = ImportBatch.objects.create(format="openalex", file_name=path.name)
    staged_batch_prepare(batch, path, parts=4)
    parts_stage_local(batch, workers=2)
    assert set(batch.parts.values_list("status", flat=True)) == {ImportPart.Status.STAGED}
    staged_batch_merge(batch)
    staged_works = sorted(Work.objects.values_list("openalex_id", "title", "cited_by_count"))

    Work.objects.all().delete()
    whole = ImportBatch.objects.create(format="openalex", file_name=path.name)
    import_batch_run(batch=whole, path=path)
    assert sorted(Work.objects.values_list("openalex_id", "title", "cited_by_count")) == (
        staged_works
    )


def test_parts_are_capped_in_size_whatever_was_asked(tmp_path, monkeypatch):
    """A stage worker's memory follows its part: a big file gets more parts, not bigger."""
    monkeypatch.setattr(parts, "MIN_PART_BYTES", 1)
    path = _sample_file(tmp_path)
    monkeypatch.setattr(parts, "MAX_PART_BYTES", path.stat().st_size // 10)
    plans = ranges_plan(path, 2)
    assert len(plans) >= 10
    longest_line = max(map(len, path.read_bytes().splitlines(keepends=True)))
    assert max(p.end - p.start for p in plans) <= parts.MAX_PART_BYTES + longest_line


def test_a_running_staged_batch_shows_the_records_its_parts_read(tmp_path):
    from works.imports.batches import import_batch_progress
    from works.imports.staged import part_stage

    path = _sample_file(tmp_path)
    batch = ImportBatch.objects.create(format="openalex", file_name=path.name)
    first, *_ = staged_batch_prepare(batch, path, parts=1)
    assert import_batch_progress(batch=batch)["records_read"] == 0
    part_stage(first.pk)
    progress = import_batch_progress(batch=batch)
    assert progress["records_read"] == len(_sample()) == progress["parts"]["records"]
