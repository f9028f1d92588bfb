from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from works.imports.batches import batch_failed, batch_stopped, import_batch_run
from works.imports.registry import FORMATS
from works.imports.run import AUTO, ImportFailed, ImportResult
from works.imports.staged import (
    PartsNotStaged,
    staged_batch_discard,
    staged_batch_prepare,
    staged_batch_run,
)
from works.imports.staged.fanout import (
    staged_batch_enqueue,
    staged_batch_resume,
    staged_batch_resume_local,
)
from works.models import ImportBatch


class Command(BaseCommand):
    help = (
        "Import a file of scholarly records. All or nothing: a bad record is reported with its "
        "line and nothing is written, unless --skip-bad is given. With --staged, a directory, "
        "a manifest or a large JSON Lines file is imported in parts staged in parallel "
        "(PostgreSQL), here or, with --queue, by the import workers."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path, nargs="?")
        parser.add_argument(
            "--format",
            default=AUTO,
            choices=[AUTO, *sorted(FORMATS)],
            help="the file's format; 'auto' (the default) detects it from the first bytes",
        )
        parser.add_argument(
            "--skip-bad", action="store_true", help="skip bad records, listing each one"
        )
        parser.add_argument(
            "--staged",
            action="store_true",
            help="stage the parts in parallel, then merge them in one transaction; the path "
            "may be a directory or a manifest (one file a line)",
        )
        parser.add_argument(
            "--parts",
            type=int,
            help="with --staged, byte ranges to cut one JSON Lines file into "
            "(default: settings.IMPORT_STAGE_PARTS)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            help="with --staged, processes staging parts here "
            "(default: settings.IMPORT_STAGE_WORKERS)",
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="with --staged or --resume: queue the parts for the import workers (Celery) "
            "and return at once, printing the batch id",
        )
        parser.add_argument(
            "--resume",
            type=int,
            metavar="BATCH_ID",
            help="stage again the parts of a running staged batch that are not staged, then "
            "merge it (here, or with --queue on the workers)",
        )
        parser.add_argument(
            "--discard",
            type=int,
            metavar="BATCH_ID",
            help="delete the staged parts of a staged batch that did not finish; it fails",
        )

    def handle(self, *args, path: Path | None, format: str, skip_bad: bool, **options) -> None:
        staged_modes = [options["staged"], options["resume"], options["discard"]]
        if sum(bool(m) for m in staged_modes) > 1:
            raise CommandError("choose one of --staged, --resume and --discard")
        if any(staged_modes) and connection.vendor != "postgresql":
            raise CommandError("staged imports need PostgreSQL (set DATABASE_URL)")
        if options["resume"] or options["discard"]:
            return self._resume_or_discard(**options)
        if options["queue"] and not options["staged"]:
            raise CommandError("--queue goes with --staged or --resume")
        if path is None:
            raise CommandError("a path to import is required")
        if options["staged"]:
            return self._staged(path, format=format, skip_bad=skip_bad, **options)
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        batch = ImportBatch.objects.create(format=format, file_name=str(path), skip_bad=skip_bad)
        with tqdm(desc=path.name, unit=" records", disable=options["verbosity"] < 1 or None) as bar:
            try:
                result = import_batch_run(batch=batch, path=path, progress=bar.update)
            except ImportFailed as exc:
                raise self._failed(path, exc) from exc
        self._report(path, batch, result)

    def _staged(self, path: Path, *, format: str, skip_bad: bool, **options) -> None:
        if not path.exists():
            raise CommandError(f"{path}: no such file or directory")
        parts = options["parts"] or settings.IMPORT_STAGE_PARTS
        batch = ImportBatch.objects.create(format=format, file_name=str(path), skip_bad=skip_bad)
        try:
            if options["queue"]:
                prepared = self._prepare(batch, path, parts=parts)
                staged_batch_enqueue(batch)
                self.stdout.write(
                    f"{path}: batch {batch.pk} queued, {len(prepared)} part(s) "
                    f"(import_works --resume {batch.pk} --queue, or --discard {batch.pk}, "
                    "if it stalls)"
                )
                return
            workers = options["workers"] or settings.IMPORT_STAGE_WORKERS
            result = staged_batch_run(batch, path, parts=parts, workers=workers)
        except ImportFailed as exc:
            raise self._failed(path, exc) from exc
        except OSError as exc:
            if not batch.parts.exists():  # a manifest naming missing files: nothing planned
                batch_stopped(batch, exc, records_read=0)
                raise CommandError(f"{path}: {exc}") from exc
            raise self._stalled(batch, exc) from exc
        except PartsNotStaged as exc:
            raise self._stalled(batch, exc) from exc
        self._report(path, batch, result)

    def _prepare(self, batch: ImportBatch, path: Path, *, parts: int) -> list:
        try:
            return staged_batch_prepare(batch, path, parts=parts)
        except ImportFailed as exc:
            batch_failed(batch, exc.errors, records_read=0)
            raise

    def _resume_or_discard(self, **options) -> None:
        batch_id = options["resume"] or options["discard"]
        try:
            batch = ImportBatch.objects.get(pk=batch_id)
        except ImportBatch.DoesNotExist:
            raise CommandError(f"no import batch {batch_id}") from None
        try:
            if options["discard"]:
                staged_batch_discard(batch, by="import_works --discard")
                self.stdout.write(f"batch {batch.pk} discarded: nothing was imported")
                return
            if options["queue"]:
                queued = staged_batch_resume(batch)
                self.stdout.write(f"batch {batch.pk} resumed: {queued} part(s) queued")
                return
            workers = options["workers"] or settings.IMPORT_STAGE_WORKERS
            result = staged_batch_resume_local(batch, workers=workers)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except ImportFailed as exc:
            raise self._failed(Path(batch.file_name), exc) from exc
        except PartsNotStaged as exc:
            raise self._stalled(batch, exc) from exc
        self._report(Path(batch.file_name), batch, result)

    def _failed(self, path: Path, exc: ImportFailed) -> CommandError:
        for error in exc.errors:
            self.stderr.write(f"{path}: {error}")
        return CommandError(
            f"{path}: import failed, nothing was written ({len(exc.errors)} error(s))"
        )

    def _stalled(self, batch: ImportBatch, exc: Exception) -> CommandError:
        return CommandError(
            f"batch {batch.pk} stopped before its merge ({exc}); nothing was written: "
            f"import_works --resume {batch.pk} or --discard {batch.pk}"
        )

    def _report(self, path: Path, batch: ImportBatch, result: ImportResult | None) -> None:
        if result is None:
            self.stdout.write(f"{path}: batch {batch.pk} was merged already")
            return
        for error in result.skipped:
            self.stderr.write(f"{path}: skipped {error}")
        for warning in result.warnings:
            self.stderr.write(f"{path}: warning: {warning}")
        self.stdout.write(f"{path}: {batch.format}: {result.summary()}")
