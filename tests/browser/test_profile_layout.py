"""Issue 12 in Chromium: the profile page's layout, phones, focus, accessibility (axe-core)
and the works list's sort and filters, with and without JavaScript, signed in and out."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from works.models import Institution, Venue, Work

pytestmark = pytest.mark.browser

ABSTRACT = (
    "We study how knowledge moves between networks of different shapes, and why. "
    "Experiments over CIFAR, NYUv2 and ImageNet show large gains; code is at "
    "https://example.org/code. "
) * 6
SERIOUS = {"serious", "critical"}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield


@pytest.fixture
def scholar(make_author, make_work, make_topic):
    """A profile like the seed's: 24 works with long abstracts, 16 co-authors, topics, an
    institution and identity links; a trust score and its one-point history."""
    from profiles.trust_engine import trust_scores_recompute

    institution = Institution.objects.create(
        display_name="Zhejiang University", homepage_url="https://www.zju.edu.cn"
    )
    author = make_author(
        "Mingli Song",
        slug="mingli-song",
        orcid="0000-0002-1825-0097",
        openalex_id="A5023888391",
        last_known_institution=institution,
        open_to_collaborate=True,
    )
    people = [make_author(f"Coauthor Number {i}") for i in range(16)]
    topics = [make_topic(name) for name in ("Machine learning", "Computer vision", "Graphs")]
    venue = Venue.objects.create(name="arXiv")
    for i in range(24):
        make_work(
            authors=[author, people[i % 16], people[(i * 5 + 3) % 16]],
            topics=[topics[i % 3]],
            title=f"Data-free knowledge distillation across network shapes, study {i:02d}",
            year=2026 - i // 3,
            type=Work.Type.PREPRINT if i % 4 else Work.Type.ARTICLE,
            cited_by_count=i * 3 % 17,
            abstract=ABSTRACT,
            venue=venue,
            doi=f"10.1000/study.{i}",
        )
    trust_scores_recompute(author_ids=[author.pk])
    author.refresh_from_db()
    return author


def _sign_in(page: Page, live_server, make_user) -> None:
    user = make_user(email="a.rather.long.address.for.a.researcher@example-university.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def _load_graph(page: Page) -> None:
    page.locator("#graph-slice").scroll_into_view_if_needed()
    page.locator("#graph-slice svg.graph-svg").wait_for()


def _no_js_page(browser: Browser, **options) -> Page:
    context = browser.new_context(java_script_enabled=False, **options)
    context.set_default_timeout(10_000)
    return context.new_page()


# --- layout ------------------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_profile_first_work_title_within_1800px_at_1280_with_the_graph_loaded(
    page, live_server, scholar, make_user, signed_in
):
    if signed_in:
        _sign_in(page, live_server, make_user)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{scholar.get_absolute_url()}")
    _load_graph(page)

    top = page.evaluate(
        "document.querySelector('.work-item__title').getBoundingClientRect().top + scrollY"
    )
    header_height = page.locator(".site-header").bounding_box()["height"]

    assert top < 1800
    assert header_height < 80  # the signed-in nav stays on one line on a desktop
    # title first and strongest: larger than the abstract, which starts collapsed
    title_size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.work-item__title')).fontSize)"
    )
    assert title_size >= 18
    assert not page.locator(".work-item__abstract p").first.is_visible()


def test_profile_seed_sections_stay_in_order_in_the_browser(page, live_server, scholar):
    page.goto(f"{live_server.url}{scholar.get_absolute_url()}")
    text = page.locator("main").inner_text()

    order = [
        "Researcher profile",
        "Trust snapshot",
        "Quick read",
        "Actions",
        "Decide how to stay connected",
        "Identity and collaboration",
        "How to connect with this researcher",
        "Direct collaboration",
        "Open a focused conversation when the fit is right",
        "Research graph",
        "See the researcher in context",
        "Published work",
        "24 published item(s)",
    ]
    positions = [text.upper().find(words.upper()) for words in order]
    assert -1 not in positions
    assert positions == sorted(positions)


# --- phones ------------------------------------------------------------------------------


PAGES_ANONYMOUS = ["/", "/?q=song", "{profile}", "/explore/", "/explore/?center={slug}",
                   "{work}", "/accounts/login/", "/accounts/signup/"]  # fmt: skip
PAGES_SIGNED_IN = PAGES_ANONYMOUS[:6] + ["{profile}claim/", "/following/", "/inbox/"]


@pytest.mark.parametrize("width", [360, 390])
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_no_page_is_wider_than_a_phone(page, live_server, scholar, make_user, signed_in, width):
    if signed_in:
        _sign_in(page, live_server, make_user)
    page.set_viewport_size({"width": width, "height": 844})
    work = scholar.authorships.first().work
    paths = PAGES_SIGNED_IN if signed_in else PAGES_ANONYMOUS
    for path in paths:
        url = path.format(
            profile=scholar.get_absolute_url(), slug=scholar.slug, work=work.get_absolute_url()
        )
        page.goto(live_server.url + url)
        if url == scholar.get_absolute_url():
            _load_graph(page)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{url} is {scroll_width}px wide at {width}px"
        assert page.locator(".site-header").bounding_box()["height"] < 130, url


def test_phone_header_collapses_behind_a_menu_that_reaches_log_out(
    page, live_server, scholar, make_user
):
    _sign_in(page, live_server, make_user)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}{scholar.get_absolute_url()}")

    log_out = page.get_by_role("button", name="Log out")
    assert not log_out.is_visible()

    page.get_by_role("button", name="Menu").click()

    expect(log_out).to_be_visible()
    box = log_out.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"


def test_phone_graph_lists_first_drawing_scaled_enlargeable_text_never_under_11px(
    page, live_server, scholar
):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}{scholar.get_absolute_url()}")
    _load_graph(page)

    lists = page.locator(".graph-lists-panel")
    drawing = page.locator("#graph-slice svg.graph-svg")
    assert lists.bounding_box()["y"] < drawing.bounding_box()["y"]  # lists first
    assert lists.evaluate("d => d.open") is True
    assert drawing.bounding_box()["width"] <= 390
    assert drawing.get_attribute("viewBox")
    assert _smallest_visible_drawing_text(page) is None  # names hidden rather than tiny

    page.get_by_label("Enlarge the drawing").check()

    smallest = _smallest_visible_drawing_text(page)
    assert smallest is not None and smallest >= 11
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the box scrolls


def test_desktop_graph_names_every_node_at_11px_or_more(page, live_server, scholar):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{scholar.get_absolute_url()}")
    _load_graph(page)

    smallest = _smallest_visible_drawing_text(page)
    nodes = page.locator("#graph-slice .graph-svg .node").count()
    labels = page.locator("#graph-slice .graph-svg text").count()

    assert smallest is not None and smallest >= 11
    assert nodes == labels > 5
    assert _touching_names(page) == (0, 0)

    page.goto(f"{live_server.url}/explore/?center={scholar.slug}&depth=2")
    page.locator("svg.graph-svg").wait_for()
    assert _touching_names(page) == (0, 0)
    assert _smallest_visible_drawing_text(page, "") >= 11


def _touching_names(page: Page) -> tuple[int, int]:
    """Pairs of names whose rendered boxes overlap, and names that run out of the drawing."""
    return tuple(
        page.evaluate(
            """() => {
              const svg = document.querySelector('.graph-svg');
              const box = svg.getBoundingClientRect();
              const names = [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect());
              let pairs = 0;
              names.forEach((a, i) => names.slice(i + 1).forEach(b => {
                const apart = a.right <= b.left || b.right <= a.left
                  || a.bottom <= b.top || b.bottom <= a.top;
                if (!apart) pairs++;
              }));
              const outside = names.filter(r => r.left < box.left - 1 || r.right > box.right + 1);
              return [pairs, outside.length];
            }"""
        )
    )


def _smallest_visible_drawing_text(page: Page, within: str = "#graph-slice ") -> float | None:
    """The smallest font size, in CSS px as shown, of the drawing's visible names."""
    return page.evaluate(
        """(within) => {
          const sizes = [...document.querySelectorAll(within + '.graph-svg text')]
            .filter(t => t.getClientRects().length && getComputedStyle(t).display !== 'none'
                         && t.getBoundingClientRect().width > 0)
            .map(t => parseFloat(t.getAttribute('font-size')) * t.getScreenCTM().a);
          return sizes.length ? Math.min(...sizes) : null;
        }""",
        within,
    )


