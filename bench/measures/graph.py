"""Graph slices: cold build time in process, and the warm fragment under gunicorn.

Cold: graph.services.graph_slice_build (every query, ranking, layout and SVG; no cache) for
the median author and the hub, profile slice and full explorer (depth 2), beside rendering
the reference page (bench/reference_view.reference) of the same byte size in the same process.
Warm: the profile fragment /researchers/<slug>/graph/ (HX-Request) served from the cache by
gunicorn under load, beside the reference page of the same size (the same comparison as
profile_page).
"""

from __future__ import annotations

import urllib.request

from django.test import RequestFactory, override_settings

from bench.core import Context, Row, median, timed
from bench.server import Gunicorn, load

CONNECTIONS = 4
WORKERS = 2
HTMX = {"HX-Request": "true"}


class GraphSlices:
    name = "graph"
    order = 30

    def run(self, ctx: Context) -> list[Row]:
        from bench.reference_view import reference
        from graph import services
        from graph.presets import PROFILE, explorer_params

        rows = []
        factory = RequestFactory()
        subjects = [("median author", ctx.subjects["median"]), ("hub", ctx.subjects["hub"])]
        for label, author in subjects:
            subject = (
                f"{label} ({author.works_count:,} works, "
                f"{author.close_collaborators_count:,} close collaborators)"
            )
            for params in (PROFILE, explorer_params(depth=2)):
                services.graph_slice_build(author=author, params=params)  # warm the DB pages
                times, built = [], None
                for _ in range(ctx.repeat):
                    seconds, built = timed(
                        lambda params=params, author=author: services.graph_slice_build(
                            author=author, params=params
                        )
                    )
                    times.append(seconds * 1000)
                size = len(built.svg)
                request = factory.get(f"/_bench/reference/?bytes={size}")
                with override_settings(BENCH_REFERENCE_VIEW=True):
                    reference(request)
                    ref = median(
                        [timed(lambda r=request: reference(r))[0] * 1000 for _ in range(ctx.repeat)]
                    )
                cold = median(times)
                rows.append(
                    Row(self.name, f"{subject}: {params.name} slice, cold build", cold, "ms",
                        reference=ref, reference_label="reference page render",
                        goal="< 500 ms in a request" if params.name == "profile" else "",
                        ok=cold < 500 if params.name == "profile"
                        and not services.author_is_large(author) else None,
                        note=f"{len(built.nodes)} nodes, {len(built.edges)} edges, "
                             f"{size / 1024:.0f} KiB SVG"
                             + ("; built by a worker (large)"
                                if services.author_is_large(author) else ""))
                )  # fmt: skip
        rows += self._warm(ctx, subjects)
        return rows

    def _warm(self, ctx: Context, subjects) -> list[Row]:
        from graph import services

        rows = []
        with Gunicorn(
            database_url=ctx.database_url, redis_url=ctx.redis_url, workers=WORKERS
        ) as server:
            for label, author in subjects:
                services.graph_slices_precompute(author_ids=[author.pk])  # into Redis
                url = f"{server.base_url}/researchers/{author.slug}/graph/"
                body = urllib.request.urlopen(
                    urllib.request.Request(url, headers=HTMX), timeout=60
                ).read()
                assert b"<svg" in body, "the fragment was not served from the cache"
                reference_url = f"{server.base_url}/_bench/reference/?bytes={len(body)}"
                pages, references = [], []
                for _ in range(ctx.repeat):
                    pages.append(load(url, duration=ctx.duration, connections=CONNECTIONS,
                                      headers=HTMX))  # fmt: skip
                    references.append(load(reference_url, duration=ctx.duration,
                                           connections=CONNECTIONS))  # fmt: skip
                rps = median([p.requests_per_s for p in pages])
                ref_rps = median([r.requests_per_s for r in references])
                errors = sum(p.errors for p in pages)
                p50 = median([p.p50_ms for p in pages])
                note = f"{len(body) / 1024:.0f} KiB fragment; p50 {p50:.1f} ms"
                if errors:
                    note += f"; {errors} errors"
                rows.append(
                    Row(self.name, f"{label}: profile fragment, warm (cached)", rps, "req/s",
                        reference=ref_rps, reference_label="reference page", goal="≥ 0.50×",
                        ok=rps / ref_rps >= 0.5 and not errors,
                        note=note + f"; {CONNECTIONS} connections, {WORKERS} workers")
                )  # fmt: skip
        return rows


MEASURE = GraphSlices()
