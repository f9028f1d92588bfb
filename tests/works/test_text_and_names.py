"""Issue 11, "What was seen", display and names: markup, LaTeX, bylines, names, slugs."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from bzpeer.lib.names import clean_name, name_slug, normalize_name, person_name
from bzpeer.lib.text import jats_to_html, latex_to_text, plain_text, rich_text, title_key
from tests.html import visible_text
from works.imports.loader import load_records
from works.imports.records import AuthorRecord, AuthorshipRecord, WorkRecord, others_authorship
from works.imports.run import works_import
from works.models import Author, Authorship, Work

# --- titles and abstracts ----------------------------------------------------------------------


def test_openalex_markup_keeps_the_tags_that_carry_meaning():
    assert rich_text("Text Mining Infrastructure in<i>R</i>") == (
        "Text Mining Infrastructure in <i>R</i>"
    )
    assert rich_text("<strong>tm</strong>: text mining") == "<strong>tm</strong>: text mining"
    assert rich_text("H<sub>2</sub>O at 10<sup>5</sup> Pa") == "H<sub>2</sub>O at 10<sup>5</sup> Pa"
    # everything else goes: scripts with their content, links, attributes
    cleaned = rich_text(
        '<b onclick="x()">B</b><script>alert(1)</script><a href="javascript:x">L</a>'
    )
    assert cleaned == "<b>B</b>L"


def test_entities_are_decoded_exactly_once():
    assert rich_text("R&amp;D of &lt;b&gt; tags") == "R&amp;D of &lt;b&gt; tags"  # shows R&D <b>
    assert plain_text("R&amp;D of &lt;b&gt; tags") == "R&D of <b> tags"
    # double-encoded in the source: decoded once, the rest shown as written
    assert plain_text("x &amp;amp; y") == "x &amp; y"


def test_latex_text_is_not_taken_for_markup():
    # arXiv: "<" is a less-than sign, not a tag
    assert rich_text("a<b and c>d for p < 0.05") == "a&lt;b and c&gt;d for p &lt; 0.05"
    assert rich_text(r"Up to 100$\times$ Faster {CNN}s") == "Up to 100× Faster CNNs"


def test_latex_that_pylatexenc_cannot_render_falls_back_to_readable_text():
    assert latex_to_text(r"$70\phantom{\rule{0.3em}{0ex}}\text{years}$") == "70 years"
    assert latex_to_text(r"see \href{https://example.org}{our site} now") == "see our site now"
    assert "%s" not in latex_to_text(r"\href{u}{x}")
    assert latex_to_text(r"\url{https://example.org/x}") == "https://example.org/x"
    # a macro nobody defined: its arguments stay apart as words
    assert latex_to_text(r"\unknownmacro{first}{second} third") == "first second third"
    # prose ampersands next to LaTeX are words
    assert latex_to_text(r"Smith & Jones: $O(n)$") == "Smith & Jones: O(n)"


def test_jats_abstracts_become_paragraphs():
    jats = (
        "<jats:title>Abstract</jats:title><jats:sec><jats:title>Background</jats:title>"
        "<jats:p>One <jats:italic>two</jats:italic> H<jats:sub>2</jats:sub>O.</jats:p>"
        "</jats:sec><jats:p>Second &amp; <jats:ext-link href='x'>third</jats:ext-link>.</jats:p>"
    )
    html = jats_to_html(jats)
    assert html == (
        "<p><b>Background</b></p><p>One <i>two</i> H<sub>2</sub>O.</p><p>Second &amp; third.</p>"
    )
    assert rich_text(html, paragraphs=True) == html
    assert plain_text(html) == "Background One two H2O. Second & third."


def test_title_keys_compare_the_words_not_the_markup():
    assert title_key("Text Mining Infrastructure in<i>R</i>") == title_key(
        "Text Mining Infrastructure in R"
    )
    assert title_key("R&amp;D at scale") == title_key("R&D at scale")


# --- pages -------------------------------------------------------------------------------------


def test_work_page_shows_markup_right_and_escapes_the_rest(client, make_work):
    work = make_work(
        title="Text Mining Infrastructure in<i>R</i> &amp; <strong>tm</strong> &lt;3",
        abstract="<jats:p>We use &lt;script&gt; and <i>x</i>.</jats:p><script>alert(1)</script>",
    )
    html = client.get(work.get_absolute_url()).content.decode()
    assert (
        '<h1 id="work-title">Text Mining Infrastructure in <i>R</i> &amp; <strong>tm</strong>'
        " &lt;3</h1>"
    ) in html
    assert "We use &lt;script&gt; and <i>x</i>." in html
    assert "<script>alert(1)" not in html
    assert "<title>Text Mining Infrastructure in R &amp; tm &lt;3 · BZPEER</title>" in html


def test_work_item_on_a_profile_renders_titles_and_latex(client, make_author, make_work):
    author = make_author("Ada Lovelace")
    make_work(authors=[author], title=r"$70\phantom{\rule{0.3em}{0ex}}\text{years}$ of <i>R</i>")
    make_work(authors=[author], title=r"Read \href{https://example.org}{the notes}")
    text = visible_text(client.get(author.get_absolute_url()).content.decode())
    assert "70 years of R" in text
    assert "700.3em0exyears" not in text
    assert "Read the notes" in text and "%s" not in text


def test_cited_by_shows_only_when_a_source_gave_a_count(client, make_work):
    counted = make_work(cited_by_count=0)
    unknown = make_work(cited_by_count=None)
    assert "Cited by" in visible_text(client.get(counted.get_absolute_url()).content.decode())
    assert "Cited by" not in visible_text(client.get(unknown.get_absolute_url()).content.decode())


@pytest.mark.django_db
def test_bibtex_and_arxiv_imports_leave_the_count_unknown(tmp_path):
    bib = tmp_path / "one.bib"
    bib.write_text("@article{k, author = {Li, Haoling}, title = {A Title}, year = 2020}\n")
    works_import(path=bib, format="bibtex")
    assert Work.objects.get().cited_by_count is None


# --- bylines -----------------------------------------------------------------------------------


def test_person_name_puts_the_first_name_first():
    assert person_name("Li, Haoling") == "Haoling Li"
    assert person_name("van der Berg, Jan") == "Jan van der Berg"
    assert person_name("de la Cruz, María") == "María de la Cruz"
    assert person_name("Smith, III, Amos B.") == "Amos B. Smith III"
    assert person_name("Smith, Amos B., III") == "Amos B. Smith III"
    assert person_name("King, Jr., Martin Luther") == "Martin Luther King Jr."
    assert person_name("Sheherazade") == "Sheherazade"
    assert person_name("Ludwig van Beethoven") == "Ludwig van Beethoven"
    # three people in one field (a Crossref quirk): not reordered into nonsense
    assert person_name("Elton E. Rodgers, Bill B. Belt, Ed") == "Elton E. Rodgers, Bill B. Belt, Ed"
    # an organisation with a comma is not a person written last name first
    assert person_name("ATLAS Collaboration, CERN") == "ATLAS Collaboration, CERN"
    assert person_name("Department of Physics, University of Oslo") == (
        "Department of Physics, University of Oslo"
    )


BIB = Path(__file__).resolve().parent / "fixtures" / "vipa_mingli_song.bib"


@pytest.mark.django_db
def test_bibtex_bylines_read_first_name_first_on_profiles_and_work_pages(client):
    works_import(path=BIB, format="bibtex")
    work = Work.objects.get(title__startswith="Depgraph")
    assert Authorship.objects.filter(work=work, raw_author_name__contains=", ").exists()
    page = visible_text(client.get(work.get_absolute_url()).content.decode())
    names = [a.author.display_name for a in work.authorships.select_related("author")]
    assert " ".join(names) in page  # each "First Last", in byline order
    song = Author.objects.get(display_name="Mingli Song")
    profile = visible_text(client.get(song.get_absolute_url()).content.decode())
    assert "Fang, Gongfan" not in profile and "Gongfan Fang" in profile
    assert "Song, Mingli" not in profile


@pytest.mark.django_db
def test_a_work_whose_coauthors_were_not_imported_says_so(client, tmp_path):
    owner = AuthorRecord(display_name="Mingli Song")
    load_records(
        [
            WorkRecord(
                title="Dual Swap Disentangling",
                year=2020,
                authorships=(AuthorshipRecord("Mingli Song", owner), others_authorship()),
            )
        ],
        source="seed",
    )
    work = Work.objects.get()
    author = Author.objects.get()
    detail = visible_text(client.get(work.get_absolute_url()).content.decode())
    assert "Mingli Song co-authors not imported" in detail
    assert "others" not in detail
    profile = visible_text(client.get(author.get_absolute_url()).content.decode())
    assert "Mingli Song and co-authors not imported" in profile
    # BibTeX "and others" says the same
    bib = tmp_path / "etal.bib"
    bib.write_text("@article{e, author = {Li, Haoling and others}, title = {Et Al}, year = 2021}\n")
    works_import(path=bib, format="bibtex")
    etal = Work.objects.get(title="Et Al")
    page = visible_text(client.get(etal.get_absolute_url()).content.decode())
    assert "Haoling Li co-authors not imported" in page


# --- names -------------------------------------------------------------------------------------


def test_names_are_stored_nfc_without_invisible_controls():
    nfd = unicodedata.normalize("NFD", "José Alvarez")
    assert nfd != "José Alvarez"
    assert clean_name(nfd) == "José Alvarez"
    assert clean_name("\u202eevil\u202c Name") == "evil Name"
    assert clean_name("Jo\u200bhn\u2066 Smith\u2069\u200e") == "John Smith"
    # ZWNJ between Persian letters is spelling, kept; at a Latin letter it is noise
    assert clean_name("محمد\u200cرضا") == "محمد\u200cرضا"
    assert clean_name("Ann\u200c Lee") == "Ann Lee"
    assert normalize_name("Jo\u200bhn Smith") == "john smith"
    record = AuthorRecord(display_name=f"\u202e{nfd}\u200b", name_variants=(nfd, "José Alvarez"))
    assert record.display_name == "José Alvarez"
    assert record.name_variants == ("José Alvarez",)


@pytest.mark.django_db
def test_the_printed_name_stays_raw_the_author_name_is_clean(client):
    raw = "\u202eJo\u200bhn Smith\u202c"
    load_records(
        [
            WorkRecord(
                title="Invisible characters",
                authorships=(AuthorshipRecord(raw, AuthorRecord(display_name=raw)),),
            )
        ],
        source="bibtex",
    )
    author = Author.objects.get()
    assert (author.display_name, author.name_key, author.slug) == (
        "John Smith",
        "john smith",
        "john-smith",
    )
    assert Authorship.objects.get().raw_author_name == raw  # as the source printed it
    assert list(Author.objects.search("john")) == [author]
    html = client.get(Work.objects.get().get_absolute_url()).content.decode()
    assert "\u202e" not in html and "\u200b" not in html
    assert "<bdi>John Smith</bdi>" in html
    profile = client.get(author.get_absolute_url()).content.decode()
    assert '<h1 id="profile-name"><bdi>John Smith</bdi></h1>' in profile
    assert "\u202e" not in profile


@pytest.mark.django_db
def test_an_nfd_name_is_the_same_author_as_the_nfc_one(tmp_path):
    nfc = "José Alvarez"
    nfd = unicodedata.normalize("NFD", nfc)
    first, second = tmp_path / "a.bib", tmp_path / "b.bib"
    first.write_text(
        f"@article{{a, author = {{{nfc} and Ana Ruiz}}, title = {{First}}, year = 2020}}\n",
        encoding="utf-8",
    )
    second.write_text(
        f"@article{{b, author = {{{nfd} and Ana Ruiz}}, title = {{Second}}, year = 2021}}\n",
        encoding="utf-8",
    )
    works_import(path=second, format="bibtex")  # the NFD one first
    works_import(path=first, format="bibtex")
    assert Author.objects.count() == 2
    jose = Author.objects.get(name_key="jose alvarez")
    assert jose.display_name == nfc
    assert jose.authorships.count() == 2


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Gauß", "gauss"),
        ("Søren Østergaard", "soren-ostergaard"),
        ("王小明", "wang-xiao-ming"),
        ("김민수", "gim-min-su"),
        ("Ēriks Kupče", "eriks-kupce"),
        ("Дмитрий Иванов", "dmitriy-ivanov"),
        ("\u202e\u200b", "researcher"),
    ],
)
def test_slugs_are_transliterated(name, slug):
    assert name_slug(name) == slug


@pytest.mark.django_db
def test_imported_authors_get_transliterated_slugs():
    names = ["Gauß", "Søren Østergaard", "王小明"]
    load_records(
        [
            WorkRecord(
                title="Slugs",
                authorships=tuple(AuthorshipRecord(n, AuthorRecord(display_name=n)) for n in names),
            )
        ],
        source="bibtex",
    )
    assert set(Author.objects.values_list("slug", flat=True)) == {
        "gauss",
        "soren-ostergaard",
        "wang-xiao-ming",
    }


def _arxiv_line(arxiv_id: str, title: str, given: str) -> str:
    import json

    return json.dumps(
        {
            "id": arxiv_id,
            "authors": f"{given} Alvarez, Ana Ruiz",
            "title": title,
            "categories": "cs.LG",
            "abstract": "An abstract.",
            "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
            "authors_parsed": [["Alvarez", given, ""], ["Ruiz", "Ana", ""]],
        },
        ensure_ascii=False,
    )


@pytest.mark.django_db
def test_an_nfd_name_from_arxiv_and_crossref_is_the_same_author(tmp_path):
    nfd = unicodedata.normalize("NFD", "José")
    snapshot = tmp_path / "arxiv.jsonl"
    snapshot.write_text(
        _arxiv_line("0704.0001", "First", nfd) + "\n" + _arxiv_line("0704.0002", "Second", "José"),
        encoding="utf-8",
    )
    works_import(path=snapshot, format="arxiv")
    assert Author.objects.filter(name_key="jose alvarez").count() == 1
    jose = Author.objects.get(name_key="jose alvarez")
    # stored NFC though the first record wrote it NFD
    assert jose.display_name == "José Alvarez" and jose.authorships.count() == 2
    # and from a third source with the name in NFD again
    work = {
        "DOI": "10.5555/nfd",
        "title": ["Third"],
        "author": [{"given": nfd, "family": "Alvarez"}, {"given": "Ana", "family": "Ruiz"}],
    }
    crossref_file = tmp_path / "crossref.json"
    import json

    crossref_file.write_text(json.dumps(work, ensure_ascii=False), encoding="utf-8")
    works_import(path=crossref_file, format="crossref")
    assert list(Author.objects.filter(name_key="jose alvarez")) == [jose]
    assert jose.authorships.count() == 3


@pytest.mark.django_db
def test_a_long_byline_counts_named_authors_only(client):
    names = [f"Person {chr(65 + i)}" for i in range(12)]
    load_records(
        [
            WorkRecord(
                title="Many hands",
                year=2020,
                authorships=(
                    *(AuthorshipRecord(n, AuthorRecord(display_name=n)) for n in names),
                    others_authorship(),
                ),
            )
        ],
        source="bibtex",
    )
    first = Author.objects.get(display_name="Person A")
    profile = visible_text(client.get(first.get_absolute_url()).content.decode())
    assert "Person J and 2 more" in profile  # ten names shown, two named ones left
    work = Work.objects.get()
    detail = visible_text(client.get(work.get_absolute_url()).content.decode())
    assert "Person L co-authors not imported" in detail
