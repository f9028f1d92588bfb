"""Name normalisation shared by search, importers and name matching; names for display and
slugs."""

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii
from django.utils.text import slugify

_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")

# Bidi controls (embeddings, overrides, isolates, marks) and zero-width characters: invisible,
# they flip a heading (U+202E) or split a word for search (U+200B), never part of a name.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
ZERO_WIDTH = "\u200b\u2060\ufeff\u180e"
_INVISIBLE = str.maketrans(dict.fromkeys(BIDI_CONTROLS + ZERO_WIDTH))
# ZWNJ/ZWJ shape Persian and Indic words; only between two letters of such a script do they
# belong to the name
_JOINER_OUT_OF_PLACE = re.compile(
    r"(?:(?<=[\x00-\x7f])|^)[\u200c\u200d]+|[\u200c\u200d]+(?=[\x00-\x7f]|$)"
)


def clean_name(name: str) -> str:
    """A name as stored: NFC, bidi controls and zero-width characters removed, spaces
    collapsed. 'Jose\u0301\u200b Alvarez' → 'José Alvarez'."""
    if name.isascii():
        return " ".join(name.split())
    name = unicodedata.normalize("NFC", name).translate(_INVISIBLE)
    name = _JOINER_OUT_OF_PLACE.sub("", name)
    return " ".join(name.split())


@lru_cache(maxsize=1 << 16)
def normalize_name(name: str) -> str:
    """'Jian-Ming  ZHAN' and 'Jián Ming Zhan' both give 'jian ming zhan'.

    Cached: an import normalises the same names over and over (every byline they are on).
    """
    if name.isascii():
        stripped = name  # nothing to decompose
    else:
        decomposed = unicodedata.normalize("NFKD", clean_name(name)).replace("\u200c", "")
        decomposed = decomposed.replace("\u200d", "")
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


# --- display ---------------------------------------------------------------------------------

# Name suffixes that BibTeX writes as the middle part of "von Last, Jr, First" and Crossref
# in "suffix".
SUFFIXES = frozenset(
    {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v", "vi", "2nd", "3rd", "junior", "senior"}
)


_ORGANISATION = re.compile(
    r"\d|\b(?:collaboration|consortium|group|team|university|institute|department|"
    r"laborator(?:y|ies)|lab|centre|center|society|association|committee|project|network|"
    r"inc|ltd|gmbh|corporation|company)\b",
    re.IGNORECASE,
)


def person_name(name: str) -> str:
    """A printed name as "First Last", whatever order the source printed it in.

    'Li, Haoling' → 'Haoling Li'; 'van der Berg, Jan' → 'Jan van der Berg'; 'Smith, III,
    Amos B.' and 'Smith, Amos B., III' → 'Amos B. Smith III'; 'Sheherazade' stays; a name
    with more commas than a person's ('Rodgers, Belt, Ed' lists three people) stays as
    printed.
    """
    name = clean_name(name).strip(" ,")
    if "," not in name:
        return name
    parts = [p.strip() for p in name.split(",")]
    if any(not p or len(p.split()) > 6 for p in parts) or _ORGANISATION.search(name):
        return name  # "ATLAS Collaboration, CERN" is not "CERN ATLAS Collaboration"
    if len(parts) == 2:
        last, first = parts
        if first.lower() in SUFFIXES:
            return f"{last} {first}"
        return f"{first} {last}"
    if len(parts) == 3:
        last, middle, first = parts
        if middle.lower() in SUFFIXES:
            return f"{first} {last} {middle}"
        if first.lower() in SUFFIXES:
            return f"{middle} {last} {first}"
    return name


# Scripts written without spaces between a name's syllables: each character is romanised
# as a word of its own, so '王小明' gives 'wang-xiao-ming', not 'wangxiaoming'.
_SYLLABIC = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af])")


def name_slug(name: str, *, max_length: int = 100) -> str:
    """A readable ASCII slug for any name: 'Gauß' → 'gauss', 'Søren Østergaard' →
    'soren-ostergaard', '王小明' → 'wang-xiao-ming'; 'researcher' only when nothing of the
    name can be written in Latin letters."""
    name = clean_name(name)
    if not name.isascii():
        name = anyascii(_SYLLABIC.sub(r" \1 ", name))
    return slugify(name)[:max_length].strip("-") or "researcher"
