"""Mixed traffic under load, healthy and with Redis killed for 10 s in the middle.

16 connections for 60 s against gunicorn (sync workers, DEBUG=0, as the other page measures
run it) on a private redis-server the bench starts on a free port (tests/redis_server.py),
with a real Celery worker and beat on the same Redis. Each connection loops over a mix:
anonymous and signed-in profile pages, graph fragments (htmx), search, follows and evidence
claims (POSTs, signed in, CSRF token). Every response that is not a 200 or a redirect, and every
connection error, counts as an error.

Run 1 is healthy. Run 2 is the same with the Redis process SIGKILLed LOAD_OUTAGE_AT seconds in,
then started again (empty: nothing persisted) 10 s later. Afterwards: every follow and claim
answered during the outage must be in PostgreSQL, and every follow's trust update applied
(the author's trust snapshot counts the new follower) within TRUST_WAIT seconds, through the
dirty-author beat task on the worker. p95 of run 2 is compared with run 1.

Load is only ever sent to 127.0.0.1. The bench's follows and claims are removed at the start
and end (the followed authors recomputed), so the data set is left as found. Claims are
limited per user (RATE_LIMIT_CLAIM): the bench's gunicorn allows enough for the run.
"""

from __future__ import annotations

import http.client
import os
import random
import secrets
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from bench.core import ROOT, Context, Row
from bench.server import Gunicorn
from tests.redis_server import PrivateRedis

CONNECTIONS = 16
WORKERS = 4
LOAD_SECONDS = 60
WARM_UP_SECONDS = 10  # the same traffic first, not measured: connections, imports, caches
OUTAGE_SECONDS = 10
LOAD_OUTAGE_AT = 25
TRUST_WAIT = 180
POOL = 4000
USERS = CONNECTIONS
USER_PREFIX = "bench-load-"
# The mix, by weight: what a request is.
MIX = {
    "profile, anonymous": 35,
    "profile, signed in": 20,
    "graph fragment": 15,
    "search": 15,
    "follow": 12,
    "claim": 3,
}


@dataclass
class Sample:
    at: float  # seconds since the run started
    kind: str
    status: int | None  # None: the connection failed
    ms: float
    write: tuple[str, int, int] | None = None  # ("follow" or "claim", user id, author id)


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if s.status is None or s.status >= 400]

    def quantile(self, q: int, kind: str | None = None) -> float:
        values = [s.ms for s in self.samples if kind is None or s.kind == kind]
        return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else 0.0


def _token() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


def _sessions() -> list[tuple[int, str]]:
    """USERS bench users with a database session each: (user id, session key)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )

    from profiles.sessions import SessionStore  # settings.SESSION_ENGINE

    out = []
    for n in range(USERS):
        user, _ = get_user_model().objects.get_or_create(username=f"{USER_PREFIX}{n}")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        out.append((user.pk, session.session_key))
        EmailAddress.objects.get_or_create(
            user=user, email=f"{user.username}@example.org", defaults={"verified": True}
        )
    return out


def _clean_up() -> int:
    """Removes the bench users' claims and follows, then recomputes the followed authors in
    this process (the recompute recounts followers from Follow rows), so counts and scores
    are back to what they were. Rows are deleted directly, not through the follow service,
    whose trust kicks would queue thousands of tasks for the other measures' worker."""
    from profiles.models import Claim, DirtyAuthor, Follow
    from profiles.trust_engine import trust_scores_recompute

    Claim.objects.filter(user__username__startswith=USER_PREFIX).delete()
    follows = Follow.objects.filter(user__username__startswith=USER_PREFIX)
    ids = sorted(set(follows.values_list("author_id", flat=True)))
    removed, _ = follows.delete()
    for start in range(0, len(ids), 2000):
        trust_scores_recompute(author_ids=ids[start : start + 2000])
    DirtyAuthor.objects.filter(author_id__in=ids).delete()
    return removed


def _pool(ctx: Context) -> list[tuple[int, str, str]]:
    """Listed authors with works, sampled, without the other measures' subjects:
    (id, slug, first word of the name)."""
    from works.models import Author

    skip = {a.pk for a in ctx.subjects.values() if a is not None}
    ids = list(Author.objects.listed().filter(works_count__gt=0).values_list("pk", flat=True))
    chosen = random.Random(16).sample([i for i in ids if i not in skip], min(POOL, len(ids)))
    rows = Author.objects.filter(pk__in=chosen).values_list("pk", "slug", "display_name")
    return [(pk, slug, (name.split() or ["a"])[0]) for pk, slug, name in rows]


