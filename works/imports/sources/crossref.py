"""Crossref REST API works → WorkRecords.

Reads every shape the API hands out, plain or gzipped, detected record by record:

- a `/works/{doi}` response: `{"status": "ok", "message-type": "work", "message": {...}}`;
- a bare work, the `message` object alone;
- a works list, `{"items": [...]}` or the whole `/works?…` response (`message.items`);
- JSON Lines (or a JSON array) of any of the above, e.g. one work per line.

A top-level JSON value is decoded whole (a works list page holds at most 1,000 items, and
MAX_RECORD_CHARS caps it); the items of a list are then located in its text, so every record
is reported with the line its own object starts on.

Mapping: DOI (normalised; a record without one is refused), title and subtitle ("Title:
Subtitle"), container title as the venue, type, year and date from `issued` (else
`published`, `published-print`, `published-online`) date-parts, authors in order (given +
family + suffix, or `name` for an organisation, family alone for a one-name author, ORCID
from its URL, affiliation names and RORs), the JATS abstract as HTML paragraphs,
`is-referenced-by-count`, language, ISSNs, ISBNs, full-text links and the licence URL.
Crossref's "Listing of Deleted DOIs" entries are tombstones, not works: they parse to None
and are counted as ignored.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from pathlib import Path

from bzpeer.lib.names import person_name
from bzpeer.lib.text import jats_to_html

from ..readers import (
    CORRUPT_STREAM,
    BadRecord,
    FileTooLarge,
    _JsonStream,
    _Undecodable,
    corrupt_stream_message,
    guess_label,
    open_text,
    problem_line,
    record_cap,
    record_problem,
)
from ..records import (
    AuthorRecord,
    AuthorshipRecord,
    InstitutionRecord,
    ParseError,
    RawRecord,
    VenueRecord,
    WorkRecord,
    source_record_label,
)
from . import ids
from .openalex import first_code_url

FORMAT = "crossref"
# keys only Crossref's works API writes (OpenAlex spells its DOI "doi", and has none of them)
_CROSSREF_KEY = re.compile(
    r'"(?:message-type|container-title|is-referenced-by-count|reference-count|'
    r'short-container-title|published-print|content-domain)"\s*:'
)


def sniff(head: str) -> bool:
    """JSON whose first records carry keys only Crossref writes: a /works/{doi} response, a
    bare work, a works list or JSON Lines of works."""
    return (
        head[:1] in ("[", "{")
        and _CROSSREF_KEY.search(head) is not None
        and ('"DOI"' in head or '"message-type"' in head)
    )


WORK_TYPES = {
    "journal-article": "article",
    "posted-content": "preprint",
    "proceedings-article": "proceedings-article",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "reference-book": "book",
    "book-chapter": "book-chapter",
    "book-section": "book-chapter",
    "book-part": "book-chapter",
    "reference-entry": "book-chapter",
    "dissertation": "dissertation",
    "dataset": "dataset",
}
# the container Crossref files withdrawn DOIs under; its "works" have the DOI as title
DELETED_DOIS_CONTAINER = "crossref listing of deleted dois"
_DATE_KEYS = ("issued", "published", "published-print", "published-online")
_WHITESPACE = re.compile(r"\s*")
_ISSN = re.compile(r"^\d{4}-\d{3}[\dX]$")
_decoder = json.JSONDecoder()
# the columns they go to (Work.doi, Work.code_url)
MAX_DOI_LENGTH = 255
MAX_URL_LENGTH = 500


# --- reading -------------------------------------------------------------------------------


def read(path: str | Path, *, max_bytes: int | None = None) -> Iterator[RawRecord | BadRecord]:
    """The works of a Crossref file, one RawRecord (data: the work object) each.

    A JSON syntax error in JSON Lines (every value so far on a line of its own, and the
    error on the line the value starts on) loses that line only; anywhere else (a
    pretty-printed response, a list) the rest of the file, reported as fatal.
    """
    index = 0
    one_line_values = True  # JSON Lines so far: a broken line can be skipped
    with open_text(path, max_bytes=max_bytes, errors="surrogateescape") as text:
        stream = _JsonStream(text, limit=record_cap())
        try:
            while stream.peek():
                start = stream.line
                try:
                    value, source = stream.decode_with_text()
                except _Undecodable as exc:
                    message = f"invalid JSON: {exc.message}" if exc.json else exc.message
                    if one_line_values and exc.line == start:
                        index += 1
                        yield BadRecord(start, index, message)
                        stream.skip_line()
                        continue
                    yield BadRecord(exc.line, index + 1, message, fatal=True)
                    return
                one_line_values = one_line_values and "\n" not in source
                for begin, end, work in _works_in(value, source, _skip(source, 0), len(source)):
                    index += 1
                    line = start + source.count("\n", 0, begin)
                    yield _checked(work, source[begin:end], line, index)
        except CORRUPT_STREAM as exc:
            yield BadRecord(stream.line, index + 1, corrupt_stream_message(exc), fatal=True)
        except FileTooLarge as exc:
            yield BadRecord(stream.line, index + 1, str(exc), fatal=True)


def _checked(work: object, text: str, line: int, index: int) -> RawRecord | BadRecord:
    if problem := record_problem(text, work):
        return BadRecord(problem_line(line, text), index, problem, record=guess_label(work))
    return RawRecord(line=line, index=index, data=work)


def _works_in(
    value: object, source: str, start: int, end: int
) -> Iterator[tuple[int, int, object]]:
    """(start, end, work) for every work the value at source[start:end] holds: itself, the
    `message` of a response, the `items` of a list, an array's elements."""
    if isinstance(value, list):
        for (begin, stop), item in zip(_element_spans(source, start), value, strict=True):
            yield from _works_in(item, source, begin, stop)
        return
    if not isinstance(value, dict):
        yield start, end, value  # parse() says what is wrong with it
        return
    message = value.get("message")
    if isinstance(message, dict) and ("status" in value or "message-type" in value):
        begin = _member_offset(source, start, "message")
        yield from _works_in(message, source, begin, _value_end(source, begin))
        return
    items = value.get("items")
    if isinstance(items, list) and "DOI" not in value:
        spans = _element_spans(source, _member_offset(source, start, "items"))
        yield from ((b, e, item) for (b, e), item in zip(spans, items, strict=True))
        return
    yield start, end, value


