"""An admin upload crosses Redis to a real worker, which imports the file into PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.integration.waiting import wait_for
from works.models import ImportBatch, Work

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SNAPSHOT = (
    Path(__file__).resolve().parents[1]
    / "works"
    / "fixtures"
    / "arxiv"
    / "arxiv_snapshot_head.jsonl"
)


def test_admin_upload_is_imported_by_the_worker(celery_worker_process, client, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    upload = SimpleUploadedFile("snapshot.jsonl", SNAPSHOT.read_bytes())

    response = client.post(
        reverse("admin:works_importbatch_add"), {"format": "auto", "file": upload}
    )

    batch = ImportBatch.objects.get()
    try:
        assert response.status_code == 302
        progress = reverse("admin:works_importbatch_progress", args=[batch.pk])
        wait_for(
            lambda: ImportBatch.objects.filter(
                pk=batch.pk, status__in=["succeeded", "failed"]
            ).exists(),
            timeout=60,
            what="the worker to finish the import",
        )
        batch.refresh_from_db()
        assert batch.status == "succeeded", batch.errors
        assert (batch.format, batch.records_read) == ("arxiv", 200)
        assert Work.objects.filter(import_batch=batch).count() == 200
        html = client.get(progress).content.decode()
        assert "200 records read" in html and "hx-trigger" not in html
    finally:
        batch.file.delete(save=False)
