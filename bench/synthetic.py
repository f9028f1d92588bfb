"""A synthetic scholarly data set of any size, for benchmarks and scale tests.

Shape (what makes a profile page or a trust recompute hard, not just big):

- authors per work heavy-tailed: a log-normal around 3–4 authors, capped at 40, and rare
  "big collaboration" papers with 50–500 authors;
- author productivity follows Lotka's law (authors with n works ∝ n^-2, capped), every
  author has at least one work, and a few hub authors have thousands of works and sit on
  most big-collaboration papers, so they have thousands of co-authors;
- 1–5 topics per work, drawn inside one research field with a Zipf-like popularity;
- institutions (Zipf-sized), venues, years skewed to recent, some DOIs.

Everything is written with PostgreSQL COPY inside one transaction that holds EXCLUSIVE
locks on the tables it fills, so ids are allocated up front (each table's sequence is read
once and moved past the rows written) and the run is all or nothing. The same seed gives
the same rows (ids are offsets from the sequences' values at the start).

Synthetic rows are marked so real data is never touched: source "synthetic" on works,
authorships and authors, external ids "synthetic:…" on topics, names starting with
"Synthetic " on venues and institutions. `python -m bench.generate --replace` deletes them.

Past 500 lines on purpose: one generator whose random draws must keep their order for a seed
to give the same rows; split across modules, that order would be easy to break unseen.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection, models, transaction
from django.utils.text import slugify

from bzpeer.lib import pgcopy
from bzpeer.lib.names import normalize_name
from bzpeer.lib.text import title_key
from works.models import (
    Author,
    Authorship,
    Institution,
    Topic,
    Venue,
    Work,
    WorkTopic,
    search_names_for,
)

SOURCE = "synthetic"
TOPIC_PREFIX = "synthetic:"
NAME_PREFIX = "Synthetic "

AUTHORS_PER_WORK_CAP = 40
BIG_PAPER_RATE = 0.001  # share of works with 50–500 authors
BIG_PAPER_AUTHORS = (50, 500)
PRODUCTIVITY_CAP = 1000  # Lotka draw cap for ordinary authors; hubs are set apart
HUB_WORKS = (1500, 3500)
TOPICS_PER_WORK_WEIGHTS = (25, 30, 25, 12, 8)  # 1..5 topics
FIELDS = 26
TOPICS_PER_FIELD = 160
BATCH_WORKS = 50_000


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GIVEN = _words(
    "Ada Alan Amara Anna Aiko Ben Carlos Chen Chiara Dana David Elena Emil Fatima Felix Grace "
    "Hana Hugo Ines Ivan Jia Jonas Karim Kofi Lars Lea Leila Li Lucas Maya Mei Mateo Nadia "
    "Nikos Noor Olga Omar Paula Pedro Priya Quinn Ravi Rosa Sami Sara Sofia Tariq Tomas Uma "
    "Vera Wei Yara Yusuf Zara Zoe"
)
FAMILY = _words(
    "Abe Adeyemi Alvarez Bauer Becker Chen Costa Dubois Eriksen Fischer Garcia Gupta Haddad "
    "Hansen Ito Ivanova Jensen Kim Kowalski Kumar Larsen Laurent Li Lopez Martin Meyer "
    "Moreau Mueller Nakamura Nguyen Novak Okafor Olsen Park Patel Petrov Rossi Sato Schmidt "
    "Silva Smith Suzuki Tanaka Torres Wang Weber Wilson Wong Yamamoto Yilmaz Zhang Zhou"
)
WORDS = _words(
    "adaptive bayesian causal coherent convex deep discrete dynamic efficient emergent "
    "graph inverse kernel latent linear manifold neural nonlinear optimal quantum random "
    "robust scalable sparse spectral stochastic structured topological variational"
)
NOUNS = _words(
    "inference learning networks dynamics estimation models systems transport signals "
    "materials proteins cells markets fields spaces operators equations flows surfaces "
    "circuits languages graphs embeddings sensors climates tissues galaxies"
)
COUNTRIES = _words("US CN GB DE FR JP IN IT CA AU ES KR NL BR CH SE PL TR IR BE")
WORK_TYPES = (
    (Work.Type.ARTICLE, 70),
    (Work.Type.PROCEEDINGS, 12),
    (Work.Type.PREPRINT, 8),
    (Work.Type.BOOK_CHAPTER, 4),
    (Work.Type.REVIEW, 4),
    (Work.Type.DISSERTATION, 2),
)


@dataclass
class ScaleCounts:
    works: int = 0
    authors: int = 0
    authorships: int = 0
    work_topics: int = 0
    authorship_institutions: int = 0
    topics: int = 0
    institutions: int = 0
    venues: int = 0
    hubs: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.works:,} works, {self.authors:,} authors ({len(self.hubs)} hubs), "
            f"{self.authorships:,} authorships, {self.work_topics:,} work topics, "
            f"{self.authorship_institutions:,} affiliations, {self.topics:,} topics, "
            f"{self.institutions:,} institutions, {self.venues:,} venues"
        )


def _cumulative(weights: Iterable[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _pick(rng: random.Random, cum: Sequence[float]) -> int:
    """Index drawn with the weights behind `cum` (one bisect; random.choices' own cost)."""
    return bisect.bisect_right(cum, rng.random() * cum[-1])


def _lotka(rng: random.Random, cap: int) -> int:
    """n ≥ 1 with P(n) ∝ n^-2, by inversion of the continuous law, capped."""
    return min(cap, int(1 / (1 - rng.random() * (1 - 1 / (cap + 1)))))


def authors_on_work(rng: random.Random) -> int:
    if rng.random() < BIG_PAPER_RATE:
        low, high = BIG_PAPER_AUTHORS
        return int(math.exp(rng.uniform(math.log(low), math.log(high))))
    return max(1, min(AUTHORS_PER_WORK_CAP, round(rng.lognormvariate(math.log(3.2), 0.65))))


class _Ids:
    """Ids for one table, allocated past the sequence's current value (tables are locked)."""

    def __init__(self, model: type[models.Model]) -> None:
        self.table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.table}")
            highest = cursor.fetchone()[0]
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [self.table])
            sequence = cursor.fetchone()[0]
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
            last_value, is_called = cursor.fetchone()
            self.base = max(highest, last_value if is_called else last_value - 1) + 1
        self.next = self.base

    def take(self, n: int = 1) -> int:
        first = self.next
        self.next += n
        return first

    def commit(self) -> None:
        """Moves the sequence past every id handed out, so later inserts never collide."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, true)",
                [self.table, max(self.next - 1, 1)],
            )


def _copy(model: type[models.Model], given: Sequence[str], rows: Iterable[tuple]) -> int:
    """COPY rows of the `given` columns into a model's table (bzpeer.lib.pgcopy), every other
    column at its default; returns how many rows."""
    with connection.cursor() as cursor:
        # Only columns the database has: a field another branch added without its migration
        # applied yet is left to its database default.
        existing = {
            c.name
            for c in connection.introspection.get_table_description(cursor, model._meta.db_table)
        }
    fields = [
        f for f in model._meta.concrete_fields if f.column not in given and f.column in existing
    ]
    extra = tuple(_db_default(f) for f in fields)
    written = 0

    def complete() -> Iterable[tuple]:
        nonlocal written
        for row in rows:
            written += 1
            yield row + extra

    pgcopy.copy_rows(model._meta.db_table, [*given, *(f.column for f in fields)], complete())
    return written


def _db_default(f: models.Field):
    if f.primary_key:
        raise ValueError(f"{f} must be given")
    if f.has_default() or not f.null:
        value = f.get_default()
        if isinstance(f, models.JSONField):
            from psycopg.types.json import Jsonb

            return Jsonb(value)
        return value
    return None


class ScaleDataGenerator:
    def __init__(
        self,
        *,
        works: int,
        seed: int,
        authors: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.n_works = works
        self.n_authors = authors or max(10, int(works * 0.6))
        self.rng = random.Random(seed)
        self.progress = progress or (lambda n: None)
        self.now = datetime(2025, 1, 1, tzinfo=UTC)
        self.counts = ScaleCounts()

    # ---------------------------------------------------------------- small tables
    def _topics(self) -> list[list[int]]:
        """Topic ids grouped by field; created once, reused by later runs."""
        fields = [
            Topic(
                source=Topic.Source.OPENALEX_TOPIC,
                external_id=f"{TOPIC_PREFIX}F{f}",
                name=f"Synthetic field {f}",
                level="field",
            )
            for f in range(FIELDS)
        ]
        Topic.objects.bulk_create(fields, ignore_conflicts=True)
        field_ids = dict(
            Topic.objects.filter(external_id__in=[t.external_id for t in fields]).values_list(
                "external_id", "pk"
            )
        )
        topics = []
        for f in range(FIELDS):
            for t in range(TOPICS_PER_FIELD):
                n = f * TOPICS_PER_FIELD + t
                name = f"{WORDS[n % len(WORDS)].title()} {NOUNS[(n // len(WORDS)) % len(NOUNS)]}"
                topics.append(
                    Topic(
                        source=Topic.Source.OPENALEX_TOPIC,
                        external_id=f"{TOPIC_PREFIX}T{n}",
                        name=f"{name} {n}",
                        level="topic",
                        parent_id=field_ids[f"{TOPIC_PREFIX}F{f}"],
                    )
                )
        Topic.objects.bulk_create(topics, ignore_conflicts=True, batch_size=2000)
        by_external = dict(
            Topic.objects.filter(external_id__startswith=f"{TOPIC_PREFIX}T").values_list(
                "external_id", "pk"
            )
        )
        self.counts.topics = len(by_external) + len(field_ids)
        return [
            [
                by_external[f"{TOPIC_PREFIX}T{f * TOPICS_PER_FIELD + t}"]
                for t in range(TOPICS_PER_FIELD)
            ]
            for f in range(FIELDS)
        ]

    def _institutions(self) -> list[int]:
        n = max(20, self.n_works // 50)
        ids = _Ids(Institution)
        first = ids.take(n)
        rng = self.rng
        rows = (
            (
                first + i,
                f"{NAME_PREFIX}{rng.choice(('University', 'Institute', 'Laboratory'))} of "
                f"{rng.choice(WORDS).title()} {rng.choice(NOUNS).title()} {i}",
                rng.choice(COUNTRIES),
                "education",
            )
            for i in range(n)
        )
        _copy(Institution, ["id", "display_name", "country_code", "type"], rows)
        ids.commit()
        self.counts.institutions = n
        return list(range(first, first + n))

    def _venues(self) -> list[int]:
        n = max(10, self.n_works // 200)
        ids = _Ids(Venue)
        first = ids.take(n)
        rng = self.rng
        rows = (
            (
                first + i,
                f"{NAME_PREFIX}Journal of {rng.choice(WORDS).title()} {rng.choice(NOUNS).title()}"
                f" {i}",
                "journal",
            )
            for i in range(n)
        )
        _copy(Venue, ["id", "name", "type"], rows)
        ids.commit()
        self.counts.venues = n
        return list(range(first, first + n))

    # ---------------------------------------------------------------- authors
    def _authors(self, institutions: list[int]) -> tuple[list[int], list[float], list[int]]:
        """Author ids, their productivity weights, and their institutions."""
        rng = self.rng
        n = self.n_authors
        n_hubs = max(3, self.n_works // 100_000)
        ids = _Ids(Author)
        first = ids.take(n)
        inst_cum = _cumulative(1 / (i + 1) for i in range(len(institutions)))
        weights = [float(_lotka(rng, PRODUCTIVITY_CAP)) for _ in range(n)]
        # Hubs: the first authors, each expected on thousands of works.
        hubs = list(range(n_hubs))
        for h in hubs:
            weights[h] = float(rng.randint(*HUB_WORKS))
        home = [institutions[_pick(rng, inst_cum)] for _ in range(n)]

        self._names = names = [f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}" for _ in range(n)]
        # Profiles updated over three years, as imports and curation would leave them.
        updated = [self.now - timedelta(seconds=rng.randrange(3 * 365 * 86400)) for _ in range(n)]

        def rows():
            for i, name in enumerate(names):
                pk = first + i
                yield (
                    pk,
                    f"{slugify(name)}-syn{pk}",
                    name,
                    normalize_name(name),
                    search_names_for(name, []),
                    home[i],
                    1,  # L1: imported from an open source
                    SOURCE,
                    updated[i],
                    updated[i],
                )

        self.counts.authors = _copy(
            Author,
            [
                "id",
                "slug",
                "display_name",
                "name_key",
                "search_names",
                "last_known_institution_id",
                "verification_level",
                "source",
                "created_at",
                "updated_at",
            ],  # fmt: skip
            rows(),
        )
        ids.commit()
        self.counts.hubs = [first + h for h in hubs]
        author_ids = list(range(first, first + n))
        return author_ids, weights, home

    # ---------------------------------------------------------------- works
    def generate(self) -> ScaleCounts:
        if connection.vendor != "postgresql":
            raise RuntimeError("the synthetic data set is written with COPY: PostgreSQL only")
        with transaction.atomic():
            with connection.cursor() as cursor:
                tables = [
                    m._meta.db_table
                    for m in (Institution, Venue, Topic, Author, Work, Authorship, WorkTopic)
                ] + [Authorship.institutions.through._meta.db_table]
                cursor.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")
            topics = self._topics()
            # Foreign keys are DEFERRABLE INITIALLY DEFERRED (Django's default): kept, every
            # COPYed row would queue a check (and a row lock on its parent) for COMMIT, tens
            # of millions at 1M works. As pg_restore does, drop them for the load and add
            # them back: ADD CONSTRAINT validates all rows in one join per key.
            with connection.cursor() as cursor:
                # Checks queued earlier in this transaction fire now: ALTER TABLE refuses
                # a table with pending trigger events.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            foreign_keys = _foreign_keys_drop(tables)
            institutions = self._institutions()
            venues = self._venues()
            author_ids, weights, home = self._authors(institutions)
            self._works(topics, venues, author_ids, weights, home)
            _foreign_keys_restore(foreign_keys)
        # Planner statistics, and (outside a transaction) the visibility map that lets the
        # trust engine's self-join read authorships from the index alone.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"{command} {table}")
        return self.counts

    def _works(self, topics, venues, author_ids, weights, home) -> None:
        rng = self.rng
        n_authors = len(author_ids)
        hubs = list(range(len(self.counts.hubs)))
        # Every author once (shuffled), then slots by productivity weight.
        first_pass = list(range(n_authors))
        rng.shuffle(first_pass)
        first_pass_at = 0
        cum = _cumulative(weights)
        venue_cum = _cumulative(1 / (i + 1) ** 0.8 for i in range(len(venues)))
        field_cum = _cumulative(1 / (i + 1) ** 0.6 for i in range(FIELDS))
        topic_cum = _cumulative(1 / (i + 1) for i in range(TOPICS_PER_FIELD))
        n_topics_cum = _cumulative(TOPICS_PER_WORK_WEIGHTS)
        years = list(range(1990, 2026))
        year_cum = _cumulative(1.08**i for i in range(len(years)))
        type_cum = _cumulative(w for _, w in WORK_TYPES)

        work_ids, authorship_ids = _Ids(Work), _Ids(Authorship)
        through = Authorship.institutions.through
        inst_ids, topic_ids = _Ids(through), _Ids(WorkTopic)
        work_columns = (
                "id",
                "type",
                "year",
                "publication_date",
                "venue_id",
                "doi",
                "title",
                "title_key",
                "cited_by_count",
                "language",
                "source",
                "created_at",
                "updated_at",
        )  # fmt: skip
        authorship_columns = ("id", "work_id", "author_id", "position", "raw_author_name", "source")
        names = self._names
        for start in range(0, self.n_works, BATCH_WORKS):
            batch = min(BATCH_WORKS, self.n_works - start)
            works, authorships, affiliations, work_topics = [], [], [], []
            for _ in range(batch):
                wid = work_ids.take()
                k = authors_on_work(rng)
                chosen: list[int] = []
                seen: set[int] = set()
                if k >= BIG_PAPER_AUTHORS[0]:
                    for h in rng.sample(hubs, k=rng.randint(1, len(hubs))):
                        seen.add(h)
                        chosen.append(h)
                while len(chosen) < k:
                    if first_pass_at < n_authors and rng.random() < 0.5:
                        a = first_pass[first_pass_at]
                        first_pass_at += 1
                    else:
                        a = _pick(rng, cum)
                    if a not in seen:
                        seen.add(a)
                        chosen.append(a)
                rng.shuffle(chosen)
                year = years[_pick(rng, year_cum)]
                title = (
                    f"{rng.choice(WORDS).title()} {rng.choice(NOUNS)} for "
                    f"{rng.choice(WORDS)} {rng.choice(NOUNS)}, part {wid - work_ids.base + 1}"
                )
                works.append(
                    (
                        wid,
                        WORK_TYPES[_pick(rng, type_cum)][0].value,
                        year,
                        date(year, rng.randint(1, 12), rng.randint(1, 28)),
                        venues[_pick(rng, venue_cum)] if rng.random() < 0.8 else None,
                        f"10.5555/bzpeer-synthetic.{wid}" if rng.random() < 0.7 else None,
                        title,
                        title_key(title),
                        min(int(rng.paretovariate(1.2)) - 1, 100_000),
                        "en",
                        SOURCE,
                        self.now,
                        self.now,
                    )
                )
                for position, a in enumerate(chosen):
                    aid = authorship_ids.take()
                    pk = author_ids[a]
                    authorships.append((aid, wid, pk, position, names[a], SOURCE))
                    if rng.random() < 0.7:
                        affiliations.append((inst_ids.take(), aid, home[a]))
                f = _pick(rng, field_cum)
                picked = {
                    topics[f][_pick(rng, topic_cum)] for _ in range(_pick(rng, n_topics_cum) + 1)
                }
                for t in sorted(picked):
                    work_topics.append((topic_ids.take(), wid, t, round(rng.random(), 3)))
            self.counts.works += _copy(Work, work_columns, works)
            self.counts.authorships += _copy(Authorship, authorship_columns, authorships)
            self.counts.authorship_institutions += _copy(
                through, ("id", "authorship_id", "institution_id"), affiliations
            )
            self.counts.work_topics += _copy(
                WorkTopic, ("id", "work_id", "topic_id", "score"), work_topics
            )
            self.progress(batch)
        for ids in (work_ids, authorship_ids, inst_ids, topic_ids):
            ids.commit()


def _foreign_keys_drop(tables: list[str]) -> list[tuple[str, str, str]]:
    """Drops the foreign keys declared on `tables`; returns (table, name, definition)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        keys = cursor.fetchall()
        for table, name, _ in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return keys


def _foreign_keys_restore(keys: list[tuple[str, str, str]]) -> None:
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def scale_data_delete() -> dict[str, int]:
    """Deletes every synthetic row (real data untouched). Slow on millions: prefer a fresh DB."""
    deleted = {}
    with transaction.atomic():
        deleted["works"] = Work.objects.filter(source=SOURCE).delete()[0]
        deleted["authors"] = Author.objects.filter(source=SOURCE).delete()[0]
        deleted["topics"] = Topic.objects.filter(external_id__startswith=TOPIC_PREFIX).delete()[0]
        deleted["venues"] = Venue.objects.filter(name__startswith=NAME_PREFIX).delete()[0]
        deleted["institutions"] = Institution.objects.filter(
            display_name__startswith=NAME_PREFIX
        ).delete()[0]
    return deleted


def scale_data_generate(
    *, works: int, seed: int, authors: int | None = None, progress=None
) -> ScaleCounts:
    return ScaleDataGenerator(works=works, seed=seed, authors=authors, progress=progress).generate()
