"""Search over researchers and works together, ranked, with the reason each result matched.

PostgreSQL (production, tests, bench) — indexes from migration works/0008_discovery_search:
- works: `websearch_to_tsquery('english', bz_unaccent(q))` against the stored
  `works_work.search_document` (title weight A, abstract B; GIN), plus works whose venue
  name matches (GIN expression index on works_venue, weight C: a small bonus). Quotes,
  `-word` and `or` work as on the web. At most WORK_CANDIDATES matches are ranked: a query
  matching more takes the first the index returns (the page says "more than N"; narrow the
  query or a facet), which keeps a common word on 1M works as fast as a rare one.
- researchers: `search_names` (display name and variants, lower-case, accent-free): every
  word contained (trigram GIN), with initials ("M. Song") a regex on the same index, then,
  when that finds almost no one and the works do not fill a page, the nearest spellings by
  word similarity ≥ 0.6 (trigram GiST, KNN: "Mingli Sng"). See _researcher_candidates.
  Ranked by how they matched, then works. Hidden and merged-away authors never appear.

SQLite (the `make run` default): no full-text index, so works match when every word of the
query is in the title, abstract or venue (icontains) and researchers use the home page's
name search (every word contained); no typo tolerance, no `websearch` syntax, accents
only as Python's normalisation of names folds them.

Results: researchers and works merged in one list by relevance (0..1; a researcher's is
how their name matched, a work's is ts_rank_cd normalised as rank/(rank+1), plus 0.1 for a
title hit), then by works (researchers) or citations (works). Facets count the candidates:
kind, work type, decade, topic (top TOPIC_FACETS).

A little over 500 lines on purpose: the PostgreSQL and SQLite paths of each step (candidates,
ranking, facets) sit side by side, so a change to one shows what the other must match.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import reduce
from operator import and_

from django.db import connection
from django.db.models import Count, Q

from bzpeer.lib.names import normalize_name

from .models import Author, Topic, Work, WorkTopic

PER_PAGE = 20
RESEARCHER_CANDIDATES = 200
WORK_CANDIDATES = 1000
TOPIC_FACETS = 10
MAX_QUERY_LENGTH = 200
KINDS = ("researcher", "work")


@dataclass(frozen=True)
class SearchFilters:
    kind: str = ""  # "", "researcher" or "work"
    work_type: str = ""
    year_from: int | None = None
    year_to: int | None = None
    topic_id: int | None = None

    @property
    def narrows_works(self) -> bool:
        """Work filters leave researchers out: they have no type, year or topic to match."""
        return bool(self.work_type or self.year_from or self.year_to or self.topic_id)


@dataclass
class Hit:
    kind: str
    pk: int
    relevance: float
    weight: int  # works (researchers) or citations (works): the tie-breaker
    why: list[str]
    # the Author or Work, loaded for the page only
    record: object = None


@dataclass
class Facet:
    value: str
    label: str
    count: int


@dataclass
class SearchResults:
    query: str
    filters: SearchFilters
    page: int
    hits: list[Hit]
    researchers_total: int
    works_total: int
    # a kind's count stopped at its candidate cap: "more than N"
    researchers_capped: bool
    works_capped: bool
    facets: dict[str, list[Facet]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.shown_researchers + self.shown_works

    @property
    def shown_researchers(self) -> int:
        return self.researchers_total if self.filters.kind in ("", "researcher") else 0

    @property
    def shown_works(self) -> int:
        return self.works_total if self.filters.kind in ("", "work") else 0

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


# ---------------------------------------------------------------- researchers


@dataclass
class _Person:
    pk: int
    display_name: str
    variants: list[str]
    works_count: int
    similarity: float


def _initials_regex(words: list[str]) -> str | None:
    """'m song' -> a POSIX regex matching 'mingli song' and 'song mingli' inside one name."""
    if len(words) < 2 or not any(len(w) == 1 for w in words):
        return None

    def part(word: str) -> str:
        return rf"\m{re.escape(word)}\w*" if len(word) == 1 else rf"\m{re.escape(word)}\M"

    in_order = "[^|]*".join(part(w) for w in words)
    surname_first = "[^|]*".join(part(w) for w in [words[-1], *words[:-1]])
    return f"({in_order})|({surname_first})"


LISTED = "merged_into_id IS NULL AND NOT hidden"
# Trigrams need three letters: shorter words only filter rows the longer ones found.
TRIGRAM_WORD = 3
# The typo stage runs when the exact stage found fewer researchers than this (and the works
# do not already fill a page): "Mingli Sng" finds nothing exactly, "garcia" thousands.
FUZZY_BELOW = 5
FUZZY_CANDIDATES = 50
FUZZY_MIN_SIMILARITY = 0.6


def _person_rows(sql: str, params: list) -> list[_Person]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # Django's psycopg setup leaves jsonb undecoded (JSONField decodes it): raw SQL does it here
    return [
        _Person(pk, name, json.loads(variants) if isinstance(variants, str) else [], n, float(sim))
        for pk, name, variants, n, sim in rows
    ]


def _researcher_candidates(words: list[str], *, fuzzy: bool) -> list[_Person]:
    """Two stages, each on an index of search_names (works/0008_discovery_search):

    1. every word contained (LIKE, trigram GIN), and with initials the initials regex too:
       the top RESEARCHER_CANDIDATES by works;
    2. only when (fuzzy and) stage 1 found fewer than FUZZY_BELOW: the names nearest by
       word similarity (GiST KNN, `<->>`), kept from FUZZY_MIN_SIMILARITY up.
    A query without a word of three letters looks names up exactly (name_key, B-tree).
    """
    if connection.vendor != "postgresql":
        qs = Author.objects.search(" ".join(words)).order_by("-works_count", "pk")
        rows = qs.values_list("pk", "display_name", "name_variants", "works_count")
        return [_Person(pk, name, v or [], n, 1.0) for pk, name, v, n in rows]
    table = Author._meta.db_table
    columns = "id, display_name, name_variants, works_count"
    full_words = [w for w in words if len(w) > 1]
    indexed = [w for w in full_words if len(w) >= TRIGRAM_WORD]
    text = " ".join(full_words)
    if not indexed:
        return _person_rows(
            f"SELECT {columns}, 1.0 FROM {table} WHERE {LISTED} AND name_key = %s "
            "ORDER BY works_count DESC, id LIMIT %s",  # noqa: S608 - table from the model
            [" ".join(words), RESEARCHER_CANDIDATES],
        )
    conditions = ["search_names LIKE %s" for _ in indexed]
    params: list = [f"%{w}%" for w in indexed]
    for word in full_words:
        if word not in indexed:
            conditions.append("position(%s in search_names) > 0")
            params.append(word)
    regex = _initials_regex(words)
    if regex:
        conditions.append("search_names ~ %s")
        params.append(regex)
    people = _person_rows(
        f"SELECT {columns}, word_similarity(%s, search_names) FROM {table} "
        f"WHERE {LISTED} AND {' AND '.join(conditions)} "
        "ORDER BY works_count DESC, id LIMIT %s",  # noqa: S608 - table from the model
        [text, *params, RESEARCHER_CANDIDATES],
    )
    if fuzzy and len(people) < FUZZY_BELOW:
        found = {p.pk for p in people}
        nearest = _person_rows(
            f"SELECT {columns}, 1 - (search_names <->> %s) FROM {table} WHERE {LISTED} "
            "ORDER BY search_names <->> %s LIMIT %s",  # noqa: S608 - table from the model
            [text, text, FUZZY_CANDIDATES],
        )
        people += [p for p in nearest if p.pk not in found and p.similarity >= FUZZY_MIN_SIMILARITY]
    return people


def _name_match(words: list[str], name: str) -> str | None:
    """'exact', 'words', 'initials' or None: how the query's words fit one name."""
    name_words = normalize_name(name).split()
    if not name_words:
        return None
    if sorted(words) == sorted(name_words):
        return "exact"
    initials = False
    for word in words:
        if len(word) == 1:
            if not any(n.startswith(word) for n in name_words):
                return None
            initials = initials or word not in name_words
        elif not any(word in n for n in name_words):
            return None
    return "initials" if initials else "words"


