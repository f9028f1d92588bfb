"""Admins' decisions stick: re-imports keep splits, merges and removals; identity hardening."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from profiles.curation import authors_merge, authorships_remove, authorships_split
from works.imports.batches import import_batch_run
from works.imports.loader import load_records
from works.imports.records import AuthorRecord, AuthorshipRecord, WorkRecord
from works.imports.run import works_import
from works.models import Author, Authorship, BatchChange, ImportBatch, Work

pytestmark = pytest.mark.sqlite

ENTITY = Path(__file__).resolve().parent / "fixtures" / "openalex" / "entities" / "W2741809807.json"


def _byline(work: Work) -> list[tuple[int, str, str | None]]:
    return list(
        work.authorships.order_by("position").values_list(
            "position", "raw_author_name", "author__openalex_id"
        )
    )


@pytest.fixture
def imported(db) -> Work:
    works_import(path=ENTITY, format="openalex")
    return Work.objects.get(openalex_id="W2741809807")


@pytest.fixture
def admin_user(make_user):
    return make_user(is_staff=True, is_superuser=True)


def test_sticky_reimport_keeps_a_split(imported, admin_user):
    jason = imported.authorships.get(raw_author_name="Jason Priem")
    result = authorships_split(authorships=[jason], user=admin_user, reason="another Jason")
    before = _byline(imported)

    batch = ImportBatch.objects.create(format="openalex", file_name=ENTITY.name)
    import_batch_run(batch=batch, path=ENTITY)

    jason = imported.authorships.get(raw_author_name="Jason Priem")
    assert jason.author == result.author
    assert _byline(imported) == before
    assert not BatchChange.objects.filter(batch=batch).exists()  # nothing to change


def test_sticky_reimport_does_not_readd_a_removed_authorship(imported, admin_user):
    removed = imported.authorships.get(raw_author_name="Jevin West")
    authorships_remove(authorships=[removed], user=admin_user, reason="not an author")

    works_import(path=ENTITY, format="openalex")

    assert imported.authorships.count() == 8
    assert not imported.authorships.filter(raw_author_name="Jevin West").exists()
    assert imported.authorships.filter(position=8).exists()  # the others keep their places


def test_sticky_decision_follows_the_name_when_the_source_reorders(imported, admin_user, tmp_path):
    jason = imported.authorships.get(raw_author_name="Jason Priem")
    new_author = authorships_split(authorships=[jason], user=admin_user).author
    data = json.loads(ENTITY.read_text())
    data["authorships"].reverse()
    changed = tmp_path / "reordered.json"
    changed.write_text(json.dumps(data))

    works_import(path=changed, format="openalex")

    moved = imported.authorships.get(raw_author_name="Jason Priem")
    assert moved.position == 7
    assert moved.author == new_author


def test_sticky_reimport_keeps_a_merge_of_name_only_authors(db, admin_user):
    def work(n: int) -> WorkRecord:
        names = ["J. Smith", "Ada Lovelace"]
        return WorkRecord(
            title=f"Paper {n}",
            year=2020,
            doi=f"10.1/{n}",
            authorships=tuple(
                AuthorshipRecord(raw_author_name=name, author=AuthorRecord(display_name=name))
                for name in names
            ),
        )

    load_records([work(1)], source="bibtex")
    smith = Author.objects.get(display_name="J. Smith")
    keep = Author.objects.create(
        display_name="John Smith", slug="john-smith", orcid="0000-0001-5109-3700"
    )
    authors_merge(keep=keep, others=[smith], user=admin_user, reason="same person")
    authors_before = Author.objects.count()

    load_records([work(1)], source="bibtex")

    assert Author.objects.count() == authors_before  # no new "J. Smith"
    assert Work.objects.get(doi="10.1/1").authorships.get(position=0).author == keep


def test_sticky_overrides_cost_one_query_per_chunk(imported, admin_user):
    jason = imported.authorships.get(raw_author_name="Jason Priem")
    authorships_split(authorships=[jason], user=admin_user)

    with CaptureQueriesContext(connection) as queries:
        works_import(path=ENTITY, format="openalex")

    reads = [
        q
        for q in queries
        if q["sql"].startswith("SELECT") and 'FROM "works_authorshipoverride"' in q["sql"]
    ]
    assert len(reads) == 1


# Identity hardening


def _name_only_work(title: str, names: list[str]) -> WorkRecord:
    return WorkRecord(
        title=title,
        year=2021,
        authorships=tuple(
            AuthorshipRecord(raw_author_name=n, author=AuthorRecord(display_name=n)) for n in names
        ),
    )


def test_sticky_confusable_name_is_flagged_never_merged(db):
    load_records(
        [_name_only_work("First paper", ["John Smith", "Ada Lovelace", "Alan Turing"])],
        source="bibtex",
    )
    # Cyrillic 'о' in "Jоhn", sharing the co-author that would otherwise join them
    load_records(
        [_name_only_work("Second paper", ["Jоhn Smith", "Ada Lovelace", "Alan Turing"])],
        source="bibtex",
    )

    latin = Author.objects.get(display_name="John Smith")
    lookalike = Author.objects.get(display_name="Jоhn Smith")
    assert latin.pk != lookalike.pk
    assert lookalike.confusable_name and not latin.confusable_name
    assert Author.objects.filter(display_name="Ada Lovelace").count() == 1  # real match joins


def test_sticky_accented_spellings_join_after_normalisation(db):
    load_records([_name_only_work("First paper", ["José Müller", "Ada Lovelace"])], source="bibtex")
    load_records(
        [_name_only_work("Second paper", ["Jose Muller", "Ada Lovelace"])], source="bibtex"
    )

    assert Author.objects.filter(name_key="jose muller").count() == 1


def test_sticky_different_persistent_ids_are_never_merged(db):
    def work(title: str, author_id: str) -> WorkRecord:
        author = AuthorRecord(display_name="Wei Zhang", openalex_id=author_id)
        shared = AuthorRecord(display_name="Ada Lovelace", openalex_id="A100")
        return WorkRecord(
            title=title,
            year=2020,
            openalex_id=f"W{author_id[1:]}",
            authorships=(
                AuthorshipRecord(raw_author_name="Wei Zhang", author=author),
                AuthorshipRecord(raw_author_name="Ada Lovelace", author=shared),
            ),
        )

    load_records([work("One", "A1"), work("Two", "A2")], source="openalex")

    assert Author.objects.filter(display_name="Wei Zhang").count() == 2
    assert Authorship.objects.filter(author__openalex_id="A100").count() == 2