def _client(
    n: int,
    port: int,
    stop_at: float,
    started: float,
    pool: list,
    follows: list,
    session: tuple[int, str],
    out: list[Sample],
) -> None:
    rng = random.Random(n)
    kinds, weights = list(MIX), list(MIX.values())
    user_id, session_key = session
    csrf = _token()
    signed_in = {"Cookie": f"sessionid={session_key}; csrftoken={csrf}"}
    # Each connection follows (and claims, from the other end) its own slice of the run's
    # authors: every follow and claim is a new row.
    to_follow = iter(follows[n::CONNECTIONS])
    to_claim = iter(follows[n::CONNECTIONS][::-1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    mine: list[Sample] = []
    while time.monotonic() < stop_at:
        kind = rng.choices(kinds, weights)[0]
        author_id, slug, word = rng.choice(pool)
        method, path, headers, body, write = "GET", f"/researchers/{slug}/", {}, None, None
        if kind == "profile, signed in":
            headers = signed_in
        elif kind == "graph fragment":
            path += "graph/"
            headers = {"HX-Request": "true"}
        elif kind == "search":
            path = f"/?q={word}"
        elif kind in ("follow", "claim"):
            target = next(to_follow if kind == "follow" else to_claim, None)
            if target is None:
                continue
            author_id, slug, _ = target
            method = "POST"
            if kind == "follow":
                path, body = f"/researchers/{slug}/follow/", "action=follow"
            else:
                path, body = f"/researchers/{slug}/claim/", "route=evidence&note=Bench+claim"
            headers = {
                **signed_in,
                "X-CSRFToken": csrf,
                "Content-Type": "application/x-www-form-urlencoded",
            }
            write = (kind, user_id, author_id)
        at = time.monotonic() - started
        start = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = None
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine.append(Sample(at, kind, status, (time.perf_counter() - start) * 1000, write))
    conn.close()
    out.extend(mine)


def _load(port: int, pool, sessions, *, follows: list, seconds: float,
          outage: tuple[float, float] | None, redis: PrivateRedis, log) -> Run:  # fmt: skip
    samples: list[Sample] = []
    started = time.monotonic()
    stop_at = started + seconds
    threads = [
        threading.Thread(
            target=_client,
            args=(n, port, stop_at, started, pool, follows, sessions[n], samples),
        )
        for n in range(CONNECTIONS)
    ]
    for t in threads:
        t.start()
    if outage is not None:
        time.sleep(max(0.0, started + outage[0] - time.monotonic()))
        redis.kill()
        log(f"  redis killed at {time.monotonic() - started:.1f} s")
        time.sleep(max(0.0, started + outage[1] - time.monotonic()))
        redis.start()
        log(f"  redis back at {time.monotonic() - started:.1f} s")
    for t in threads:
        t.join()
    return Run(samples=samples, seconds=time.monotonic() - started)


def _celery(args: list[str], env: dict, log_path: str) -> subprocess.Popen:
    with open(log_path, "w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bzpeer", *args, "--loglevel", "WARNING"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _present(writes: list[tuple[str, int, int]]) -> int:
    """How many of these follows and claims are in PostgreSQL."""
    from profiles.models import Claim, Follow

    return sum(
        (Follow if kind == "follow" else Claim).objects.filter(user_id=u, author_id=a).exists()
        for kind, u, a in writes
    )


def _trust_applied(follows: list[tuple[int, int]]) -> int:
    """Followed authors whose latest trust snapshot counts their followers."""
    from profiles.models import DirtyAuthor, Follow, TrustSnapshot
    from works.models import Author

    authors = {a for _, a in follows}
    dirty = set(DirtyAuthor.objects.filter(author_id__in=authors).values_list("author", flat=True))
    followers = dict(Author.objects.filter(pk__in=authors).values_list("pk", "followers_count"))
    applied = 0
    for author_id in authors - dirty:
        snapshot = TrustSnapshot.objects.filter(author_id=author_id).order_by("-pk").first()
        community = {f["key"]: f for f in snapshot.factors}["community"] if snapshot else None
        expected = Follow.objects.filter(author_id=author_id).count()
        if community and community["value"] == expected == followers[author_id]:
            applied += 1
    return applied


class Load:
    name = "load"
    order = 60

    def run(self, ctx: Context) -> list[Row]:
        seconds = LOAD_SECONDS if ctx.duration >= 5 else 12  # --quick: a smoke test
        outage_at, outage_for = (LOAD_OUTAGE_AT, OUTAGE_SECONDS) if seconds == 60 else (4, 3)
        removed = _clean_up()
        if removed:
            ctx.log(f"  removed {removed} follows a previous run left")
        pool = _pool(ctx)
        sessions = _sessions()
        redis = PrivateRedis().start()
        logs = tempfile.mkdtemp(prefix="bzpeer-bench-load-")
        ctx.log(f"  worker and beat logs in {logs}")
        env = {
            **os.environ,
            "DATABASE_URL": ctx.database_url,
            "REDIS_URL": redis.url(0),
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            # Beat every few seconds, so what the outage left is picked up soon after.
            "TRUST_DIRTY_EVERY_SECONDS": "5",
            "OUTBOX_DRAIN_EVERY_SECONDS": "2",
        }
        worker = _celery(
            ["worker", "-Q", "default,scores,graph,imports", "-P", "solo",
             "-n", f"bench-load-{os.getpid()}@localhost", "--without-heartbeat",
             "--without-gossip", "--without-mingle"],
            env, f"{logs}/worker.log",
        )  # fmt: skip
        beat = _celery(
            ["beat", "--schedule", f"{logs}/celerybeat-schedule"], env, f"{logs}/beat.log"
        )
        server = Gunicorn(database_url=ctx.database_url, redis_url=redis.url(0), workers=WORKERS)
        server.env["RATE_LIMIT_CLAIM"] = "100000/h"
        try:
            with server:
                # Warm-up (no follows); then each run follows authors of its own half.
                half = len(pool) // 2
                _load(server.port, pool, sessions, follows=[],
                      seconds=WARM_UP_SECONDS if seconds == 60 else 3, outage=None,
                      redis=redis, log=ctx.log)  # fmt: skip
                ctx.log(f"  healthy run: {CONNECTIONS} connections, {seconds} s")
                healthy = _load(server.port, pool, sessions, follows=pool[:half],
                                seconds=seconds, outage=None, redis=redis,
                                log=ctx.log)  # fmt: skip
                ctx.log(f"  outage run: redis killed at {outage_at} s for {outage_for} s")
                faulty = _load(server.port, pool, sessions, follows=pool[half:], seconds=seconds,
                               outage=(outage_at, outage_at + outage_for),
                               redis=redis, log=ctx.log)  # fmt: skip
                during = [
                    s.write
                    for s in faulty.samples
                    if s.write and s.status == 302 and outage_at <= s.at <= outage_at + outage_for
                ]
                all_follows = [
                    s.write[1:]
                    for run in (healthy, faulty)
                    for s in run.samples
                    if s.write and s.write[0] == "follow" and s.status == 302
                ]
                waited_from = time.monotonic()
                deadline = waited_from + TRUST_WAIT
                while True:
                    applied = _trust_applied(all_follows)
                    done = applied == len({a for _, a in all_follows})
                    if done or time.monotonic() > deadline:
                        break
                    time.sleep(2)
                waited = time.monotonic() - waited_from
                present_during = {
                    kind: _present([w for w in during if w[0] == kind])
                    for kind in ("follow", "claim")
                }
        finally:
            _stop(beat)
            _stop(worker)
            redis.kill()
            _clean_up()
        return self._rows(healthy, faulty, during, present_during, all_follows, applied,
                          waited, seconds, outage_at, outage_for)  # fmt: skip

    def _rows(self, healthy: Run, faulty: Run, during, present_during, all_follows, applied,
              waited, seconds, outage_at, outage_for) -> list[Row]:  # fmt: skip
        setup = f"{CONNECTIONS} connections, {seconds} s, gunicorn {WORKERS} sync workers"
        rows = []
        for label, run in (("healthy", healthy), (f"Redis killed {outage_for} s", faulty)):
            kinds = "; ".join(
                f"{kind} p95 {run.quantile(95, kind):.0f} ms"
                for kind in MIX
                if any(s.kind == kind for s in run.samples)
            )
            errors = run.errors
            error_note = ""
            if errors:
                by_status: dict = {}
                for s in errors:
                    by_status[(s.kind, s.status)] = by_status.get((s.kind, s.status), 0) + 1
                error_note = "; errors: " + ", ".join(
                    f"{k} {st or 'no answer'} ×{n}" for (k, st), n in sorted(by_status.items())
                )
            rows.append(Row("load", f"mixed traffic, {label}: errors", len(errors), "errors",
                            goal="0", ok=not errors,
                            note=f"{len(run.samples):,} requests, "
                                 f"{len(run.samples) / run.seconds:.0f} req/s; {setup}"
                                 + error_note))  # fmt: skip
            rows.append(Row("load", f"mixed traffic, {label}: p50", run.quantile(50), "ms"))
            p95 = run.quantile(95)
            if run is healthy:
                rows.append(Row("load", f"mixed traffic, {label}: p95", p95, "ms", note=kinds))
            else:
                ratio = p95 / healthy.quantile(95)
                rows.append(Row("load", f"mixed traffic, {label}: p95", p95, "ms",
                                reference=healthy.quantile(95), reference_label="healthy run",
                                goal="≤ 1.5×", ok=ratio <= 1.5, note=kinds))  # fmt: skip
        for kind in ("follow", "claim"):
            answered = sum(1 for w in during if w[0] == kind)
            rows.append(Row("load", f"{kind}s answered during the outage ({outage_at}–"
                                    f"{outage_at + outage_for} s) present afterwards",
                            present_during[kind], f"{kind}s", reference=answered,
                            reference_label="answered 302", goal="all",
                            ok=present_during[kind] == answered > 0))  # fmt: skip
        authors = len({a for _, a in all_follows})
        rows.append(Row("load", "followed authors whose trust snapshot counts the follow",
                        applied, "authors", reference=authors,
                        reference_label="authors followed in both runs", goal="all",
                        ok=applied == authors,
                        note=f"{waited:.0f} s after the outage run ended (worker + beat on the "
                             "restarted Redis)"))  # fmt: skip
        return rows


MEASURE = Load()
