"""Undo of an import batch: the database goes back exactly to where it was before it."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from profiles.models import Follow
from works.imports.batches import import_batch_run
from works.imports.undo import BatchUndoRefused, import_batch_undo
from works.models import (
    Author,
    Authorship,
    BatchChange,
    ImportBatch,
    Institution,
    Topic,
    Venue,
    Work,
    WorkTopic,
)

pytestmark = pytest.mark.sqlite

SAMPLES = Path(__file__).resolve().parents[2] / "works" / "fixtures" / "openalex"
OA = "https://openalex.org/"


def _load(name: str) -> list[dict]:
    with gzip.open(SAMPLES / name, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _dump() -> dict[str, list[dict]]:
    """Every row of every table an import writes, all columns, in pk order."""
    through = Authorship.institutions.through
    models = (Work, Author, Authorship, through, WorkTopic, Topic, Institution, Venue)
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in models}


def _run(path: Path) -> ImportBatch:
    batch = ImportBatch.objects.create(format="openalex", file_name=path.name)
    import_batch_run(batch=batch, path=path)
    batch.refresh_from_db()
    return batch


@pytest.fixture
def file_a(tmp_path) -> Path:
    """Institutions, authors and the 195 works of the real OpenAlex sample, as one file."""
    records = (
        _load("rag_institutions_sample.json.gz")
        + _load("rag_authors_sample.json.gz")
        + _load("rag_works_sample.json.gz")
    )
    return _write(tmp_path / "a.jsonl", records)


@pytest.fixture
def file_b(tmp_path) -> Path:
    """Changes to A's records of every kind the loader writes, plus new records."""
    works = copy.deepcopy(_load("rag_works_sample.json.gz")[:6])
    authors = copy.deepcopy(_load("rag_authors_sample.json.gz")[:2])
    institutions = copy.deepcopy(_load("rag_institutions_sample.json.gz")[:1])
    works[0]["title"] = "A different title"
    works[0]["cited_by_count"] += 5
    works[1]["authorships"].reverse()  # every position changes
    new_institution = {
        "id": f"{OA}I999999999",
        "display_name": "Institute of Undo Studies",
        "country_code": "NZ",
        "type": "education",
    }
    works[2]["authorships"][-1] = {
        "author": {"id": f"{OA}A999999999", "display_name": "Brand New"},
        "institutions": [new_institution],
        "raw_author_name": "B. New",
        "is_corresponding": False,
    }
    works[3]["concepts"] = [
        {"id": f"{OA}C999999999", "display_name": "Undoing", "level": 2, "score": 0.9}
    ]
    works[3].pop("topics", None)
    works[4]["primary_location"] = {"source": {"id": f"{OA}S999999999", "display_name": "J. Undo"}}
    works[5]["authorships"][0]["institutions"].append(new_institution)
    fresh = copy.deepcopy(works[5])
    fresh.update(id=f"{OA}W999999999", doi=None, title="A work only batch B has")
    authors[0]["display_name"] = "Renamed By Batch B"
    authors[1]["display_name_alternatives"] = ["Another Variant"]
    institutions[0]["display_name"] = "Renamed Institution"
    return _write(tmp_path / "b.jsonl", institutions + authors + works + [fresh])


# Undo restores the exact previous state


@pytest.mark.django_db
def test_undo_restores_exactly_the_state_before_the_batch(file_a, file_b, make_user):
    admin = make_user(is_staff=True)
    empty = _dump()
    batch_a = _run(file_a)
    after_a = _dump()
    batch_b = _run(file_b)
    after_b = _dump()
    assert batch_b.status == ImportBatch.Status.SUCCEEDED
    for table in ("Work", "Author", "Authorship", "WorkTopic", "Topic", "Institution", "Venue"):
        assert after_b[table] != after_a[table], f"batch B changed nothing in {table}"

    result = import_batch_undo(batch=batch_b, user=admin)

    assert _dump() == after_a
    batch_b.refresh_from_db()
    assert (batch_b.status, batch_b.undone_by) == (ImportBatch.Status.UNDONE, admin)
    assert result.deleted["works.work"] == 1

    import_batch_undo(batch=batch_a, user=admin)

    assert _dump() == empty


@pytest.mark.django_db
def test_undo_records_only_the_changed_fields_previous_values(file_a, file_b):
    _run(file_a)
    work = Work.objects.get(openalex_id=_load("rag_works_sample.json.gz")[0]["id"][len(OA) :])
    old_title, old_count = work.title, work.cited_by_count

    batch_b = _run(file_b)

    change = BatchChange.objects.get(
        batch=batch_b, model="works.work", object_pk=work.pk, action="updated"
    )
    # field_sources: the fields it set now name batch B
    assert set(change.previous) == {
        "title",
        "title_key",
        "cited_by_count",
        "field_sources",
        "updated_at",
    }
    assert (change.previous["title"], change.previous["cited_by_count"]) == (old_title, old_count)


@pytest.mark.django_db
def test_undo_reimport_records_no_changes(file_a):
    _run(file_a)
    again = _run(file_a)

    assert not BatchChange.objects.filter(batch=again).exists()


