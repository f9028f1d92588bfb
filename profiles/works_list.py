"""The profile's works list as researchers use it: sorted, filtered, paged, counted by year.

The list's state lives in the URL (`?sort=cited&type=article&from=2015&to=2020&topic=7&page=2`)
so every view of it is a plain link that works without JavaScript, can be shared and is
cached as its own entry. Each read costs a fixed number of queries whatever the author's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from works.models import Author, Authorship, Work, WorkTopic

from .models import WorkHiddenRequest
from .selectors import author_top_topics

# OFFSET cost grows with the page number; nobody reads page 5,000 of one author's works.
MAX_WORKS_PAGE = 5000
YEAR_MIN, YEAR_MAX = 1000, 2999
TOPIC_CHOICES = 12

# sort key -> (label, order over the author's authorships); every order ends on the work id
# so pages never overlap.
SORTS = {
    "newest": ("Newest", Work.LISTING_ORDER_VIA_AUTHORSHIP),
    "oldest": ("Oldest", (F("work__year").asc(nulls_last=True), "work__title_key", "work_id")),
    "cited": (
        "Most cited",
        (
            F("work__cited_by_count").desc(),
            F("work__year").desc(nulls_last=True),
            "work__title_key",
            "work_id",
        ),
    ),
    "title": ("Title", ("work__title_key", "work_id")),
}
DEFAULT_SORT = "newest"
# The same orders over loaded works (NULL years last, as in SQL above).
PYTHON_ORDER = {
    "oldest": lambda w: (w.year is None, w.year or 0, w.title_key, w.pk),
    "cited": lambda w: (-w.cited_by_count, w.year is None, -(w.year or 0), w.title_key, w.pk),
    "title": lambda w: (w.title_key, w.pk),
}
TYPE_LABELS = dict(Work.Type.choices)


def _int(raw: str | None, low: int, high: int) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if low <= value <= high else None


@dataclass(frozen=True)
class WorksQuery:
    """What the reader asked for; anything malformed falls back to the default."""

    sort: str = DEFAULT_SORT
    type: str = ""
    year_from: int | None = None
    year_to: int | None = None
    topic: int | None = None
    page: int = 1

    @classmethod
    def from_params(cls, params) -> WorksQuery:
        sort = params.get("sort", "")
        kind = params.get("type", "")
        year_from = _int(params.get("from"), YEAR_MIN, YEAR_MAX)
        year_to = _int(params.get("to"), YEAR_MIN, YEAR_MAX)
        if year_from and year_to and year_from > year_to:
            year_from, year_to = year_to, year_from
        return cls(
            sort=sort if sort in SORTS else DEFAULT_SORT,
            type=kind if kind in TYPE_LABELS else "",
            year_from=year_from,
            year_to=year_to,
            topic=_int(params.get("topic"), 1, 2**31 - 1),
            page=_int(params.get("page"), 1, MAX_WORKS_PAGE) or 1,
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.type or self.year_from or self.year_to or self.topic)

    def params(self, **changes) -> dict[str, str]:
        """The query string's parameters, defaults left out, with `changes` applied."""
        values = {
            "sort": self.sort,
            "type": self.type,
            "from": self.year_from,
            "to": self.year_to,
            "topic": self.topic,
            "page": self.page,
        } | changes
        defaults = {"sort": DEFAULT_SORT, "page": 1}
        return {k: str(v) for k, v in values.items() if v and defaults.get(k) != v}

    def url(self, **changes) -> str:
        return "?" + urlencode(self.params(**changes))

    @property
    def sort_links(self) -> list[tuple[str, str, bool]]:
        """(label, url, current) per sort; a new sort starts at page 1."""
        return [
            (label, self.url(sort=key, page=1), key == self.sort)
            for key, (label, _) in SORTS.items()
        ]

    @property
    def previous_url(self) -> str:
        url = self.url(page=self.page - 1)
        return url if url != "?" else "?page=1"  # "?" alone reads as a broken link

    @property
    def next_url(self) -> str:
        return self.url(page=self.page + 1)


@dataclass(frozen=True)
class WorksPage:
    """One page of an author's works, found without a COUNT query (one extra row tells
    whether a next page exists); `total` is counted only when filters narrow the list."""

    number: int
    object_list: list[Work]
    has_next: bool
    total: int | None = None
    query: WorksQuery = field(default_factory=WorksQuery)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def first_index(self) -> int:
        return (self.number - 1) * settings.WORKS_PER_PAGE + 1


def _authorships(author: Author, query: WorksQuery):
    # "Not mine" waiting for an admin: hidden from the owner's profile meanwhile.
    pending_not_mine = WorkHiddenRequest.objects.filter(
        author=author, status=WorkHiddenRequest.Status.PENDING
    ).values("work")
    rows = Authorship.objects.filter(author=author).exclude(work_id__in=pending_not_mine)
    if query.type:
        rows = rows.filter(work__type=query.type)
    if query.year_from:
        rows = rows.filter(work__year__gte=query.year_from)
    if query.year_to:
        rows = rows.filter(work__year__lte=query.year_to)
    if query.topic:
        rows = rows.filter(
            Exists(WorkTopic.objects.filter(work_id=OuterRef("work_id"), topic_id=query.topic))
        )
    return rows


