"""Graph slices: bounded queries -> plain rows -> graph.slice (pure) -> SVG, cached per author.

Queries. A slice costs at most 12 queries whatever the author's size, each bounded by a
LIMIT or by the ids an earlier one returned: top co-authors by shared works (LIMIT, with the
total in the same query), at depth 2 the top co-authors of the top co-authors (one windowed
query, LIMIT per co-author), co-authorships among the people found, the most recent and the
most cited works (LIMIT each), who of the people found wrote those works, main topics
(LIMIT), which of those works are about which of those topics, the institutions on the
author's bylines (LIMIT), the names of the people's last known institutions, and the
profile's own "close collaborators" and "topics" counts (profiles.services, the same
functions the trust engine uses). Never a whole-database graph, never an unbounded
radius-2 traversal.

Caching. A slice is cached (Django cache: Redis in production) under
graph:slice:<format>:<author>:<created>:<version>:<params>, where the version is the
author's `graph:version:<author id>` key. Whatever changes an author's neighbourhood calls
graph_data_changed_on_commit(author_ids) (or graph_versions_bump after its own commit):
imports, merges, splits and removals do, through works.services.trust_recompute_on_commit;
claims through profiles.claims. A bump gives each author a new version, so their next read
misses and rebuilds; old entries expire (SLICE_TIMEOUT), which also bounds how long a
neighbour's renamed or merged node can linger in someone else's slice.

Authors hidden at their owner's request are never nodes of anyone's slice; hiding or
showing one bumps its co-authors too (graph_neighbours_changed_on_commit).

Large neighbourhoods (LARGE_WORKS, LARGE_CLOSE_COLLABORATORS, from the author's cached
counts) are never built in a request: the request enqueues graph.tasks.graph_slices_precompute
once and the page polls. A cache that does not answer (Redis down) is not an error: small
slices are built uncached, large ones report that they will retry.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from profiles.models import Author, Institution
from profiles.services import (
    CLOSE_COLLABORATOR_MIN_SHARED_WORKS,
    close_collaborator_counts,
    topic_counts,
)
from works.models import Authorship, Topic, Work, WorkTopic
from works.text import latex_to_text

from .slice import (
    AUTHOR,
    EDGE_KINDS,
    EDGE_MEANINGS,
    NODE_KINDS,
    GraphSlice,
    Neighbourhood,
    Paper,
    Person,
    Place,
    SliceParams,
    Subject,
    slice_from,
)
from .svg import draw_svg
from .templatetags.graph_tags import GraphLinks

logger = logging.getLogger(__name__)

# Bump when the slice's shape or drawing changes: every cached slice is then rebuilt.
SLICE_FORMAT = 7  # 2: labels placed for every node drawn, cropped drawing (issue 12)
SLICE_TIMEOUT = 6 * 60 * 60
# While a worker builds a large slice, requests do not enqueue it again.
BUILD_LOCK_TIMEOUT = 120
# Cached counts above which a slice is built by a worker, never in a request. Measured on the
# 1M-work synthetic set (2 cores): 100 works, 1,352 co-authors: 260 ms cold; 400 works: 490 ms.
LARGE_WORKS = 250
LARGE_CLOSE_COLLABORATORS = 150
PRECOMPUTE_CHUNK = 200
# Depth 2 counts a co-author's co-authors over this many of their latest works.
SECOND_HOP_WORKS = 60
VERSION_BUMP_CHUNK = 5000
# Connection refused, timeouts, a bad reply: Django's RedisCache lets them all through.
CACHE_ERRORS = (RedisError, OSError)

# The profile page's slice: small enough to read at a glance.
PROFILE = SliceParams(
    name="profile",
    max_nodes=44,
    max_edges=240,
    coauthors=16,
    works=8,
    topics=8,
    institutions=6,
    labels=14,
    # shown at its own size on a desktop page column (names at 12px), scaled on phones
    width=880,
    height=360,
)
# The explorer: the full budget.
EXPLORER = SliceParams(
    name="explore",
    max_nodes=200,
    max_edges=1000,
    coauthors=70,
    works=40,
    topics=30,
    institutions=20,
    labels=36,
    width=1200,
    height=860,
    second_from=12,
    second_each=6,
)
EXPLORER_TARGET = "#explorer"

AUTHORSHIP = Authorship._meta.db_table
WORK = Work._meta.db_table
AUTHOR_TABLE = Author._meta.db_table


def explorer_params(
    *,
    depth: int = 1,
    min_shared: int = 1,
    year_from: int | None = None,
    year_to: int | None = None,
    kinds: Iterable[str] = NODE_KINDS,
) -> SliceParams:
    kinds = frozenset(k for k in kinds if k in NODE_KINDS) or frozenset(NODE_KINDS)
    if year_from and year_to and year_from > year_to:
        year_from, year_to = year_to, year_from
    return dataclasses.replace(
        EXPLORER,
        depth=depth,
        min_shared=min_shared,
        year_from=year_from,
        year_to=year_to,
        kinds=kinds,
    )


def author_is_large(author: Author) -> bool:
    """From the counts cached on the row: no query."""
    return (
        author.works_count >= LARGE_WORKS
        or author.close_collaborators_count >= LARGE_CLOSE_COLLABORATORS
    )


# --- the bounded queries -----------------------------------------------------------------


def _in(column: str, ids: Sequence[int]) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


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
    src, src_args = _in("mine.author_id", sources)
    not_known, known_args = _in("theirs.author_id", known)
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
    a_in, a_args = _in("a.author_id", ids)
    b_in, b_args = _in("b.author_id", ids)
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
    cited = base.order_by("-cited_by_count", F("year").desc(nulls_last=True), "pk")[: params.works]
    rows = {row[0]: row for row in [*recent, *cited]}
    return [
        Paper(
            id=pk,
            title=latex_to_text(title),
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
    return [Subject(id=pk, name=name, works=works) for pk, name, works in rows]


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
    places = {pk: Place(id=pk, name=name, works=works) for pk, name, works in on_bylines}
    wanted = {last_known, *(p.institution_id for p in people)} - {None} - set(places)
    if wanted:
        for pk, name in Institution.objects.filter(pk__in=wanted).values_list("pk", "display_name"):
            places[pk] = Place(id=pk, name=name)
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


# --- links and drawing -------------------------------------------------------------------


def explore_url(slug: str, params: SliceParams | None = None, *, node: str = "") -> str:
    """The explorer centred on `slug`, with the filters that differ from the defaults."""
    query: list[tuple[str, object]] = [("center", slug)]
    if params is not None:
        if params.kinds != EXPLORER.kinds:
            query += [("show", kind) for kind in NODE_KINDS if kind in params.kinds]
        query += [
            (name, value)
            for name, value, default in (
                ("from", params.year_from, EXPLORER.year_from),
                ("to", params.year_to, EXPLORER.year_to),
                ("min_shared", params.min_shared, EXPLORER.min_shared),
                ("depth", params.depth, EXPLORER.depth),
            )
            if value != default
        ]
    if node:
        query.append(("node", node))
    return f"{reverse('graph:explore')}?{urlencode(query)}"


def slice_hrefs(s: GraphSlice, params: SliceParams) -> dict[str, str]:
    """Where each node leads: on the profile, to profiles and work pages; in the explorer,
    a co-author recentres it, anything else opens its panel."""
    if params.name == PROFILE.name:
        return {n.id: n.url for n in s.nodes if n.url}
    hrefs = {}
    for n in s.nodes:
        if n.kind == AUTHOR and not n.is_center:
            hrefs[n.id] = explore_url(n.slug, params)
        else:
            hrefs[n.id] = explore_url(s.center.slug, params, node=n.id)
    return hrefs


def slice_htmx_target(params: SliceParams) -> str | None:
    return None if params.name == PROFILE.name else EXPLORER_TARGET


def graph_slice_build(*, author: Author, params: SliceParams) -> GraphSlice:
    """Queries, then pure code: built, ranked, cut, laid out and drawn. Not cached."""
    hood = author_neighbourhood(author, params)
    built = slice_from(hood, params, close_min_shared=CLOSE_COLLABORATOR_MIN_SHARED_WORKS)
    svg = draw_svg(built, hrefs=slice_hrefs(built, params), htmx_target=slice_htmx_target(params))
    built = dataclasses.replace(built, svg=svg)
    # Rendered once here, so a cached slice is served without any template work.
    html = render_to_string("graph/_slice.html", slice_context(built, params))
    return dataclasses.replace(built, html=html)


def slice_context(s: GraphSlice, params: SliceParams, *, cache_down: bool = False) -> dict:
    """What templates/graph/_slice.html needs."""
    return {
        "slice": s,
        "links": GraphLinks(hrefs=slice_hrefs(s, params), htmx_target=slice_htmx_target(params)),
        "edge_meanings": [(kind, EDGE_MEANINGS[kind]) for kind in EDGE_KINDS],
        "cache_down": cache_down,
        "close_min_shared": CLOSE_COLLABORATOR_MIN_SHARED_WORKS,
        # The profile's section keeps a modest height: its lists go behind a disclosure.
        "compact": params.name == PROFILE.name,
    }


# --- versions and the cache --------------------------------------------------------------


def version_key(author_id: int) -> str:
    return f"graph:version:{author_id}"


def graph_version(author_id: int) -> int:
    """The author's data version: a missing key (never bumped, or evicted) starts a new one,
    so a slice cached under an older version is never read again."""
    key = version_key(author_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, time.time_ns(), timeout=None)
        version = cache.get(key)
    return version


def graph_versions_bump(author_ids: Iterable[int]) -> bool:
    """Gives each author a new data version: their cached slices are no longer read.

    Versions move forward with the clock (time.time_ns()), so many authors are bumped in
    one round trip per VERSION_BUMP_CHUNK. Never raises: with the cache down there is
    nothing to invalidate now, and entries expire after SLICE_TIMEOUT. Returns whether the
    bump reached the cache. Call it after the change commits (graph_data_changed_on_commit
    does that for you).
    """
    ids = sorted({pk for pk in author_ids if pk})
    if not ids:
        return True
    version = time.time_ns()
    try:
        for start in range(0, len(ids), VERSION_BUMP_CHUNK):
            chunk = ids[start : start + VERSION_BUMP_CHUNK]
            cache.set_many({version_key(pk): version for pk in chunk}, timeout=None)
    except CACHE_ERRORS:
        logger.warning("graph: could not bump the versions of %d authors", len(ids))
        return False
    return True


def graph_data_changed_on_commit(author_ids: Iterable[int]) -> None:
    """For services that change authorships, names, merges or claims, inside their
    transaction: once it commits, bump the authors' versions and let a worker precompute
    the slices of the large ones (the small ones are built on demand)."""
    ids = sorted({pk for pk in author_ids if pk})
    if not ids:
        return

    def after_commit() -> None:
        graph_versions_bump(ids)
        for start in range(0, len(ids), PRECOMPUTE_CHUNK):
            _enqueue(ids[start : start + PRECOMPUTE_CHUNK], large_only=True)

    transaction.on_commit(after_commit)


def graph_neighbours_changed_on_commit(author_id: int) -> None:
    """The author's name or visibility changed: it shows in its co-authors' slices too, so
    their versions are bumped with its own, on commit (one query for the co-author ids, one
    cache round trip per VERSION_BUMP_CHUNK of them)."""
    ids = set(
        Authorship.objects.filter(work__authorships__author_id=author_id, author__isnull=False)
        .values_list("author_id", flat=True)
        .distinct()
    )
    ids.add(author_id)
    transaction.on_commit(lambda: graph_versions_bump(ids))


def _enqueue(author_ids: list[int], *, large_only: bool, explore: dict | None = None) -> bool:
    from .tasks import graph_slices_precompute

    try:
        graph_slices_precompute.delay(author_ids, large_only=large_only, explore=explore)
    except (BrokerError, *CACHE_ERRORS):
        logger.warning("graph: could not enqueue the precompute of %d authors", len(author_ids))
        return False
    return True


def slice_key(author: Author, params: SliceParams, version: int) -> str:
    # The creation time tells apart two authors with the same id in two databases that
    # share one cache (a reset development or test database).
    created = int(author.created_at.timestamp() * 1_000_000) if author.created_at else 0
    return f"graph:slice:{SLICE_FORMAT}:{author.pk}:{created}:{version}:{params.key}"


def graph_slice_cached(*, author: Author, params: SliceParams) -> GraphSlice | None:
    """The cached slice, or None. No database query; raises the cache's errors."""
    return cache.get(slice_key(author, params, graph_version(author.pk)))


