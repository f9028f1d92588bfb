"""The BibTeX reader and parser, on the real file of the seed researcher's papers."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from bzpeer.lib.names import normalize_name
from works.imports.readers import BadRecord
from works.imports.records import ParseError, RawRecord, others_authorship
from works.imports.sources import bibtex

pytestmark = pytest.mark.sqlite

BIB = Path(__file__).parent / "fixtures" / "vipa_mingli_song.bib"


def _records(text: str) -> list:
    return list(bibtex.read_string(text))


@pytest.fixture(scope="module")
def works():
    raws = list(bibtex.read(BIB))
    assert not [r for r in raws if isinstance(r, BadRecord)]
    return {raw.data.key: bibtex.parse(raw) for raw in raws}


def test_bibtex_read_yields_every_entry_with_its_line():
    raws = list(bibtex.read(BIB))
    assert len(raws) == 30
    assert [r.index for r in raws] == list(range(1, 31))
    first, last = raws[0], raws[-1]
    assert (first.line, first.data.key) == (5, "fang2019datafree")
    assert (last.line, last.data.key) == (291, "Song_2023_ICCV")
    assert bibtex.record_label(first) == "fang2019datafree"


def test_bibtex_parse_counts_58_distinct_author_names(works):
    names = {normalize_name(a.author.display_name) for w in works.values() for a in w.authorships}
    assert len(names) == 58
    assert sum(len(w.authorships) for w in works.values()) == 189


def test_bibtex_parse_reads_first_last_names_in_order(works):
    byline = [a.author.display_name for a in works["fang2019datafree"].authorships]
    assert byline == [
        "Gongfan Fang",
        "Jie Song",
        "Chengchao Shen",
        "Xinchao Wang",
        "Da Chen",
        "Mingli Song",
    ]


def test_bibtex_parse_turns_last_first_names_around(works):
    authorships = works["fang2023depgraph"].authorships
    assert [a.author.display_name for a in authorships] == [
        "Gongfan Fang",
        "Xinyin Ma",
        "Mingli Song",
        "Michael Bi Mi",
        "Xinchao Wang",
    ]
    # the byline keeps the form the file wrote
    assert authorships[0].raw_author_name == "Fang, Gongfan"
    assert not authorships[0].author.has_persistent_id


def test_bibtex_parse_maps_types_and_venues(works):
    preprint = works["fang2019datafree"]
    assert (preprint.type, preprint.year, preprint.arxiv_id) == ("preprint", 2019, "1912.11006")
    assert (preprint.venue.name, preprint.venue.type) == ("arXiv", "repository")

    paper = works["fang2022up"]
    assert paper.type == "proceedings-article"
    assert paper.venue.name == "Proceedings of the AAAI Conference on Artificial Intelligence"
    assert paper.arxiv_id is None

    journal = works["zhang2023knowledge"]
    assert (journal.type, journal.venue.name, journal.venue.type) == (
        "article",
        "IEEE Transactions on Image Processing",
        "journal",
    )


def test_bibtex_parse_picks_out_arxiv_ids_and_dois(works):
    arxiv = {key: w.arxiv_id for key, w in works.items() if w.arxiv_id}
    assert arxiv == {
        "fang2019datafree": "1912.11006",
        "fang2021contrastive": "2105.08584",
        "xie2022federated": "2207.13309",
        "li2025parallelized": "2503.03505",
        "xue2022protopformer": "2208.10431",
        "li2022survey": "2209.03415",
    }
    # written as a URL in the file
    assert works["XIE2023100053"].doi == "10.1016/j.chip.2023.100053"
    assert works["ijcai2021p444"].doi == "10.24963/ijcai.2021/444"


def test_bibtex_parse_decodes_latex_braces_in_venues(works):
    # booktitle = {Proceedings of the Thirtieth ...\n  Artificial Intelligence, {IJCAI-21}}
    assert works["ijcai2021p444"].venue.name == (
        "Proceedings of the Thirtieth International Joint Conference on "
        "Artificial Intelligence, IJCAI-21"
    )


def test_bibtex_parse_decodes_latex_accents_and_math():
    (raw,) = _records(
        r"""@misc{k,
  author = {M{\"u}ller, J{\"o}rg and {\'E}mile Zola and others},
  title = {Up to 100$\times$ Faster {CNN}s},
  eprint = {2101.00001v2},
  archivePrefix = {arXiv},
  year = 2021
}"""
    )
    work = bibtex.parse(raw)
    assert work.title == "Up to 100× Faster CNNs"
    assert [a.author.display_name for a in work.authorships[:2]] == ["Jörg Müller", "Émile Zola"]
    # "and others" is kept as a slot without an author: the byline says it is not whole
    assert work.authorships[2] == others_authorship()
    assert len(work.authorships) == 3
    assert work.authorships[0].raw_author_name == "Müller, Jörg"
    assert (work.type, work.arxiv_id, work.venue.name) == ("preprint", "2101.00001", "arXiv")


def test_bibtex_read_reports_unclosed_brace_with_entry_and_line():
    text = BIB.read_text().replace(
        "title={Spot-adaptive knowledge distillation},",
        "title={Spot-adaptive knowledge distillation,",
    )
    records = _records(text)
    bad = [r for r in records if isinstance(r, BadRecord)]
    assert len(records) == 30
    assert len(bad) == 1
    assert (bad[0].line, bad[0].index, bad[0].fatal) == (203, 20, False)
    assert "'song2022spot'" in bad[0].message
    assert "line 203" in bad[0].message
    assert "unbalanced braces" in bad[0].message
    # the entries after it are still read
    assert records[20].data.key == "song2021tree"


def test_bibtex_read_reports_extra_closing_brace_with_entry_and_line():
    text = BIB.read_text().replace(
        "title={Safe distillation box},", "title={Safe distillation box}},"
    )
    bad = [r for r in _records(text) if isinstance(r, BadRecord)]
    assert len(bad) == 1
    assert "'ye2022safe'" in bad[0].message
    assert "line 192" in bad[0].message
    assert "extra '}'" in bad[0].message


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ("year = {2020}", "title", "no title"),
        ("title = {T}, year = {in press}", "year", "not a four-digit year"),
        ("title = {T}, doi = {not a doi}", "doi", "not a DOI"),
        ("title = {T}, author = {Smith, John, Jr, Extra}", "author", "Too many commas"),
    ],
)
def test_bibtex_parse_rejects_broken_fields(fields, field, message):
    (raw,) = _records(f"@article{{broken1,\n  {fields}\n}}\n")
    with pytest.raises(ParseError, match=message) as excinfo:
        bibtex.parse(raw)
    assert excinfo.value.field == field
    assert "entry 'broken1' (line 1)" in str(excinfo.value)


def test_bibtex_parse_rejects_records_that_are_not_entries():
    with pytest.raises(ParseError):
        bibtex.parse(RawRecord(line=1, index=1, data={"title": "x"}))


def test_bibtex_read_skips_strings_comments_and_preambles():
    records = _records(
        """@string{aaai = "AAAI"}
@preamble{"\\newcommand{\\x}{y}"}
@comment{not an entry}
@inproceedings{a1, title = {A}, booktitle = aaai, year = 2020}
"""
    )
    assert [r.index for r in records] == [1]
    work = bibtex.parse(records[0])
    assert (work.title, work.venue.name) == ("A", "AAAI")


def test_bibtex_read_opens_gzipped_files(tmp_path):
    path = tmp_path / "refs.bib.gz"
    path.write_bytes(gzip.compress(BIB.read_bytes()))
    assert len(list(bibtex.read(path))) == 30
