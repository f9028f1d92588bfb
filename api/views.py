"""The read-only JSON API at /api/v1/ (django-ninja; OpenAPI at /api/v1/openapi.json).

Every list is cursor-paginated (keyset: the cursor is the position after the page's last
item, so page 1,000 costs what page 1 does) and costs a fixed number of queries: lists of
researchers, topics and institutions 1; lists of works 3 (works with venue and byline
length, the first names of their bylines, their topics). Hidden researchers are 404 and
never listed; a merged-away one answers 301 to the kept record. Rate limits and CORS:
api.middleware.
"""

from __future__ import annotations

import orjson
from django.db.models import F, Prefetch, Q, QuerySet, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError

from bzpeer.lib.text import latex_to_text
from graph.services import PROFILE, graph_slice_get
from works import search as search_service
from works import search_cache
from works.models import Author, Authorship, Institution, Topic, Work, WorkTopic
from works.opendata import author_kept

from . import schemas
from .cursors import BadCursor, cursor_decode, cursor_encode

api = NinjaAPI(
    title="BZPEER API",
    version="1.0.0",
    description=(
        "Read-only: researchers, works, topics, institutions, a researcher's works and "
        "graph slice, search. Lists are cursor-paginated: pass `next_cursor` back as "
        "`cursor`. Anonymous clients are rate-limited per IP address (429 with Retry-After)."
    ),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url=None,  # the Swagger UI loads scripts from a CDN, which the CSP does not allow
)

MAX_LIMIT = 100
JSON = "application/json; charset=utf-8"


@api.exception_handler(BadCursor)
def bad_cursor(request: HttpRequest, exc: BadCursor):
    return api.create_response(request, {"detail": str(exc)}, status=400)


class Paging(Schema):
    cursor: str | None = None
    limit: int = Query(20, ge=1, le=MAX_LIMIT)


# ---------------------------------------------------------------- serialisers


