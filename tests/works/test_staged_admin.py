"""The batch page of a staged import: parts progress, and "Resume" / "Discard staged parts"
(a confirmation page, then a POST that needs staff, the change permission and CSRF)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from works.imports.staged import part_stage, staged_batch_prepare
from works.models import ImportBatch, ImportPart, StagedRecord, Work

from .staged_files import openalex_part_files

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]


@pytest.fixture
def stalled_batch(tmp_path) -> ImportBatch:
    """A staged import of three parts whose third part's task never ran."""
    directory = tmp_path / "snapshot"
    openalex_part_files(directory)
    batch = ImportBatch.objects.create(format="auto", file_name=str(directory))
    staged_batch_prepare(batch, directory, parts=8)
    for pk in batch.parts.filter(number__lt=3).values_list("pk", flat=True):
        part_stage(pk)
    batch.refresh_from_db()
    return batch


def _csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_batch_page_counts_parts_and_records(stalled_batch, client, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    staged = sum(stalled_batch.parts.values_list("records", flat=True))

    page = client.get(reverse("admin:works_importbatch_change", args=[stalled_batch.pk]))

    html = page.content.decode()
    assert f"2 of 3 parts staged, {staged} records staged" in html
    assert "part_002.gz" in html and "whole file" in html
    assert 'id="resume-batch"' in html and 'id="discard-batch"' in html
    progress = client.get(reverse("admin:works_importbatch_progress", args=[stalled_batch.pk]))
    assert "2 of 3 parts staged" in progress.content.decode()


def test_discard_needs_csrf_then_deletes_the_staged_parts(stalled_batch, make_user):
    client = _csrf_client(make_user(is_staff=True, is_superuser=True))
    url = reverse("admin:works_importbatch_discard", args=[stalled_batch.pk])

    page = client.get(url)
    assert f"Discard the staged parts of import batch #{stalled_batch.pk}?" in page.content.decode()
    forged = client.post(url, {"confirm": "yes"})
    assert forged.status_code == 403
    assert stalled_batch.parts.count() == 3

    token = client.cookies["csrftoken"].value
    done = client.post(url, {"confirm": "yes", "csrfmiddlewaretoken": token})

    assert done.status_code == 302
    stalled_batch.refresh_from_db()
    assert stalled_batch.status == ImportBatch.Status.FAILED
    assert not stalled_batch.parts.exists()
    assert not StagedRecord.objects.filter(batch_id=stalled_batch.pk).exists()
    assert not Work.objects.exists()


def test_resume_and_discard_need_staff_with_the_change_permission(stalled_batch, client, make_user):
    urls = [
        reverse(f"admin:works_importbatch_{what}", args=[stalled_batch.pk])
        for what in ("resume", "discard")
    ]
    client.force_login(make_user())  # not staff: the admin's login page
    for url in urls:
        response = client.post(url, {"confirm": "yes"})
        assert response.status_code == 302 and "/login/" in response["Location"]

    viewer = make_user(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_importbatch"))
    client.force_login(viewer)
    for url in urls:
        assert client.post(url, {"confirm": "yes"}).status_code == 403

    stalled_batch.refresh_from_db()
    assert stalled_batch.status == ImportBatch.Status.RUNNING
    assert stalled_batch.parts.filter(status=ImportPart.Status.STAGED).count() == 2


def test_resume_queues_the_parts_not_staged(
    stalled_batch, client, make_user, django_capture_on_commit_callbacks
):
    from bzpeer.celery import app

    client.force_login(make_user(is_staff=True, is_superuser=True))
    url = reverse("admin:works_importbatch_resume", args=[stalled_batch.pk])
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"confirm": "yes"})
    finally:
        app.conf.task_always_eager = saved

    assert response.status_code == 302
    stalled_batch.refresh_from_db()
    assert stalled_batch.status == ImportBatch.Status.SUCCEEDED, stalled_batch.errors
    assert Work.objects.filter(import_batch=stalled_batch).exists()
    page = client.get(reverse("admin:works_importbatch_change", args=[stalled_batch.pk]))
    html = page.content.decode()
    assert "3 of 3 parts staged" in html and 'id="resume-batch"' not in html
