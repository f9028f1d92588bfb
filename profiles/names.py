"""Name normalisation shared by search, importers and name matching."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


def normalize_name(name: str) -> str:
    """'Jian-Ming  ZHAN' and 'Jián Ming Zhan' both give 'jian ming zhan'."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", _NON_WORD.sub(" ", stripped.casefold())).strip()