def _abs(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def _origin(request: HttpRequest) -> str:
    """What the absolute URLs of an answer depend on (part of its cache key)."""
    return f"{request.scheme}://{request.get_host()}"


def _json(schema: type[Schema], data: dict) -> bytes:
    """The body ninja would send for `data` (validated against the response schema)."""
    return orjson.dumps(schema.model_validate(data).model_dump(mode="json"))


def _json_response(body: bytes, *, works_data_only: bool = False) -> HttpResponse:
    """works_data_only: the body depends on the URL and the works data alone (not on who
    asks), so api.middleware may serve it again while the works data version holds."""
    response = HttpResponse(body, content_type=JSON)
    response.works_data_only = works_data_only
    return response


def _institution_ref(request, institution: Institution | None) -> dict | None:
    if institution is None:
        return None
    return {
        "id": institution.pk,
        "name": institution.display_name,
        "url": _abs(request, institution.get_absolute_url()),
    }


def _researcher(request, author: Author) -> dict:
    return {
        "slug": author.slug,
        "name": author.display_name,
        "url": _abs(request, author.get_absolute_url()),
        "name_variants": list(author.name_variants or []),
        "orcid": author.orcid,
        "openalex_id": author.openalex_id,
        "works_count": author.works_count,
        "trust_score": author.trust_score,
        "trust_band": author.trust_band,
        "verification_level": author.verification_level,
        "institution": _institution_ref(request, author.last_known_institution),
    }


def _work(request, work: Work) -> dict:
    byline = getattr(work, "byline", None)
    if byline is None:
        byline = list(work.authorships.all())
    authors = [
        {
            "position": a.position,
            "name": a.raw_author_name,
            "researcher": a.author.slug if a.author and not a.author.hidden else None,
        }
        for a in byline
    ]
    return {
        "id": work.pk,
        "url": _abs(request, work.get_absolute_url()),
        "title": latex_to_text(work.title),
        "type": work.type,
        "year": work.year,
        "publication_date": work.publication_date,
        "venue": work.venue.name if work.venue else None,
        "doi": work.doi,
        "arxiv_id": work.arxiv_id,
        "openalex_id": work.openalex_id,
        "cited_by_count": work.cited_by_count,
        "abstract": latex_to_text(work.abstract),
        "authors": authors,
        "authors_total": getattr(work, "authors_total", None) or len(authors),
        "topics": [
            {
                "id": wt.topic_id,
                "name": wt.topic.name,
                "url": _abs(request, wt.topic.get_absolute_url()),
            }
            for wt in work.work_topics.all()
        ],
    }


def _topic(request, topic: Topic) -> dict:
    parent = topic.parent
    return {
        "id": topic.pk,
        "name": topic.name,
        "url": _abs(request, topic.get_absolute_url()),
        "source": topic.source,
        "level": topic.level,
        "parent": {
            "id": parent.pk,
            "name": parent.name,
            "url": _abs(request, parent.get_absolute_url()),
        }
        if parent
        else None,
    }


def _institution(request, institution: Institution) -> dict:
    return {
        "id": institution.pk,
        "name": institution.display_name,
        "url": _abs(request, institution.get_absolute_url()),
        "ror": institution.ror,
        "country_code": institution.country_code,
        "type": institution.type,
        "parent": _institution_ref(request, institution.parent),
    }


TOPICS = Prefetch(
    "work_topics", queryset=WorkTopic.objects.select_related("topic").order_by("-score", "pk")
)


def _works_listing(author_id: int | None = None) -> QuerySet[Work]:
    return Work.objects.for_listing(author_id=author_id).prefetch_related(TOPICS)


def _page_by_pk(qs: QuerySet, paging: Paging) -> tuple[list, str | None]:
    """Keyset on the primary key: items after the cursor, and the next cursor."""
    position = cursor_decode(paging.cursor, length=1)
    if position:
        qs = qs.filter(pk__gt=position[0])
    items = list(qs.order_by("pk")[: paging.limit + 1])
    more = len(items) > paging.limit
    items = items[: paging.limit]
    return items, cursor_encode([items[-1].pk]) if more else None


def _listed_author(slug: str) -> Author:
    author = get_object_or_404(Author.objects.for_profile(), slug=slug)
    if author.hidden:
        raise HttpError(404, "Not found.")
    return author


def _redirect_merged(request: HttpRequest, author: Author) -> HttpResponsePermanentRedirect:
    kept = author_kept(author)
    return HttpResponsePermanentRedirect(
        request.get_full_path().replace(f"/{author.slug}", f"/{kept.slug}", 1)
    )


# ---------------------------------------------------------------- researchers


class ResearcherFilters(Schema):
    q: str | None = Query(None, description="every word in the name or a variant")
    institution: int | None = Query(None, description="last known institution id")


@api.get("/researchers", response=schemas.ResearcherPage, tags=["researchers"])
def researchers_list(request, filters: Query[ResearcherFilters], paging: Query[Paging]) -> dict:
    qs = Author.objects.search(filters.q) if filters.q else Author.objects.listed()
    if filters.institution:
        qs = qs.filter(last_known_institution_id=filters.institution)
    items, cursor = _page_by_pk(qs.for_profile(), paging)
    return {"items": [_researcher(request, a) for a in items], "next_cursor": cursor}


@api.get(
    "/researchers/{slug}",
    response={200: schemas.Researcher, 301: None, 404: schemas.Error},
    tags=["researchers"],
)
def researcher_detail(request, slug: str):
    """Served from the cache under the works data version (works.search_cache), which every
    change to an author moves: hiding, merging, renaming, a new score."""

    def build() -> bytes | None:
        author = Author.objects.for_profile().filter(slug=slug).first()
        if author is None or author.hidden or author.merged_into_id:
            return None  # the 404 and 301 are answered below, never stored
        return _json(schemas.Researcher, _researcher(request, author))

    body = search_cache.answer_cached("api-researcher", [_origin(request), slug], build)
    if body is not None:
        return _json_response(body, works_data_only=True)
    author = _listed_author(slug)  # 404: none or hidden
    if author.merged_into_id:
        return _redirect_merged(request, author)
    return _json_response(_json(schemas.Researcher, _researcher(request, author)))


class WorkFilters(Schema):
    type: Work.Type | None = None
    year_from: int | None = Query(None, ge=0, le=9999)
    year_to: int | None = Query(None, ge=0, le=9999)
    topic: int | None = Query(None, description="topic id")
    institution: int | None = Query(None, description="an institution on the byline")

    def apply(self, qs: QuerySet[Work]) -> QuerySet[Work]:
        if self.type:
            qs = qs.filter(type=self.type)
        if self.year_from is not None:
            qs = qs.filter(year__gte=self.year_from)
        if self.year_to is not None:
            qs = qs.filter(year__lte=self.year_to)
        if self.topic:
            qs = qs.filter(pk__in=WorkTopic.objects.filter(topic_id=self.topic).values("work"))
        if self.institution:
            bylines = Authorship.objects.filter(institutions=self.institution).values("work")
            qs = qs.filter(pk__in=bylines)
        return qs


@api.get(
    "/researchers/{slug}/works",
    response={200: schemas.WorkPage, 301: None, 404: schemas.Error},
    tags=["researchers"],
)
def researcher_works(request, slug: str, filters: Query[WorkFilters], paging: Query[Paging]):
    """Newest first (year, then the most recently added)."""
    author = _listed_author(slug)
    if author.merged_into_id:
        return _redirect_merged(request, author)
    mine = Authorship.objects.filter(author=author).values("work")
    qs = filters.apply(_works_listing(author.pk).filter(pk__in=mine))
    qs = qs.annotate(year_key=Coalesce("year", -1)).order_by(F("year_key").desc(), "-pk")
    position = cursor_decode(paging.cursor, length=2)
    if position:
        year, pk = position
        qs = qs.filter(Q(year_key__lt=year) | Q(year_key=year, pk__lt=pk))
    items = list(qs[: paging.limit + 1])
    more = len(items) > paging.limit
    items = items[: paging.limit]
    cursor = cursor_encode([items[-1].year_key, items[-1].pk]) if more else None
    return {"items": [_work(request, w) for w in items], "next_cursor": cursor}


@api.get(
    "/researchers/{slug}/graph",
    response={200: schemas.GraphSlice, 301: None, 404: schemas.Error},
    tags=["researchers"],
)
def researcher_graph(request, slug: str):
    """The profile page's graph slice (graph.services.graph_slice_get: cached, bounded)."""
    author = _listed_author(slug)
    if author.merged_into_id:
        return _redirect_merged(request, author)
    state = graph_slice_get(author=author, params=PROFILE)
    built = state.slice
    if built is None:
        return {"pending": True, "nodes": [], "edges": [], "coauthors_total": 0, "works_total": 0}
    return {
        "pending": False,
        "nodes": [
            {
                "id": n.id,
                "kind": n.kind,
                "label": n.label,
                "url": _abs(request, n.url) if n.url else "",
                "detail": n.detail,
                "hop": n.hop,
                "is_center": n.is_center,
            }
            for n in built.nodes
        ],
        "edges": [
            {"source": e.source, "target": e.target, "kind": e.kind, "weight": e.weight}
            for e in built.edges
        ],
        "coauthors_total": built.coauthors_total,
        "works_total": built.works_total,
    }


# ---------------------------------------------------------------- works


@api.get("/works", response=schemas.WorkPage, tags=["works"])
def works_list(request, filters: Query[WorkFilters], paging: Query[Paging]) -> dict:
    items, cursor = _page_by_pk(filters.apply(_works_listing()), paging)
    return {"items": [_work(request, w) for w in items], "next_cursor": cursor}


@api.get("/works/{int:work_id}", response={200: schemas.Work, 404: schemas.Error}, tags=["works"])
def work_detail(request, work_id: int) -> dict:
    return _work(request, get_object_or_404(_works_listing(), pk=work_id))


# ---------------------------------------------------------------- topics, institutions


class NameFilter(Schema):
    q: str | None = Query(None, max_length=200, description="part of the name")


@api.get("/topics", response=schemas.TopicPage, tags=["topics"])
def topics_list(request, filters: Query[NameFilter], paging: Query[Paging]) -> dict:
    qs = Topic.objects.select_related("parent")
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    items, cursor = _page_by_pk(qs, paging)
    return {"items": [_topic(request, t) for t in items], "next_cursor": cursor}


@api.get(
    "/topics/{int:topic_id}", response={200: schemas.Topic, 404: schemas.Error}, tags=["topics"]
)
def topic_detail(request, topic_id: int) -> dict:
    return _topic(request, get_object_or_404(Topic.objects.select_related("parent"), pk=topic_id))


class InstitutionFilter(NameFilter):
    country: str | None = Query(None, min_length=2, max_length=2, description="ISO 3166 code")


@api.get("/institutions", response=schemas.InstitutionPage, tags=["institutions"])
def institutions_list(request, filters: Query[InstitutionFilter], paging: Query[Paging]) -> dict:
    qs = Institution.objects.select_related("parent")
    if filters.q:
        qs = qs.filter(display_name__icontains=filters.q)
    if filters.country:
        qs = qs.filter(country_code=filters.country.upper())
    items, cursor = _page_by_pk(qs, paging)
    return {"items": [_institution(request, i) for i in items], "next_cursor": cursor}


@api.get(
    "/institutions/{int:institution_id}",
    response={200: schemas.Institution, 404: schemas.Error},
    tags=["institutions"],
)
def institution_detail(request, institution_id: int) -> dict:
    qs = Institution.objects.select_related("parent")
    return _institution(request, get_object_or_404(qs, pk=institution_id))


# ---------------------------------------------------------------- search


class SearchParams(Schema):
    q: str = Query(..., min_length=1, max_length=search_service.MAX_QUERY_LENGTH)
    kind: str | None = Query(None, pattern="^(researcher|work)$")
    type: Work.Type | None = None
    year_from: int | None = Query(None, ge=0, le=9999)
    year_to: int | None = Query(None, ge=0, le=9999)
    topic: int | None = None
    cursor: str | None = None


@api.get("/search", response=schemas.SearchPage, tags=["search"])
def search(request, params: Query[SearchParams]) -> HttpResponse:
    """The /search/ page's ranking and facets, 20 hits a page (works.search); the body is
    served from the cache under the works data version (works.search_cache)."""
    position = cursor_decode(params.cursor, length=1)
    page = position[0] if position else 1
    if not 1 <= page <= 1000:
        raise BadCursor("The cursor is not one this API handed out.")
    question = [_origin(request), params.model_dump(exclude={"cursor"}), page]
    body = search_cache.answer_cached(
        "api-search",
        question,
        lambda: _json(schemas.SearchPage, _search_answer(request, params, page)),
    )
    return _json_response(body, works_data_only=True)


def _search_answer(request, params: SearchParams, page: int) -> dict:
    filters = search_service.SearchFilters(
        kind=params.kind or "",
        work_type=params.type or "",
        year_from=params.year_from,
        year_to=params.year_to,
        topic_id=params.topic,
    )
    results = search_service.search(params.q, filters, page=page)
    works = [h.record for h in results.hits if h.kind == "work" and h.record is not None]
    prefetch_related_objects(works, TOPICS)  # one query for the page's topics
    items = []
    for hit in results.hits:
        if hit.record is None:
            continue
        researcher = _researcher(request, hit.record) if hit.kind == "researcher" else None
        work = _work(request, hit.record) if hit.kind == "work" else None
        items.append(
            {
                "kind": hit.kind,
                "relevance": round(hit.relevance, 4),
                "why": hit.why,
                "researcher": researcher,
                "work": work,
            }
        )
    return {
        "query": results.query,
        "items": items,
        "next_cursor": cursor_encode([page + 1]) if results.has_next else None,
        "researchers_total": results.researchers_total,
        "works_total": results.works_total,
        "capped": results.researchers_capped or results.works_capped,
        "facets": {
            name: [{"value": f.value, "label": f.label, "count": f.count} for f in facets]
            for name, facets in results.facets.items()
        },
    }
