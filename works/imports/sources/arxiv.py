"""arXiv's metadata snapshot (JSON Lines), and the WorkRecord both arXiv formats build.

The OAI-PMH reader (arxiv_oai) hands its fields to `work_record` here, so a paper is the
same row whichever way it was harvested:

- `arxiv_id` without its version; title and abstract whitespace-normalised, LaTeX kept as
  written (pages render it); type "preprint", venue arXiv (a repository);
- year and publication date from the first version (v1 `created`), else from the id;
- DOI normalised; the journal reference has no place in a WorkRecord and is not kept;
- authors in byline order as name-only authors ("First Last", `arxiv_name` "Last, First");
  the loader decides whether a name joins an existing author;
- each category ("cs.LG") a topic of source "arxiv" under its archive ("cs"), named as
  the one taxonomy (`arxiv_taxonomy`) names it.
"""

from __future__ import annotations

import datetime
import email.utils
import re
from collections.abc import Iterator
from pathlib import Path

from bzpeer.lib.text import latex_to_text

from ..readers import BadRecord, read_json_records
from ..records import (
    AuthorRecord,
    AuthorshipRecord,
    ParseError,
    RawRecord,
    TopicAssignment,
    VenueRecord,
    WorkRecord,
    source_record_label,
)
from . import ids
from .arxiv_taxonomy import category_topic
from .openalex import first_code_url

FORMAT = "arxiv"
VENUE = VenueRecord(name="arXiv", type="repository")


def sniff(head: str) -> bool:
    """JSON Lines whose records have the snapshot's `authors_parsed`."""
    return head.startswith("{") and '"authors_parsed"' in head


_CATEGORY = re.compile(r"\A[a-z][a-z-]*(?:\.[A-Za-z-]+)?\Z")
_SPACES = re.compile(r"\s+")
_NEW_ID_DATE = re.compile(r"\A(\d{2})(\d{2})\.\d{4,5}\Z")
_OLD_ID_DATE = re.compile(r"/(\d{2})(\d{2})\d{3}\Z")


def read(path: str | Path, *, max_bytes: int | None = None) -> Iterator[RawRecord | BadRecord]:
    return read_json_records(path, max_bytes=max_bytes)


def record_label(raw: RawRecord) -> str:
    data = raw.data
    return str(data.get("id")) if isinstance(data, dict) and data.get("id") else ""


def parse(raw: RawRecord) -> WorkRecord:
    """One line of the arXiv metadata snapshot as a WorkRecord."""
    data = raw.data
    if not isinstance(data, dict):
        raise ParseError(f"expected a JSON object, found {type(data).__name__}")
    parsed = data.get("authors_parsed")
    if parsed is None:
        raise ParseError("the record has no authors_parsed", field="authors_parsed")
    if not isinstance(parsed, list) or not all(isinstance(a, list) for a in parsed):
        raise ParseError("authors_parsed is not a list of names", field="authors_parsed")
    return work_record(
        raw,
        arxiv_id=data.get("id"),
        title=data.get("title"),
        abstract=data.get("abstract"),
        doi=data.get("doi"),
        categories=data.get("categories"),
        authors=parsed,
        first_date=first_version_date(data.get("versions")),
    )


def work_record(
    raw: RawRecord,
    *,
    arxiv_id: object,
    title: object,
    abstract: object,
    doi: object,
    categories: object,
    authors: list,
    first_date: datetime.date | None,
) -> WorkRecord:
    if not isinstance(arxiv_id, str) or not (clean_id := ids.arxiv_id_from(arxiv_id)):
        raise ParseError(f"{arxiv_id!r} is not an arXiv id", field="id")
    title_text = spaces(title)
    if not title_text:
        raise ParseError("the paper has no title", field="title")
    if doi is not None and not isinstance(doi, str):
        raise ParseError(f"doi {doi!r} is not text", field="doi")
    if categories is not None and not isinstance(categories, str):
        raise ParseError(f"categories {categories!r} is not text", field="categories")
    abstract_text = spaces(abstract)
    label = source_record_label(clean_id, raw.line)
    year = first_date.year if first_date else _year_from_id(clean_id)
    return WorkRecord(
        title=title_text,
        type="preprint",
        year=year,
        publication_date=first_date,
        arxiv_id=clean_id,
        doi=ids.normalize_doi(doi),
        venue=VENUE,
        abstract=abstract_text,
        code_url=first_code_url(abstract_text),
        authorships=tuple(_authorship(a, i, label) for i, a in enumerate(authors)),
        topics=tuple(TopicAssignment(category_topic(c)) for c in _categories(categories or "")),
        source_record=label,
    )


def _authorship(parts: list, position: int, label: str) -> AuthorshipRecord:
    """[last, first, suffix(, affiliation…)] → "First Last Suffix", name-only."""
    if not all(isinstance(p, str) for p in parts[:3]) or not parts:
        raise ParseError(
            f"author {position + 1} is not [last, first, suffix]", field="authors_parsed"
        )
    last, first, suffix = (_name(p) for p in (list(parts[:3]) + ["", ""])[:3])
    display_name = " ".join(p for p in (first, last, suffix) if p)
    if not display_name:
        raise ParseError(f"author {position + 1} has no name", field="authors_parsed")
    arxiv_name = ", ".join(p for p in (last, first, suffix) if p)
    author = AuthorRecord(
        display_name=display_name[:255], arxiv_name=arxiv_name[:255], source_record=label
    )
    return AuthorshipRecord(raw_author_name=display_name[:500], author=author)


def _categories(value: str) -> list[str]:
    found: list[str] = []
    for category in value.split():
        if not _CATEGORY.match(category):
            raise ParseError(f"{category!r} is not an arXiv category", field="categories")
        if category not in found:
            found.append(category)
    return found


def first_version_date(versions: object) -> datetime.date | None:
    """The date of v1 (arXiv's 'Mon, 2 Apr 2007 19:18:42 GMT'), the earliest version."""
    if versions is None or versions == []:
        return None
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise ParseError("versions is not a list of versions", field="versions")

    def number(version: dict) -> int:
        digits = str(version.get("version", "")).lstrip("v")
        return int(digits) if digits.isdigit() else 1 << 30

    first = min(versions, key=number)
    created = first.get("created")
    try:
        return email.utils.parsedate_to_datetime(created).date()
    except (TypeError, ValueError):
        raise ParseError(
            f"{first.get('version')} created {created!r} is not a date", field="versions"
        ) from None


def _year_from_id(arxiv_id: str) -> int | None:
    """arXiv ids start with the year and month of submission: 0704.0001, math/0601001."""
    match = _NEW_ID_DATE.match(arxiv_id) or _OLD_ID_DATE.search(arxiv_id)
    if not match:
        return None
    yy = int(match.group(1))
    return (1900 if yy >= 91 else 2000) + yy


def spaces(value: object) -> str:
    return _SPACES.sub(" ", value).strip() if isinstance(value, str) else ""


def _name(value: str) -> str:
    return spaces(latex_to_text(spaces(value)))
