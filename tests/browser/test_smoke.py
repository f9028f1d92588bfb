import pytest

pytestmark = pytest.mark.browser


def test_admin_login_page_renders_in_chromium(page, live_server):
    page.goto(f"{live_server.url}/admin/login/")

    assert page.title() == "Log in | Django site admin"
    assert page.locator("input[name=username]").is_visible()