SCORES = {"exact": 1.0, "words": 0.9, "initials": 0.8}


def _researcher_hit(words: list[str], person: _Person) -> Hit:
    display = _name_match(words, person.display_name)
    if display:
        why = {
            "exact": "name matches",
            "words": "words of the name match",
            "initials": f"initials match {person.display_name}",
        }[display]
        return Hit("researcher", person.pk, SCORES[display], person.works_count, [why])
    for variant in person.variants:
        how = _name_match(words, variant)
        if how:
            return Hit(
                "researcher",
                person.pk,
                SCORES[how] - 0.05,
                person.works_count,
                [f"also known as {variant}"],
            )
    return Hit(
        "researcher",
        person.pk,
        0.4 + 0.3 * person.similarity,
        person.works_count,
        [f"similar spelling to {person.display_name}"],
    )


# ---------------------------------------------------------------- works


@dataclass
class _Paper:
    pk: int
    type: str
    year: int | None
    cited: int
    rank: float
    in_title: bool
    in_abstract: bool
    in_venue: bool


def _work_filters_sql(filters: SearchFilters) -> tuple[str, list]:
    sql, params = [], []
    if filters.work_type:
        sql.append("w.type = %s")
        params.append(filters.work_type)
    if filters.year_from:
        sql.append("w.year >= %s")
        params.append(filters.year_from)
    if filters.year_to:
        sql.append("w.year <= %s")
        params.append(filters.year_to)
    if filters.topic_id:
        sql.append(
            f"EXISTS (SELECT 1 FROM {WorkTopic._meta.db_table} wt "
            "WHERE wt.work_id = w.id AND wt.topic_id = %s)"
        )
        params.append(filters.topic_id)
    return "".join(f" AND {s}" for s in sql), params


