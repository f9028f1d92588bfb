"""Search page, API search and the API researcher endpoint under gunicorn, beside references.

References (bench/discovery_reference.py), measured in the same run with the same load:
- search: the bare indexed full-text `SELECT id, title … @@ websearch_to_tsquery(…) LIMIT 20`
  through the same Django stack (HTML for the page, JSON for the API);
- API researcher: a JSON document of the same size from memory.
Goals (issue 13): search page ≥ 0.3×, API endpoints ≥ 0.5×. The queries: two words of a
median work's title (synthetic titles share a small vocabulary: thousands of matches, the
hard case for ranking) and the median author's initials and surname ("M. Song" style).
The API's rate limit is lifted for the bench server (RATE_LIMIT_API) so that the load is
not answered 429.

Answers are cached under the works data version (works/search_cache.py), so the load, which
repeats one URL, measures a repeated search. The rows "cache off" measure the same URLs
with SEARCH_CACHE_SECONDS=0 (every request computed: what a first search costs); they have
no goal of their own and are there to show that cost.
"""

from __future__ import annotations

import urllib.parse
import urllib.request

from bench.core import Context, Row, median
from bench.server import Gunicorn, load
from bzpeer.lib.names import normalize_name

CONNECTIONS = 4
WORKERS = 2


def _title_words(ctx: Context) -> str:
    from works.models import Work

    author = ctx.subjects["median"]
    work = Work.objects.filter(authorships__author=author).order_by("pk").first()
    words = [w for w in normalize_name(work.title).split() if len(w) > 3 and not w.isdigit()]
    return " ".join(words[:2])


def _initials(ctx: Context) -> str:
    parts = normalize_name(ctx.subjects["median"].display_name).split()
    return f"{parts[0][0].upper()}. {parts[-1].title()}" if len(parts) > 1 else parts[0]


class Discovery:
    name = "discovery"
    order = 40

    def run(self, ctx: Context) -> list[Row]:
        return self._run(ctx, cached=True) + self._run(ctx, cached=False)

    def _run(self, ctx: Context, *, cached: bool) -> list[Row]:
        words, name = _title_words(ctx), _initials(ctx)
        author = ctx.subjects["median"]
        server = Gunicorn(database_url=ctx.database_url, redis_url=ctx.redis_url, workers=WORKERS)
        server.env["RATE_LIMIT_API"] = "100000000/s"
        if not cached:
            server.env["SEARCH_CACHE_SECONDS"] = "0"
        rows = []
        with server:
            base = server.base_url

            def q(text: str) -> str:
                return urllib.parse.quote_plus(text)

            cases = [
                (f"search page “{words}”", f"{base}/search/?q={q(words)}",
                 f"{base}/_bench/search-reference/?q={q(words)}", 0.3, "bare FTS LIMIT 20"),
                (f"search page “{name}”", f"{base}/search/?q={q(name)}",
                 f"{base}/_bench/search-reference/?q={q(name)}", 0.3, "bare FTS LIMIT 20"),
                (f"API search “{words}”", f"{base}/api/v1/search?q={q(words)}",
                 f"{base}/_bench/search-reference/?format=json&q={q(words)}", 0.5,
                 "bare FTS LIMIT 20, JSON"),
            ]  # fmt: skip
            researcher = f"{base}/api/v1/researchers/{author.slug}"
            size = len(urllib.request.urlopen(researcher, timeout=60).read())
            cases.append(
                (f"API researcher ({author.works_count:,} works)", researcher,
                 f"{base}/_bench/json-reference/?bytes={size}", 0.5, "JSON of the same size")
            )  # fmt: skip
            for subject, url, reference_url, goal, label in cases:
                body = urllib.request.urlopen(url, timeout=60).read()
                pages, references = [], []
                for _ in range(ctx.repeat):
                    pages.append(load(url, duration=ctx.duration, connections=CONNECTIONS))
                    references.append(
                        load(reference_url, duration=ctx.duration, connections=CONNECTIONS)
                    )
                if not cached:
                    subject += ", cache off"
                row = self._row(subject, pages, references, goal, label, len(body))
                if not cached:
                    row.goal, row.ok = "", None
                    row.note += "; every request computed (SEARCH_CACHE_SECONDS=0)"
                rows.append(row)
        return rows

    def _row(self, subject, pages, references, goal, label, size) -> Row:
        rps = median([p.requests_per_s for p in pages])
        ref_rps = median([r.requests_per_s for r in references])
        p50, ref_p50 = median([p.p50_ms for p in pages]), median([r.p50_ms for r in references])
        errors = sum(p.errors for p in pages)
        note = (f"{size / 1024:.0f} KiB; p50 {p50:.1f} ms vs {ref_p50:.1f} ms; "
                f"{CONNECTIONS} connections, {WORKERS} workers ({pages[0].tool})")  # fmt: skip
        if errors:
            note += f"; {errors} errors"
        return Row(self.name, subject + ": throughput", rps, "req/s", reference=ref_rps,
                   reference_label=label, goal=f"≥ {goal:.2f}×",
                   ok=rps / ref_rps >= goal and not errors, note=note)  # fmt: skip


MEASURE = Discovery()
