"""The `any` lookup (bzpeer.lib.lookups): the rows `in` finds, with one array parameter."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from works.models import Authorship

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]


def test_any_finds_what_in_finds(make_author):
    ada, grace, _ = make_author(openalex_id="A1"), make_author(openalex_id="A2"), make_author()
    wanted = ["A1", "A2", "A404", None]
    found = type(ada).objects.filter(openalex_id__any=wanted)

    assert set(found) == {ada, grace}
    assert set(found) == set(type(ada).objects.filter(openalex_id__in=wanted))
    assert not type(ada).objects.filter(openalex_id__any=[]).exists()


def test_any_on_a_foreign_key_and_across_a_join(make_author, make_work):
    author, work, other = make_author(), make_work(), make_work()
    Authorship.objects.create(work=work, author=author, position=0, raw_author_name="A")
    Authorship.objects.create(work=other, position=0, raw_author_name="B")

    assert list(Authorship.objects.filter(author_id__any=[author.pk]).values_list("work_id"))
    assert set(Authorship.objects.filter(work__pk__any=[work.pk, other.pk])) == set(
        Authorship.objects.all()
    )


@pytest.mark.postgresql  # arrays
def test_postgresql_sends_one_array_parameter(make_author):
    model = type(make_author())
    keys = [f"A{n}" for n in range(5000)]
    with CaptureQueriesContext(connection) as queries:
        list(model.objects.filter(openalex_id__any=keys))

    (query,) = [q["sql"] for q in queries]
    assert "= ANY(" in query
    assert query.count("A4999") == 1  # the values travel as one array, not 5,000 placeholders