# --- focus and names ---------------------------------------------------------------------


def test_more_works_moves_focus_to_the_first_new_work(page, live_server, scholar):
    page.goto(f"{live_server.url}{scholar.get_absolute_url()}")
    assert page.locator(".work-item").count() == 20

    page.get_by_role("button", name="More works").click()

    expect(page.locator(".work-item")).to_have_count(24)
    first_new = page.locator(".work-item").nth(20)
    expect(first_new.locator(".work-item__title a")).to_be_focused()


def test_follow_keeps_focus_on_the_button_and_names_it_right(page, live_server, scholar, make_user):
    _sign_in(page, live_server, make_user)
    page.goto(f"{live_server.url}{scholar.get_absolute_url()}")
    button = page.locator("#follow-button")
    expect(button).to_have_accessible_name("Follow researcher 0 followers")

    button.focus()
    page.keyboard.press("Enter")

    expect(button).to_have_accessible_name("Following 1 follower")
    expect(button).to_be_focused()
    assert page.locator("#followers-count").inner_text() == "1"


# --- accessibility: axe-core -------------------------------------------------------------


def _serious_violations(page: Page, context=None) -> list[str]:
    results = Axe().run(page, context=context) if context else Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("width", [1280, 390])
def test_axe_no_serious_violations_anonymous(page, live_server, scholar, width):
    page.set_viewport_size({"width": width, "height": 900})
    work = scholar.authorships.first().work
    found = {}
    for path in ("/", scholar.get_absolute_url(), f"/explore/?center={scholar.slug}",
                 work.get_absolute_url(), "/accounts/login/"):  # fmt: skip
        page.goto(live_server.url + path)
        if path == scholar.get_absolute_url():
            _load_graph(page)
            page.locator(".trust-more summary").click()  # the history and its chart
        found[path] = _serious_violations(page)
    assert found == dict.fromkeys(found, [])


