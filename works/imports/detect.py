"""Which format a file is, from its first bytes: each importer's `sniff`, in registry order.

Only the first 64 KiB are read (decompressed when gzipped), so detection costs the same
for any file size; when no importer claims the file the message says what it looked like.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from .readers import GZIP_MAGIC
from .registry import IMPORTERS

SNIFF_BYTES = 64 << 10


class FormatUnknown(ValueError):
    """The file's first bytes match none of the registry's formats."""


def detect_format(path: str | Path) -> str:
    """The registry format of a file, from its first 64 KiB (decompressed when gzipped).

    '[' or '{' with OpenAlex ids → openalex; '{' with "authors_parsed" → arxiv (the
    snapshot); '[' or '{' with Crossref's keys ("DOI" with "container-title",
    "message-type", …) → crossref; '<' with an OAI-PMH root → arxiv-oai; '@' (or a BibTeX
    entry after leading comments) → bibtex. Raises FormatUnknown saying what it looked like.
    """
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    return sniff_format(head)


def sniff_format(head: bytes) -> str:
    if head.startswith(GZIP_MAGIC):
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, SNIFF_BYTES)
        except zlib.error as exc:
            raise FormatUnknown(f"the file looks gzipped but does not decompress ({exc})") from exc
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    for importer in IMPORTERS:
        if importer.sniff(text):
            return importer.format
    first = text[:1]
    if first in ("[", "{"):
        raise FormatUnknown(
            "JSON, but neither OpenAlex records (ids https://openalex.org/…), Crossref works "
            '("DOI", "container-title", …) nor the arXiv snapshot (authors_parsed) in its '
            "first records"
        )
    if first == "<":
        raise FormatUnknown("XML, but not an OAI-PMH response")
    if "\x00" in text:
        raise FormatUnknown("binary data (NUL bytes), not a text format")
    raise FormatUnknown(
        f"unrecognised content starting {text[:40]!r}; expected JSON, JSON Lines, "
        "OAI-PMH XML or BibTeX"
    )