def _skip(text: str, position: int) -> int:
    return _WHITESPACE.match(text, position).end()


def _value_end(text: str, position: int) -> int:
    return _decoder.raw_decode(text, position)[1]


def _member_offset(text: str, position: int, wanted: str) -> int:
    """Where the value of the object member `wanted` starts; the object starts at `position`.

    The text decoded already, so it is valid JSON: walking it member by member is safe.
    """
    position = _skip(text, position + 1)  # after "{"
    found = position
    while text[position] != "}":
        key, position = _decoder.raw_decode(text, position)
        position = _skip(text, _skip(text, position) + 1)  # past ":"
        if key == wanted:
            found = position  # the last one wins, as in the decoded dict
        position = _skip(text, _value_end(text, position))
        if text[position] == ",":
            position = _skip(text, position + 1)
    return found


def _element_spans(text: str, position: int) -> list[tuple[int, int]]:
    """Where each element of the array starting at `position` starts and ends."""
    spans = []
    position = _skip(text, position + 1)  # after "["
    while text[position] != "]":
        end = _value_end(text, position)
        spans.append((position, end))
        position = _skip(text, end)
        if text[position] == ",":
            position = _skip(text, position + 1)
    return spans


def record_label(raw: RawRecord) -> str:
    """The DOI, else the title, to name a record in a batch's error list."""
    data = raw.data
    if not isinstance(data, dict):
        return ""
    if isinstance(data.get("DOI"), str) and data["DOI"]:
        return data["DOI"]
    title = _first(data.get("title"))
    return f"“{title[:80]}”" if title else ""


# --- parsing -------------------------------------------------------------------------------


def parse(raw: RawRecord) -> WorkRecord | None:
    data = raw.data
    if not isinstance(data, dict):
        raise ParseError(f"expected a Crossref work (a JSON object), found {type(data).__name__}")
    title = _first(data.get("title"))
    container = _first(data.get("container-title"))
    if container.lower() == DELETED_DOIS_CONTAINER:
        return None
    doi = ids.normalize_doi(data.get("DOI") if isinstance(data.get("DOI"), str) else None)
    if doi is None:
        if data.get("DOI"):
            raise ParseError(f"{data['DOI']!r} is not a DOI", field="DOI")
        raise ParseError("the work has no DOI", field="DOI")
    if len(doi) > MAX_DOI_LENGTH:
        raise ParseError(f"the DOI is longer than {MAX_DOI_LENGTH} characters", field="DOI")
    subtitle = _first(data.get("subtitle"))
    if subtitle and not title.lower().endswith(subtitle.lower()):
        title = f"{title}: {subtitle}" if title else subtitle
    if not title:
        raise ParseError("the work has no title", field="title")
    year, date = _published(data)
    abstract = jats_to_html(data.get("abstract")) if isinstance(data.get("abstract"), str) else ""
    links = tuple(
        url
        for link in _list(data.get("link"))
        if isinstance(link, dict) and (url := _text(link.get("URL")))
    )
    authors = [a for a in _list(data.get("author")) if isinstance(a, dict)]
    return WorkRecord(
        title=title,
        type=WORK_TYPES.get(_text(data.get("type")), "other"),
        year=year,
        publication_date=date,
        doi=doi,
        arxiv_id=ids.arxiv_id_from(doi) if doi.startswith("10.48550/arxiv.") else None,
        venue=VenueRecord(name=container[:500], type=_venue_type(data)) if container else None,
        abstract=abstract,
        code_url=_fitting(first_code_url(" ".join([abstract, *links])), MAX_URL_LENGTH),
        cited_by_count=_count(data.get("is-referenced-by-count")),
        language=_text(data.get("language"))[:10],
        authorships=tuple(_authorship(a, i) for i, a in enumerate(authors)),
        source_record=source_record_label(doi, raw.line),
        issns=tuple(dict.fromkeys(i for i in map(_text, _list(data.get("ISSN"))) if _issn(i))),
        isbns=tuple(dict.fromkeys(i for i in map(_text, _list(data.get("ISBN"))) if i)),
        links=links,
        license_url=_license(data.get("license")),
    )


