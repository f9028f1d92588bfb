"""The rows a graph slice is built from: a few bounded queries around one author.

A slice costs at most 12 queries whatever the author's size, each bounded by a LIMIT or by
the ids an earlier one returned: top co-authors by shared works (LIMIT, with the total in
the same query), at depth 2 the top co-authors of the top co-authors (one windowed query,
LIMIT per co-author), co-authorships among the people found, the most recent and the most
cited works (LIMIT each), who of the people found wrote those works, main topics (LIMIT),
which of those works are about which of those topics, the institutions on the author's
bylines (LIMIT), the names of the people's last known institutions, and the profile's own
"close collaborators" and "topics" counts (profiles.trust_engine, the same functions the
trust engine uses, so the slice and the profile never disagree). Never a whole-database
graph, never an unbounded radius-2 traversal. Authors hidden at their owner's request are
never nodes of anyone's slice.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, F, Q
from django.urls import reverse

from bzpeer.lib.lookups import sql_any
from bzpeer.lib.text import plain_text
from profiles.trust_engine import close_collaborator_counts, topic_counts
from works.models import Author, Authorship, Institution, Topic, Work, WorkTopic

from .slice import Neighbourhood, Paper, Person, Place, SliceParams, Subject

# Depth 2 counts a co-author's co-authors over this many of their latest works.
SECOND_HOP_WORKS = 60

AUTHORSHIP = Authorship._meta.db_table
WORK = Work._meta.db_table
AUTHOR_TABLE = Author._meta.db_table


def _years(work_column: str, params: SliceParams) -> tuple[str, str, list]:
    """A join on the work and its year conditions, when the slice has a year range."""
    conditions, args = [], []
    if params.year_from:
        conditions.append("yw.year >= %s")
        args.append(params.year_from)
    if params.year_to:
        conditions.append("yw.year <= %s")
        args.append(params.year_to)
    if not conditions:
        return "", "", []
    join = f" JOIN {WORK} yw ON yw.id = {work_column}"
    return join, " AND " + " AND ".join(conditions), args


def _rows(sql: str, args: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return cursor.fetchall()


def _person(row: tuple, *, hop: int, shared: int = 0, via: int | None = None) -> Person:
    pk, slug, name, institution_id = row[:4]
    return Person(
        id=pk,
        slug=slug,
        name=name,
        url=reverse("profiles:detail", kwargs={"slug": slug}),
        shared_works=shared,
        institution_id=institution_id,
        hop=hop,
        via=via,
    )


def _top_coauthors(center_id: int, params: SliceParams) -> tuple[list[Person], int]:
    """The co-authors on most shared works (LIMIT), and how many there are in all."""
    join, where, args = _years("mine.work_id", params)
    sql = f"""
        SELECT a.id, a.slug, a.display_name, a.last_known_institution_id, top.shared, top.total
        FROM (
            SELECT theirs.author_id AS author_id, COUNT(DISTINCT mine.work_id) AS shared,
                   COUNT(*) OVER () AS total
            FROM {AUTHORSHIP} mine
            JOIN {AUTHORSHIP} theirs ON theirs.work_id = mine.work_id
            JOIN {AUTHOR_TABLE} ta ON ta.id = theirs.author_id AND ta.hidden = %s{join}
            WHERE mine.author_id = %s AND theirs.author_id <> mine.author_id{where}
            GROUP BY theirs.author_id
            HAVING COUNT(DISTINCT mine.work_id) >= %s
            ORDER BY shared DESC, theirs.author_id
            LIMIT %s
        ) top
        JOIN {AUTHOR_TABLE} a ON a.id = top.author_id
        ORDER BY top.shared DESC, a.id
    """
    rows = _rows(sql, [False, center_id, *args, params.min_shared, params.coauthors])
    people = [_person(row, hop=1, shared=row[4]) for row in rows]
    return people, (rows[0][5] if rows else 0)


def _second_hop(center_id: int, first: list[Person], params: SliceParams) -> list[Person]:
    """Depth 2: for each of the top `second_from` co-authors, their own top `second_each`
    co-authors not already in the slice, counted over each one's SECOND_HOP_WORKS latest
    works (a hub's co-authors are often hubs too: never all of their works). One query."""
    sources = [p.id for p in first[: params.second_from]]
    if not sources or not params.second_each:
        return []
    known = [center_id, *(p.id for p in first)]
    src, src_args = sql_any("mine.author_id", sources)
    not_known, known_args = sql_any("theirs.author_id", known)
    join, where, args = _years("mine.work_id", params)
    sql = f"""
        WITH latest AS (
            SELECT src, work_id FROM (
                SELECT mine.author_id AS src, mine.work_id,
                       ROW_NUMBER() OVER (
                           PARTITION BY mine.author_id ORDER BY mine.work_id DESC
                       ) AS place
                FROM {AUTHORSHIP} mine{join}
                WHERE {src}{where}
            ) numbered
            WHERE place <= %s
        )
        SELECT a.id, a.slug, a.display_name, a.last_known_institution_id, x.src
        FROM (
            SELECT latest.src, theirs.author_id AS dst,
                   ROW_NUMBER() OVER (
                       PARTITION BY latest.src
                       ORDER BY COUNT(DISTINCT latest.work_id) DESC, theirs.author_id
                   ) AS place
            FROM latest
            JOIN {AUTHORSHIP} theirs ON theirs.work_id = latest.work_id
            JOIN {AUTHOR_TABLE} ta ON ta.id = theirs.author_id AND ta.hidden = %s
            WHERE NOT ({not_known})
            GROUP BY latest.src, theirs.author_id
            HAVING COUNT(DISTINCT latest.work_id) >= %s
        ) x
        JOIN {AUTHOR_TABLE} a ON a.id = x.dst
        WHERE x.place <= %s
        ORDER BY x.src, x.place
    """
    rows = _rows(
        sql,
        [
            *src_args,
            *args,
            SECOND_HOP_WORKS,
            False,
            *known_args,
            params.min_shared,
            params.second_each,
        ],
    )
    seen: dict[int, Person] = {}
    for row in rows:
        seen.setdefault(row[0], _person(row, hop=2, via=row[4]))
    return list(seen.values())


def _coauthorships_among(ids: list[int], params: SliceParams) -> list[tuple[int, int, int]]:
    """Shared works between every two of the people found (not the centre)."""
    if len(ids) < 2:
        return []
    a_in, a_args = sql_any("a.author_id", ids)
    b_in, b_args = sql_any("b.author_id", ids)
    join, where, args = _years("a.work_id", params)
    sql = f"""
        SELECT a.author_id, b.author_id, COUNT(DISTINCT a.work_id)
        FROM {AUTHORSHIP} a
        JOIN {AUTHORSHIP} b ON b.work_id = a.work_id{join}
        WHERE {a_in} AND {b_in} AND a.author_id < b.author_id{where}
        GROUP BY a.author_id, b.author_id
        HAVING COUNT(DISTINCT a.work_id) >= %s
    """
    return [tuple(row) for row in _rows(sql, [*a_args, *b_args, *args, params.min_shared])]


def _year_q(prefix: str, params: SliceParams) -> Q:
    q = Q()
    if params.year_from:
        q &= Q(**{f"{prefix}year__gte": params.year_from})
    if params.year_to:
        q &= Q(**{f"{prefix}year__lte": params.year_to})
    return q


def _works(center_id: int, params: SliceParams) -> list[Paper]:
    """The most recent works and the most cited ones: two queries, LIMIT each."""
    base = (
        Work.objects.filter(Q(authorships__author_id=center_id) & _year_q("", params))
        .values_list("pk", "title", "year", "cited_by_count")
        .distinct()
    )
    recent = base.order_by(F("year").desc(nulls_last=True), "-pk")[: params.works]
    most_cited = F("cited_by_count").desc(nulls_last=True)  # NULL: no count, not the most
    cited = base.order_by(most_cited, F("year").desc(nulls_last=True), "pk")[: params.works]
    rows = {row[0]: row for row in [*recent, *cited]}
    return [
        Paper(
            id=pk,
            title=plain_text(title),
            year=year,
            cited_by=cited_by,
            url=reverse("works:detail", kwargs={"pk": pk}),
        )
        for pk, title, year, cited_by in (rows[pk] for pk in sorted(rows))
    ]


def _topics(center_id: int, params: SliceParams) -> list[Subject]:
    # filter() before annotate(): the count runs over the author's works only.
    rows = (
        Topic.objects.filter(
            Q(work_topics__work__authorships__author_id=center_id)
            & _year_q("work_topics__work__", params)
        )
        .annotate(works=Count("work_topics__work", distinct=True))
        .order_by("-works", "name", "pk")
        .values_list("pk", "name", "works")[: params.topics]
    )
    return [
        Subject(id=pk, name=name, works=works, url=Topic(pk=pk, name=name).get_absolute_url())
        for pk, name, works in rows
    ]


def _institutions(
    center_id: int, last_known: int | None, people: list[Person], params: SliceParams
) -> list[Place]:
    """Institutions on the centre's bylines (LIMIT), then the last known ones of the centre
    and of the people found (one more query, for their names)."""
    on_bylines = list(
        Institution.objects.filter(
            Q(authorships__author_id=center_id) & _year_q("authorships__work__", params)
        )
        .annotate(works=Count("authorships__work", distinct=True))
        .order_by("-works", "display_name", "pk")
        .values_list("pk", "display_name", "works")[: params.institutions]
    )

    def url(pk: int, name: str) -> str:
        return Institution(pk=pk, display_name=name).get_absolute_url()  # no query

    places = {
        pk: Place(id=pk, name=name, works=works, url=url(pk, name))
        for pk, name, works in on_bylines
    }
    wanted = {last_known, *(p.institution_id for p in people)} - {None} - set(places)
    if wanted:
        for pk, name in Institution.objects.filter(pk__in=wanted).values_list("pk", "display_name"):
            places[pk] = Place(id=pk, name=name, url=url(pk, name))
    return [places[pk] for pk in sorted(places)]


def author_neighbourhood(author: Author, params: SliceParams) -> Neighbourhood:
    """The rows a slice is built from. Reads only plain fields of `author` (no query)."""
    center = Person(
        id=author.pk,
        slug=author.slug,
        name=author.display_name,
        url=reverse("profiles:detail", kwargs={"slug": author.slug}),
        institution_id=author.last_known_institution_id,
        hop=0,
    )
    first, total = _top_coauthors(author.pk, params)
    second = _second_hop(author.pk, first, params) if params.depth == 2 else []
    people = first + second
    coauthored = _coauthorships_among([p.id for p in people], params)
    works = _works(author.pk, params)
    authored: list[tuple[int, int]] = []
    if works:
        authored = list(
            Authorship.objects.filter(
                work_id__in=[w.id for w in works],
                author_id__in=[author.pk, *(p.id for p in people)],
            )
            .values_list("author_id", "work_id")
            .distinct()
        )
    topics = _topics(author.pk, params)
    about: list[tuple[int, int]] = []
    if works and topics:
        about = list(
            WorkTopic.objects.filter(
                work_id__in=[w.id for w in works], topic_id__in=[t.id for t in topics]
            ).values_list("work_id", "topic_id")
        )
    institutions = _institutions(author.pk, author.last_known_institution_id, people, params)
    affiliated = [(author.pk, i.id) for i in institutions if i.works is not None]
    if author.last_known_institution_id:
        affiliated.append((author.pk, author.last_known_institution_id))
    affiliated += [(p.id, p.institution_id) for p in people if p.institution_id]
    return Neighbourhood(
        center=center,
        people=tuple(people),
        works=tuple(works),
        topics=tuple(topics),
        institutions=tuple(institutions),
        authored=tuple(sorted(authored)),
        coauthored=tuple(sorted(coauthored)),
        about=tuple(sorted(about)),
        affiliated=tuple(sorted(set(affiliated))),
        coauthors_total=total,
        close_collaborators=close_collaborator_counts([author.pk]).get(author.pk, 0),
        topics_total=topic_counts([author.pk]).get(author.pk, 0),
        works_total=author.works_count,
    )
