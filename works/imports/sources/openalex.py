"""OpenAlex records (works, authors, institutions, sources, topics, concepts) → records.

Handles both the current schema (topics with subfield/field/domain) and the older one
(concepts only), authorships without an author id, works without authors, deleted author
tombstones and entity kinds we do not keep (publishers, funders, keywords), which parse to
None and are counted as ignored.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Iterator
from pathlib import Path

from ..readers import BadRecord, read_json_records
from ..records import (
    AuthorRecord,
    AuthorshipRecord,
    InstitutionRecord,
    ParsedRecord,
    ParseError,
    RawRecord,
    TopicAssignment,
    TopicRecord,
    VenueRecord,
    WorkRecord,
    others_authorship,
    parse_warning,
    source_record_label,
)
from . import ids

FORMAT = "openalex"
_OPENALEX_ID = re.compile(r'"id"\s*:\s*"https://openalex\.org/[WAISTCPF]\d+"')


def sniff(head: str) -> bool:
    """JSON (an array or JSON Lines) whose first records carry OpenAlex ids."""
    return head[:1] in ("[", "{") and _OPENALEX_ID.search(head) is not None


# OpenAlex tags a work with a concept from this score up; lower scores are noise.
MIN_CONCEPT_SCORE = 0.3
WORK_TYPES = {
    "article": "article",
    "preprint": "preprint",
    "posted-content": "preprint",
    "review": "review",
    "book": "book",
    "book-chapter": "book-chapter",
    "proceedings-article": "proceedings-article",
    "dissertation": "dissertation",
    "dataset": "dataset",
}
_CODE_URL = re.compile(
    r"https?://(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org)/[^\s)<>\]}]+"
)


def read(path: str | Path, *, max_bytes: int | None = None) -> Iterator[RawRecord | BadRecord]:
    return read_json_records(path, max_bytes=max_bytes)


def record_label(raw: RawRecord) -> str:
    data = raw.data
    return str(data.get("id")) if isinstance(data, dict) and data.get("id") else ""


def parse(raw: RawRecord) -> ParsedRecord | None:
    data = raw.data
    if not isinstance(data, dict):
        raise ParseError(f"expected a JSON object, found {type(data).__name__}")
    raw_id = data.get("id")
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise ParseError("the record has no OpenAlex id", field="id")
    kind_id = ids.openalex_id(raw_id)
    if kind_id is None:
        if "/keywords/" in raw_id:
            return None
        raise ParseError(f"{raw_id!r} is not an OpenAlex id", field="id")
    parser = _PARSERS.get(kind_id[0])
    record = parser(data, kind_id) if parser else None
    if isinstance(record, WorkRecord | AuthorRecord):
        record = dataclasses.replace(record, source_record=source_record_label(kind_id, raw.line))
    return record


def parse_work(data: dict, work_id: str) -> WorkRecord:
    title = _text(data.get("title")) or _text(data.get("display_name"))
    if not title:
        raise ParseError("the work has no title", field="title")
    year = data.get("publication_year")
    if year is not None and (not isinstance(year, int) or not 1000 <= year <= 2100):
        raise ParseError(f"publication_year {year!r} is not a year", field="publication_year")
    abstract = abstract_from_inverted_index(data.get("abstract_inverted_index"))
    location = data.get("primary_location") or {}
    doi = ids.normalize_doi(data.get("doi"))
    return WorkRecord(
        openalex_id=work_id,
        title=title,
        type=WORK_TYPES.get(data.get("type") or "", "other"),
        year=year,
        publication_date=_date(data.get("publication_date")),
        doi=doi,
        arxiv_id=_arxiv_id(data, location, doi),
        venue=_venue(location.get("source")),
        abstract=abstract,
        code_url=first_code_url(abstract),
        cited_by_count=_count(data.get("cited_by_count"), "cited_by_count"),
        language=_text(data.get("language"))[:10],
        authorships=_authorships(data),
        topics=_topics(data),
    )


def parse_author(data: dict, author_id: str) -> AuthorRecord | None:
    name = _text(data.get("display_name"))
    if name == "Deleted Author" and not data.get("works_count"):
        return None  # an OpenAlex tombstone: the id lives on only to say it is gone
    if not name:
        raise ParseError("the author has no display_name", field="display_name")
    last_known = data.get("last_known_institutions") or [data.get("last_known_institution")]
    institutions = tuple(record for i in last_known if (record := _institution(i)))
    variants = data.get("display_name_alternatives") or data.get("raw_author_names") or []
    return AuthorRecord(
        display_name=name,
        openalex_id=author_id,
        orcid=ids.normalize_orcid(data.get("orcid")),
        name_variants=tuple(sorted({_text(v) for v in variants if _text(v) and v != name})),
        last_known_institution=institutions[0] if institutions else None,
        institutions=institutions,
    )


def parse_institution(data: dict, institution_id: str) -> InstitutionRecord:
    record = _institution(data)
    if record is None:
        raise ParseError("the institution has no display_name", field="display_name")
    return record


def parse_source(data: dict, source_id: str) -> VenueRecord:
    venue = _venue(data)
    if venue is None:
        raise ParseError("the source has no display_name", field="display_name")
    return venue


def parse_topic(data: dict, topic_id: str) -> TopicRecord:
    topic = _topic(data)
    if topic is None:
        raise ParseError("the topic has no display_name", field="display_name")
    return topic


def parse_concept(data: dict, concept_id: str) -> TopicRecord:
    concept = _concept(data)
    if concept is None:
        raise ParseError("the concept has no display_name", field="display_name")
    return concept


_PARSERS = {
    "W": parse_work,
    "A": parse_author,
    "I": parse_institution,
    "S": parse_source,
    "T": parse_topic,
    "C": parse_concept,
}


def abstract_from_inverted_index(index: object) -> str:
    """OpenAlex ships abstracts as {word: [positions]}; this puts the words back in order."""
    if not isinstance(index, dict) or not index:
        return ""
    positioned = [
        (position, word)
        for word, positions in index.items()
        for position in (positions or [])
        if isinstance(position, int)
    ]
    return " ".join(word for _, word in sorted(positioned))


def first_code_url(text: str) -> str:
    match = _CODE_URL.search(text or "")
    return match.group(0).rstrip(".,;:") if match else ""


def _authorships(data: dict) -> tuple[AuthorshipRecord, ...]:
    byline = tuple(_authorship(a, i) for i, a in enumerate(data.get("authorships") or []))
    if byline and data.get("is_authors_truncated") is True:
        byline += (others_authorship(),)  # OpenAlex lists the first 100 of a longer byline
    return byline


def _authorship(data: dict, position: int) -> AuthorshipRecord:
    if not isinstance(data, dict):
        raise ParseError(f"authorship {position + 1} is not an object", field="authorships")
    author_data = data.get("author") or {}
    author_id = ids.openalex_id(author_data.get("id"))
    name = _text(author_data.get("display_name"))
    raw_name = _text(data.get("raw_author_name")) or name
    if not raw_name:
        raise ParseError(f"authorship {position + 1} names nobody", field="authorships")
    if author_data.get("id") and (author_id is None or not author_id.startswith("A")):
        parse_warning(
            f"authorship {position + 1} ({raw_name}): author id {author_data.get('id')!r} is "
            "not an OpenAlex author id: kept as a name only"
        )
        author_id = None
    author = None
    if author_id and name:
        author = AuthorRecord(
            display_name=name,
            openalex_id=author_id,
            orcid=ids.normalize_orcid(author_data.get("orcid")),
        )
    institutions = tuple(
        record for i in (data.get("institutions") or []) if (record := _institution(i))
    )
    return AuthorshipRecord(
        raw_author_name=raw_name[:500],
        author=author,
        is_corresponding=bool(data.get("is_corresponding")),
        institutions=institutions,
    )


def _institution(data: object) -> InstitutionRecord | None:
    if not isinstance(data, dict):
        return None
    name = _text(data.get("display_name"))
    institution_id = ids.openalex_id(data.get("id"))
    if not name or not institution_id:
        return None
    lineage = [ids.openalex_id(i) for i in data.get("lineage") or []]
    ancestors = [i for i in lineage if i and i != institution_id]
    return InstitutionRecord(
        display_name=name[:500],
        openalex_id=institution_id,
        ror=ids.normalize_ror(data.get("ror")),
        country_code=(_text(data.get("country_code")) or "")[:2].upper(),
        type=_text(data.get("type"))[:40],
        homepage_url=_text(data.get("homepage_url"))[:500],
        parent_openalex_id=ancestors[0] if ancestors else None,
    )


def _venue(data: object) -> VenueRecord | None:
    if not isinstance(data, dict) or not _text(data.get("display_name")):
        return None
    return VenueRecord(
        name=_text(data.get("display_name"))[:500],
        openalex_id=ids.openalex_id(data.get("id")),
        issn_l=_text(data.get("issn_l"))[:9],
        type=_text(data.get("type"))[:40],
    )


def _topic(data: dict) -> TopicRecord | None:
    name = _text(data.get("display_name"))
    topic_id = ids.openalex_id(data.get("id"))
    if not name or not topic_id:
        return None
    parent = None
    for level in ("domain", "field", "subfield"):
        node = data.get(level)
        if isinstance(node, dict) and node.get("id") and node.get("display_name"):
            external_id = str(node["id"]).removeprefix("https://openalex.org/")
            parent = TopicRecord(
                source="openalex-topic",
                external_id=external_id,
                name=_text(node["display_name"]),
                level=level,
                parent=parent,
            )
    return TopicRecord("openalex-topic", topic_id, name, "topic", parent)


def _concept(data: dict) -> TopicRecord | None:
    name = _text(data.get("display_name"))
    concept_id = ids.openalex_id(data.get("id"))
    if not name or not concept_id:
        return None
    level = data.get("level")
    return TopicRecord(
        "openalex-concept", concept_id, name, f"level {level}" if level is not None else ""
    )


def _topics(data: dict) -> tuple[TopicAssignment, ...]:
    topics = [
        TopicAssignment(topic, float(t.get("score") or 1.0))
        for t in data.get("topics") or []
        if isinstance(t, dict) and (topic := _topic(t))
    ]
    if topics:
        return tuple(topics)
    # The older schema, or works OpenAlex has not given topics yet: concepts stand in.
    return tuple(
        TopicAssignment(concept, float(c.get("score") or 0.0))
        for c in data.get("concepts") or []
        if isinstance(c, dict)
        and float(c.get("score") or 0.0) >= MIN_CONCEPT_SCORE
        and (concept := _concept(c))
    )


def _arxiv_id(data: dict, location: dict, doi: str | None) -> str | None:
    if doi and doi.startswith("10.48550/arxiv."):
        return ids.arxiv_id_from(doi)
    ids_block = data.get("ids") or {}
    if isinstance(ids_block, dict) and ids_block.get("arxiv"):
        return ids.arxiv_id_from(str(ids_block["arxiv"]))
    landing = _text(location.get("landing_page_url"))
    return ids.arxiv_id_from(landing) if "arxiv.org/" in landing else None


def _date(value: object) -> datetime.date | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        raise ParseError(f"{value!r} is not a date", field="publication_date") from None


def _count(value: object, field: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or value < 0:
        raise ParseError(f"{value!r} is not a count", field=field)
    return value


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""
