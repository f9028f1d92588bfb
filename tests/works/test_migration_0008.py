"""Migration 0008 on rows written before it: unknown counts become NULL, title keys of
marked-up titles and names with invisible characters are brought in line."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("works", "0007_author_institution_from_profiles")]
AFTER = [("works", "0008_crossref_format_cited_by_count_nullable")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    """The tests after this one need every migration: the schema goes back to the leaves."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_migration_0008_fixes_rows_written_before_it(back_to_latest):
    old = _migrate(BEFORE)
    Work = old.get_model("works", "Work")
    Author = old.get_model("works", "Author")
    counted = Work.objects.create(title="Counted", title_key="counted", source="openalex")
    arxiv = Work.objects.create(title="Preprint", title_key="preprint", source="arxiv")
    cited = Work.objects.create(title="Cited", title_key="cited", source="bibtex", cited_by_count=3)
    marked = Work.objects.create(
        title="Text Mining Infrastructure in<i>R</i> &amp; more",
        title_key="text mining infrastructure in i r i amp more",
        source="openalex",
    )
    author = Author.objects.create(
        slug="john-smith", display_name="\u202eJo\u200bhn Smith", name_key="jo hn smith"
    )

    new = _migrate(AFTER)
    Work = new.get_model("works", "Work")
    Author = new.get_model("works", "Author")
    counts = dict(Work.objects.values_list("pk", "cited_by_count"))
    assert counts[counted.pk] == 0  # OpenAlex said 0
    assert counts[arxiv.pk] is None  # arXiv said nothing
    assert counts[cited.pk] == 3
    assert Work.objects.get(pk=marked.pk).title_key == "text mining infrastructure in r more"
    fixed = Author.objects.get(pk=author.pk)
    assert (fixed.display_name, fixed.name_key, fixed.slug) == (
        "John Smith",
        "john smith",
        "john-smith",
    )
