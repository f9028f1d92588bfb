"""import_works --staged (here, in processes), --resume and --discard; PostgreSQL only."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from works.imports.staged import part_stage, staged_batch_prepare
from works.models import ImportBatch, ImportPart, StagedRecord, Work

from .staged_files import openalex_part_files


@pytest.fixture
def snapshot(tmp_path):
    directory = tmp_path / "snapshot"
    return directory, openalex_part_files(directory)


@pytest.mark.sqlite
@pytest.mark.django_db
@pytest.mark.parametrize("option", [["--staged"], ["--resume", "1"], ["--discard", "1"]])
def test_staged_imports_refuse_sqlite(snapshot, monkeypatch, option):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="staged imports need PostgreSQL"):
        call_command("import_works", str(snapshot[0]), *option)
    assert not ImportBatch.objects.exists()


@pytest.mark.sqlite
@pytest.mark.django_db
def test_a_directory_needs_staged(snapshot):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_works", str(snapshot[0]))


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)  # the staging processes see committed rows only
def test_staged_imports_a_manifest_in_processes(snapshot):
    directory, records = snapshot
    manifest = directory / "manifest.txt"
    manifest.write_text("part_000\npart_001\npart_002.gz\n")
    out = io.StringIO()

    call_command("import_works", str(manifest), "--staged", "--workers", "2", stdout=out)

    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    assert batch.parts.count() == 3
    assert Work.objects.filter(import_batch=batch).count() == records
    assert ": openalex: " in out.getvalue()


def _stalled(directory) -> ImportBatch:
    batch = ImportBatch.objects.create(format="auto", file_name=str(directory))
    staged_batch_prepare(batch, directory, parts=8)
    part_stage(batch.parts.get(number=1).pk)
    return batch


@pytest.mark.postgresql
@pytest.mark.django_db
def test_resume_stages_the_rest_and_merges(snapshot):
    directory, records = snapshot
    batch = _stalled(directory)

    call_command("import_works", "--resume", str(batch.pk), "--workers", "1", stdout=io.StringIO())

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    assert Work.objects.filter(import_batch=batch).count() == records
    assert set(batch.parts.values_list("status", flat=True)) == {ImportPart.Status.STAGED}


@pytest.mark.postgresql
@pytest.mark.django_db
def test_discard_then_resume_is_refused(snapshot):
    batch = _stalled(snapshot[0])

    call_command("import_works", "--discard", str(batch.pk), stdout=io.StringIO())

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert not StagedRecord.objects.filter(batch_id=batch.pk).exists()
    with pytest.raises(CommandError, match="nothing to resume"):
        call_command("import_works", "--resume", str(batch.pk))
