"""The admin's import workflow: upload, the Celery task, live progress, limits, concurrency."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from tests.integration.waiting import wait_for
from works import tasks
from works.imports import batches
from works.imports.run import works_import
from works.models import ImportBatch, Work

pytestmark = pytest.mark.sqlite

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SNAPSHOT = FIXTURES / "arxiv" / "arxiv_snapshot_head.jsonl"
OAI_RAW = FIXTURES / "arxiv" / "oai_arxivraw.xml"
ADD_URL = "admin:works_importbatch_add"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def superuser_client(client, make_user):
    user = make_user(is_staff=True, is_superuser=True)
    client.force_login(user)
    client.user = user
    return client


def _upload(client, path: Path, content: bytes | None = None, **fields):
    data = {"format": "auto", **fields}
    data["file"] = SimpleUploadedFile(
        path.name, content if content is not None else path.read_bytes()
    )
    return client.post(reverse(ADD_URL), data)


@pytest.mark.django_db
def test_admin_upload_runs_the_import_and_shows_the_outcome(
    superuser_client, media, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _upload(superuser_client, SNAPSHOT)

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:works_importbatch_change", args=[batch.pk])
    assert len(callbacks) >= 1  # queued only once the batch row was committed
    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert (batch.format, batch.records_read, batch.created_by) == (
        "arxiv",
        200,
        superuser_client.user,
    )
    assert batch.file.name.startswith("imports/") and (media / batch.file.name).is_file()
    assert batch.bytes_total == SNAPSHOT.stat().st_size
    assert batch.counts["created"]["works"] == 200
    assert Work.objects.filter(import_batch=batch).count() == 200

    page = superuser_client.get(response["Location"]).content.decode()
    assert "Succeeded" in page and "200 records read" in page
    assert '<th scope="row">works</th><td>200</td><td>0</td><td>0</td>' in page
    assert "hx-trigger" not in page  # finished: nothing to poll


@pytest.mark.django_db
def test_admin_upload_of_a_bad_file_lists_the_errors_and_imports_nothing(
    superuser_client, media, eager_celery, django_capture_on_commit_callbacks
):
    lines = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace('"title":', '"title": 7, "x":', 1)
    content = ("\n".join(lines) + "\n").encode()
    with django_capture_on_commit_callbacks(execute=True):
        _upload(superuser_client, SNAPSHOT, content=content)

    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED
    assert Work.objects.count() == 0
    assert batch.errors == [
        {
            "line": 3,
            "index": 3,
            "record": "0704.0003",
            "field": "title",
            "message": "the paper has no title",
        }
    ]
    page = superuser_client.get(reverse("admin:works_importbatch_change", args=[batch.pk]))
    html = page.content.decode()
    assert "Why nothing was imported" in html
    assert "<td>3</td><td>3</td><td>0704.0003</td><td>title</td>" in html


@pytest.mark.django_db
def test_admin_upload_with_skip_bad_lists_every_skipped_record(
    superuser_client, media, eager_celery, django_capture_on_commit_callbacks
):
    lines = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    lines[4] = "{not json"
    lines[6] = lines[6][:30]
    content = ("\n".join(lines) + "\n").encode()
    with django_capture_on_commit_callbacks(execute=True):
        _upload(superuser_client, SNAPSHOT, content=content, skip_bad="on", format="arxiv")

    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert Work.objects.count() == 198
    assert [(e["line"], e["message"][:12]) for e in batch.errors] == [
        (5, "invalid JSON"),
        (7, "invalid JSON"),
    ]
    assert batch.counts["skipped"] == 2
    html = superuser_client.get(reverse("admin:works_importbatch_change", args=[batch.pk]))
    assert "Records skipped: 2." in html.content.decode()


@pytest.mark.django_db
def test_admin_upload_form_refuses_too_large_and_unknown_files(superuser_client, media, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    response = _upload(superuser_client, SNAPSHOT)  # refused by its Content-Length: 413
    assert response.status_code == 413
    assert "IMPORT_MAX_UPLOAD_BYTES" in response.content.decode()
    # Within the multipart slack the middleware lets through, the form says it.
    response = _upload(superuser_client, Path("a.bib"), content=b"@misc{a,title={x}}" * 100)
    assert response.status_code == 200
    assert "uploads are limited to 1000" in response.content.decode()

    settings.IMPORT_MAX_UPLOAD_BYTES = 10_000
    response = _upload(superuser_client, Path("table.csv"), content=b"id,title\n1,x\n")
    assert "Cannot tell the format: unrecognised content" in response.content.decode()
    response = _upload(superuser_client, Path("empty.bib"), content=b"", format="bibtex")
    assert "The submitted file is empty." in response.content.decode()
    assert not ImportBatch.objects.exists()
    assert not (media / "imports").exists()


@pytest.mark.django_db
def test_admin_add_page_is_the_upload_form(superuser_client):
    html = superuser_client.get(reverse(ADD_URL)).content.decode()
    assert "Upload import" in html
    assert 'enctype="multipart/form-data"' in html
    assert 'name="skip_bad"' in html and 'name="file"' in html
    assert '<option value="auto" selected>Detect from the file</option>' in html


@pytest.mark.django_db
def test_progress_fragment_polls_while_running_and_stops_when_done(
    superuser_client, django_assert_max_num_queries
):
    batch = ImportBatch.objects.create(
        format="arxiv", file_name="big.jsonl", status=ImportBatch.Status.RUNNING, bytes_total=2048
    )
    url = reverse("admin:works_importbatch_progress", args=[batch.pk])
    progress = batches.BatchProgress(batch.pk)
    progress(batches.PROGRESS_EVERY + 5)  # publishes to the cache

    with django_assert_max_num_queries(4):  # session, user, batch
        html = superuser_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'hx-get="{url}"' in html and 'hx-trigger="every 1s"' in html
    assert f"{batches.PROGRESS_EVERY + 5} records read" in html and "2.0\xa0KB" in html

    batch.status, batch.records_read = ImportBatch.Status.SUCCEEDED, 999
    batch.counts = {"created": {"works": 999}, "updated": {}, "unchanged": {}}
    batch.save()
    html = superuser_client.get(url).content.decode()
    assert "hx-get" not in html and "hx-trigger" not in html
    assert "999 records read" in html
    cache.clear()


@pytest.mark.django_db
def test_progress_fragment_checks_permissions(client, make_user):
    batch = ImportBatch.objects.create(format="arxiv", file_name="x.jsonl")
    url = reverse("admin:works_importbatch_progress", args=[batch.pk])
    assert client.get(url).status_code == 302  # to the admin login
    client.force_login(make_user(is_staff=True))
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_import_task_claims_a_batch_once(media):
    batch = ImportBatch.objects.create(format="arxiv-oai", file_name="raw.xml")
    batch.file.save("raw.xml", SimpleUploadedFile("raw.xml", OAI_RAW.read_bytes()))

    assert tasks.import_batch_run(batch.pk) == "succeeded"
    assert tasks.import_batch_run(batch.pk) == "not pending"
    batch.refresh_from_db()
    assert (batch.status, batch.records_read, Work.objects.count()) == ("succeeded", 2, 2)


@pytest.mark.django_db
def test_import_task_records_a_missing_file_as_failure(media):
    batch = ImportBatch.objects.create(format="arxiv", file_name="gone.jsonl", file="imports/gone")
    with pytest.raises(FileNotFoundError):
        tasks.import_batch_run(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.errors[0]["message"].startswith("the import stopped: FileNotFoundError")


@pytest.mark.postgresql  # the advisory lock
@pytest.mark.django_db(transaction=True)
def test_two_imports_at_once_end_as_if_run_one_after_the_other():
    first_started = threading.Event()
    results, errors = {}, {}

    def second_is_waiting() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            return cursor.fetchone()[0] > 0

    def hold_until_the_second_waits(n: int) -> None:
        if not first_started.is_set():
            first_started.set()
            wait_for(second_is_waiting, timeout=30, what="the second import to wait")

    def run(name: str, progress) -> None:
        try:
            results[name] = works_import(path=SNAPSHOT, format="arxiv", progress=progress)
        except Exception as exc:  # reported below
            errors[name] = exc
        finally:
            connection.close()

    first = threading.Thread(target=run, args=("first", hold_until_the_second_waits))
    first.start()
    assert first_started.wait(30)
    second = threading.Thread(target=run, args=("second", None))
    second.start()
    first.join(120)
    second.join(120)

    assert errors == {}
    assert results["first"].counts.created["works"] == 200
    assert results["second"].counts.created["works"] == 0
    assert results["second"].counts.unchanged["works"] == 200
    assert Work.objects.count() == 200


@pytest.mark.django_db
def test_batch_page_lists_the_warnings_of_imported_records(
    superuser_client, media, eager_celery, django_capture_on_commit_callbacks
):
    import json

    entity = FIXTURES / "openalex" / "entities" / "W2741809807.json"
    work = json.loads(entity.read_text(encoding="utf-8"))
    authorship = next(a for a in work["authorships"] if a["author"].get("orcid"))
    orcid = authorship["author"]["orcid"]
    wrong = "0" if orcid[-1] != "0" else "1"
    authorship["author"]["orcid"] = orcid[:-1] + wrong
    content = json.dumps(work).encode()
    with django_capture_on_commit_callbacks(execute=True):
        _upload(superuser_client, entity, content=content, format="openalex")

    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert batch.counts["warnings_total"] == 1
    html = superuser_client.get(
        reverse("admin:works_importbatch_change", args=[batch.pk])
    ).content.decode()
    assert "Imported with warnings" in html
    bad = orcid.removeprefix("https://orcid.org/")[:-1] + wrong
    assert f"<td>https://openalex.org/W2741809807</td><td>ORCID iD {bad} fails its check" in html
