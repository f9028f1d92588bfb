"""What the API answers, as pydantic schemas: django-ninja builds the OpenAPI document from them."""

from __future__ import annotations

import datetime

from ninja import Schema


class InstitutionRef(Schema):
    id: int
    name: str
    url: str


class TopicRef(Schema):
    id: int
    name: str
    url: str


class Researcher(Schema):
    slug: str
    name: str
    url: str
    name_variants: list[str]
    orcid: str | None
    openalex_id: str | None
    works_count: int
    trust_score: int | None
    trust_band: str
    verification_level: int
    institution: InstitutionRef | None


class BylineName(Schema):
    position: int
    name: str
    researcher: str | None  # the profile's slug; null for an unmatched or hidden author


class Work(Schema):
    id: int
    url: str
    title: str
    type: str
    year: int | None
    publication_date: datetime.date | None
    venue: str | None
    doi: str | None
    arxiv_id: str | None
    openalex_id: str | None
    cited_by_count: int | None  # None: no source gave a count
    abstract: str
    authors: list[BylineName]  # at most the first 10, and the listed researcher's own place
    authors_total: int
    topics: list[TopicRef]


class Topic(Schema):
    id: int
    name: str
    url: str
    source: str
    level: str
    parent: TopicRef | None


class Institution(Schema):
    id: int
    name: str
    url: str
    ror: str | None
    country_code: str
    type: str
    parent: InstitutionRef | None


class ResearcherPage(Schema):
    items: list[Researcher]
    next_cursor: str | None


class WorkPage(Schema):
    items: list[Work]
    next_cursor: str | None


class TopicPage(Schema):
    items: list[Topic]
    next_cursor: str | None


class InstitutionPage(Schema):
    items: list[Institution]
    next_cursor: str | None


class SearchHit(Schema):
    kind: str  # "researcher" or "work"
    relevance: float
    why: list[str]
    researcher: Researcher | None
    work: Work | None


class FacetCount(Schema):
    value: str
    label: str
    count: int


class SearchPage(Schema):
    query: str
    items: list[SearchHit]
    next_cursor: str | None
    researchers_total: int
    works_total: int
    capped: bool  # a total stopped at its candidate cap: "more than"
    facets: dict[str, list[FacetCount]]


class GraphNode(Schema):
    id: str
    kind: str
    label: str
    url: str
    detail: str
    hop: int
    is_center: bool


class GraphEdge(Schema):
    source: str
    target: str
    kind: str
    weight: int


class GraphSlice(Schema):
    pending: bool  # a worker is building it (large neighbourhoods): ask again shortly
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    coauthors_total: int
    works_total: int


class Error(Schema):
    detail: str
