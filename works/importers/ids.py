"""Persistent identifiers, normalised and validated: DOI, arXiv, ORCID, ROR, OpenAlex."""

from __future__ import annotations

import re

from .records import parse_warning

_DOI = re.compile(r"(10\.\d{4,9}/\S+)", re.IGNORECASE)
_ARXIV_NEW = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d.])")
_ARXIV_OLD = re.compile(r"\b([a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?\b")
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.IGNORECASE)
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


def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 11-2, as ORCID specifies for the last character."""
    digits = orcid.replace("-", "")
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    return digits[-1].upper() == ("X" if check == 10 else str(check))


def normalize_orcid(value: str | None) -> str | None:
    """'https://orcid.org/0000-0002-7296-5413' → '0000-0002-7296-5413'; None if invalid."""
    if not value:
        return None
    match = _ORCID.search(value) if isinstance(value, str) else None
    if not match:
        parse_warning(f"{value!r} is not an ORCID iD: dropped")
        return None
    orcid = match.group(1).upper()
    if not orcid_checksum_ok(orcid):
        parse_warning(f"ORCID iD {orcid} fails its check digit: dropped")
        return None
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
