"""One access rule for every public page and action about an author
(profiles.selectors.author_for_page): unknown or hidden is a 404, a merged-away slug is a
301 to the same page of the kept author on pages, and the kept author in actions."""

from __future__ import annotations

import pytest
from django.http import Http404

from profiles import selectors
from profiles.models import Follow
from works.models import Institution

pytestmark = [pytest.mark.sqlite, pytest.mark.usefixtures("clear_cache")]

HTMX = {"HX-Request": "true"}
# Every public GET page about one author, as (path, query); {slug} is the author's.
PAGES = [
    ("/researchers/{slug}/", {"page": "1"}),
    ("/researchers/{slug}/graph/", {}),
    ("/researchers/{slug}/claim/", {}),
    ("/researchers/{slug}/invite/", {}),
]


@pytest.fixture
def visitor(make_account, logged_in):
    """A logged-in user who neither owns nor curates anything (claim and invite need a login)."""
    return logged_in(make_account())


@pytest.mark.parametrize(("path", "query"), PAGES)
def test_every_public_page_of_a_hidden_profile_is_404(visitor, make_author, path, query):
    hidden = make_author(hidden=True)

    response = visitor.get(path.format(slug=hidden.slug), query, headers=HTMX)

    assert response.status_code == 404


def test_explorer_centred_on_a_hidden_profile_is_404(visitor, make_author):
    hidden = make_author(hidden=True)

    assert visitor.get("/explore/", {"center": hidden.slug}).status_code == 404


def test_hidden_profile_cannot_be_followed(visitor, make_author):
    hidden = make_author(hidden=True)

    response = visitor.post(f"/researchers/{hidden.slug}/follow/", headers=HTMX)

    assert response.status_code == 404
    assert not Follow.objects.exists()
    hidden.refresh_from_db()
    assert hidden.followers_count == 0


@pytest.mark.parametrize(("path", "query"), PAGES)
def test_every_public_page_of_a_merged_slug_redirects_permanently_to_the_kept_author(
    visitor, make_author, path, query
):
    kept = make_author()
    merged = make_author(merged_into=kept)

    response = visitor.get(path.format(slug=merged.slug), query, headers=HTMX)

    assert response.status_code == 301
    assert response["Location"].startswith(path.format(slug=kept.slug))


def test_merged_slug_whose_kept_author_is_hidden_redirects_then_404s(visitor, make_author):
    kept = make_author(hidden=True)
    merged = make_author(merged_into=kept)

    response = visitor.get(f"/researchers/{merged.slug}/claim/", follow=True)

    assert response.redirect_chain == [(f"/researchers/{kept.slug}/claim/", 301)]
    assert response.status_code == 404


def test_follow_on_a_merged_slug_follows_the_kept_author(visitor, make_author):
    kept = make_author()
    merged = make_author(merged_into=kept)

    response = visitor.post(f"/researchers/{merged.slug}/follow/")

    assert response.status_code == 302
    assert response["Location"] == kept.get_absolute_url()
    assert list(Follow.objects.values_list("author_id", flat=True)) == [kept.pk]


def test_follow_on_a_merged_slug_into_a_hidden_author_is_404(visitor, make_author):
    kept = make_author(hidden=True)
    merged = make_author(merged_into=kept)

    assert visitor.post(f"/researchers/{merged.slug}/follow/").status_code == 404
    assert not Follow.objects.exists()


def test_author_for_page_follows_a_chain_of_merges_in_one_step(make_author):
    kept = make_author()
    middle = make_author(merged_into=kept)
    oldest = make_author(merged_into=middle)

    with pytest.raises(selectors.AuthorMerged) as merged:
        selectors.author_for_page(oldest.slug)
    assert merged.value.kept.pk == kept.pk
    acted_on = selectors.author_for_page(oldest.slug, for_action=True)
    assert acted_on.pk == kept.pk


def test_author_for_page_shows_a_hidden_record_only_as_an_owner_preview(make_author):
    hidden = make_author(hidden=True)

    with pytest.raises(Http404):
        selectors.author_for_page(hidden.slug)
    with pytest.raises(Http404):
        selectors.author_for_page(hidden.slug, for_action=True)
    assert selectors.author_for_page(hidden.slug, owner_preview=True).pk == hidden.pk
    with pytest.raises(Http404):
        selectors.author_for_page("nobody-at-all")


def test_author_for_page_loads_what_the_profile_header_shows(
    make_author, django_assert_num_queries
):
    place = Institution.objects.create(display_name="University of Michigan")
    author = make_author(last_known_institution=place)

    with django_assert_num_queries(1):  # the institution comes with the author, no 2nd query
        found = selectors.author_for_page(author.slug)
        assert found.last_known_institution.display_name == "University of Michigan"
