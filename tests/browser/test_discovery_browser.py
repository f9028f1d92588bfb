"""Search as a new user does it in Chromium: live results as they type, facets through htmx
with the state in the URL, and the Cite control's copy button."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def _wait_for_query(page, **params: str) -> None:
    """htmx pushes the state into the URL with the history API: no page load to wait for."""
    page.wait_for_function(
        """expected => {
            const now = Object.fromEntries(new URLSearchParams(location.search));
            return JSON.stringify(now) === JSON.stringify(expected);
        }""",
        arg=params,
    )


def test_live_search_facets_and_cite(page, live_server, make_author, make_work, make_topic):
    song = make_author("Mingli Song")
    optics = make_topic("Optics")
    make_work([song], [optics], title="Laser cooling of atoms", type="article", year=2021)
    make_work([song], title="Laser cooling again", type="preprint", year=2022)

    page.goto(f"{live_server.url}/search/")
    page.fill("#search-q", "M. Song")
    page.locator(".search-hit--researcher").first.wait_for()
    assert "initials match Mingli Song" in page.locator("#search-results").inner_text()
    _wait_for_query(page, q="M. Song")

    page.fill("#search-q", "laser cooling")
    page.get_by_role("link", name="preprint").wait_for()
    page.get_by_role("link", name="preprint").click()
    _wait_for_query(page, q="laser cooling", type="preprint")
    hits = page.locator(".search-hit--work")
    assert hits.count() == 1 and "Laser cooling again" in hits.first.inner_text()

    # typing again keeps the chosen facet (the hidden inputs belong to the form)
    page.fill("#search-q", "laser")
    _wait_for_query(page, q="laser", type="preprint")

    hits.first.get_by_role("link", name="Laser cooling again").click()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.locator('[data-copy-target="cite-1"]').click()
    page.get_by_text("Copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Song, M. (2022). Laser cooling again.")