@pytest.mark.django_db
def test_undo_change_log_is_one_insert_per_chunk(file_a, file_b):
    _run(file_a)
    with CaptureQueriesContext(connection) as queries:
        _run(file_b)

    # INSERT (ORM path) or COPY (PostgreSQL's COPY path, bzpeer.lib.pgcopy)
    writes = ('INSERT INTO "works_batchchange"', 'COPY "works_batchchange"')
    inserts = [q for q in queries if q["sql"].startswith(writes)]
    assert len(inserts) == 1  # one chunk: one insert, whatever the number of rows
    assert BatchChange.objects.count() > 20


@pytest.mark.django_db
def test_undo_query_count_does_not_grow_with_the_batch(tmp_path, make_user, file_a):
    admin = make_user(is_staff=True)
    works = _load("rag_works_sample.json.gz")
    small = _run(_write(tmp_path / "small.jsonl", works[:10]))
    with CaptureQueriesContext(connection) as small_queries:
        import_batch_undo(batch=small, user=admin)
    large = _run(file_a)
    with CaptureQueriesContext(connection) as large_queries:
        import_batch_undo(batch=large, user=admin)

    assert len(large_queries) <= len(small_queries) + 5
    assert len(large_queries) < 60


# Refusals


@pytest.mark.django_db
def test_undo_refuses_when_a_later_batch_changed_the_same_rows(file_a, file_b, tmp_path, make_user):
    admin = make_user(is_staff=True)
    _run(file_a)
    batch_b = _run(file_b)
    after_b = _dump()
    later = json.loads(file_b.read_text().splitlines()[3])  # the work whose title B changed
    later["title"] = "Changed once more by batch C"
    batch_c = _run(_write(tmp_path / "c.jsonl", [later]))
    after_c = _dump()

    with pytest.raises(BatchUndoRefused, match=f"undo #{batch_c.pk} first"):
        import_batch_undo(batch=batch_b, user=admin)
    assert _dump() == after_c

    import_batch_undo(batch=batch_c, user=admin)
    assert _dump() == after_b
    import_batch_undo(batch=batch_b, user=admin)  # now it may go


@pytest.mark.django_db
def test_undo_refuses_when_an_author_it_created_is_followed(file_a, file_b, make_user):
    admin, reader = make_user(is_staff=True), make_user()
    _run(file_a)
    batch_b = _run(file_b)
    Follow.objects.create(user=reader, author=Author.objects.get(openalex_id="A999999999"))
    before = _dump()

    with pytest.raises(BatchUndoRefused, match="followers"):
        import_batch_undo(batch=batch_b, user=admin)

    assert _dump() == before
    assert ImportBatch.objects.get(pk=batch_b.pk).status == ImportBatch.Status.SUCCEEDED


@pytest.mark.django_db
def test_undo_refuses_a_batch_undone_already(file_b, make_user):
    admin = make_user(is_staff=True)
    batch = _run(file_b)
    import_batch_undo(batch=batch, user=admin)

    with pytest.raises(BatchUndoRefused, match="Undone"):
        import_batch_undo(batch=batch, user=admin)


# Provenance


@pytest.mark.django_db
def test_undo_provenance_rows_name_their_batch_and_record(file_a, client):
    batch = _run(file_a)
    work = Work.objects.get(openalex_id="W3140854437")
    authorship = work.authorships.get(position=0)
    author = authorship.author

    assert work.import_batch == batch
    assert work.source_record.startswith("W3140854437 (line ")
    assert authorship.import_batch == batch
    assert authorship.source_record == work.source_record
    assert author.import_batch == batch and author.source_record
    text = client.get(author.get_absolute_url()).content.decode()
    assert "Imported from OpenAlex on" in text
    assert author.source_record in text


# Admin action


def _csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_undo_admin_action_confirms_then_undoes(file_a, file_b, make_user):
    superuser = make_user(is_staff=True, is_superuser=True)
    _run(file_a)
    after_a = _dump()
    batch_b = _run(file_b)
    client = _csrf_client(superuser)
    url = reverse("admin:works_importbatch_changelist")
    client.get(url)
    token = client.cookies["csrftoken"].value
    choose = {"action": "undo_import_batch", "_selected_action": [batch_b.pk], "index": 0}

    page = client.post(url, {**choose, "csrfmiddlewaretoken": token})
    assert page.status_code == 200
    assert f"Undo import batch #{batch_b.pk}?" in page.content.decode()
    assert _dump() != after_a  # nothing done before the confirmation

    forged = client.post(
        url, {"action": "undo_import_batch", "_selected_action": [batch_b.pk], "confirm": "yes"}
    )
    assert forged.status_code == 403
    done = client.post(
        url,
        {
            "action": "undo_import_batch",
            "_selected_action": [batch_b.pk],
            "confirm": "yes",
            "csrfmiddlewaretoken": token,
        },
    )
    assert done.status_code == 302
    assert _dump() == after_a
    assert ImportBatch.objects.get(pk=batch_b.pk).status == ImportBatch.Status.UNDONE


@pytest.mark.django_db
def test_undo_admin_action_needs_delete_permissions(file_b, make_user):
    staff = make_user(is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_importbatch", "change_importbatch"])
    )
    batch = _run(file_b)
    client = Client()
    client.force_login(staff)

    response = client.post(
        reverse("admin:works_importbatch_changelist"),
        {"action": "undo_import_batch", "_selected_action": [batch.pk], "confirm": "yes"},
    )

    assert response.status_code == 403
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.SUCCEEDED
