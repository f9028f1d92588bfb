"""arXiv: the metadata snapshot (JSON Lines) and OAI-PMH XML (`arXiv`, `arXivRaw` formats).

Both become the same `WorkRecord`:

- `arxiv_id` without its version; title and abstract whitespace-normalised, LaTeX kept as
  written (pages render it); type "preprint", venue arXiv (a repository);
- year and publication date from the first version (v1 `created`), else from the id;
- DOI normalised; the journal reference has no place in a WorkRecord and is not kept;
- authors in byline order as name-only authors ("First Last", `arxiv_name` "Last, First");
  the loader decides whether a name joins an existing author;
- each category ("cs.LG") a topic of source "arxiv" under its archive ("cs"), named as
  `works.topics` names it, else as arXiv's taxonomy does (`CATEGORY_NAMES`).

The snapshot is read with the shared streaming JSON reader. OAI-PMH XML is read with
defusedxml's expat parser feeding a small SAX-style target: no element tree is built, so
memory holds one record whatever the file size, and the line of each `<record>` is expat's
own `CurrentLineNumber` when the start tag is seen. A DTD, an entity declaration or an
external reference stops the file (fatal); XML that is not an OAI-PMH response, or OAI-PMH
in another metadata format, is refused with a message saying which formats are read.
"""

from __future__ import annotations

import datetime
import email.utils
import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser
from defusedxml.ElementTree import ParseError as XMLSyntaxError

from works import topics as keyword_topics
from works.text import latex_to_text

from . import ids
from .openalex import first_code_url
from .readers import BadRecord, FileTooLarge, open_text, read_json_records, record_cap, too_large
from .records import (
    AuthorRecord,
    AuthorshipRecord,
    ParseError,
    RawRecord,
    TopicAssignment,
    TopicRecord,
    VenueRecord,
    WorkRecord,
    source_record_label,
)

FORMAT = "arxiv"
VENUE = VenueRecord(name="arXiv", type="repository")

# arXiv's archives (https://arxiv.org/category_taxonomy), the old ones merged since included.
ARCHIVE_NAMES = {
    "astro-ph": "Astrophysics",
    "cond-mat": "Condensed Matter",
    "cs": "Computer Science",
    "econ": "Economics",
    "eess": "Electrical Engineering and Systems Science",
    "gr-qc": "General Relativity and Quantum Cosmology",
    "hep-ex": "High Energy Physics - Experiment",
    "hep-lat": "High Energy Physics - Lattice",
    "hep-ph": "High Energy Physics - Phenomenology",
    "hep-th": "High Energy Physics - Theory",
    "math": "Mathematics",
    "math-ph": "Mathematical Physics",
    "nlin": "Nonlinear Sciences",
    "nucl-ex": "Nuclear Experiment",
    "nucl-th": "Nuclear Theory",
    "physics": "Physics",
    "q-bio": "Quantitative Biology",
    "q-fin": "Quantitative Finance",
    "quant-ph": "Quantum Physics",
    "stat": "Statistics",
    # archives arXiv has since folded into others; old papers still carry them
    "acc-phys": "Accelerator Physics",
    "adap-org": "Adaptation, Noise, and Self-Organizing Systems",
    "alg-geom": "Algebraic Geometry",
    "ao-sci": "Atmospheric-Oceanic Sciences",
    "atom-ph": "Atomic, Molecular and Optical Physics",
    "bayes-an": "Bayesian Analysis",
    "chao-dyn": "Chaotic Dynamics",
    "chem-ph": "Chemical Physics",
    "cmp-lg": "Computation and Language",
    "comp-gas": "Cellular Automata and Lattice Gases",
    "dg-ga": "Differential Geometry",
    "funct-an": "Functional Analysis",
    "mtrl-th": "Materials Theory",
    "patt-sol": "Pattern Formation and Solitons",
    "plasm-ph": "Plasma Physics",
    "q-alg": "Quantum Algebra and Topology",
    "solv-int": "Exactly Solvable and Integrable Systems",
    "supr-con": "Superconductivity",
}

