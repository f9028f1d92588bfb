"""ORCID iDs, one normalisation for every app: what an import stores and what a sign-in
proves are compared in this form, so a typo'd iD (bad check digit) matches nothing."""

from __future__ import annotations

import re

ORCID_PATTERN = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.IGNORECASE)


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
    match = ORCID_PATTERN.search(value)
    if not match:
        return None
    orcid = match.group(1).upper()
    return orcid if orcid_checksum_ok(orcid) else None
