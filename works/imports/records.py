"""The normalised record types every importer produces and the loader consumes.

Parsers are pure: raw source dict in, one of these frozen dataclasses out. Nothing here
touches the database.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


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

    @property
    def has_persistent_id(self) -> bool:
        return bool(self.openalex_id or self.orcid or self.dblp_pid)


@dataclass(frozen=True)
class AuthorshipRecord:
    raw_author_name: str
    author: AuthorRecord | None
    is_corresponding: bool = False
    institutions: tuple[InstitutionRecord, ...] = ()


@dataclass(frozen=True)
class TopicAssignment:
    topic: TopicRecord
    score: float = 1.0


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
    cited_by_count: int = 0
    language: str = ""
    authorships: tuple[AuthorshipRecord, ...] = ()
    topics: tuple[TopicAssignment, ...] = field(default=())
    # Provenance: which record of the file this came from, shown on profiles and kept on the
    # rows the loader creates (Work/Author/Authorship.source_record). Every parser fills it
    # with `source_record_label(<id or key>, raw.line)`: the OpenAlex id, the arXiv id or
    # the BibTeX key (arXiv and BibTeX parsers: please fill it the same way).
    source_record: str = ""

    @property
    def has_persistent_id(self) -> bool:
        return bool(self.openalex_id or self.doi or self.arxiv_id)


def source_record_label(key: str, line: int) -> str:
    """'W2741809807 (line 12)': the record's own id or key and where it starts in the file."""
    return f"{key} (line {line})"[:255] if key else f"line {line}"


ParsedRecord = WorkRecord | AuthorRecord | InstitutionRecord | VenueRecord | TopicRecord
