from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from works.imports.batches import import_batch_run
from works.imports.registry import FORMATS
from works.imports.run import AUTO, ImportFailed
from works.models import ImportBatch


class Command(BaseCommand):
    help = (
        "Import a file of scholarly records. All or nothing: a bad record is reported with its "
        "line and nothing is written, unless --skip-bad is given."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--format",
            default=AUTO,
            choices=[AUTO, *sorted(FORMATS)],
            help="the file's format; 'auto' (the default) detects it from the first bytes",
        )
        parser.add_argument(
            "--skip-bad", action="store_true", help="skip bad records, listing each one"
        )

    def handle(self, *args, path: Path, format: str, skip_bad: bool, **options) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        batch = ImportBatch.objects.create(format=format, file_name=str(path), skip_bad=skip_bad)
        with tqdm(desc=path.name, unit=" records", disable=options["verbosity"] < 1 or None) as bar:
            try:
                result = import_batch_run(batch=batch, path=path, progress=bar.update)
            except ImportFailed as exc:
                for error in exc.errors:
                    self.stderr.write(f"{path}: {error}")
                raise CommandError(
                    f"{path}: import failed, nothing was written ({len(exc.errors)} error(s))"
                ) from exc
        for error in result.skipped:
            self.stderr.write(f"{path}: skipped {error}")
        for warning in result.warnings:
            self.stderr.write(f"{path}: warning: {warning}")
        self.stdout.write(f"{path}: {batch.format}: {result.summary()}")
