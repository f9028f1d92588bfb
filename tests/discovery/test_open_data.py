"""Open data: JSON-LD (escaped), Open Graph, canonical links, Atom feeds, sitemaps, robots.txt.
Hidden and merged-away profiles appear in none of them."""

from __future__ import annotations

import json
import re

import pytest
from defusedxml import ElementTree

from works.export_views import AuthorSitemap
from works.models import Institution

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
EVIL = '</script><script>alert("x")</script><!--'


def _jsonld(body: str) -> list[dict]:
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    return [json.loads(s) for s in scripts]


def test_profile_person_jsonld_open_graph_canonical_feed_link(client, make_author, make_work):
    place = Institution.objects.create(display_name="Zhejiang University", ror="00a2xv884")
    author = make_author(
        "Mingli Song",
        orcid="0000-0002-1825-0097",
        openalex_id="A5012345678",
        last_known_institution=place,
    )
    make_work([author])
    body = client.get(author.get_absolute_url()).content.decode()
    (person,) = _jsonld(body)
    assert person["@type"] == "Person" and person["name"] == "Mingli Song"
    assert person["sameAs"] == [
        "https://orcid.org/0000-0002-1825-0097",
        "https://openalex.org/A5012345678",
    ]
    assert person["affiliation"] == {
        "@type": "Organization",
        "name": "Zhejiang University",
        "sameAs": "https://ror.org/00a2xv884",
    }
    url = f"http://testserver{author.get_absolute_url()}"
    assert f'<link rel="canonical" href="{url}">' in body
    assert f'<meta property="og:url" content="{url}">' in body
    assert f'href="/researchers/{author.slug}/feed/"' in body
    assert f'href="{place.get_absolute_url()}"' in body  # the affiliation links its page


def test_imported_text_cannot_close_the_jsonld_script(client, make_author, make_work):
    author = make_author(EVIL)
    work = make_work([author], title=EVIL, abstract=EVIL)
    for url in (author.get_absolute_url(), work.get_absolute_url()):
        body = client.get(url).content.decode()
        assert "<script>alert" not in body
        assert "<!--" not in body.split("</head>")[0].split("application/ld+json")[1]
        (data,) = _jsonld(body)
        assert EVIL in (data.get("name"), data.get("headline"))  # the text survives, escaped


def test_work_scholarly_article(client, make_author, make_work):
    shown, hidden = make_author("Jie Song"), make_author("Hidden Person", hidden=True)
    work = make_work([shown, hidden], title="Spot", doi="10.1109/tip.2022.3170728", year=2022)
    (article,) = _jsonld(client.get(work.get_absolute_url()).content.decode())
    assert article["@type"] == "ScholarlyArticle"
    assert article["identifier"]["value"] == "10.1109/tip.2022.3170728"
    assert article["datePublished"] == "2022"
    people = article["author"]
    assert people[0]["url"] == f"http://testserver{shown.get_absolute_url()}"
    assert "url" not in people[1]  # the byline names them; their hidden profile is not linked


def test_atom_feed_of_new_works(client, make_author, make_work, django_assert_max_num_queries):
    author = make_author("Feed Person")
    make_work([author], title="Older work $\\times$ 2")
    make_work([author], title="Newer work")
    with django_assert_max_num_queries(3):
        response = client.get(f"/researchers/{author.slug}/feed/")
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert titles == ["Newer work", "Older work × 2"]


def test_feeds_of_hidden_and_merged_profiles(client, make_author):
    kept = make_author("Kept")
    merged = make_author("Merged", merged_into=kept)
    hidden = make_author("Hidden", hidden=True)
    assert client.get(f"/researchers/{hidden.slug}/feed/").status_code == 404
    response = client.get(f"/researchers/{merged.slug}/feed/")
    assert (response.status_code, response["Location"]) == (301, f"/researchers/{kept.slug}/feed/")


def test_hidden_profile_page_has_no_open_data(client, make_author, make_user):
    author = make_author("Private Person", hidden=True)
    client.force_login(make_user(is_staff=True))  # staff still see the page, marked hidden
    response = client.get(author.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200 and "Private Person" in body
    assert '<meta name="robots" content="noindex">' in body
    assert "application/ld+json" not in body
    assert 'rel="canonical"' not in body


def test_sitemaps_list_only_listed_profiles_in_pages(client, make_author, make_work, monkeypatch):
    listed = [make_author(f"Listed {n}") for n in range(3)]
    hidden = make_author("Hidden", hidden=True)
    merged = make_author("Merged", merged_into=listed[0])
    make_work(listed[:1])

    index = ElementTree.fromstring(client.get("/sitemap.xml").content)
    sections = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert "http://testserver/sitemap-researchers.xml" in sections
    assert "http://testserver/sitemap-works.xml" in sections

    monkeypatch.setattr(AuthorSitemap, "limit", 2)  # two URLs a page: three listed -> 2 pages
    index = ElementTree.fromstring(client.get("/sitemap.xml").content)
    pages = [loc.text for loc in index.iter(f"{SITEMAP}loc") if "researchers" in loc.text]
    assert pages == [
        "http://testserver/sitemap-researchers.xml",
        "http://testserver/sitemap-researchers.xml?p=2",
    ]
    urls = []
    for page in (1, 2):
        xml = client.get("/sitemap-researchers.xml", {"p": page}).content
        urls += [loc.text for loc in ElementTree.fromstring(xml).iter(f"{SITEMAP}loc")]
    assert urls == [f"http://testserver{a.get_absolute_url()}" for a in listed]
    assert not any(hidden.slug in u or merged.slug in u for u in urls)


def test_robots_txt_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text
    assert "Disallow: /admin/" in text