@dataclass(frozen=True)
class SliceState:
    slice: GraphSlice | None = None
    pending: bool = False  # a worker is building it: poll
    unavailable: bool = False  # the cache did not answer


def params_as_task_args(params: SliceParams) -> dict | None:
    """The explorer's filters as JSON for the task (None: the profile slice)."""
    if params.name == PROFILE.name:
        return None
    return {
        "depth": params.depth,
        "min_shared": params.min_shared,
        "year_from": params.year_from,
        "year_to": params.year_to,
        "kinds": sorted(params.kinds),
    }


def graph_slice_get(*, author: Author, params: SliceParams) -> SliceState:
    """The slice for a request: cached, built now (small neighbourhoods), or pending.

    A large neighbourhood on a cache miss enqueues the precompute task once (a lock in the
    cache) and answers pending. With the cache down: small slices are built uncached, large
    ones are unavailable (the page says it will retry; nothing is enqueued, the broker is
    the same Redis).
    """
    try:
        version = graph_version(author.pk)
        key = slice_key(author, params, version)
        cached = cache.get(key)
    except CACHE_ERRORS:
        logger.warning("graph: cache unavailable for the slice of author %s", author.pk)
        if author_is_large(author):
            return SliceState(unavailable=True)
        return SliceState(slice=graph_slice_build(author=author, params=params), unavailable=True)
    if cached is not None:
        return SliceState(slice=cached)
    if author_is_large(author):
        try:
            first = cache.add(f"{key}:building", 1, timeout=BUILD_LOCK_TIMEOUT)
        except CACHE_ERRORS:
            return SliceState(unavailable=True)
        if first:
            transaction.on_commit(
                lambda: _enqueue([author.pk], large_only=False, explore=params_as_task_args(params))
            )
        return SliceState(pending=True)
    built = graph_slice_build(author=author, params=params)
    _cache_set(key, built)
    return SliceState(slice=built)


