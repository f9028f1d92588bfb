"""Persistent identifiers, normalised and validated: DOI, arXiv, ORCID, ROR, OpenAlex."""

from __future__ import annotations

import re

from bzpeer.lib import ids as shared_ids

from ..records import parse_warning

_DOI = re.compile(r"(10\.\d{4,9}/\S+)", re.IGNORECASE)
_ARXIV_NEW = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d.])")
_ARXIV_OLD = re.compile(r"\b([a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?\b")
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_OPENALEX = re.compile(r"(?:https?://openalex\.org/)?([WAISTCPF]\d+)$", re.IGNORECASE)
_ROR = re.compile(r"(?:https?://ror\.org/)?(0[a-z0-9]{6}\d{2})$", re.IGNORECASE)


def normalize_doi(value: str | None) -> str | None:
    """'https://doi.org/10.1186/S40537-021-00444-8' → '10.1186/s40537-021-00444-8'."""
    if not value:
        return None
    match = _DOI.search(value.strip())
    return match.group(1).rstrip(".,;").lower() if match else None


def arxiv_id_from(value: str | None) -> str | None:
    """An arXiv id without its version, from an id, a URL, an arXiv DOI or 'arXiv:…' text."""
    if not value:
        return None
    doi = normalize_doi(value)
    if doi and (match := _ARXIV_DOI.match(doi)):
        value = match.group(1)
    for pattern in (_ARXIV_NEW, _ARXIV_OLD):
        if match := pattern.search(value):
            return match.group(1)
    return None


def normalize_orcid(value: str | None) -> str | None:
    """The one ORCID rule (bzpeer.lib.ids), and a warning naming what an import dropped."""
    if not value:
        return None
    orcid = shared_ids.normalize_orcid(value) if isinstance(value, str) else None
    if orcid is None:
        if isinstance(value, str) and (found := shared_ids.ORCID_PATTERN.search(value)):
            parse_warning(f"ORCID iD {found.group(1).upper()} fails its check digit: dropped")
        else:
            parse_warning(f"{value!r} is not an ORCID iD: dropped")
    return orcid


def openalex_id(value: str | None) -> str | None:
    """'https://openalex.org/W3140854437' → 'W3140854437'."""
    if not value or not isinstance(value, str):
        return None
    match = _OPENALEX.search(value.strip())
    return match.group(1).upper() if match else None


def normalize_ror(value: str | None) -> str | None:
    if not value:
        return None
    match = _ROR.search(value.strip())
    return match.group(1).lower() if match else None