CATEGORY_NAMES = {
    "astro-ph.CO": "Cosmology and Nongalactic Astrophysics",
    "astro-ph.EP": "Earth and Planetary Astrophysics",
    "astro-ph.GA": "Astrophysics of Galaxies",
    "astro-ph.HE": "High Energy Astrophysical Phenomena",
    "astro-ph.IM": "Instrumentation and Methods for Astrophysics",
    "astro-ph.SR": "Solar and Stellar Astrophysics",
    "cond-mat.dis-nn": "Disordered Systems and Neural Networks",
    "cond-mat.mes-hall": "Mesoscale and Nanoscale Physics",
    "cond-mat.mtrl-sci": "Materials Science",
    "cond-mat.other": "Other Condensed Matter",
    "cond-mat.quant-gas": "Quantum Gases",
    "cond-mat.soft": "Soft Condensed Matter",
    "cond-mat.stat-mech": "Statistical Mechanics",
    "cond-mat.str-el": "Strongly Correlated Electrons",
    "cond-mat.supr-con": "Superconductivity",
    "cs.AI": "Artificial Intelligence",
    "cs.AR": "Hardware Architecture",
    "cs.CC": "Computational Complexity",
    "cs.CE": "Computational Engineering, Finance, and Science",
    "cs.CG": "Computational Geometry",
    "cs.CL": "Computation and Language",
    "cs.CR": "Cryptography and Security",
    "cs.CV": "Computer Vision and Pattern Recognition",
    "cs.CY": "Computers and Society",
    "cs.DB": "Databases",
    "cs.DC": "Distributed, Parallel, and Cluster Computing",
    "cs.DL": "Digital Libraries",
    "cs.DM": "Discrete Mathematics",
    "cs.DS": "Data Structures and Algorithms",
    "cs.ET": "Emerging Technologies",
    "cs.FL": "Formal Languages and Automata Theory",
    "cs.GL": "General Literature",
    "cs.GR": "Graphics",
    "cs.GT": "Computer Science and Game Theory",
    "cs.HC": "Human-Computer Interaction",
    "cs.IR": "Information Retrieval",
    "cs.IT": "Information Theory",
    "cs.LG": "Machine Learning",
    "cs.LO": "Logic in Computer Science",
    "cs.MA": "Multiagent Systems",
    "cs.MM": "Multimedia",
    "cs.MS": "Mathematical Software",
    "cs.NA": "Numerical Analysis",
    "cs.NE": "Neural and Evolutionary Computing",
    "cs.NI": "Networking and Internet Architecture",
    "cs.OH": "Other Computer Science",
    "cs.OS": "Operating Systems",
    "cs.PF": "Performance",
    "cs.PL": "Programming Languages",
    "cs.RO": "Robotics",
    "cs.SC": "Symbolic Computation",
    "cs.SD": "Sound",
    "cs.SE": "Software Engineering",
    "cs.SI": "Social and Information Networks",
    "cs.SY": "Systems and Control",
    "econ.EM": "Econometrics",
    "econ.GN": "General Economics",
    "econ.TH": "Theoretical Economics",
    "eess.AS": "Audio and Speech Processing",
    "eess.IV": "Image and Video Processing",
    "eess.SP": "Signal Processing",
    "eess.SY": "Systems and Control",
    "math.AC": "Commutative Algebra",
    "math.AG": "Algebraic Geometry",
    "math.AP": "Analysis of PDEs",
    "math.AT": "Algebraic Topology",
    "math.CA": "Classical Analysis and ODEs",
    "math.CO": "Combinatorics",
    "math.CT": "Category Theory",
    "math.CV": "Complex Variables",
    "math.DG": "Differential Geometry",
    "math.DS": "Dynamical Systems",
    "math.FA": "Functional Analysis",
    "math.GM": "General Mathematics",
    "math.GN": "General Topology",
    "math.GR": "Group Theory",
    "math.GT": "Geometric Topology",
    "math.HO": "History and Overview",
    "math.IT": "Information Theory",
    "math.KT": "K-Theory and Homology",
    "math.LO": "Logic",
    "math.MG": "Metric Geometry",
    "math.MP": "Mathematical Physics",
    "math.NA": "Numerical Analysis",
    "math.NT": "Number Theory",
    "math.OA": "Operator Algebras",
    "math.OC": "Optimization and Control",
    "math.PR": "Probability",
    "math.QA": "Quantum Algebra",
    "math.RA": "Rings and Algebras",
    "math.RT": "Representation Theory",
    "math.SG": "Symplectic Geometry",
    "math.SP": "Spectral Theory",
    "math.ST": "Statistics Theory",
    "nlin.AO": "Adaptation and Self-Organizing Systems",
    "nlin.CD": "Chaotic Dynamics",
    "nlin.CG": "Cellular Automata and Lattice Gases",
    "nlin.PS": "Pattern Formation and Solitons",
    "nlin.SI": "Exactly Solvable and Integrable Systems",
    "physics.acc-ph": "Accelerator Physics",
    "physics.ao-ph": "Atmospheric and Oceanic Physics",
    "physics.app-ph": "Applied Physics",
    "physics.atm-clus": "Atomic and Molecular Clusters",
    "physics.atom-ph": "Atomic Physics",
    "physics.bio-ph": "Biological Physics",
    "physics.chem-ph": "Chemical Physics",
    "physics.class-ph": "Classical Physics",
    "physics.comp-ph": "Computational Physics",
    "physics.data-an": "Data Analysis, Statistics and Probability",
    "physics.ed-ph": "Physics Education",
    "physics.flu-dyn": "Fluid Dynamics",
    "physics.gen-ph": "General Physics",
    "physics.geo-ph": "Geophysics",
    "physics.hist-ph": "History and Philosophy of Physics",
    "physics.ins-det": "Instrumentation and Detectors",
    "physics.med-ph": "Medical Physics",
    "physics.optics": "Optics",
    "physics.plasm-ph": "Plasma Physics",
    "physics.pop-ph": "Popular Physics",
    "physics.soc-ph": "Physics and Society",
    "physics.space-ph": "Space Physics",
    "q-bio.BM": "Biomolecules",
    "q-bio.CB": "Cell Behavior",
    "q-bio.GN": "Genomics",
    "q-bio.MN": "Molecular Networks",
    "q-bio.NC": "Neurons and Cognition",
    "q-bio.OT": "Other Quantitative Biology",
    "q-bio.PE": "Populations and Evolution",
    "q-bio.QM": "Quantitative Methods",
    "q-bio.SC": "Subcellular Processes",
    "q-bio.TO": "Tissues and Organs",
    "q-fin.CP": "Computational Finance",
    "q-fin.EC": "Economics",
    "q-fin.GN": "General Finance",
    "q-fin.MF": "Mathematical Finance",
    "q-fin.PM": "Portfolio Management",
    "q-fin.PR": "Pricing of Securities",
    "q-fin.RM": "Risk Management",
    "q-fin.ST": "Statistical Finance",
    "q-fin.TR": "Trading and Market Microstructure",
    "stat.AP": "Applications",
    "stat.CO": "Computation",
    "stat.ME": "Methodology",
    "stat.ML": "Machine Learning",
    "stat.OT": "Other Statistics",
    "stat.TH": "Statistics Theory",
}

