"""The normalised record types every importer produces and the loader consumes.

Parsers are pure: raw source dict in, one of these frozen dataclasses out. Nothing here
touches the database.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from bzpeer.lib.names import clean_name


class ParseError(ValueError):
    """A record that cannot be imported; `field` names the offending field when known."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class RawRecord:
    """One record as read from a file, with where it starts (1-based line, 1-based index)."""

    line: int
    index: int
    data: object


@dataclass(frozen=True)
class InstitutionRecord:
    display_name: str
    openalex_id: str | None = None
    ror: str | None = None
    country_code: str = ""
    type: str = ""
    homepage_url: str = ""
    parent_openalex_id: str | None = None


@dataclass(frozen=True)
class VenueRecord:
    name: str
    openalex_id: str | None = None
    issn_l: str = ""
    type: str = ""


@dataclass(frozen=True)
class TopicRecord:
    source: str
    external_id: str
    name: str
    level: str = ""
    parent: TopicRecord | None = None


@dataclass(frozen=True)
class AuthorRecord:
    """An author, either a whole author entity or the author named on a work."""

    display_name: str
    openalex_id: str | None = None
    orcid: str | None = None
    dblp_pid: str | None = None
    arxiv_name: str = ""
    name_variants: tuple[str, ...] = ()
    last_known_institution: InstitutionRecord | None = None
    # every institution the source lists for the author, the last known one first
    institutions: tuple[InstitutionRecord, ...] = ()
    # Provenance, see WorkRecord.source_record.
    source_record: str = ""

    def __post_init__(self) -> None:
        # Names are stored NFC without bidi controls or zero-width characters, whichever
        # parser made the record; the printed name stays as the source wrote it in
        # AuthorshipRecord.raw_author_name (Authorship.raw_author_name).
        for name in ("display_name", "arxiv_name"):
            object.__setattr__(self, name, clean_name(getattr(self, name)))
        if self.name_variants:
            variants = tuple(dict.fromkeys(v for v in map(clean_name, self.name_variants) if v))
            object.__setattr__(self, "name_variants", variants)

    @property
    def has_persistent_id(self) -> bool:
        return bool(self.openalex_id or self.orcid or self.dblp_pid)


@dataclass(frozen=True)
class AuthorshipRecord:
    raw_author_name: str
    author: AuthorRecord | None
    is_corresponding: bool = False
    institutions: tuple[InstitutionRecord, ...] = ()


# The byline slot standing for authors the source did not list (BibTeX's "and others", a
# publication list naming only its owner, a byline OpenAlex truncated): no author, shown as
# "co-authors not imported" rather than leaving the listed names looking like the whole byline.
OTHERS = "others"  # = works.models.records.UNLISTED_COAUTHORS (records stay ORM-free)


def others_authorship() -> AuthorshipRecord:
    return AuthorshipRecord(raw_author_name=OTHERS, author=None)


@dataclass(frozen=True)
class TopicAssignment:
    topic: TopicRecord
    score: float = 1.0
    # guessed by the keyword taxonomy, not given by the source: fills a work with no topics,
    # never changes the topics a source gave (works.imports.loader.works)
    inferred: bool = False


@dataclass(frozen=True)
class WorkRecord:
    title: str
    type: str = "article"
    year: int | None = None
    publication_date: datetime.date | None = None
    openalex_id: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    venue: VenueRecord | None = None
    abstract: str = ""
    code_url: str = ""
    # None: the source gives no count (shown as nothing, not as "cited by 0")
    cited_by_count: int | None = None
    language: str = ""
    authorships: tuple[AuthorshipRecord, ...] = ()
    topics: tuple[TopicAssignment, ...] = field(default=())
    # Provenance: which record of the file this came from, shown on profiles and kept on the
    # rows the loader creates (Work/Author/Authorship.source_record). Every parser fills it
    # with `source_record_label(<id or key>, raw.line)`: the OpenAlex id, the arXiv id or
    # the BibTeX key (arXiv and BibTeX parsers: please fill it the same way).
    source_record: str = ""
    # What Crossref says beyond the Work columns (ISSNs, ISBNs, full-text links, the licence
    # URL): parsed and kept on the record for the field-level merge; not stored yet.
    issns: tuple[str, ...] = ()
    isbns: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    license_url: str = ""

    @property
    def has_persistent_id(self) -> bool:
        return bool(self.openalex_id or self.doi or self.arxiv_id)


def source_record_label(key: str, line: int) -> str:
    """'W2741809807 (line 12)': the record's own id or key and where it starts in the file."""
    return f"{key} (line {line})"[:255] if key else f"line {line}"


_warnings: ContextVar[list[str] | None] = ContextVar("parse_warnings", default=None)


def parse_warning(message: str) -> None:
    """Notes what a parser dropped from the record it is parsing (an ORCID whose check digit
    is wrong, a malformed author id). The import service collects these per record
    (`parse_warnings_collected`) and reports them with the record's line; outside a parse
    it is a no-op."""
    sink = _warnings.get()
    if sink is not None:
        sink.append(message)


@contextmanager
def parse_warnings_collected() -> Iterator[list[str]]:
    sink: list[str] = []
    token = _warnings.set(sink)
    try:
        yield sink
    finally:
        _warnings.reset(token)


ParsedRecord = WorkRecord | AuthorRecord | InstitutionRecord | VenueRecord | TopicRecord