def _authorship(data: dict, position: int) -> AuthorshipRecord:
    given, family = _text(data.get("given")), _text(data.get("family"))
    suffix = _text(data.get("suffix"))
    # a family name alone is a one-name author, or a whole name Crossref got in one field
    # ("BROWNE, CAROLYN S."), shown first name first
    name = f"{given} {family}" if given and family else person_name(family)
    name = name or _text(data.get("name"))
    if not name:
        raise ParseError(f"author {position + 1} has no name", field="author")
    if suffix and family:
        name = f"{name} {suffix}"
    orcid = ids.normalize_orcid(data.get("ORCID")) if data.get("ORCID") else None
    institutions = tuple(
        record for a in _list(data.get("affiliation")) if (record := _affiliation(a))
    )
    author = AuthorRecord(
        display_name=name[:255],
        orcid=orcid,
        institutions=institutions,
        last_known_institution=institutions[0] if institutions else None,
    )
    return AuthorshipRecord(raw_author_name=name[:500], author=author, institutions=institutions)


def _affiliation(data: object) -> InstitutionRecord | None:
    """An affiliation; the loader links only those with a ROR (a name alone identifies none)."""
    if not isinstance(data, dict) or not _text(data.get("name")):
        return None
    ror = None
    for identifier in _list(data.get("id")):
        if isinstance(identifier, dict) and _text(identifier.get("id-type")).upper() == "ROR":
            ror = ids.normalize_ror(_text(identifier.get("id")))
    return InstitutionRecord(display_name=_text(data["name"])[:500], ror=ror)


def _published(data: dict) -> tuple[int | None, datetime.date | None]:
    for key in _DATE_KEYS:
        block = data.get(key)
        parts = block.get("date-parts") if isinstance(block, dict) else None
        first = parts[0] if isinstance(parts, list) and parts else None
        if not isinstance(first, list) or not first or not isinstance(first[0], int):
            continue
        year = first[0]
        if not 1000 <= year <= 2100:
            raise ParseError(f"{key} year {year!r} is not a year", field=key)
        date = None
        if len(first) >= 3 and all(isinstance(p, int) for p in first[:3]):
            try:
                date = datetime.date(*first[:3])
            except ValueError:
                raise ParseError(f"{key} {first[:3]!r} is not a date", field=key) from None
        return year, date
    return None, None


def _venue_type(data: dict) -> str:
    kind = _text(data.get("type"))
    if kind.startswith("book") or kind in ("monograph", "edited-book", "reference-book"):
        return "book series"
    if kind == "proceedings-article":
        return "conference"
    if kind == "posted-content":
        return "repository"
    return "journal" if kind == "journal-article" else ""


def _license(value: object) -> str:
    """The licence of the version of record, else the first one listed."""
    licences = [v for v in _list(value) if isinstance(v, dict) and _text(v.get("URL"))]
    chosen = next((v for v in licences if v.get("content-version") == "vor"), None)
    chosen = chosen or (licences[0] if licences else None)
    return _text(chosen["URL"])[:500] if chosen else ""


def _fitting(value: str, limit: int) -> str:
    """A URL that fits its column, else none: a cut URL points somewhere else."""
    return value if len(value) <= limit else ""


def _issn(value: str) -> bool:
    return bool(_ISSN.match(value)) and value != "0000-0000"


def _count(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ParseError(f"{value!r} is not a count", field="is-referenced-by-count")
    return value


def _first(value: object) -> str:
    """Crossref gives titles as lists; the first non-empty one."""
    if isinstance(value, str):
        return _text(value)
    return next((t for v in _list(value) if (t := _text(v))), "")


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""
