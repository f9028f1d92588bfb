"""The import formats: one typed entry per source, the only list of them.

A new source is one module under `sources/` (read, parse, record_label, sniff) and one entry
here, plus its value in ImportBatch.Format (the admin's choices; a test keeps the two equal).
Detection asks each entry's `sniff` in this order and takes the first that says yes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .readers import BadRecord
from .records import ParsedRecord, RawRecord
from .sources import arxiv, arxiv_oai, bibtex, crossref, openalex


@dataclass(frozen=True)
class Importer:
    format: str  # ImportBatch.format, the --format choice
    label: str  # how a person names it
    source: str  # the `source` column of the rows it writes
    # the file's first 64 KiB as text (decompressed, BOM and leading blanks stripped) → is it
    # this format?
    sniff: Callable[[str], bool]
    read: Callable[..., Iterator[RawRecord | BadRecord]]  # (path, *, max_bytes)
    parse: Callable[[RawRecord], ParsedRecord | None]  # None: a record kind not kept
    record_label: Callable[[RawRecord], str]  # names a record in error messages


# Detection order: the arXiv snapshot and Crossref before OpenAlex (all JSON; a snapshot line
# or a Crossref work may quote an OpenAlex URL, an OpenAlex record never has authors_parsed
# nor Crossref's hyphenated keys).
IMPORTERS: tuple[Importer, ...] = (
    Importer(
        format="arxiv",
        label="arXiv metadata snapshot (JSON Lines)",
        source=arxiv.FORMAT,
        sniff=arxiv.sniff,
        read=arxiv.read,
        parse=arxiv.parse,
        record_label=arxiv.record_label,
    ),
    Importer(
        format="arxiv-oai",
        label="arXiv OAI-PMH XML (arXiv / arXivRaw)",
        source=arxiv_oai.FORMAT,
        sniff=arxiv_oai.sniff,
        read=arxiv_oai.read,
        parse=arxiv_oai.parse,
        record_label=arxiv_oai.record_label,
    ),
    Importer(
        format="crossref",
        label="Crossref works (a /works response, a list or JSON Lines)",
        source=crossref.FORMAT,
        sniff=crossref.sniff,
        read=crossref.read,
        parse=crossref.parse,
        record_label=crossref.record_label,
    ),
    Importer(
        format="openalex",
        label="OpenAlex (JSON array or JSON Lines)",
        source=openalex.FORMAT,
        sniff=openalex.sniff,
        read=openalex.read,
        parse=openalex.parse,
        record_label=openalex.record_label,
    ),
    Importer(
        format="bibtex",
        label="BibTeX",
        source=bibtex.FORMAT,
        sniff=bibtex.sniff,
        read=bibtex.read,
        parse=bibtex.parse,
        record_label=bibtex.record_label,
    ),
)
FORMATS = tuple(importer.format for importer in IMPORTERS)


def importer_for(format: str) -> Importer:
    for importer in IMPORTERS:
        if importer.format == format:
            return importer
    raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
