import pytest

pytestmark = pytest.mark.browser


def test_admin_login_page_renders_in_chromium(page, live_server):
    page.goto(f"{live_server.url}/admin/login/")

    # The admin logs in through the site's (rate-limited) login page: bzpeer/urls.py.
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert page.title().split() == ["Sign", "In", "·", "BZPEER"]
    assert page.locator("input[name=login]").is_visible()