def _cache_set(key: str, value: GraphSlice) -> None:
    try:
        cache.set(key, value, timeout=SLICE_TIMEOUT)
    except CACHE_ERRORS:
        logger.warning("graph: could not cache a slice")


def graph_slices_precompute(
    *, author_ids: Sequence[int], large_only: bool = False, explore: dict | None = None
) -> int:
    """Builds and caches the profile slice and one explorer slice (`explore`: its filters,
    else the defaults) of each author; one query for the authors, then a slice's queries
    each. `large_only`: only the authors whose slices are not built in requests. Returns
    how many authors were done."""
    ids = sorted(set(author_ids))[:PRECOMPUTE_CHUNK]
    authors = Author.objects.public().filter(pk__in=ids)
    if large_only:
        authors = authors.filter(
            Q(works_count__gte=LARGE_WORKS)
            | Q(close_collaborators_count__gte=LARGE_CLOSE_COLLABORATORS)
        )
    authors = authors.only(
        "pk",
        "slug",
        "display_name",
        "last_known_institution_id",
        "works_count",
        "close_collaborators_count",
        "created_at",
    ).order_by("pk")
    explore_params = explorer_params(**(explore or {}))
    done = 0
    for author in authors:
        for params in (PROFILE, explore_params):
            # The version is read before the build: a change committed meanwhile bumps it,
            # and this (older) slice lands under a key nobody reads.
            version = graph_version(author.pk)
            key = slice_key(author, params, version)
            _cache_set(key, graph_slice_build(author=author, params=params))
            cache.delete(f"{key}:building")
        done += 1
    return done
