"""arXiv OAI-PMH XML (`arXiv` and `arXivRaw` metadata formats), streamed.

Read with defusedxml's expat parser feeding a small SAX-style target: no element tree is
built, so memory holds one record whatever the file size, and the line of each `<record>` is
expat's own `CurrentLineNumber` when the start tag is seen. A DTD, an entity declaration or
an external reference stops the file (fatal); XML that is not an OAI-PMH response, or OAI-PMH
in another metadata format, is refused with a message saying which formats are read.
Records become the same WorkRecord as the snapshot's (`arxiv.work_record`); rows they write
have source "arxiv".
"""

from __future__ import annotations

import datetime
import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser
from defusedxml.ElementTree import ParseError as XMLSyntaxError

from ..readers import BadRecord, FileTooLarge, open_text, record_cap, too_large
from ..records import ParseError, RawRecord, WorkRecord
from . import arxiv

FORMAT = arxiv.FORMAT


def sniff(head: str) -> bool:
    return head.startswith("<") and "OAI-PMH" in head[:4096]


OAI_NS = "http://www.openarchives.org/OAI/2.0/"
METADATA_NS = {"arXiv": "http://arxiv.org/OAI/arXiv/", "arXivRaw": "http://arxiv.org/OAI/arXivRaw/"}
XML_CHUNK_CHARS = 1 << 16
# Leaf elements of a record whose text is kept, by metadata format.
_OAI_FIELDS = {
    "id",
    "title",
    "abstract",
    "categories",
    "doi",
    "journal-ref",
    "created",
    "authors",
}


class _OaiTarget:
    """Collects one record at a time from expat's callbacks; finished records queue up."""

    def __init__(self) -> None:
        self.parser: DefusedXMLParser | None = None
        self.records: deque[RawRecord | BadRecord] = deque()
        self.index = 0
        self.depth = 0
        self.root_checked = False
        self.current: dict | None = None
        self.author: list[str] | None = None
        self.version: dict | None = None
        self.text: list[str] = []
        # Characters of text held for the current record (or, outside one, the element):
        # past the cap the record is dropped and reported, and its text no longer kept.
        self.limit = record_cap()
        self.size = 0
        self.oversized: tuple[int, int] | None = None  # (line, index) of a dropped record

    def line(self) -> int:
        return self.parser.parser.CurrentLineNumber if self.parser else 0

    def start(self, tag: str, attrib: dict) -> None:
        ns, local = _split(tag)
        self.depth += 1
        self.text = []
        if self.current is None:
            self.size = 0
        if not self.root_checked:
            self.root_checked = True
            if (ns, local) != (OAI_NS, "OAI-PMH"):
                raise _NotOai(f"the XML root is <{local}>, not an OAI-PMH response")
            return
        if ns == OAI_NS and local == "record":
            self.index += 1
            self.current = {"line": self.line(), "deleted": False, "versions": []}
            return
        if ns == OAI_NS and local == "error":
            self.current = None
            self.error_code = attrib.get("code", "")
            return
        record = self.current
        if record is None:
            return
        if ns == OAI_NS and local == "header" and attrib.get("status") == "deleted":
            record["deleted"] = True
        elif ns != OAI_NS and "format" not in record:
            # the first element inside <metadata> names the metadata format
            record["format"] = next((f for f, u in METADATA_NS.items() if u == ns), local)
        elif local == "author" and ns != OAI_NS:
            self.author = ["", "", ""]
        elif local == "version":
            self.version = {"version": attrib.get("version", ""), "created": ""}

    def data(self, text: str) -> None:
        if self.oversized:
            return
        self.size += len(text)
        if self.size > self.limit:
            if self.current is None:
                raise _RecordTooLarge(too_large(self.limit))
            self.oversized = (self.current["line"], self.index)
            self.current, self.author, self.version, self.text = None, None, None, []
            return
        self.text.append(text)

    def end(self, tag: str) -> None:
        ns, local = _split(tag)
        self.depth -= 1
        text, self.text = "".join(self.text), []
        if self.oversized and ns == OAI_NS and local == "record":
            line, index = self.oversized
            self.records.append(BadRecord(line, index, too_large(self.limit)))
            self.oversized, self.size = None, 0
            return
        if ns == OAI_NS and local == "error":
            code = getattr(self, "error_code", "")
            if code != "noRecordsMatch":
                raise _NotOai(f"the OAI-PMH response is an error: {code} {text.strip()}".strip())
            return
        record = self.current
        if record is None:
            return
        if ns == OAI_NS:
            if local == "identifier":
                record["identifier"] = text.strip()
            elif local == "record":
                line = record.pop("line")
                self.records.append(RawRecord(line=line, index=self.index, data=record))
                self.current, self.size = None, 0
            return
        if self.author is not None:
            slot = {"keyname": 0, "forenames": 1, "suffix": 2}.get(local)
            if slot is not None:
                self.author[slot] = text
            elif local == "author":
                record.setdefault("authors_parsed", []).append(self.author)
                self.author = None
        elif self.version is not None:
            if local == "date":
                self.version["created"] = text.strip()
            elif local == "version":
                record["versions"].append(self.version)
                self.version = None
        elif local in _OAI_FIELDS:
            record[local] = text

    def close(self) -> None:
        return None


