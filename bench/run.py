"""Runs every benchmark measure and writes one table (stdout and bench/results.md).

    python bench/run.py [--works 200000] [--only profile_page,trust_recompute] [--quick]

Against PostgreSQL (BENCH_DATABASE_URL, default the bzpeer_bench database, created and
filled with `--works` synthetic works when it has none) and Redis (BENCH_REDIS_URL).
Every measure reports the median of --repeat runs beside a reference measured in the same
run on the same machine. Only loopback traffic: gunicorn and wrk both on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results.md"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--works", type=int, default=200_000,
                        help="synthetic works to generate when the database has none "
                             "(default 200,000; 1,000,000 for the full-size run)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (median)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per load run")
    parser.add_argument("--only", default="", help="comma-separated measure names")
    parser.add_argument(
        "--trust-limit",
        type=int,
        default=60_000,
        help="recompute at most this many authors per trust run, the first by id (default "
        "60,000: half the authors of the default data set, a tenth of the 1M one, so the "
        "whole bench stays well within 15 minutes on a shared 2-core machine; 0: all)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="one run each, 2 s loads: a smoke test, not a result"
    )
    parser.add_argument("--no-write", action="store_true", help="do not write results.md")
    return parser.parse_args(argv)  # fmt: skip


def configure_environment() -> tuple[str, str]:
    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bzpeer_bench"
    )
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bzpeer.settings"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    # One key for this process and the gunicorn it starts: the logged-in session must verify.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    return database_url, redis_url


def pick_subjects() -> dict:
    from django.db.models import F, Func

    from works.models import Author

    public = Author.objects.public().exclude(works_count=0)
    counts = sorted(public.values_list("works_count", flat=True).order_by())
    median_works = counts[len(counts) // 2]

    def nearest(n: int) -> Author:
        return (
            public.annotate(distance=Func(F("works_count") - n, function="ABS"))
            .order_by("distance", "pk")
            .first()
        )

    return {
        "median": public.filter(works_count=median_works).order_by("pk").first(),
        "hub": public.order_by("-works_count", "pk").first(),
        "works_1": nearest(1),
        "works_100": nearest(100),
        "works_1000": nearest(1000),
    }


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, "
        f"PostgreSQL {pg}"
    )


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()  # fmt: skip
        return out + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None) -> int:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    if args.quick:
        args.repeat, args.duration = 1, 2.0
    database_url, redis_url = configure_environment()
    from bench.dataset import database_create_if_missing

    database_create_if_missing(database_url)
    import django

    django.setup()

    from bench import measures
    from bench.core import Context, Row, markdown, plain
    from bench.dataset import dataset_ensure
    from works.models import Author, Authorship, Work

    started = time.monotonic()
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    rows = dataset_ensure(works=args.works, seed=args.seed, log=log)
    ctx = Context(
        database_url=database_url,
        redis_url=redis_url,
        works=Work.objects.count(),
        authors=Author.objects.count(),
        repeat=args.repeat,
        duration=args.duration,
        options={"trust_limit": args.trust_limit},
        subjects=pick_subjects(),
        log=log,
    )
    only = {name for name in args.only.split(",") if name}
    for measure in measures.discover():
        if only and measure.name not in only:
            continue
        log(f"running {measure.name} ...")
        measure_started = time.monotonic()
        try:
            rows += measure.run(ctx)
        except Exception as exc:  # one broken measure must not lose the others' figures
            traceback.print_exc()
            rows.append(Row(measure.name, "the measure failed", 0, "", ok=False,
                            note=f"{type(exc).__name__}: {exc}"[:200]))  # fmt: skip
        log(f"  {measure.name} took {time.monotonic() - measure_started:.0f} s")
    elapsed = time.monotonic() - started

    authorships = Authorship.objects.count()
    header = (
        f"Data set: {ctx.works:,} works, {ctx.authors:,} authors, {authorships:,} authorships "
        f"(synthetic, bench/synthetic.py). Machine: {machine()}. "
        f"Median of {ctx.repeat} runs; loads of {ctx.duration:.0f} s. "
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {commit()}, {elapsed / 60:.1f} min."
    )
    print(plain(rows))
    print(header)
    if not args.no_write:
        appendix = ctx.options.get("appendix", [])
        text = f"# BZPEER benchmark results\n\n{header}\n\n{markdown(rows)}\n"
        if appendix:
            text += "\n" + "\n".join(f"- {line}" for line in appendix) + "\n"
        RESULTS.write_text(text)
        log(f"wrote {RESULTS.relative_to(ROOT)}")
    failed = [r for r in rows if r.ok is False]
    return 1 if failed and os.environ.get("BENCH_STRICT") else 0


if __name__ == "__main__":
    raise SystemExit(main())