def _venue_ids(query: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM works_venue WHERE to_tsvector('english'::regconfig, bz_unaccent(name))"
            " @@ websearch_to_tsquery('english'::regconfig, bz_unaccent(%s)) LIMIT 100",
            [query],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _work_candidates_pg(query: str, filters: SearchFilters) -> list[_Paper]:
    venues = _venue_ids(query)
    where, params = _work_filters_sql(filters)
    match = "w.search_document @@ q.q"
    venue_params: list = []
    if venues:
        match = f"({match} OR w.venue_id = ANY(%s))"
        venue_params = [venues]
    sql = f"""
        WITH q AS (SELECT websearch_to_tsquery('english'::regconfig, bz_unaccent(%s)) AS q),
        c AS (
            SELECT w.id, w.type, w.year, w.cited_by_count, w.venue_id, w.search_document
            FROM works_work w, q WHERE {match}{where}
            LIMIT %s
        )
        SELECT c.id, c.type, c.year, c.cited_by_count, ts_rank_cd(c.search_document, q.q, 32),
               ts_filter(c.search_document, '{{a}}') @@ q.q,
               ts_filter(c.search_document, '{{b}}') @@ q.q,
               coalesce(c.venue_id = ANY(%s), false)
        FROM c, q
    """  # noqa: S608 - fixed SQL, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, *venue_params, *params, WORK_CANDIDATES, venues or [0]])
        rows = cursor.fetchall()
    return [_Paper(*row[:4], float(row[4]), *row[5:]) for row in rows]


def _work_candidates_simple(query: str, filters: SearchFilters) -> list[_Paper]:
    words = [w for w in query.replace('"', " ").split() if not w.startswith("-")]
    if not words:
        return []
    qs = Work.objects.filter(
        reduce(
            and_,
            (
                Q(title__icontains=w) | Q(abstract__icontains=w) | Q(venue__name__icontains=w)
                for w in words
            ),
        )
    )
    if filters.work_type:
        qs = qs.filter(type=filters.work_type)
    if filters.year_from:
        qs = qs.filter(year__gte=filters.year_from)
    if filters.year_to:
        qs = qs.filter(year__lte=filters.year_to)
    if filters.topic_id:
        qs = qs.filter(work_topics__topic_id=filters.topic_id)
    rows = qs.values_list("pk", "type", "year", "cited_by_count", "title", "abstract")
    papers = []
    for pk, type_, year, cited, title, abstract in rows[:WORK_CANDIDATES]:
        in_title = all(w.casefold() in title.casefold() for w in words)
        in_abstract = all(w.casefold() in abstract.casefold() for w in words)
        rank = 0.5 if in_title else 0.3 if in_abstract else 0.1
        papers.append(
            _Paper(
                pk, type_, year, cited, rank, in_title, in_abstract, not (in_title or in_abstract)
            )
        )
    return papers


def _work_hit(paper: _Paper) -> Hit:
    if paper.in_title and paper.in_abstract:
        why = ["in the title and the abstract"]
    elif paper.in_title:
        why = ["in the title"]
    elif paper.in_abstract:
        why = ["in the abstract"]
    elif paper.in_venue:
        why = ["in the venue"]
    else:
        why = ["across the title and abstract"]
    relevance = paper.rank + (0.1 if paper.in_title else 0) + (0.05 if paper.in_venue else 0)
    # a work with no count (None) ranks as one with none
    return Hit(
        "work", paper.pk, min(relevance, 0.99), paper.cited or 0, why
    )  # no count ranks as none


# ---------------------------------------------------------------- facets


def _decade(year: int) -> int:
    return year - year % 10


def _facets(
    people: list[Hit], papers: list[_Paper], filters: SearchFilters, topic_counts
) -> dict[str, list[Facet]]:
    types: dict[str, int] = {}
    decades: dict[int, int] = {}
    for paper in papers:
        types[paper.type] = types.get(paper.type, 0) + 1
        if paper.year:
            decades[_decade(paper.year)] = decades.get(_decade(paper.year), 0) + 1
    labels = dict(Work.Type.choices)
    return {
        "kind": [
            Facet("researcher", "Researchers", len(people)),
            Facet("work", "Works", len(papers)),
        ],
        "type": [
            Facet(t, labels.get(t, t), n) for t, n in sorted(types.items(), key=lambda x: -x[1])
        ],
        "decade": [Facet(str(d), f"{d}s", n) for d, n in sorted(decades.items(), reverse=True)],
        "topic": [Facet(str(pk), name, n) for pk, name, n in topic_counts],
    }


def _topic_counts(work_ids: list[int]) -> list[tuple[int, str, int]]:
    """The TOPIC_FACETS topics most of these works are about: counted by id over the
    (work, topic) unique index, names read for the top ones only."""
    if not work_ids:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT t.id, t.name, c.n FROM (
                    SELECT topic_id, count(*) AS n FROM works_worktopic
                    WHERE work_id = ANY(%s) GROUP BY topic_id ORDER BY n DESC, topic_id LIMIT %s
                ) c JOIN works_topic t ON t.id = c.topic_id
                ORDER BY c.n DESC, t.name
                """,
                [work_ids, TOPIC_FACETS],
            )
            return cursor.fetchall()
    rows = (
        WorkTopic.objects.filter(work_id__in=work_ids)
        .values("topic_id", "topic__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "topic__name")[:TOPIC_FACETS]
    )
    return [(r["topic_id"], r["topic__name"], r["n"]) for r in rows]


# ---------------------------------------------------------------- entry point


def search_query_clean(raw: str) -> str:
    """The query as searched: stripped, control characters out, at most MAX_QUERY_LENGTH."""
    text = "".join(ch for ch in raw if ch.isprintable())
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def search(query: str, filters: SearchFilters | None = None, *, page: int = 1) -> SearchResults:
    """Researchers and works matching `query`, one page of them ranked, and the facets.

    A fixed number of queries whatever the data: researchers (1), venues, works and topic
    counts (3, or 2 without a venue match on SQLite), then the page's researchers (1) and
    works with their bylines (3).
    """
    filters = filters or SearchFilters()
    query = search_query_clean(query)
    words = normalize_name(query).split()
    people: list[Hit] = []
    papers: list[_Paper] = []
    if query:
        if connection.vendor == "postgresql":
            papers = _work_candidates_pg(query, filters)
        else:
            papers = _work_candidates_simple(query, filters)
    if words and not filters.narrows_works:
        fuzzy = len(papers) < PER_PAGE
        people = [_researcher_hit(words, p) for p in _researcher_candidates(words, fuzzy=fuzzy)]
    facets = _facets(people, papers, filters, _topic_counts([p.pk for p in papers]))

    hits: list[Hit] = []
    if filters.kind in ("", "researcher"):
        hits += people
    if filters.kind in ("", "work"):
        hits += [_work_hit(p) for p in papers]
    hits.sort(key=lambda h: (-h.relevance, -h.weight, h.kind, h.pk))
    page = max(1, page)
    shown = hits[(page - 1) * PER_PAGE : page * PER_PAGE]
    _load_records(shown)
    return SearchResults(
        query=query,
        filters=filters,
        page=page,
        hits=shown,
        researchers_total=len(people),
        works_total=len(papers),
        researchers_capped=len(people) >= RESEARCHER_CANDIDATES,
        works_capped=len(papers) >= WORK_CANDIDATES,
        facets=facets,
    )


def _load_records(hits: list[Hit]) -> None:
    author_ids = [h.pk for h in hits if h.kind == "researcher"]
    work_ids = [h.pk for h in hits if h.kind == "work"]
    authors = Author.objects.for_profile().in_bulk(author_ids) if author_ids else {}  # one query
    works = (
        {w.pk: w for w in Work.objects.for_listing().filter(pk__in=work_ids)} if work_ids else {}
    )
    for hit in hits:
        hit.record = authors.get(hit.pk) if hit.kind == "researcher" else works.get(hit.pk)


def topic_chosen(topic_id: int | None) -> Topic | None:
    """The topic a search is narrowed to, for its name and a link to its page."""
    if not topic_id:
        return None
    return Topic.objects.filter(pk=topic_id).only("pk", "name").first()
