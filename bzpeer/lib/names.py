"""Name normalisation shared by search, importers and name matching."""

import re
import unicodedata
from functools import lru_cache

_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)
def normalize_name(name: str) -> str:
    """'Jian-Ming  ZHAN' and 'Jián Ming Zhan' both give 'jian ming zhan'.

    Cached: an import normalises the same names over and over (every byline they are on).
    """
    if name.isascii():
        stripped = name  # nothing to decompose
    else:
        decomposed = unicodedata.normalize("NFKD", name)
        stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", _NON_WORD.sub(" ", stripped.casefold())).strip()


# Letters of other scripts that look like Latin ones (the common cases of Unicode's
# confusables list for Cyrillic and Greek). Used to flag look-alike names, never to match.
_LOOK_ALIKES = str.maketrans(
    "аеорсухіјѕԁһӏԛԝкмнтвАВЕКМНОРСТХУІЈЅαοντρικΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhlqwkmhtbABEKMHOPCTXYIJSaovtpikABEZHIKMNOPTYX",
)
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def confusable_skeleton(name: str) -> str:
    """The normalised name with look-alike letters read as Latin: 'Jоhn' (Cyrillic о) → 'john'."""
    return normalize_name(name.translate(_LOOK_ALIKES))


def mixes_scripts(name: str) -> bool:
    """True when one word mixes Latin, Cyrillic or Greek letters (a spoofing sign)."""
    for word in name.split():
        scripts = set()
        for ch in word:
            if ch.isalpha():
                script = unicodedata.name(ch, "").split(" ", 1)[0]
                if script in _SCRIPTS:
                    scripts.add(script)
        if len(scripts) > 1:
            return True
    return False