def author_works_page(
    author: Author, query: WorksQuery | None = None, *, per_page: int | None = None
) -> WorksPage:
    """Two queries whatever the page or the author's size (three when filtered: the count).

    The page's work ids are chosen in a subquery over the author's authorships; for the
    default order from indexes alone (works_work_listing_idx holds year and title key), so a
    hub with thousands of works sorts small index tuples instead of whole rows. Then one
    query for the page's rows and one for their bylines.
    """
    query = query or WorksQuery()
    per_page = per_page or settings.WORKS_PER_PAGE
    offset = (query.page - 1) * per_page
    rows = _authorships(author, query)
    page_ids = rows.order_by(*SORTS[query.sort][1]).values("work_id")[
        offset : offset + per_page + 1
    ]
    listed = list(Work.objects.filter(pk__in=page_ids).for_listing(author_id=author.pk))
    if query.sort != DEFAULT_SORT:
        # The subquery's order does not survive IN (...): the same order again, in Python,
        # on the page's rows (for_listing's own order is the default sort).
        listed.sort(key=PYTHON_ORDER[query.sort])
    total = rows.count() if query.is_filtered else None
    return WorksPage(
        number=query.page,
        object_list=listed[:per_page],
        has_next=len(listed) > per_page,
        total=total,
        query=query,
    )


def author_topic_choices(author: Author) -> list[tuple[int, str]]:
    """The topics a reader can filter by: the author's most frequent ones (one query)."""
    return [(topic.pk, topic.name) for topic in author_top_topics(author, limit=TOPIC_CHOICES)]


# --- works per year ----------------------------------------------------------------------

CHART_BAR, CHART_GAP, CHART_HEIGHT, CHART_LABEL = 10, 2, 40, 14
CHART_MAX_YEARS = 60


@dataclass(frozen=True)
class YearCounts:
    counts: list[tuple[int, int]]  # (year, works), every year from the first to the last

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)

    @property
    def busiest(self) -> int:
        return max((n for _, n in self.counts), default=0)

    @property
    def with_works(self) -> list[tuple[int, int]]:
        return [(year, n) for year, n in self.counts if n]

    @property
    def svg(self) -> SafeString:
        """Bars drawn by the server: one per year, its count in a tooltip; the years and
        counts are also written out as text next to the chart."""
        if not self.counts:
            return SafeString("")
        top = self.busiest or 1
        step = CHART_BAR + CHART_GAP
        width = len(self.counts) * step
        bars = format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}" rx="1"><title>{}: {} work{}</title></rect>',
            (
                (
                    i * step,
                    round(CHART_HEIGHT - max(2, CHART_HEIGHT * n / top), 1) if n else CHART_HEIGHT,
                    CHART_BAR,
                    round(max(2, CHART_HEIGHT * n / top), 1) if n else 0,
                    year,
                    n,
                    "" if n == 1 else "s",
                )
                for i, (year, n) in enumerate(self.counts)
            ),
        )
        first, last = self.counts[0][0], self.counts[-1][0]
        return format_html(
            '<svg class="year-chart__svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}"'
            ' role="img" aria-label="Works per year, {first} to {last}; busiest year {top}'
            ' work{s}">'
            '<g class="year-chart__bars">{bars}</g>'
            '<text x="0" y="{ty}" class="year-chart__axis">{first}</text>'
            '<text x="{w}" y="{ty}" text-anchor="end" class="year-chart__axis">{last}</text>'
            "</svg>",
            w=width,
            h=CHART_HEIGHT + CHART_LABEL,
            ty=CHART_HEIGHT + CHART_LABEL - 2,
            first=first,
            last=last,
            top=top,
            s="" if top == 1 else "s",
            bars=bars,
        )


@dataclass(frozen=True)
class WorksFacets:
    """What the list's controls offer: the author's work types and works per year."""

    types: list[tuple[str, str]]  # (key, label) in the model's order
    per_year: YearCounts


def author_works_facets(author: Author) -> WorksFacets:
    """One aggregate query over the author's authorships: works by (year, type)."""
    rows = (
        Authorship.objects.filter(author=author)
        .order_by()
        .values_list("work__year", "work__type")
        .annotate(n=Count("work_id", distinct=True))
    )
    years: dict[int, int] = {}
    types = set()
    for year, kind, n in rows:
        types.add(kind)
        if year is not None:
            years[year] = years.get(year, 0) + n
    counts = []
    if years:
        last = max(years)
        first = max(min(years), last - CHART_MAX_YEARS + 1)
        counts = [(year, years.get(year, 0)) for year in range(first, last + 1)]
    return WorksFacets(
        types=[(key, label) for key, label in Work.Type.choices if key in types],
        per_year=YearCounts(counts),
    )
