"""BibTeX: a reader that yields one raw record per entry, and a pure `parse(raw) -> WorkRecord`.

The reader splits the file with bibtexparser 2 (default parse stack: @string references
resolved, enclosing braces and quotes removed) and keeps every entry as written, LaTeX
included. `parse` does the rest, so that it can be tested on one entry and reports a broken
entry as a `ParseError` naming the field:

- names are split with bibtexparser's own BibTeX name rules (`and`, "First von Last",
  "von Last, Jr, First"; the functions its SeparateCoAuthors and SplitNameParts middlewares
  call), then each part is turned into text;
- LaTeX in titles, venues and names goes through `bzpeer.lib.text.latex_to_text`, the same
  conversion the pages and `title_key` use (rather than bibtexparser's
  LatexDecodingMiddleware, which keeps math such as `$\\times$` as written), so a title
  imported here keys like the same title from any other source;
- DOI and arXiv id are picked out of whichever field holds them (doi, eprint, arxiv, url,
  or a journal such as "arXiv preprint arXiv:1912.11006").

Entries bibtexparser could not split (unbalanced braces, a missing comma) and entries cut
short by a stray closing brace come out of the reader as a `BadRecord` naming the entry key
and its line; bibtexparser resynchronises at the next `@`, so the rest of the file is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
from bibtexparser.middlewares.names import (
    InvalidNameError,
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import Block, Entry, ImplicitComment, ParsingFailedBlock

from bzpeer.lib.text import latex_to_text

from ..readers import (
    CORRUPT_STREAM,
    BadRecord,
    FileTooLarge,
    bad_utf8,
    corrupt_stream_message,
    open_text,
    problem_line,
    record_cap,
    too_large,
)
from ..records import (
    OTHERS,
    AuthorRecord,
    AuthorshipRecord,
    ParseError,
    RawRecord,
    VenueRecord,
    WorkRecord,
    others_authorship,
    source_record_label,
)
from . import ids

FORMAT = "bibtex"
_ENTRY = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)


def sniff(head: str) -> bool:
    """'@', or an entry after leading comments; never JSON or XML that mentions one."""
    if head[:1] in ("[", "{", "<"):
        return False
    return head.startswith("@") or _ENTRY.search(head) is not None


def read(path: str | Path, *, max_bytes: int | None = None) -> Iterator[RawRecord | BadRecord]:
    """Raw records of a .bib file (plain or gzipped), in file order.

    BibTeX has no record boundary a stream could trust (a missing brace swallows what
    follows), so the file is split as a whole; `max_bytes` bounds what that costs.
    """
    try:
        # bytes that are not UTF-8 are found entry by entry (read_string), with their line
        with open_text(path, max_bytes=max_bytes, errors="surrogateescape") as text:
            source = text.read().removeprefix("\ufeff")
    except FileTooLarge as exc:
        yield BadRecord(1, 1, str(exc), fatal=True)
        return
    except CORRUPT_STREAM as exc:
        yield BadRecord(1, 1, corrupt_stream_message(exc), fatal=True)
        return
    yield from read_string(source)


def read_string(text: str) -> Iterator[RawRecord | BadRecord]:
    """Raw records of BibTeX source text: `data` is a bibtexparser `Entry`.

    `line` is the 1-based line of the entry's `@`; `index` counts entries from 1.
    @string, @preamble, @comment and the free text between entries are not records.
    """
    blocks = bibtexparser.parse_string(text).blocks
    limit = record_cap()
    index = 0
    for position, block in enumerate(blocks):
        if isinstance(block, ParsingFailedBlock) and not _is_entry_block(block):
            continue
        if not isinstance(block, (Entry, ParsingFailedBlock)):
            continue
        index += 1
        line = (block.start_line or 0) + 1
        following = blocks[position + 1] if position + 1 < len(blocks) else None
        if len(block.raw or "") > limit:
            yield BadRecord(line, index, too_large(limit))
        elif problem := _unreadable(block.raw or ""):
            yield BadRecord(_problem_line(line, block.raw), index, problem, record=_key_of(block))
        elif isinstance(block, ParsingFailedBlock):
            yield BadRecord(line, index, _failure(block, line))
        elif problem := _cut_short(block, following, line):
            yield BadRecord(line, index, problem)
        else:
            yield RawRecord(line=line, index=index, data=block)


def _unreadable(text: str) -> str:
    """Bytes that are not UTF-8, or a NUL (PostgreSQL refuses it in any text column)."""
    if problem := bad_utf8(text):
        return problem
    return "a NUL byte in the entry: not allowed in text" if "\x00" in text else ""


def _problem_line(line: int, text: str) -> int:
    if bad_utf8(text):
        return problem_line(line, text)
    return line + text.count("\n", 0, max(text.find("\x00"), 0))


def _key_of(block: Block) -> str:
    return block.key if isinstance(block, Entry) else ""


def record_label(raw: RawRecord) -> str:
    """The entry key, to name a record in a batch's error list."""
    return raw.data.key if isinstance(raw.data, Entry) else ""


