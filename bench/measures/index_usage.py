"""Every query on the profile page's path uses an index: EXPLAIN each one on this data set.

The queries are captured from in-process requests (the median author, a hub, the author
with about 1,000 works; anonymous and logged in; and the home page search), then each is
EXPLAINed with (FORMAT JSON). A Seq Scan on a table of more than BIG_TABLE_ROWS rows is a
finding. The reference is zero. Small dimension tables (institutions, venues, topics: tens
of thousands of rows at 1M works) may be hashed whole for a join; that is not a finding.
"""

from __future__ import annotations

import contextlib
import json

from django.db import connection

from bench.core import Context, Row
from bench.measures._pages import captured, client

BIG_TABLE_ROWS = 50_000


def _big_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples > %s",
            [BIG_TABLE_ROWS],
        )
        return {name for (name,) in cursor.fetchall()}


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def seq_scans(sql: str, big: set[str]) -> tuple[list[str], list[str]]:
    """(big tables read by Seq Scan, indexes used) in the plan of one query."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        raw = cursor.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    scans, indexes = [], []
    for node in _nodes(plan):
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in big:
            scans.append(node["Relation Name"])
        if "Index Name" in node:
            indexes.append(node["Index Name"])
    return scans, indexes


def _discovery_pages(author) -> list[tuple[str, str]]:
    """The author's topic and institution pages, a work's and the author's citations, feed."""
    from works.models import Work, WorkTopic

    work = Work.objects.filter(authorships__author=author).order_by("pk").first()
    pages = [
        ("work .bib", f"/works/{work.pk}.bib"),
        ("researcher .ris", f"/researchers/{author.slug}/works.ris"),
        ("researcher feed", f"/researchers/{author.slug}/feed/"),
    ]
    topic = WorkTopic.objects.filter(work=work).select_related("topic").first()
    if topic:
        pages.append(("topic page", topic.topic.get_absolute_url()))
    if author.last_known_institution_id:
        pages.append(("institution page", author.last_known_institution.get_absolute_url()))
    return pages


# The works list's sorts and filters (profiles/works_list.py); "topic" is filled in with the
# author's most frequent topic.
LIST_VARIANTS = (
    {},
    {"sort": "oldest"},
    {"sort": "cited"},
    {"sort": "title", "page": "2"},
    {"type": "article"},
    {"from": "2005", "to": "2015"},
    {"topic": "top"},
)


def _shared_parts_statements(author, params: dict) -> list[str]:
    from django.db import connection
    from django.http import Http404
    from django.test.utils import CaptureQueriesContext

    from profiles import works_list
    from profiles.views import pages as views

    if params.get("topic") == "top":
        choices = works_list.author_topic_choices(author)
        params = {"topic": str(choices[0][0])} if choices else {}
    query = works_list.WorksQuery.from_params(params)
    # a page past the end is a 404: its queries still ran
    with CaptureQueriesContext(connection) as captured_queries, contextlib.suppress(Http404):
        views._shared_parts(author, query, fragment=None)
    return [
        q["sql"]
        for q in captured_queries.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
    ]


class IndexUsage:
    name = "index_usage"
    order = 30

    def __init__(self) -> None:
        self.findings: list[str] = []

    def run(self, ctx: Context) -> list[Row]:
        big = _big_tables()
        pages = []
        for key in ("median", "hub", "works_1000"):
            pages.append((key, ctx.subjects[key].get_absolute_url()))
        pages.append(("home search", "/?q=garcia"))
        pages.append(("home", "/"))
        # discovery (issue 13): the search page and the API search, by words and by name
        median = ctx.subjects["median"]
        pages.append(("search words", "/search/?q=neural+learning"))
        pages.append(("search name", f"/search/?q={median.display_name.replace(' ', '+')}"))
        pages.append(("search initials", "/search/?q=M.+Garcia"))
        pages.append(("search filtered", "/search/?q=learning&type=article&year_from=2010"))
        pages.append(("api search", "/api/v1/search?q=neural+learning"))
        pages.append(("api researcher works", f"/api/v1/researchers/{median.slug}/works"))
        pages += _discovery_pages(median)
        checked, findings = 0, []
        for who in ("anonymous", "logged in"):
            c = client(logged_in=who == "logged in")
            for key, url in pages:
                status, statements = captured(c, url)
                assert status == 200, (url, status)
                for sql in statements:
                    if not sql.lstrip().upper().startswith("SELECT"):
                        continue
                    checked += 1
                    scans, _ = seq_scans(sql, big)
                    if scans:
                        findings.append(f"{key} ({who}): Seq Scan on {', '.join(scans)}: {sql}")
        # The parts of the profile every viewer shares come from the cache on the pages
        # above; their queries, for each sort and filter of the works list, directly.
        for key in ("median", "hub", "works_1000"):
            for params in LIST_VARIANTS:
                for sql in _shared_parts_statements(ctx.subjects[key], params):
                    checked += 1
                    scans, _ = seq_scans(sql, big)
                    if scans:
                        findings.append(
                            f"{key} works list {params}: Seq Scan on {', '.join(scans)}: {sql}"
                        )
        self.findings = findings
        ctx.options.setdefault("appendix", []).extend(
            ["Seq Scans on big tables:", *findings] if findings else []
        )
        return [
            Row(self.name, f"profile path, home, discovery, API: {checked} SELECTs EXPLAINed",
                len(findings), "seq scans", reference=0,
                reference_label=f"tables > {BIG_TABLE_ROWS:,} rows", goal="0",
                ok=not findings, ratio=None,
                note="; ".join(sorted({f.split(":")[0] + ":" + f.split(":")[1]
                                       for f in findings}))[:200])
        ]  # fmt: skip


MEASURE = IndexUsage()
