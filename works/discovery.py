"""Topic and institution pages: who works on it, what is new, how much per year.

Every list is bounded (LIMIT) and every query reads through an index that leads with the
topic or institution (works_worktopic_topic_idx; the byline-institution link's
institution_id index), so a page costs a fixed number of queries whatever its size.
Hidden and merged-away researchers are never listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from .models import Author, Institution, Topic, Work

RESEARCHERS_SHOWN = 20
RECENT_WORKS = 10
RELATED_TOPICS = 12
CHART_YEARS = 20
PARENT_DEPTH = 6


@dataclass(frozen=True)
class Bar:
    year: int
    count: int
    x: int
    y: int
    height: int


@dataclass(frozen=True)
class YearChart:
    bars: list[Bar]
    width: int
    height: int
    bar_width: int
    total: int

    @property
    def label(self) -> str:
        parts = ", ".join(f"{b.year}: {b.count}" for b in self.bars)
        return f"Works per year: {parts}" if parts else "No dated works"


def year_chart(
    counts: list[tuple[int, int]], *, height: int = 80, bar_width: int = 22
) -> YearChart:
    """Bars for the latest CHART_YEARS years that have works (SVG coordinates, counts kept)."""
    counts = sorted(counts)[-CHART_YEARS:]
    peak = max((n for _, n in counts), default=0) or 1
    bars = []
    for i, (year, n) in enumerate(counts):
        h = max(1, round(n / peak * (height - 30)))
        bars.append(Bar(year, n, i * (bar_width + 4), height - 14 - h, h))
    width = max(len(bars) * (bar_width + 4), bar_width)
    return YearChart(bars, width, height, bar_width, sum(n for _, n in counts))


@dataclass
class RankedAuthor:
    author: Author
    works_here: int


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _ranked_authors(rows: list[tuple]) -> list[RankedAuthor]:
    authors = Author.objects.for_profile().in_bulk([pk for pk, _ in rows])
    return [RankedAuthor(authors[pk], n) for pk, n in rows if pk in authors]


def parent_chain(node: Topic | Institution) -> list:
    """The ancestors, root first (one query per level, at most PARENT_DEPTH; cycles stop)."""
    chain, seen, current = [], {node.pk}, node
    while current.parent_id and current.parent_id not in seen and len(chain) < PARENT_DEPTH:
        current = type(node).objects.get(pk=current.parent_id)
        seen.add(current.pk)
        chain.append(current)
    return chain[::-1]


# ---------------------------------------------------------------- topics

LISTED_AUTHOR = "a.merged_into_id IS NULL AND NOT a.hidden"


@dataclass
class TopicPage:
    topic: Topic
    parents: list[Topic]
    children: list[Topic]
    related: list[tuple[Topic, int]]
    researchers: list[RankedAuthor]
    recent: list[Work]
    chart: YearChart


def topic_page(topic: Topic) -> TopicPage:
    researchers = _fetch(
        f"""
        SELECT a.id, count(DISTINCT wt.work_id) AS n
        FROM works_worktopic wt
        JOIN works_authorship au ON au.work_id = wt.work_id
        JOIN profiles_author a ON a.id = au.author_id
        WHERE wt.topic_id = %s AND {LISTED_AUTHOR}
        GROUP BY a.id ORDER BY n DESC, a.id LIMIT %s
        """,  # noqa: S608 - fixed SQL
        [topic.pk, RESEARCHERS_SHOWN],
    )
    per_year = _fetch(
        """
        SELECT w.year, count(*) FROM works_worktopic wt JOIN works_work w ON w.id = wt.work_id
        WHERE wt.topic_id = %s AND w.year IS NOT NULL GROUP BY w.year
        """,
        [topic.pk],
    )
    related_rows = _fetch(
        """
        SELECT other.topic_id, count(*) AS n
        FROM works_worktopic mine
        JOIN works_worktopic other
          ON other.work_id = mine.work_id AND other.topic_id <> mine.topic_id
        WHERE mine.topic_id = %s GROUP BY other.topic_id ORDER BY n DESC, other.topic_id LIMIT %s
        """,
        [topic.pk, RELATED_TOPICS],
    )
    topics = Topic.objects.in_bulk([pk for pk, _ in related_rows])
    recent = list(Work.objects.for_listing().filter(work_topics__topic=topic)[:RECENT_WORKS])
    return TopicPage(
        topic=topic,
        parents=parent_chain(topic),
        children=list(topic.children.order_by("name")[:RELATED_TOPICS]),
        related=[(topics[pk], n) for pk, n in related_rows if pk in topics],
        researchers=_ranked_authors(researchers),
        recent=recent,
        chart=year_chart(per_year),
    )


# ---------------------------------------------------------------- institutions


# An institution's page reads at most this many of the bylines naming it, the latest first:
# a large university has hundreds of thousands, and joining them all to the byline table
# is a scan of the whole table. The page says when it stopped there.
INSTITUTION_LINKS = 5000
LINKS = """
    WITH links AS MATERIALIZED (
        SELECT authorship_id FROM works_authorship_institutions
        WHERE institution_id = %s ORDER BY authorship_id DESC LIMIT %s
    )
"""


@dataclass
class InstitutionPage:
    institution: Institution
    parents: list[Institution]
    members: list[Institution]
    researchers: list[RankedAuthor]
    recent: list[Work]
    chart: YearChart
    # the counts stopped at `cap` bylines
    capped: bool = False
    cap: int = 0


def institution_page(institution: Institution) -> InstitutionPage:
    """Researchers ranked by their works with a byline naming the institution (its latest
    INSTITUTION_LINKS bylines: a MATERIALIZED bound the planner joins through the indexes)."""
    links = [institution.pk, INSTITUTION_LINKS]  # read at call time: tests lower it
    per_work = _fetch(
        LINKS
        + """
        SELECT au.work_id, w.year, au.author_id
        FROM links l JOIN works_authorship au ON au.id = l.authorship_id
        JOIN works_work w ON w.id = au.work_id
        """,
        links,
    )
    capped = len(per_work) >= INSTITUTION_LINKS
    works_of: dict[int, set[int]] = {}
    years: dict[int, int | None] = {}
    for work_id, year, author_id in per_work:
        years[work_id] = year
        if author_id is not None:
            works_of.setdefault(author_id, set()).add(work_id)
    listed = set(Author.objects.listed().filter(pk__in=list(works_of)).values_list("pk", flat=True))
    ranked = sorted(((pk, len(w)) for pk, w in works_of.items() if pk in listed),
                    key=lambda x: (-x[1], x[0]))[:RESEARCHERS_SHOWN]  # fmt: skip
    if not ranked:  # no bylines name it: the authors it is the last known home of
        ranked = list(
            Author.objects.listed()
            .filter(last_known_institution=institution)
            .order_by("-works_count", "pk")
            .values_list("pk", "works_count")[:RESEARCHERS_SHOWN]
        )
    per_year: dict[int, int] = {}
    for year in years.values():
        if year is not None:
            per_year[year] = per_year.get(year, 0) + 1
    recent = list(Work.objects.for_listing().filter(pk__in=list(years))[:RECENT_WORKS])
    return InstitutionPage(
        institution=institution,
        parents=parent_chain(institution),
        members=list(institution.children.order_by("display_name")[:RELATED_TOPICS]),
        researchers=_ranked_authors(ranked),
        recent=recent,
        chart=year_chart(list(per_year.items())),
        capped=capped,
        cap=INSTITUTION_LINKS,
    )
