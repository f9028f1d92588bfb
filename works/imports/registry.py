"""The import formats: one typed entry per source, the only list of them.

A new source is one module under `sources/` (read, parse, record_label, sniff) and one entry
here, plus its value in ImportBatch.Format (the admin's choices; a test keeps the two equal).
Detection asks each entry's `sniff` in this order and takes the first that says yes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType

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

    @classmethod
    def of(cls, source: ModuleType, *, format: str, label: str) -> Importer:
        """The entry of a module under `sources/`, which provides FORMAT (the rows' `source`),
        sniff, read, parse and record_label."""
        return cls(
            format=format,
            label=label,
            source=source.FORMAT,
            sniff=source.sniff,
            read=source.read,
            parse=source.parse,
            record_label=source.record_label,
        )


# Detection order: the arXiv snapshot and Crossref before OpenAlex (all JSON; a snapshot line
# or a Crossref work may quote an OpenAlex URL, an OpenAlex record never has authors_parsed
# nor Crossref's hyphenated keys).
IMPORTERS: tuple[Importer, ...] = (
    Importer.of(arxiv, format="arxiv", label="arXiv metadata snapshot (JSON Lines)"),
    Importer.of(arxiv_oai, format="arxiv-oai", label="arXiv OAI-PMH XML (arXiv / arXivRaw)"),
    Importer.of(
        crossref,
        format="crossref",
        label="Crossref works (a /works response, a list or JSON Lines)",
    ),
    Importer.of(openalex, format="openalex", label="OpenAlex (JSON array or JSON Lines)"),
    Importer.of(bibtex, format="bibtex", label="BibTeX"),
)
FORMATS = tuple(importer.format for importer in IMPORTERS)


def importer_for(format: str) -> Importer:
    for importer in IMPORTERS:
        if importer.format == format:
            return importer
    raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
