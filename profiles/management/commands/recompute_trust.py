"""python manage.py recompute_trust --all [--inline] | --dirty: the trust engine by hand."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from profiles import tasks, trust_engine
from profiles.models import DirtyAuthor
from works.models import Author


class Command(BaseCommand):
    help = (
        "Recomputes trust scores and cached counts in chunks with set-based queries. "
        "--all: every public author, as chunk tasks on the 'scores' queue (waits for them "
        "when a result backend is configured) or in this process with --inline. "
        "--dirty: drains the dirty set in this process, as the beat task does."
    )

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--all", action="store_true", help="every public author")
        what.add_argument("--dirty", action="store_true", help="authors marked dirty")
        parser.add_argument("--inline", action="store_true", help="no Celery: this process")
        parser.add_argument("--chunk", type=int, default=settings.TRUST_RECOMPUTE_CHUNK)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, all, dirty, inline, chunk, no_progress, **options):
        if chunk < 1:
            raise CommandError("--chunk must be at least 1")
        started = time.monotonic()
        if dirty:
            total = DirtyAuthor.objects.count()
            with tqdm(total=total, unit="author", disable=no_progress, file=self.stderr) as bar:
                done = 0
                while n := trust_engine.trust_dirty_recompute_chunk(limit=chunk):
                    done += n
                    bar.update(n)
            how = "inline"
        else:
            total = Author.objects.public().count()
            with tqdm(total=total, unit="author", disable=no_progress, file=self.stderr) as bar:
                done = tasks.trust_recompute_all(chunk=chunk, inline=inline, progress=bar.update)
            how = "inline" if inline else "through Celery"
        elapsed = time.monotonic() - started
        rate = done / elapsed if elapsed else 0.0
        self.stdout.write(
            f"{done:,} authors recomputed {how} in {elapsed:.1f} s ({rate:,.0f} authors/s)"
        )
