from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext

from profiles.models import Follow
from tests.html import visible_text
from works.models import Authorship, Institution, Venue, VerificationLevel

pytestmark = pytest.mark.sqlite

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"

# The profile page as first seen (/work/shared/seed/profile-page.txt) down to the works list,
# one text run a line: every line must appear, in this order.
SEED_SECTIONS = [
    "Researcher profile",
    "Mingli Song",
    "Mingli Song contributes to research discovery and scholarly infrastructure.",
    "ResearcherAffiliation not importedOpen to collaborate",
    "Trust snapshot",
    "Quick read",
    "Trust 21 - EmergingVerification L1Unclaimed author",
    "24works",
    "0followers",
    "9topics",
    "4close collaborators",
    "Actions",
    "Decide how to stay connected",
    "Follow researcher0",
    "Identity and collaboration",
    "How to connect with this researcher",
    "Claiming links this public author record to a researcher profile and unlocks direct "
    "collaboration workflows.",
    "Log in to claim",
    "Direct collaboration",
    "Open a focused conversation when the fit is right",
    "Claim this author entity first to unlock direct invitations.",
    "Research graph",
    "See the researcher in context",
    "Open full explorer",
    "Inspect adjacent work, topics, institutions and collaborators without jumping out to a "
    "separate graph page.",
    "Building this graph slice",
    "BZPEER is loading the nearby papers, people, topics and institutions for this page.",
    "Published work",
    "24 published item(s)",
    # A work reads title first, then byline, venue, year, type (issue 12): the seed's words
    # "preprint 2026 arXiv" stay, in that order of importance.
    "arXiv2026preprint",
]


def _squash(text: str) -> str:
    # The seed was copied from a browser, which glues adjacent inline elements together.
    return re.sub(r"\s+", "", text)


def _get_text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return visible_text(response.content)


