"""A split OpenAlex snapshot imported with `import_works --staged --queue`: one task per
part file crosses Redis to a real worker, the last one queues the merge."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.integration.waiting import wait_for
from tests.works.staged_files import openalex_part_files
from works.models import ImportBatch, ImportPart, StagedRecord, Work

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_split_snapshot_is_staged_and_merged_by_the_worker(celery_worker_process, tmp_path):
    directory = tmp_path / "snapshot"
    records = openalex_part_files(directory)
    out = io.StringIO()

    call_command("import_works", str(directory), "--staged", "--queue", stdout=out)

    batch = ImportBatch.objects.get()
    assert f"batch {batch.pk} queued, 3 part(s)" in out.getvalue()
    wait_for(
        lambda: ImportBatch.objects.filter(
            pk=batch.pk, status__in=["succeeded", "failed"]
        ).exists(),
        timeout=90,
        what="the worker to stage the parts and merge them",
    )
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    assert (batch.format, batch.records_read) == ("openalex", records)
    assert Work.objects.filter(import_batch=batch).count() == records
    parts = batch.parts.order_by("number")
    assert [p.status for p in parts] == [ImportPart.Status.STAGED] * 3
    assert sum(p.records for p in parts) == records
    assert not StagedRecord.objects.filter(batch_id=batch.pk).exists()
