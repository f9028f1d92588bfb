"""Import batch pages that tell the truth (issue 15, item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.base import ContentFile
from django.urls import reverse

from works.imports.batches import import_batch_run
from works.models import BatchChange, ImportBatch, Work

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SNAPSHOT = FIXTURES / "arxiv" / "arxiv_snapshot_head.jsonl"


@pytest.fixture
def curator(make_user):
    return make_user(is_staff=True, is_superuser=True)


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _skipping_batch(tmp_path) -> ImportBatch:
    lines = SNAPSHOT.read_text(encoding="utf-8").splitlines()[:20]
    lines[4] = "{not json"
    path = tmp_path / "head.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    batch = ImportBatch.objects.create(format="arxiv", file_name="head.jsonl", skip_bad=True)
    import_batch_run(batch=batch, path=path)
    batch.refresh_from_db()
    return batch


@pytest.mark.django_db
def test_batch_page_with_skipped_records_shows_no_false_error_banner(curator_client, tmp_path):
    batch = _skipping_batch(tmp_path)
    assert batch.errors  # the case that used to show the banner

    html = curator_client.get(reverse("admin:works_importbatch_change", args=[batch.pk]))
    page = html.content.decode()

    assert "Please correct the error" not in page and 'class="errornote"' not in page
    assert "Records skipped: 1." in page and "Skipped records" in page


@pytest.mark.django_db
def test_batch_page_has_no_editable_system_fields_and_one_status_block(curator_client, tmp_path):
    batch = _skipping_batch(tmp_path)
    url = reverse("admin:works_importbatch_change", args=[batch.pk])
    page = curator_client.get(url).content.decode()

    for field in ("undone_at", "undone_by", "status", "records_read", "counts", "errors"):
        assert f'name="{field}' not in page
    assert 'name="_save"' not in page  # nothing to save
    assert page.count("20 records read") == 1 and page.count("Succeeded") == 1

    curator_client.post(url, {"status": "pending", "undone_at_0": "2020-01-01"})
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.SUCCEEDED and batch.undone_at is None


@pytest.mark.django_db
def test_undone_batch_counts_match_its_tables_and_link_no_gone_duplicates(
    curator_client, curator, tmp_path
):
    batch = _skipping_batch(tmp_path)
    ImportBatch.objects.filter(pk=batch.pk).update(counts={**batch.counts, "duplicates_found": 2})
    url = reverse("admin:works_importbatch_change", args=[batch.pk])
    assert "2 likely duplicate works" in curator_client.get(url).content.decode()
    page = curator_client.get(reverse("admin:works_importbatch_undo", args=[batch.pk]))
    assert "Yes, undo batch" in page.content.decode()
    done = curator_client.post(
        reverse("admin:works_importbatch_undo", args=[batch.pk]), {"confirm": "yes"}
    )
    assert done.status_code == 302 and done["Location"] == url

    page = curator_client.get(url).content.decode()
    assert "Undone" in page and "Records skipped: 1." in page and "Skipped records" in page
    assert "likely duplicate" not in page and "Undo this batch" not in page
    assert Work.objects.count() == 0
    entry = LogEntry.objects.get(object_id=str(batch.pk))
    assert entry.user == curator and entry.change_message.startswith(f"Batch #{batch.pk} undone")


@pytest.mark.django_db
def test_batch_page_has_an_undo_button_and_delete_is_refused_while_undo_is_possible(
    curator_client, tmp_path
):
    batch = _skipping_batch(tmp_path)
    assert BatchChange.objects.filter(batch=batch).exists()
    page = curator_client.get(reverse("admin:works_importbatch_change", args=[batch.pk]))
    listing = curator_client.get(reverse("admin:works_importbatch_changelist")).content.decode()

    assert reverse("admin:works_importbatch_undo", args=[batch.pk]) in page.content.decode()
    delete_url = reverse("admin:works_importbatch_delete", args=[batch.pk])
    assert curator_client.get(delete_url).status_code == 403
    assert curator_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert ImportBatch.objects.filter(pk=batch.pk).exists()
    assert "delete_selected" not in listing
    assert ">Upload import</a>" in listing and "Add import batch" not in listing


@pytest.mark.django_db
def test_uploaded_file_downloads_for_staff_only(curator_client, client, make_user, media):
    batch = ImportBatch(format="bibtex", file_name="refs.bib", bytes_total=12)
    batch.file.save("refs.bib", ContentFile(b"@article{x,}"), save=True)
    url = reverse("admin:works_importbatch_download", args=[batch.pk])
    page = curator_client.get(reverse("admin:works_importbatch_change", args=[batch.pk]))

    response = curator_client.get(url)

    assert url in page.content.decode()
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"@article{x,}"
    assert 'attachment; filename="refs.bib"' in response["Content-Disposition"]
    client.force_login(make_user())  # not staff: the admin's login page
    assert client.get(url).status_code == 302
    client.force_login(make_user(is_staff=True))  # staff without permission
    assert client.get(url).status_code == 403