def parse(raw: RawRecord) -> WorkRecord:
    """One BibTeX entry as a WorkRecord; raises ParseError on a broken entry."""
    entry = raw.data
    if not isinstance(entry, Entry):
        raise ParseError(f"record at line {raw.line} is not a BibTeX entry", field="entry")

    where = f"entry '{entry.key}' (line {raw.line})"
    fields = {field.key.lower(): field.value for field in entry.fields}
    for name, value in fields.items():
        if not isinstance(value, str):
            raise ParseError(f"{where}: field '{name}' could not be read", field=name)
        if problem := _unreadable(value):  # from a @string macro: the entry itself was clean
            raise ParseError(f"{where}: field '{name}': {problem}", field=name)

    title = _text(fields.get("title", ""))
    if not title:
        raise ParseError(f"{where}: no title", field="title")

    entry_type = entry.entry_type.lower()
    journal = _text(fields.get("journal", ""))
    booktitle = _text(fields.get("booktitle", ""))
    arxiv_id = _arxiv_id(fields, journal)
    is_preprint = _is_arxiv_venue(journal) or (
        arxiv_id is not None and not journal and not booktitle and entry_type in _UNPUBLISHED
    )
    return WorkRecord(
        title=title,
        type=_work_type(entry_type, is_preprint=is_preprint),
        year=_year(fields.get("year", ""), where),
        doi=_doi(fields.get("doi", ""), where),
        arxiv_id=arxiv_id,
        venue=_venue(entry_type, journal, booktitle, is_preprint=is_preprint),
        abstract=fields.get("abstract", "").strip(),
        code_url=_code_url(fields.get("url", "")),
        authorships=_authorships(fields.get("author", ""), where),
        source_record=source_record_label(entry.key, raw.line),
    )


# --- reading -------------------------------------------------------------------------------

_ENTRY_HEAD = re.compile(r"@\s*(\w+)\s*[{(]\s*([^,\s{}()]*)")
# What an entry's own text looks like when an extra `}` closed the entry before its end.
_LEFTOVER_FIELDS = re.compile(r"\A\s*(?:,|\}|[\w-]+\s*=)")
_NOT_ENTRIES = {"string", "preamble", "comment"}


def _is_entry_block(block: ParsingFailedBlock) -> bool:
    head = _ENTRY_HEAD.match(block.raw or "")
    return head is None or head[1].lower() not in _NOT_ENTRIES


def _failure(block: ParsingFailedBlock, line: int) -> str:
    head = _ENTRY_HEAD.match(block.raw or "")
    entry_type, key = (head[1].lower(), head[2]) if head else ("?", "")
    reason = (getattr(block.error, "abort_reason", None) or str(block.error)).strip()
    if "looking for" in reason or "end of file" in reason:
        reason = f"unbalanced braces or quotes ({reason})"
    return f"entry '{key or '(no key)'}' (@{entry_type}, line {line}) is broken: {reason}"


def _cut_short(entry: Entry, following: Block | None, line: int) -> str:
    """An extra `}` ends an entry early and leaves its remaining fields as free text."""
    if not (isinstance(following, ImplicitComment) and _LEFTOVER_FIELDS.match(following.comment)):
        return ""
    leftover = following.comment.splitlines()[0].strip()
    return (
        f"entry '{entry.key}' (@{entry.entry_type.lower()}, line {line}) is broken: "
        f"unbalanced braces: an extra '}}' closes the entry early, leaving {leftover!r} "
        f"on line {(following.start_line or 0) + 1} outside it"
    )


