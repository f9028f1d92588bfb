"""python -m bench.generate --works N [--seed S] [--replace]: the synthetic data set, by COPY.

Against the database DATABASE_URL names (PostgreSQL). Run `manage.py recompute_trust --all`
afterwards to fill scores and cached counts; bench/run.py does both when its database has
no synthetic works.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import TextIO


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr
) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--works", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--authors", type=int, help="default: 0.6 × works")
    parser.add_argument("--replace", action="store_true", help="delete earlier synthetic rows")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.works < 1:
        stderr.write("--works must be at least 1\n")
        return 2

    # Django first: the generator's module imports the models.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bzpeer.settings")
    import django

    django.setup()
    from django.db import connection
    from tqdm import tqdm

    from bench import synthetic

    if connection.vendor != "postgresql":
        stderr.write("the synthetic data set is written with COPY: it needs PostgreSQL\n")
        return 2
    if args.replace:
        stdout.write(f"deleted earlier synthetic rows: {synthetic.scale_data_delete()}\n")
    started = time.monotonic()
    bar = tqdm(total=args.works, unit="work", disable=args.no_progress, file=stderr)
    try:
        counts = synthetic.scale_data_generate(
            works=args.works, seed=args.seed, authors=args.authors, progress=bar.update
        )
    finally:
        bar.close()
    elapsed = time.monotonic() - started
    stdout.write(f"{counts.summary()} in {elapsed:.1f} s (seed {args.seed})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