@pytest.mark.parametrize("width", [1280, 390])
def test_axe_no_serious_violations_signed_in(page, live_server, scholar, make_user, width):
    _sign_in(page, live_server, make_user)
    page.set_viewport_size({"width": width, "height": 900})
    found = {}
    for path in (scholar.get_absolute_url(), f"{scholar.get_absolute_url()}claim/", "/"):
        page.goto(live_server.url + path)
        if path == scholar.get_absolute_url():
            _load_graph(page)
        found[path] = _serious_violations(page)
    assert found == dict.fromkeys(found, [])


def test_axe_no_serious_violations_in_the_dark_theme(browser, live_server, scholar, make_user):
    context = browser.new_context(color_scheme="dark", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    _sign_in(page, live_server, make_user)
    page.goto(f"{live_server.url}{scholar.get_absolute_url()}")
    _load_graph(page)
    page.locator(".trust-more summary").click()
    found = {"page": _serious_violations(page)}
    page.locator("#follow-button").hover()
    found["follow hovered"] = _serious_violations(page, "#follow")
    page.get_by_role("link", name="Oldest").hover()
    found["sort hovered"] = _serious_violations(page, ".works-controls")
    context.close()

    assert found == dict.fromkeys(found, [])


def test_axe_follow_button_contrast_holds_on_hover_and_when_following(
    page, live_server, scholar, make_user
):
    """The count used to turn white on light blue (1.1:1) on hover."""
    _sign_in(page, live_server, make_user)
    page.goto(f"{live_server.url}{scholar.get_absolute_url()}")
    button = page.locator("#follow-button")

    button.hover()
    hovered = _serious_violations(page, "#follow")
    button.click()
    expect(button).to_have_accessible_name(re.compile("^Following"))
    button.hover()
    following_hovered = _serious_violations(page, "#follow")
    page.mouse.move(0, 0)
    following = _serious_violations(page, "#follow")

    assert hovered == following_hovered == following == []


# --- sort, filters and pages, with and without JavaScript --------------------------------


def _titles(page: Page) -> list[str]:
    return page.locator(".work-item__title").all_inner_texts()


def test_sort_and_filter_through_htmx_keep_the_state_in_the_url(page, live_server, scholar):
    page.goto(f"{live_server.url}{scholar.get_absolute_url()}")
    page.evaluate("window.notReloaded = true")
    newest = _titles(page)[0]

    page.get_by_role("link", name="Oldest").click()
    page.wait_for_url(re.compile(r"\?sort=oldest$"))
    expect(page.locator(".work-item__title").first).to_contain_text("study 21")
    assert _titles(page)[0] != newest
    expect(page.get_by_role("link", name="Oldest")).to_be_focused()  # focus kept on swap

    page.get_by_label("Type", exact=True).select_option("article")
    page.get_by_label("From year").fill("2020")
    page.get_by_role("button", name="Apply filters").click()

    page.wait_for_url(re.compile(r"sort=oldest.*type=article.*from=2020"))
    expect(page.locator(".works-list__status")).to_contain_text("match these filters")
    assert all(
        t.endswith(("00", "04", "08", "12", "16", "20")) for t in _titles(page)
    )  # the articles (every 4th study) from 2020 on, oldest first
    assert page.evaluate("window.notReloaded") is True

    page.go_back()
    page.wait_for_url(re.compile(r"\?sort=oldest$"))


def test_sort_and_filter_without_javascript(browser, live_server, scholar):
    page = _no_js_page(browser)
    page.goto(f"{live_server.url}{scholar.get_absolute_url()}")

    page.get_by_role("link", name="Most cited").click()
    page.wait_for_url(re.compile(r"\?sort=cited#published-work$"))
    cited = [int(c) for c in re.findall(r"cited by (\d+)", page.locator("#works").inner_text())]
    assert cited == sorted(cited, reverse=True) and cited

    page.get_by_label("Type", exact=True).select_option("article")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"sort=cited.*type=article"))
    assert page.locator(".work-item").count() == 6
    page.context.close()