_CATEGORY = re.compile(r"\A[a-z][a-z-]*(?:\.[A-Za-z-]+)?\Z")
_SPACES = re.compile(r"\s+")
_NEW_ID_DATE = re.compile(r"\A(\d{2})(\d{2})\.\d{4,5}\Z")
_OLD_ID_DATE = re.compile(r"/(\d{2})(\d{2})\d{3}\Z")


# --- the metadata snapshot (JSON Lines) ------------------------------------------------------


def read(path: str | Path, *, max_bytes: int | None = None) -> Iterator[RawRecord | BadRecord]:
    return read_json_records(path, max_bytes=max_bytes)


def record_label(raw: RawRecord) -> str:
    data = raw.data
    return str(data.get("id")) if isinstance(data, dict) and data.get("id") else ""


def parse(raw: RawRecord) -> WorkRecord:
    """One line of the arXiv metadata snapshot as a WorkRecord."""
    data = raw.data
    if not isinstance(data, dict):
        raise ParseError(f"expected a JSON object, found {type(data).__name__}")
    parsed = data.get("authors_parsed")
    if parsed is None:
        raise ParseError("the record has no authors_parsed", field="authors_parsed")
    if not isinstance(parsed, list) or not all(isinstance(a, list) for a in parsed):
        raise ParseError("authors_parsed is not a list of names", field="authors_parsed")
    return _work(
        raw,
        arxiv_id=data.get("id"),
        title=data.get("title"),
        abstract=data.get("abstract"),
        doi=data.get("doi"),
        categories=data.get("categories"),
        authors=parsed,
        first_date=_first_version_date(data.get("versions")),
    )


# --- OAI-PMH XML -----------------------------------------------------------------------------

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
METADATA_NS = {"arXiv": "http://arxiv.org/OAI/arXiv/", "arXivRaw": "http://arxiv.org/OAI/arXivRaw/"}
XML_CHUNK_CHARS = 1 << 16
# Leaf elements of a record whose text is kept, by metadata format.
_OAI_FIELDS = {
    "id",
    "title",
    "abstract",
    "categories",
    "doi",
    "journal-ref",
    "created",
    "authors",
}