class _NotOai(Exception):
    pass


class _RecordTooLarge(Exception):
    pass


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def read(path: str | Path, *, max_bytes: int | None = None) -> Iterator[RawRecord | BadRecord]:
    """Records of an OAI-PMH ListRecords/GetRecord response, streamed.

    `data` is a dict of the record's fields (see `_OaiTarget`); `line` is where its `<record>`
    starts. Anything that makes the rest of the file unreadable is one fatal BadRecord.
    """
    target = _OaiTarget()
    parser = DefusedXMLParser(
        target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    target.parser = parser
    lines_fed = 0

    def fatal(message: str, line: int | None = None) -> BadRecord:
        return BadRecord(line or target.line() or 1, target.index + 1, message, fatal=True)

    try:
        with open_text(path, max_bytes=max_bytes) as text:
            while chunk := text.read(XML_CHUNK_CHARS):
                if (nul := chunk.find("\x00")) >= 0:
                    yield fatal("NUL byte in the XML", lines_fed + chunk.count("\n", 0, nul) + 1)
                    return
                parser.feed(chunk)
                lines_fed += chunk.count("\n")
                while target.records:
                    yield target.records.popleft()
            parser.close()
            while target.records:
                yield target.records.popleft()
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as exc:
        yield fatal(_refusal(exc))
    except XMLSyntaxError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        message = str(exc).split(": line ")[0]
        if message.startswith("no element found") or message.startswith("unclosed token"):
            message = f"the file ends before the XML does ({message})"
        yield fatal(f"invalid XML: {message}", line)
    except _RecordTooLarge as exc:
        yield fatal(str(exc))
    except _NotOai as exc:
        yield fatal(f"{exc}; this reads arXiv OAI-PMH responses (metadataPrefix arXiv or arXivRaw)")
    except UnicodeDecodeError as exc:
        yield fatal(f"invalid UTF-8 ({exc.reason})", lines_fed + 1)
    except FileTooLarge as exc:
        yield fatal(str(exc))


def _refusal(exc: Exception) -> str:
    if isinstance(exc, DTDForbidden):
        what = f"a document type declaration (<!DOCTYPE {exc.name}>)"
    elif isinstance(exc, EntitiesForbidden):
        what = f"an entity declaration (<!ENTITY {exc.name}>)"
    else:
        what = f"an external reference ({exc.sysid or exc.pubid})"
    return (
        f"refused: the XML contains {what}; DTDs, entities and external references are never "
        "read (they can expand without bound or reach other files)"
    )


def record_label(raw: RawRecord) -> str:
    data = raw.data
    if not isinstance(data, dict):
        return ""
    return str(data.get("id") or data.get("identifier") or "")


def parse(raw: RawRecord) -> WorkRecord | None:
    """One OAI-PMH record (arXiv or arXivRaw metadata) as a WorkRecord; deleted ones → None."""
    data = raw.data
    if not isinstance(data, dict):
        raise ParseError("not an OAI-PMH record")
    if data.get("deleted"):
        return None
    metadata_format = data.get("format")
    if metadata_format not in METADATA_NS:
        raise ParseError(
            f"metadata format {metadata_format or '(none)'!r} is not read; harvest with "
            "metadataPrefix=arXiv or arXivRaw",
            field="metadata",
        )
    if metadata_format == "arXiv":
        authors = data.get("authors_parsed") or []
        first_date = _iso_date(data.get("created"), "created")
    else:
        authors = split_author_names(data.get("authors") or "")
        first_date = arxiv.first_version_date(data.get("versions"))
    return arxiv.work_record(
        raw,
        arxiv_id=data.get("id") or data.get("identifier"),
        title=data.get("title"),
        abstract=data.get("abstract"),
        doi=data.get("doi"),
        categories=data.get("categories"),
        authors=authors,
        first_date=first_date,
    )


def split_author_names(value: str) -> list[list[str]]:
    """An arXivRaw author line → [[last, first, suffix], …].

    'C. Bal\\'azs, E. L. Berger and C.-P. Yuan (ANL)': affiliations in parentheses dropped,
    names split on commas, semicolons, 'and' and '&', the last word (with a particle such as
    'van' or 'de' before it) taken as the surname, Jr/Sr/II/III/IV as the suffix.
    """
    text = _drop_parentheses(value)
    names = []
    for written in re.split(r",|;|\band\b|&", text):
        words = arxiv.spaces(written).split(" ")
        words = [w for w in words if w]
        if not words:
            continue
        suffix = ""
        if len(words) > 1 and words[-1].rstrip(".").lower() in _SUFFIXES:
            suffix = words.pop()
        cut = len(words) - 1
        while cut > 1 and words[cut - 1].lower() in _PARTICLES:
            cut -= 1
        names.append([" ".join(words[cut:]), " ".join(words[:cut]), suffix])
    return names


_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
_PARTICLES = {"van", "von", "de", "der", "den", "da", "del", "della", "di", "du", "la", "le"}


def _drop_parentheses(text: str) -> str:
    kept, depth = [], 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif not depth:
            kept.append(char)
    return "".join(kept)


def _iso_date(value: object, field: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ParseError(f"{value!r} is not a date", field=field) from None
