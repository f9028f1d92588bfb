"""The benchmark's data set: the synthetic one in its own database, made when missing."""

from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bench.core import Row

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bzpeer_bench"


def database_create_if_missing(url: str) -> bool:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
        return True


def dataset_ensure(*, works: int, seed: int, log) -> list[Row]:
    """Migrates, generates the synthetic set if absent, computes trust for new authors.

    Returns informational rows (how long generation and the first recompute took).
    """
    from django.core.management import call_command

    from bench import synthetic
    from profiles.tasks import trust_recompute_all
    from works.models import Author, Work

    rows: list[Row] = []
    call_command("migrate", verbosity=0)
    if not Work.objects.filter(source=synthetic.SOURCE).exists():
        log(f"generating {works:,} synthetic works (seed {seed}) ...")
        started = time.perf_counter()
        counts = synthetic.scale_data_generate(works=works, seed=seed)
        elapsed = time.perf_counter() - started
        log(f"  {counts.summary()} in {elapsed:.0f} s")
        rows.append(
            Row("setup", f"generate_scale_data {works:,} works", works / elapsed, "works/s",
                note=f"{elapsed:.0f} s; {counts.authorships:,} authorships")
        )  # fmt: skip
    pending = Author.objects.filter(trust_computed_at__isnull=True).count()
    if pending:
        log(f"first trust recompute of {pending:,} authors (inline) ...")
        started = time.perf_counter()
        done = trust_recompute_all(inline=True)
        elapsed = time.perf_counter() - started
        rows.append(
            Row("setup", "recompute_trust --all --inline (first run)", done / elapsed,
                "authors/s", note=f"{done:,} authors in {elapsed:.0f} s")
        )  # fmt: skip
    return rows