@pytest.fixture
def seed_author(make_author, make_work):
    """Mingli Song as the seed shows him: 24 works, 0 followers, 9 topics, 4 collaborators."""
    author = make_author(
        "Mingli Song",
        slug="mingli-song",
        bio="Mingli Song contributes to research discovery and scholarly infrastructure.",
        trust_score=21,
        trust_band="Emerging",
        works_count=24,
        followers_count=0,
        topics_count=9,
        close_collaborators_count=4,
        open_to_collaborate=True,
    )
    arxiv = Venue.objects.create(name="arXiv")
    for i in range(24):
        make_work(authors=[author], year=2026 - i // 4, venue=arxiv)
    return author


# Page structure


def test_author_detail_shows_every_seed_section_in_order(client, seed_author):
    page = _squash(_get_text(client, seed_author.get_absolute_url()))

    position = 0
    for line in SEED_SECTIONS:
        found = page.find(_squash(line), position)
        assert found >= 0, f"{line!r} missing after position {position}"
        position = found + len(_squash(line))


def test_author_detail_states_missing_trust_and_claimed_records(client, make_author):
    author = make_author(verification_level=VerificationLevel.L3, open_to_collaborate=False)

    text = _get_text(client, author.get_absolute_url())

    assert "Trust not computed yet" in text
    assert "Verification L3" in text
    assert "Claimed author" in text
    assert "Unclaimed author" not in text
    assert "Open to collaborate" not in text
    assert "Claim this author entity first" not in text


def test_author_detail_shows_last_known_institution(client, make_author):
    institution = Institution.objects.create(display_name="Zhejiang University")
    author = make_author(last_known_institution=institution)

    text = _get_text(client, author.get_absolute_url())

    assert "Zhejiang University" in text
    assert "Affiliation not imported" not in text


def test_author_detail_derives_bio_from_top_topics(client, make_author, make_work, make_topic):
    author = make_author(bio="")
    vision, graphs, learning, rare = (
        make_topic(n) for n in ["Vision", "Graphs", "Learning", "Rare topic"]
    )
    for _ in range(3):
        make_work(authors=[author], topics=[vision, graphs, learning])
    make_work(authors=[author], topics=[graphs, learning, rare])
    make_work(authors=[author], topics=[learning])

    text = _get_text(client, author.get_absolute_url())

    assert "Publishes on Learning, Graphs and Vision." in text


def test_author_detail_loads_graph_slice_lazily_with_htmx(client, make_author):
    author = make_author()

    html = client.get(author.get_absolute_url()).content.decode()

    placeholder = re.search(r'<div[^>]*id="graph-slice"[^>]*>', html, re.S).group(0)
    assert f'hx-get="/researchers/{author.slug}/graph/"' in placeholder
    assert 'hx-trigger="revealed"' in placeholder
    assert 'hx-swap="outerHTML"' in placeholder
    assert f'href="/explore/?center={author.slug}"' in html


def test_author_detail_links_anonymous_follow_and_claim_to_login(client, make_author):
    author = make_author()

    html = client.get(author.get_absolute_url()).content.decode()

    login = resolve_url(settings.LOGIN_URL)
    assert f'href="{login}?next=/researchers/{author.slug}/"' in html  # Follow researcher
    assert f'href="{login}?next=/researchers/{author.slug}/claim/"' in html  # Log in to claim
    assert "<form" not in html.split('id="follow"')[1].split("</div>")[0]


# Text from imports: LaTeX and untrusted markup


def test_author_detail_renders_latex_as_text(client, make_author, make_work):
    author = make_author(works_count=1)
    make_work(
        authors=[author],
        title=r"Up to 100$\times$ Faster Sampling",
        abstract=r"A method, \textit{i.e.} a trick. Code: \url{https://github.com/a/b}.",
    )

    response = client.get(author.get_absolute_url())
    html = response.content.decode()
    text = visible_text(html)

    assert "Up to 100× Faster Sampling" in text
    assert "A method, i.e. a trick." in text
    assert "\\times" not in html
    assert "\\textit" not in html
    assert '<a href="https://github.com/a/b" rel="nofollow">' in html


def test_author_detail_escapes_markup_from_imported_text(client, make_author, make_work):
    author = make_author(works_count=1)
    coauthor = make_author(XSS_SCRIPT)
    make_work(authors=[author, coauthor], title=f"Title {XSS_SCRIPT}", abstract=f"Hi {XSS_IMG}")
    work = make_work(authors=[author], title=f"Math $x$ {XSS_IMG}")
    Authorship.objects.create(work=work, position=5, raw_author_name=XSS_IMG)

    html = client.get(author.get_absolute_url()).content.decode()

    assert XSS_SCRIPT not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


# Query budget


def _profile_with(make_author, make_work, make_topic, django_user_model, *, works: int) -> str:
    author = make_author(works_count=works, followers_count=works)
    coauthors = [make_author() for _ in range(min(works, 30))]
    topics = [make_topic() for _ in range(3)]
    for i in range(works):
        byline = [author, coauthors[i % len(coauthors)], coauthors[(i + 7) % len(coauthors)]]
        make_work(authors=list(dict.fromkeys(byline)), topics=topics[: 1 + i % 3])
    users = django_user_model.objects.bulk_create(
        django_user_model(username=f"{author.slug}-follower-{i}") for i in range(works)
    )
    Follow.objects.bulk_create(Follow(author=author, user=user) for user in users)
    return author.get_absolute_url()


def test_author_detail_queries_do_not_grow_with_works_coauthors_followers(
    client, make_author, make_work, make_topic, django_user_model, django_assert_max_num_queries
):
    """Guards against N+1 on bylines, venues, topics and follower rows of the works list."""
    small = _profile_with(make_author, make_work, make_topic, django_user_model, works=1)
    large = _profile_with(make_author, make_work, make_topic, django_user_model, works=200)

    with django_assert_max_num_queries(8) as small_queries:
        assert client.get(small).status_code == 200
    with django_assert_max_num_queries(8) as large_queries:
        response = client.get(large)
        assert response.status_code == 200

    assert len(response.context["page"].object_list) == settings.WORKS_PER_PAGE
    assert len(large_queries.captured_queries) == len(small_queries.captured_queries)


def test_author_detail_queries_are_bounded_for_logged_in_users(
    client, make_author, make_work, make_user
):
    author = make_author(works_count=30)
    for _ in range(30):
        make_work(authors=[author, make_author()])
    client.force_login(make_user())

    with CaptureQueriesContext(connection) as queries:
        assert client.get(author.get_absolute_url()).status_code == 200
    # session, user, author, viewer (claims, follow state); then the parts every viewer
    # shares: works, bylines, works per year and type, topics, trust history
    assert len(queries.captured_queries) <= 9

    with CaptureQueriesContext(connection) as queries:
        assert client.get(author.get_absolute_url()).status_code == 200
    # the shared parts now come from the cache: one query reads the session (in the
    # database, see settings.SESSION_ENGINE), its user, and the author's row with the
    # viewer's claims and follow state as columns (profiles/signed_in.py)
    assert len(queries.captured_queries) == 1, [q["sql"][:80] for q in queries.captured_queries]


# Pagination


@pytest.fixture
def author_with_25_works(make_author, make_work):
    author = make_author(works_count=25)
    for year in range(2000, 2025):
        make_work(authors=[author], year=year, title=f"Paper of {year}")
    return author


def test_author_detail_first_page_lists_newest_20_and_more_button(client, author_with_25_works):
    html = client.get(author_with_25_works.get_absolute_url()).content.decode()
    text = visible_text(html)

    assert "Paper of 2024" in text
    assert "Paper of 2005" in text
    assert "Paper of 2004" not in text
    assert text.index("Paper of 2024") < text.index("Paper of 2023")
    assert 'hx-get="?page=2"' in html
    assert 'href="?page=2#published-work"' in html  # the no-JavaScript Next link


def test_author_detail_page_2_is_a_full_page_without_htmx(client, author_with_25_works):
    response = client.get(author_with_25_works.get_absolute_url(), {"page": 2})
    html = response.content.decode()
    text = visible_text(html)

    assert response.status_code == 200
    assert "<html" in html
    assert "Published work" in text
    assert "Paper of 2004" in text
    assert "Paper of 2000" in text
    assert "Paper of 2005" not in text
    assert 'href="?page=1#published-work"' in html
    assert "?page=3" not in html


def test_author_detail_htmx_returns_only_the_next_works_fragment(client, author_with_25_works):
    response = client.get(
        author_with_25_works.get_absolute_url(), {"page": 2}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert "<html" not in html
    assert "published item(s)" not in html
    assert html.count('class="work-item"') == 5
    assert "Paper of 2000" in html
    assert "More works" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_author_detail_404s_past_the_last_works_page(client, author_with_25_works):
    response = client.get(author_with_25_works.get_absolute_url(), {"page": 3})

    assert response.status_code == 404


def test_author_detail_ignores_a_malformed_page_number(client, author_with_25_works):
    response = client.get(author_with_25_works.get_absolute_url(), {"page": "x"})

    assert response.status_code == 200
    assert response.context["page"].number == 1


# Access: merged and unknown authors


def test_author_detail_redirects_merged_author_permanently(client, make_author):
    kept = make_author(slug="kept-author")
    merged = make_author(slug="old-author", merged_into=kept)

    response = client.get(merged.get_absolute_url(), {"page": 2})

    assert response.status_code == 301
    assert response["Location"] == "/researchers/kept-author/?page=2"


def test_author_detail_follows_a_chain_of_merges(client, make_author):
    kept = make_author(slug="final-author")
    middle = make_author(merged_into=kept)
    oldest = make_author(merged_into=middle)

    response = client.get(oldest.get_absolute_url())

    assert response.status_code == 301
    assert response["Location"] == "/researchers/final-author/"


def test_author_detail_unknown_slug_renders_404_page(client, db):
    response = client.get("/researchers/nobody-here/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


# Home


def test_home_search_finds_researchers_by_name(client, make_author):
    make_author("Ada Lovelace")
    make_author("Alan Turing")
    make_author("Ada Merged", merged_into=make_author("Ada Kept"))

    text = _get_text(client, "/?q=ada")

    assert "Ada Lovelace" in text
    assert "Ada Kept" in text
    assert "Alan Turing" not in text
    assert "Ada Merged" not in text
    assert "2 researchers matching" in text


def test_home_search_is_paginated(client, make_author):
    for i in range(25):
        make_author(f"Grace Hopper {i:02d}")

    first = client.get("/", {"q": "grace"})
    second = client.get("/", {"q": "grace", "page": 2})

    assert len(first.context["results"].object_list) == 20
    assert len(second.context["results"].object_list) == 5
    assert "Page 2 of 2" in visible_text(second.content)


def test_home_without_query_lists_recently_updated_profiles(client, make_author):
    older = make_author("Older Profile")
    newer = make_author("Newer Profile")
    newer.save()

    text = _get_text(client, "/")

    assert "Recently updated profiles" in text
    assert text.index("Newer Profile") < text.index(older.display_name)


def test_home_htmx_search_returns_results_fragment(client, make_author):
    make_author("Ada Lovelace")

    response = client.get("/", {"q": "lovelace"}, headers={"HX-Request": "true"})
    html = response.content.decode()

    assert "<html" not in html
    assert 'id="results"' in html
    assert "Ada Lovelace" in html


def test_home_escapes_author_names(client, make_author):
    make_author(f"Eve {XSS_SCRIPT}")

    html = client.get("/").content.decode()

    assert XSS_SCRIPT not in html
    assert "Eve &lt;script&gt;" in html


# Follow


def test_follow_requires_login(client, make_author):
    author = make_author()

    response = client.post(f"/researchers/{author.slug}/follow/")

    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    assert not Follow.objects.exists()


def test_follow_rejects_get(client, make_author, make_user):
    author = make_author()
    client.force_login(make_user())

    assert client.get(f"/researchers/{author.slug}/follow/").status_code == 405


def test_follow_requires_csrf_token(make_author, make_user):
    author = make_author()
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(make_user())
    url = f"/researchers/{author.slug}/follow/"

    assert csrf_client.post(url).status_code == 403
    assert not Follow.objects.exists()

    csrf_client.get(author.get_absolute_url())  # sets the csrftoken cookie, as a browser would
    token = csrf_client.cookies[settings.CSRF_COOKIE_NAME].value
    assert csrf_client.post(url, headers={"X-CSRFToken": token}).status_code == 302
    assert Follow.objects.filter(author=author).count() == 1


def test_follow_twice_counts_once(client, make_author, make_user):
    author = make_author()
    client.force_login(make_user())
    url = f"/researchers/{author.slug}/follow/"

    client.post(url)
    response = client.post(url)

    author.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == author.get_absolute_url()
    assert Follow.objects.filter(author=author).count() == 1
    assert author.followers_count == 1


def test_follow_unfollow_is_idempotent(client, make_author, make_user):
    author = make_author()
    client.force_login(make_user())
    url = f"/researchers/{author.slug}/follow/"
    client.post(url)

    client.post(url, {"action": "unfollow"})
    client.post(url, {"action": "unfollow"})

    author.refresh_from_db()
    assert not Follow.objects.exists()
    assert author.followers_count == 0


def test_follow_htmx_returns_button_fragment(client, make_author, make_user):
    author = make_author(followers_count=4)
    client.force_login(make_user())

    response = client.post(f"/researchers/{author.slug}/follow/", headers={"HX-Request": "true"})
    html = response.content.decode()

    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="follow"' in html
    assert "Following" in html
    assert 'name="action" value="unfollow"' in html
    assert re.search(r'id="followers-count" hx-swap-oob="true">5<', html)


def test_author_detail_shows_follow_form_to_logged_in_users(client, make_author, make_user):
    author = make_author()
    user = make_user()
    Follow.objects.create(author=author, user=user)
    client.force_login(user)

    html = client.get(author.get_absolute_url()).content.decode()

    assert f'action="/researchers/{author.slug}/follow/"' in html
    assert 'aria-pressed="true"' in html
    assert "csrfmiddlewaretoken" in html
    assert '"X-CSRFToken": "' in html  # hx-headers on <body> for htmx posts
    assert "Claim this record" in html


def test_server_error_page_renders_without_a_request():
    # Django renders 500.html with an empty context: no user, no request, no CSRF token.
    html = render_to_string("500.html")

    assert "Something went wrong" in html
    assert "{%" not in html