def test_previous_and_next_work_with_javascript(page, live_server, scholar):
    page.goto(f"{live_server.url}{scholar.get_absolute_url()}?page=2")

    page.get_by_role("link", name="Previous").click()

    page.wait_for_url(re.compile(r"\?page=1#published-work$"))
    assert page.locator(".work-item").count() == 20
    page.get_by_role("link", name="Next").click()
    page.wait_for_url(re.compile(r"\?page=2#published-work$"))
    assert page.locator(".work-item").count() == 4


def test_previous_and_next_work_without_javascript(browser, live_server, scholar):
    page = _no_js_page(browser)
    page.goto(f"{live_server.url}{scholar.get_absolute_url()}")
    assert not page.get_by_role("button", name="More works").is_visible()

    page.get_by_role("link", name="Next").click()
    page.wait_for_url(re.compile(r"\?page=2#published-work$"))
    assert page.locator(".work-item").count() == 4
    page.get_by_role("link", name="Previous").click()
    page.wait_for_url(re.compile(r"\?page=1#published-work$"))
    assert page.locator(".work-item").count() == 20
    page.context.close()


# --- small things ------------------------------------------------------------------------


def test_profile_has_a_favicon_and_no_console_errors(page, live_server, scholar):
    errors, icons = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: icons.append(r.status) if "favicon" in r.url else None)

    page.goto(f"{live_server.url}{scholar.get_absolute_url()}")
    _load_graph(page)
    page.wait_for_load_state("networkidle")

    assert errors == []
    assert icons and set(icons) == {200}


def test_graph_section_without_javascript_offers_the_explorer(browser, live_server, scholar):
    page = _no_js_page(browser)
    page.goto(f"{live_server.url}{scholar.get_absolute_url()}")

    section = page.locator(".graph-section")
    assert "Building this graph slice" not in section.inner_text()
    link = section.get_by_role("link", name=re.compile("the explorer lists"))
    link.click()
    page.wait_for_url(re.compile(rf"/explore/\?center={scholar.slug}"))
    assert "Coauthor Number" in page.locator("main").inner_text()
    page.context.close()


def test_trust_history_of_one_point_shows_the_point_and_its_value(page, live_server, scholar):
    page.goto(f"{live_server.url}{scholar.get_absolute_url()}")
    page.get_by_text("Why this score, and its history").click()

    point = page.locator(".trust-history__point")
    expect(point).to_be_visible()
    assert page.locator(".trust-history__value").text_content() == str(scholar.trust_score)


@pytest.mark.parametrize("width", [1280, 390])
def test_login_remember_me_checkbox_sits_next_to_its_label(page, live_server, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")

    box = page.get_by_label("Remember Me").bounding_box()
    label = page.locator("label[for=id_remember]").bounding_box()

    assert abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 6
    assert 0 <= label["x"] - (box["x"] + box["width"]) < 24  # the box, then its words