class _OaiTarget:
    """Collects one record at a time from expat's callbacks; finished records queue up."""

    def __init__(self) -> None:
        self.parser: DefusedXMLParser | None = None
        self.records: deque[RawRecord | BadRecord] = deque()
        self.index = 0
        self.depth = 0
        self.root_checked = False
        self.current: dict | None = None
        self.author: list[str] | None = None
        self.version: dict | None = None
        self.text: list[str] = []
        # Characters of text held for the current record (or, outside one, the element):
        # past the cap the record is dropped and reported, and its text no longer kept.
        self.limit = record_cap()
        self.size = 0
        self.oversized: tuple[int, int] | None = None  # (line, index) of a dropped record

    def line(self) -> int:
        return self.parser.parser.CurrentLineNumber if self.parser else 0

    def start(self, tag: str, attrib: dict) -> None:
        ns, local = _split(tag)
        self.depth += 1
        self.text = []
        if self.current is None:
            self.size = 0
        if not self.root_checked:
            self.root_checked = True
            if (ns, local) != (OAI_NS, "OAI-PMH"):
                raise _NotOai(f"the XML root is <{local}>, not an OAI-PMH response")
            return
        if ns == OAI_NS and local == "record":
            self.index += 1
            self.current = {"line": self.line(), "deleted": False, "versions": []}
            return
        if ns == OAI_NS and local == "error":
            self.current = None
            self.error_code = attrib.get("code", "")
            return
        record = self.current
        if record is None:
            return
        if ns == OAI_NS and local == "header" and attrib.get("status") == "deleted":
            record["deleted"] = True
        elif ns != OAI_NS and "format" not in record:
            # the first element inside <metadata> names the metadata format
            record["format"] = next((f for f, u in METADATA_NS.items() if u == ns), local)
        elif local == "author" and ns != OAI_NS:
            self.author = ["", "", ""]
        elif local == "version":
            self.version = {"version": attrib.get("version", ""), "created": ""}

    def data(self, text: str) -> None:
        if self.oversized:
            return
        self.size += len(text)
        if self.size > self.limit:
            if self.current is None:
                raise _RecordTooLarge(too_large(self.limit))
            self.oversized = (self.current["line"], self.index)
            self.current, self.author, self.version, self.text = None, None, None, []
            return
        self.text.append(text)

    def end(self, tag: str) -> None:
        ns, local = _split(tag)
        self.depth -= 1
        text, self.text = "".join(self.text), []
        if self.oversized and ns == OAI_NS and local == "record":
            line, index = self.oversized
            self.records.append(BadRecord(line, index, too_large(self.limit)))
            self.oversized, self.size = None, 0
            return
        if ns == OAI_NS and local == "error":
            code = getattr(self, "error_code", "")
            if code != "noRecordsMatch":
                raise _NotOai(f"the OAI-PMH response is an error: {code} {text.strip()}".strip())
            return
        record = self.current
        if record is None:
            return
        if ns == OAI_NS:
            if local == "identifier":
                record["identifier"] = text.strip()
            elif local == "record":
                line = record.pop("line")
                self.records.append(RawRecord(line=line, index=self.index, data=record))
                self.current, self.size = None, 0
            return
        if self.author is not None:
            slot = {"keyname": 0, "forenames": 1, "suffix": 2}.get(local)
            if slot is not None:
                self.author[slot] = text
            elif local == "author":
                record.setdefault("authors_parsed", []).append(self.author)
                self.author = None
        elif self.version is not None:
            if local == "date":
                self.version["created"] = text.strip()
            elif local == "version":
                record["versions"].append(self.version)
                self.version = None
        elif local in _OAI_FIELDS:
            record[local] = text

    def close(self) -> None:
        return None


class _NotOai(Exception):
    pass


