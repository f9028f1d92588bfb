"""A staged import fanned out on Celery tasks (works.imports.staged.fanout): the merge is
queued once, lost or crashed parts are staged again on resume, discard leaves nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.integration.waiting import wait_for
from works import tasks
from works.imports.staged import (
    PartsNotStaged,
    fanout,
    part_stage,
    staged_batch_discard,
    staged_batch_merge,
    staged_batch_prepare,
)
from works.models import ImportBatch, ImportPart, StagedRecord, Work

from .staged_files import openalex_part_files

pytestmark = pytest.mark.postgresql


@pytest.fixture
def snapshot(tmp_path):
    directory = tmp_path / "snapshot"
    return directory, openalex_part_files(directory)


def _prepared(directory) -> ImportBatch:
    batch = ImportBatch.objects.create(format="auto", file_name=str(directory))
    staged_batch_prepare(batch, directory, parts=8)
    batch.refresh_from_db()
    return batch


def _part_ids(batch: ImportBatch) -> list[int]:
    return list(batch.parts.order_by("number").values_list("pk", flat=True))


def _staged_rows(batch: ImportBatch) -> int:
    return StagedRecord.objects.filter(batch_id=batch.pk).count()


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    """The names of the tasks the fan-out queues (which still run)."""
    names: list[str] = []
    enqueue = fanout.enqueue_on_commit

    def recorded(task, *args):
        names.append(task.name.rsplit(".", 1)[-1])
        enqueue(task, *args)

    monkeypatch.setattr(fanout, "enqueue_on_commit", recorded)
    return names


@pytest.mark.django_db
def test_queued_parts_stage_then_merge_once(
    snapshot, eager_celery, django_capture_on_commit_callbacks, queued
):
    directory, records = snapshot
    batch = _prepared(directory)

    with django_capture_on_commit_callbacks(execute=True):
        assert fanout.staged_batch_enqueue(batch) == 3

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    assert queued == ["import_part_stage"] * 3 + ["import_batch_merge"]
    assert Work.objects.filter(import_batch=batch).count() == records
    assert _staged_rows(batch) == 0


@pytest.mark.django_db(transaction=True)
def test_two_parts_finishing_together_queue_one_merge(snapshot, monkeypatch):
    """Both parts have saved their outcome (not committed) when they reach the batch lock:
    each would see the other staged if it checked after its commit."""
    directory, _ = snapshot
    batch = _prepared(directory)
    first, *others = _part_ids(batch)
    part_stage(first)
    queued: list[tuple[str, tuple]] = []
    monkeypatch.setattr(fanout, "enqueue_on_commit", lambda task, *a: queued.append((task, a)))
    both_saved = threading.Barrier(2, timeout=30)
    check = fanout._merge_if_last

    def check_together(part):
        both_saved.wait()
        check(part)

    monkeypatch.setattr(fanout, "_merge_if_last", check_together)
    failures: list[BaseException] = []

    def stage(part_id: int) -> None:
        try:
            fanout.part_stage_fanned_out(part_id)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=stage, args=(pk,)) for pk in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not failures
    assert set(batch.parts.values_list("status", flat=True)) == {ImportPart.Status.STAGED}
    assert queued == [(tasks.import_batch_merge, (batch.pk,))]


@pytest.mark.django_db
def test_merge_restages_a_part_whose_rows_were_lost(
    snapshot, eager_celery, django_capture_on_commit_callbacks, queued
):
    directory, records = snapshot
    batch = _prepared(directory)
    for pk in _part_ids(batch):
        part_stage(pk)
    # what a crash of the database server does to the UNLOGGED staging table
    StagedRecord.objects.filter(batch_id=batch.pk, part=2).delete()

    with pytest.raises(PartsNotStaged) as lost:
        staged_batch_merge(batch)
    assert lost.value.numbers == [2]
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.RUNNING
    assert not Work.objects.exists()

    # resume: every part says staged, so the merge is queued; it finds part 2 empty and
    # queues it again, whose task queues the merge once more
    with django_capture_on_commit_callbacks(execute=True):
        assert fanout.staged_batch_resume(batch) == 0

    assert queued == ["import_batch_merge", "import_part_stage", "import_batch_merge"]
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    assert Work.objects.filter(import_batch=batch).count() == records
    assert _staged_rows(batch) == 0


@pytest.mark.django_db
def test_resume_stages_a_part_whose_task_crashed(
    snapshot, eager_celery, django_capture_on_commit_callbacks, monkeypatch
):
    directory, records = snapshot
    batch = _prepared(directory)
    first, second, third = _part_ids(batch)
    part_file = directory / "part_001"
    part_file.rename(directory / "away")
    with pytest.raises(FileNotFoundError):
        tasks.import_part_stage(second)  # the task crashes: its transaction rolls back
    part_file.with_name("away").rename(part_file)
    for pk in (first, third):
        assert tasks.import_part_stage(pk) == ImportPart.Status.STAGED

    assert ImportPart.objects.get(pk=second).status == ImportPart.Status.PENDING
    assert not StagedRecord.objects.filter(batch_id=batch.pk, part=2).exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.RUNNING  # no merge without part 2

    with django_capture_on_commit_callbacks(execute=True):
        assert fanout.staged_batch_resume(batch) == 1

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    assert Work.objects.filter(import_batch=batch).count() == records


@pytest.mark.django_db
def test_discard_leaves_nothing(snapshot, eager_celery):
    directory, _ = snapshot
    batch = _prepared(directory)
    first, second, _ = _part_ids(batch)
    part_stage(first)
    part_stage(second)
    assert _staged_rows(batch) > 0

    staged_batch_discard(batch, by="tester")

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert "discarded by tester" in batch.errors[0]["message"]
    assert _staged_rows(batch) == 0 and not batch.parts.exists()
    assert not Work.objects.exists()
    # a staging task delivered after the discard finds its part gone
    assert tasks.import_part_stage(first) == "not running"
    assert tasks.import_batch_merge(batch.pk) == "not merged"
    with pytest.raises(ValueError):
        fanout.staged_batch_resume(batch)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_discard_waits_for_a_part_being_staged_and_deletes_its_rows(snapshot, monkeypatch):
    """Discarding while a task stages a part: what the task commits is deleted too."""
    directory, _ = snapshot
    batch = _prepared(directory)
    first, *_ = _part_ids(batch)
    saved, go = threading.Event(), threading.Event()
    check = fanout._merge_if_last

    def check_later(part):
        saved.set()  # the part's rows and its row are written, not committed
        assert go.wait(30)
        check(part)

    monkeypatch.setattr(fanout, "_merge_if_last", check_later)
    failures: list[BaseException] = []

    def in_thread(function, *args) -> threading.Thread:
        def run() -> None:
            try:
                function(*args)
            except BaseException as exc:  # noqa: BLE001 - reported by the test below
                failures.append(exc)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    stager = in_thread(fanout.part_stage_fanned_out, first)
    assert saved.wait(30)
    discarder = in_thread(staged_batch_discard, ImportBatch.objects.get(pk=batch.pk))
    wait_for(_waiting_on_a_lock, timeout=30, what="the discard to wait for the part's row")
    go.set()
    stager.join(60)
    discarder.join(60)

    assert not failures
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert _staged_rows(batch) == 0 and not batch.parts.exists()


@pytest.mark.django_db
def test_a_corrupt_part_fails_the_batch_once_the_others_are_staged(
    snapshot, eager_celery, django_capture_on_commit_callbacks, queued
):
    directory, _ = snapshot
    gzipped = directory / "part_002.gz"
    gzipped.write_bytes(gzipped.read_bytes()[:200])  # a truncated gzip stream
    batch = _prepared(directory)

    with django_capture_on_commit_callbacks(execute=True):
        fanout.staged_batch_enqueue(batch)

    assert queued == ["import_part_stage"] * 3 + ["import_batch_merge"]
    assert batch.parts.get(number=3).status == ImportPart.Status.FAILED
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.errors and "part_002.gz" in str(batch.errors)
    assert not Work.objects.exists() and _staged_rows(batch) == 0
