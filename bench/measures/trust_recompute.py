"""Trust recompute throughput: through Celery chunk tasks vs. in one process.

Measured: profiles.tasks.trust_recompute_all dispatching chunk tasks to a real Celery
worker (solo pool, one process, queue "scores", Redis broker, waiting for every result).
Reference: the same chunks through the same service (profiles.trust_engine.
trust_scores_recompute) in this process, no broker. Both are warmed up on a few chunks
first; then they alternate, repeat times each. Before every run the authors' cached
works_count is zeroed so every row is rewritten (scores unchanged, so no snapshots): the
cost of a recompute after a large import. Also reported: the pure formula alone over
preloaded facts (no SQL), the ceiling.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.core import ROOT, Context, Row, median, timed

WORKER_TIMEOUT = 60
WARM_UP_CHUNKS = 5


def _worker(ctx: Context) -> subprocess.Popen:
    from bzpeer.celery import app

    hostname = f"bzpeer-bench-{os.getpid()}@localhost"
    env = {
        **os.environ,
        "DATABASE_URL": ctx.database_url,
        "REDIS_URL": ctx.redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "bzpeer", "worker", "-Q", "scores", "-P", "solo",
         "-n", hostname, "--without-heartbeat", "--without-gossip", "--without-mingle",
         "--loglevel", "WARNING"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + WORKER_TIMEOUT
    while not app.control.ping(destination=[hostname], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the bench Celery worker did not start")
    return process


class TrustRecompute:
    name = "trust_recompute"
    order = 40

    def run(self, ctx: Context) -> list[Row]:
        from django.conf import settings

        from profiles import tasks, trust_engine
        from profiles.trust import trust_score
        from works.models import Author

        limit = ctx.options.get("trust_limit") or None
        chunk = settings.TRUST_RECOMPUTE_CHUNK
        chunks = []
        for ids in tasks.author_id_chunks(chunk):
            chunks.append(ids)
            if limit and sum(map(len, chunks)) >= limit:
                break
        n = sum(map(len, chunks))
        low, high = chunks[0][0], chunks[-1][-1]
        scope = Author.objects.public().filter(pk__gte=low, pk__lte=high)

        def reset() -> None:
            scope.update(works_count=0)

        worker = _worker(ctx)
        try:
            # Warm-up, not measured: the worker's first tasks pay for imports, the new
            # database connection and cold caches (about 30 % slower).
            for inline in (False, True):
                reset()
                tasks.trust_recompute_all(chunks=chunks[:WARM_UP_CHUNKS], inline=inline)
            runs = {False: [], True: []}  # inline? -> authors/s
            for i in range(ctx.repeat):
                # alternate which goes first, so neither always meets a colder cache
                for inline in (False, True) if i % 2 == 0 else (True, False):
                    reset()
                    seconds, done = timed(
                        lambda inline=inline: tasks.trust_recompute_all(
                            chunks=chunks, inline=inline
                        )
                    )
                    assert done == n, (done, n)
                    runs[inline].append(n / seconds)
            celery_runs, inline_runs = runs[False], runs[True]
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        celery_rate, inline_rate = median(celery_runs), median(inline_runs)

        sample = [pk for ids in chunks[:10] for pk in ids]
        facts = [f for i in range(0, len(sample), chunk) for f in trust_engine.trust_facts(
            sample[i : i + chunk])]  # fmt: skip
        pure = []
        for _ in range(ctx.repeat):
            seconds, _ = timed(lambda: [trust_score(f) for f in facts])
            pure.append(len(facts) / seconds)
        scope_note = f"{n:,} authors" + ("" if not limit else f" (first {n:,} by id)")
        return [
            Row(self.name, f"{scope_note}, chunks of {chunk:,}: Celery worker (solo)",
                celery_rate, "authors/s", reference=inline_rate,
                reference_label="same chunks inline, one process", goal="≥ 0.80×",
                ok=celery_rate / inline_rate >= 0.8),
            Row(self.name, "pure trust_score over preloaded facts (no SQL)", median(pure),
                "authors/s", note=f"{len(facts):,} authors; the formula's ceiling"),
        ]  # fmt: skip


MEASURE = TrustRecompute()