class _RecordTooLarge(Exception):
    pass


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def read_oai(path: str | Path, *, max_bytes: int | None = None) -> Iterator[RawRecord | BadRecord]:
    """Records of an OAI-PMH ListRecords/GetRecord response, streamed.

    `data` is a dict of the record's fields (see `_OaiTarget`); `line` is where its `<record>`
    starts. Anything that makes the rest of the file unreadable is one fatal BadRecord.
    """
    target = _OaiTarget()
    parser = DefusedXMLParser(
        target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    target.parser = parser
    lines_fed = 0

    def fatal(message: str, line: int | None = None) -> BadRecord:
        return BadRecord(line or target.line() or 1, target.index + 1, message, fatal=True)

    try:
        with open_text(path, max_bytes=max_bytes) as text:
            while chunk := text.read(XML_CHUNK_CHARS):
                if (nul := chunk.find("\x00")) >= 0:
                    yield fatal("NUL byte in the XML", lines_fed + chunk.count("\n", 0, nul) + 1)
                    return
                parser.feed(chunk)
                lines_fed += chunk.count("\n")
                while target.records:
                    yield target.records.popleft()
            parser.close()
            while target.records:
                yield target.records.popleft()
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as exc:
        yield fatal(_refusal(exc))
    except XMLSyntaxError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        message = str(exc).split(": line ")[0]
        if message.startswith("no element found") or message.startswith("unclosed token"):
            message = f"the file ends before the XML does ({message})"
        yield fatal(f"invalid XML: {message}", line)
    except _RecordTooLarge as exc:
        yield fatal(str(exc))
    except _NotOai as exc:
        yield fatal(f"{exc}; this reads arXiv OAI-PMH responses (metadataPrefix arXiv or arXivRaw)")
    except UnicodeDecodeError as exc:
        yield fatal(f"invalid UTF-8 ({exc.reason})", lines_fed + 1)
    except FileTooLarge as exc:
        yield fatal(str(exc))


def _refusal(exc: Exception) -> str:
    if isinstance(exc, DTDForbidden):
        what = f"a document type declaration (<!DOCTYPE {exc.name}>)"
    elif isinstance(exc, EntitiesForbidden):
        what = f"an entity declaration (<!ENTITY {exc.name}>)"
    else:
        what = f"an external reference ({exc.sysid or exc.pubid})"
    return (
        f"refused: the XML contains {what}; DTDs, entities and external references are never "
        "read (they can expand without bound or reach other files)"
    )


def oai_record_label(raw: RawRecord) -> str:
    data = raw.data
    if not isinstance(data, dict):
        return ""
    return str(data.get("id") or data.get("identifier") or "")


def parse_oai(raw: RawRecord) -> WorkRecord | None:
    """One OAI-PMH record (arXiv or arXivRaw metadata) as a WorkRecord; deleted ones → None."""
    data = raw.data
    if not isinstance(data, dict):
        raise ParseError("not an OAI-PMH record")
    if data.get("deleted"):
        return None
    metadata_format = data.get("format")
    if metadata_format not in METADATA_NS:
        raise ParseError(
            f"metadata format {metadata_format or '(none)'!r} is not read; harvest with "
            "metadataPrefix=arXiv or arXivRaw",
            field="metadata",
        )
    if metadata_format == "arXiv":
        authors = data.get("authors_parsed") or []
        first_date = _iso_date(data.get("created"), "created")
    else:
        authors = split_author_names(data.get("authors") or "")
        first_date = _first_version_date(data.get("versions"))
    return _work(
        raw,
        arxiv_id=data.get("id") or data.get("identifier"),
        title=data.get("title"),
        abstract=data.get("abstract"),
        doi=data.get("doi"),
        categories=data.get("categories"),
        authors=authors,
        first_date=first_date,
    )


# --- shared ----------------------------------------------------------------------------------


def _work(
    raw: RawRecord,
    *,
    arxiv_id: object,
    title: object,
    abstract: object,
    doi: object,
    categories: object,
    authors: list,
    first_date: datetime.date | None,
) -> WorkRecord:
    if not isinstance(arxiv_id, str) or not (clean_id := ids.arxiv_id_from(arxiv_id)):
        raise ParseError(f"{arxiv_id!r} is not an arXiv id", field="id")
    title_text = _spaces(title)
    if not title_text:
        raise ParseError("the paper has no title", field="title")
    if doi is not None and not isinstance(doi, str):
        raise ParseError(f"doi {doi!r} is not text", field="doi")
    if categories is not None and not isinstance(categories, str):
        raise ParseError(f"categories {categories!r} is not text", field="categories")
    abstract_text = _spaces(abstract)
    label = source_record_label(clean_id, raw.line)
    year = first_date.year if first_date else _year_from_id(clean_id)
    return WorkRecord(
        title=title_text,
        type="preprint",
        year=year,
        publication_date=first_date,
        arxiv_id=clean_id,
        doi=ids.normalize_doi(doi),
        venue=VENUE,
        abstract=abstract_text,
        code_url=first_code_url(abstract_text),
        authorships=tuple(_authorship(a, i, label) for i, a in enumerate(authors)),
        topics=tuple(TopicAssignment(category_topic(c)) for c in _categories(categories or "")),
        source_record=label,
    )


def _authorship(parts: list, position: int, label: str) -> AuthorshipRecord:
    """[last, first, suffix(, affiliation…)] → "First Last Suffix", name-only."""
    if not all(isinstance(p, str) for p in parts[:3]) or not parts:
        raise ParseError(
            f"author {position + 1} is not [last, first, suffix]", field="authors_parsed"
        )
    last, first, suffix = (_name(p) for p in (list(parts[:3]) + ["", ""])[:3])
    display_name = " ".join(p for p in (first, last, suffix) if p)
    if not display_name:
        raise ParseError(f"author {position + 1} has no name", field="authors_parsed")
    arxiv_name = ", ".join(p for p in (last, first, suffix) if p)
    author = AuthorRecord(
        display_name=display_name[:255], arxiv_name=arxiv_name[:255], source_record=label
    )
    return AuthorshipRecord(raw_author_name=display_name[:500], author=author)


def category_topic(category: str) -> TopicRecord:
    """'cs.LG' → Machine Learning under Computer Science; 'hep-ph' is an archive of its own."""
    archive, _, _ = category.partition(".")
    archive_topic = TopicRecord(
        source="arxiv",
        external_id=archive,
        name=keyword_topics.ARCHIVES.get(archive) or ARCHIVE_NAMES.get(archive, archive),
        level="archive",
    )
    if category == archive:
        return archive_topic
    known = keyword_topics.TAXONOMY.get(category)
    name = known[0] if known else CATEGORY_NAMES.get(category, category)
    return TopicRecord("arxiv", category, name, "category", archive_topic)


def _categories(value: str) -> list[str]:
    found: list[str] = []
    for category in value.split():
        if not _CATEGORY.match(category):
            raise ParseError(f"{category!r} is not an arXiv category", field="categories")
        if category not in found:
            found.append(category)
    return found


def split_author_names(value: str) -> list[list[str]]:
    """An arXivRaw author line → [[last, first, suffix], …].

    'C. Bal\\'azs, E. L. Berger and C.-P. Yuan (ANL)': affiliations in parentheses dropped,
    names split on commas, semicolons, 'and' and '&', the last word (with a particle such as
    'van' or 'de' before it) taken as the surname, Jr/Sr/II/III/IV as the suffix.
    """
    text = _drop_parentheses(value)
    names = []
    for written in re.split(r",|;|\band\b|&", text):
        words = _spaces(written).split(" ")
        words = [w for w in words if w]
        if not words:
            continue
        suffix = ""
        if len(words) > 1 and words[-1].rstrip(".").lower() in _SUFFIXES:
            suffix = words.pop()
        cut = len(words) - 1
        while cut > 1 and words[cut - 1].lower() in _PARTICLES:
            cut -= 1
        names.append([" ".join(words[cut:]), " ".join(words[:cut]), suffix])
    return names


_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
_PARTICLES = {"van", "von", "de", "der", "den", "da", "del", "della", "di", "du", "la", "le"}


def _drop_parentheses(text: str) -> str:
    kept, depth = [], 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif not depth:
            kept.append(char)
    return "".join(kept)


def _first_version_date(versions: object) -> datetime.date | None:
    """The date of v1 (arXiv's 'Mon, 2 Apr 2007 19:18:42 GMT'), the earliest version."""
    if versions is None or versions == []:
        return None
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise ParseError("versions is not a list of versions", field="versions")

    def number(version: dict) -> int:
        digits = str(version.get("version", "")).lstrip("v")
        return int(digits) if digits.isdigit() else 1 << 30

    first = min(versions, key=number)
    created = first.get("created")
    try:
        return email.utils.parsedate_to_datetime(created).date()
    except (TypeError, ValueError):
        raise ParseError(
            f"{first.get('version')} created {created!r} is not a date", field="versions"
        ) from None


def _iso_date(value: object, field: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ParseError(f"{value!r} is not a date", field=field) from None


def _year_from_id(arxiv_id: str) -> int | None:
    """arXiv ids start with the year and month of submission: 0704.0001, math/0601001."""
    match = _NEW_ID_DATE.match(arxiv_id) or _OLD_ID_DATE.search(arxiv_id)
    if not match:
        return None
    yy = int(match.group(1))
    return (1900 if yy >= 91 else 2000) + yy


def _spaces(value: object) -> str:
    return _SPACES.sub(" ", value).strip() if isinstance(value, str) else ""


def _name(value: str) -> str:
    return _spaces(latex_to_text(_spaces(value)))
