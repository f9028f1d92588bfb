"""Profile page under gunicorn with concurrent clients, beside a minimal Django page.

Signed in, the page is assembled from the parts every viewer shares (cached per author data
version and works-list query, profiles/page_cache.py) and the viewer's own sections; the
hub is also measured signed in with its works sorted by citations.

The reference is bench/reference_view.reference: Django's request path rendering a template
of the same byte size from memory (no database). Both are loaded in turn, repeat times,
for a median author and a hub, anonymous and logged in; medians are reported.
"""

from __future__ import annotations

import urllib.request

from bench.core import Context, Row, median
from bench.measures._pages import session_cookie
from bench.server import Gunicorn, load

CONNECTIONS = 4
WORKERS = 2


class ProfilePage:
    name = "profile_page"
    order = 10

    def run(self, ctx: Context) -> list[Row]:
        rows = []
        cookie = {"Cookie": f"sessionid={session_cookie()}"}
        with Gunicorn(
            database_url=ctx.database_url, redis_url=ctx.redis_url, workers=WORKERS
        ) as server:
            for label, key in (("median author", "median"), ("hub", "hub")):
                author = ctx.subjects[key]
                views = [("anonymous", {}, ""), ("logged in", cookie, "")]
                if key == "hub":  # a sorted list: its own cached entry of the shared parts
                    views.append(("logged in, works by most cited", cookie, "?sort=cited"))
                for who, headers, query in views:
                    url = server.base_url + author.get_absolute_url() + query
                    request = urllib.request.Request(url, headers=headers)
                    body = urllib.request.urlopen(request, timeout=60).read()
                    if who.startswith("logged in"):
                        assert b"Log in to follow" not in body, "the bench session is not valid"
                    reference_url = f"{server.base_url}/_bench/reference/?bytes={len(body)}"
                    pages, references = [], []
                    for _ in range(ctx.repeat):
                        pages.append(
                            load(
                                url, duration=ctx.duration, connections=CONNECTIONS, headers=headers
                            )
                        )
                        references.append(load(reference_url, duration=ctx.duration,
                                               connections=CONNECTIONS))  # fmt: skip
                    rows += self._rows(f"{label} ({author.works_count:,} works), {who}",
                                       pages, references, len(body))  # fmt: skip
        return rows

    def _rows(self, subject, pages, references, size) -> list[Row]:
        rps = median([p.requests_per_s for p in pages])
        ref_rps = median([r.requests_per_s for r in references])
        p50 = median([p.p50_ms for p in pages])
        p99 = median([p.p99_ms for p in pages])
        ref_p50 = median([r.p50_ms for r in references])
        ref_p99 = median([r.p99_ms for r in references])
        errors = sum(p.errors for p in pages)
        note = f"{size / 1024:.0f} KiB page; {CONNECTIONS} connections, {WORKERS} workers"
        if errors:
            note += f"; {errors} errors"
        return [
            Row(self.name, subject + ": throughput", rps, "req/s", reference=ref_rps,
                reference_label="reference page", goal="≥ 0.40×",
                ok=rps / ref_rps >= 0.4 and not errors, note=note + f" ({pages[0].tool})"),
            Row(self.name, subject + ": p50", p50, "ms", reference=ref_p50,
                reference_label="reference page"),
            Row(self.name, subject + ": p99", p99, "ms", reference=ref_p99,
                reference_label="reference page", goal="p99 ≤ 2.5 × p50",
                ok=p99 <= 2.5 * p50, note=f"p99/p50 = {p99 / p50:.2f}"),
        ]  # fmt: skip


MEASURE = ProfilePage()