# --- fields --------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_YEAR = re.compile(r"\A\d{4}\Z")
_ARXIV_VENUE = re.compile(r"\A(?:arxiv|corr)\b", re.IGNORECASE)
_CODE_HOST = re.compile(r"\Ahttps?://(?:www\.)?(?:github\.com|gitlab\.com)/\S+\Z", re.IGNORECASE)

_TYPES = {
    "article": "article",
    "inproceedings": "proceedings-article",
    "conference": "proceedings-article",
    "book": "book",
    "inbook": "book-chapter",
    "incollection": "book-chapter",
    "phdthesis": "dissertation",
    "mastersthesis": "dissertation",
    "thesis": "dissertation",
    "dataset": "dataset",
}
# Entry types an arXiv-only paper is filed under.
_UNPUBLISHED = {"article", "misc", "unpublished", "online", "preprint", "techreport", "report"}


def _text(value: str) -> str:
    return _SPACES.sub(" ", latex_to_text(_SPACES.sub(" ", value).strip())).strip()


def _year(value: str, where: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not _YEAR.match(value):
        raise ParseError(f"{where}: year {value!r} is not a four-digit year", field="year")
    return int(value)


def _is_arxiv_venue(journal: str) -> bool:
    """'arXiv preprint arXiv:2105.08584', 'arXiv', 'CoRR'."""
    return bool(_ARXIV_VENUE.match(journal))


def _arxiv_id(fields: dict[str, str], journal: str) -> str | None:
    """The arXiv id, without version, from the fields that can only mean arXiv."""
    prefix = fields.get("archiveprefix", fields.get("eprinttype", "")).strip().lower()
    url = fields.get("url", "")
    doi = fields.get("doi", "")
    candidates = (
        fields.get("eprint", "") if prefix in ("", "arxiv") else "",
        fields.get("arxiv", ""),
        journal if _is_arxiv_venue(journal) else "",
        fields.get("volume", "") if _is_arxiv_venue(journal) else "",  # CoRR abs/2105.08584
        url if "arxiv.org/" in url.lower() else "",
        doi if "10.48550/arxiv." in doi.lower() else "",
    )
    return next((found for value in candidates if (found := ids.arxiv_id_from(value))), None)


def _doi(value: str, where: str) -> str | None:
    """'https://doi.org/10.1016/J.chip.2023.100053' → '10.1016/j.chip.2023.100053'."""
    if not value.strip():
        return None
    doi = ids.normalize_doi(value)
    if doi is None:
        raise ParseError(f"{where}: doi {value.strip()!r} is not a DOI", field="doi")
    return doi


def _work_type(entry_type: str, *, is_preprint: bool) -> str:
    if is_preprint:
        return "preprint"
    return _TYPES.get(entry_type, "other")


def _venue(
    entry_type: str, journal: str, booktitle: str, *, is_preprint: bool
) -> VenueRecord | None:
    if is_preprint:
        return VenueRecord(name="arXiv", type="repository")
    if journal:
        return VenueRecord(name=journal, type="journal")
    if booktitle:
        kind = "conference" if _TYPES.get(entry_type) == "proceedings-article" else ""
        return VenueRecord(name=booktitle, type=kind)
    return None


def _code_url(url: str) -> str:
    url = url.strip()
    return url if _CODE_HOST.match(url) else ""


def _authorships(value: str, where: str) -> tuple[AuthorshipRecord, ...]:
    """'Fang, Gongfan and Mingli Song' → Gongfan Fang, Mingli Song, in byline order."""
    authorships = []
    for written in split_multiple_persons_names(value):
        written = _SPACES.sub(" ", written).strip()
        if written.lower() == "others":  # BibTeX's "et al.": said, not dropped
            if authorships and authorships[-1].raw_author_name != OTHERS:
                authorships.append(others_authorship())
            continue
        try:
            parts = parse_single_name_into_parts(written)
        except InvalidNameError as error:
            raise ParseError(
                f"{where}: author {written!r}: {error.reason}", field="author"
            ) from None
        display_name = _text(parts.merge_first_name_first)
        if not display_name:
            raise ParseError(f"{where}: author {written!r} has no name", field="author")
        # The byline keeps the form the file wrote ("Fang, Gongfan"), as text.
        authorships.append(
            AuthorshipRecord(
                raw_author_name=_text(written), author=AuthorRecord(display_name=display_name)
            )
        )
    return tuple(authorships)
