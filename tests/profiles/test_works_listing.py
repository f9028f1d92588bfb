"""The profile's works list: bounded bylines and a sort that does not read every work."""

from __future__ import annotations

import pytest

from tests.html import visible_text
from works.models import BYLINE_LENGTH

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]


def test_works_listing_byline_shows_the_first_names_the_author_and_how_many_more(
    client, make_author, make_work
):
    people = [make_author(f"Person {i:02d}") for i in range(30)]
    centre = people[25]
    make_work(authors=people, title="A very large collaboration")
    text = visible_text(client.get(centre.get_absolute_url()).content.decode())
    byline = text.split("A very large collaboration", 1)[1]
    shown = [f"Person {i:02d}" for i in range(BYLINE_LENGTH)]
    assert all(name in byline for name in shown)
    assert "Person 10" not in byline and "Person 24" not in byline
    assert "… Person 25" in byline
    assert "and 4 more" in byline


def test_works_listing_orders_by_year_then_title_and_queries_stay_flat(
    client, make_author, make_work, django_assert_max_num_queries
):
    small, hub = make_author("Small Author"), make_author("Hub Author")
    make_work(authors=[small], title="Only paper", year=2001)
    for i in range(60):
        make_work(authors=[hub, *[make_author() for _ in range(12)]], year=2000 + i % 5)
    make_work(authors=[hub], title="Zebra studies", year=2004)
    make_work(authors=[hub], title="Aardvark studies", year=2004)
    make_work(authors=[hub], title="Undated", year=None)
    with django_assert_max_num_queries(8):
        page = client.get(hub.get_absolute_url()).content.decode()
    text = visible_text(page)
    assert text.index("Aardvark studies") < text.index("Zebra studies")
    with django_assert_max_num_queries(8):
        client.get(small.get_absolute_url())
    last = visible_text(client.get(hub.get_absolute_url() + "?page=4").content.decode())
    assert "Undated" in last  # a work without a year goes last
