"""python manage.py generate_scale_data --works N --seed S: a synthetic data set, by COPY."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from works import synthetic


class Command(BaseCommand):
    help = (
        "Writes a synthetic data set of N works (heavy-tailed authors per work, power-law "
        "productivity, hub authors, topics, institutions, venues) with PostgreSQL COPY. "
        "Reproducible for a seed; real rows are never touched. Run recompute_trust --all "
        "afterwards to fill scores and cached counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--works", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--authors", type=int, help="default: 0.6 × works")
        parser.add_argument(
            "--replace", action="store_true", help="delete earlier synthetic rows first"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, works, seed, authors, replace, no_progress, **options):
        if connection.vendor != "postgresql":
            raise CommandError("generate_scale_data writes with COPY: it needs PostgreSQL.")
        if works < 1:
            raise CommandError("--works must be at least 1")
        if replace:
            deleted = synthetic.scale_data_delete()
            self.stdout.write(f"deleted earlier synthetic rows: {deleted}")
        started = time.monotonic()
        bar = tqdm(total=works, unit="work", disable=no_progress, file=self.stderr)
        try:
            counts = synthetic.scale_data_generate(
                works=works, seed=seed, authors=authors, progress=bar.update
            )
        finally:
            bar.close()
        elapsed = time.monotonic() - started
        self.stdout.write(f"{counts.summary()} in {elapsed:.1f} s (seed {seed})")
