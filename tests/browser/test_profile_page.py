"""The profile page's htmx behaviour in Chromium: lazy graph slice, More works, Follow."""

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.browser


@pytest.fixture
def author(make_author, make_work):
    author = make_author("Centre Person", works_count=25)
    coauthor = make_author("Frequent Coauthor")
    for year in range(2000, 2025):
        make_work(authors=[author, coauthor], year=year, title=f"Paper of {year}")
    return author


def test_profile_graph_slice_replaces_placeholder(page, live_server, author):
    page.goto(f"{live_server.url}{author.get_absolute_url()}")
    page.locator("#graph-slice").scroll_into_view_if_needed()

    page.locator("#graph-slice svg.graph-svg").wait_for()
    page.get_by_text("Co-authors, works, topics and institutions as lists").click()
    slice_ = page.locator("#graph-slice .graph-slice__grid")

    assert "Frequent Coauthor" in slice_.inner_text()
    assert page.get_by_text("Building this graph slice").count() == 0


def test_profile_more_works_appends_next_page(page, live_server, author):
    page.goto(f"{live_server.url}{author.get_absolute_url()}")
    assert page.locator(".work-item").count() == 20

    page.get_by_role("button", name="More works").click()

    page.get_by_text("Paper of 2000").wait_for()
    assert page.locator(".work-item").count() == 25
    assert page.get_by_role("button", name="More works").count() == 0
    assert page.url.endswith(author.get_absolute_url())


def test_profile_follow_button_posts_with_htmx(page, live_server, author, make_user):
    client = Client()
    client.force_login(make_user())
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}{author.get_absolute_url()}")

    page.get_by_role("button", name="Follow researcher").click()

    page.get_by_role("button", name="Following").wait_for()
    assert page.locator("#followers-count").inner_text() == "1"
    author.refresh_from_db()
    assert author.followers_count == 1
