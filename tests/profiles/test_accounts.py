"""Accounts (django-allauth): email sign-up verified by a link, login, `next`, rate limits,
the admin login through the site login, and ORCID sign-in against a fake ORCID server."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from tests.html import visible_text

from .conftest import ORCID_ID

pytestmark = [pytest.mark.sqlite, pytest.mark.usefixtures("clear_cache", "fast_passwords")]

PASSWORD = "correct horse battery staple 42"


def _logged_in_user_id(client: Client):
    return client.session.get("_auth_user_id")


def _login(client: Client, email: str, password: str = PASSWORD, next_url: str | None = None):
    data = {"login": email, "password": password}
    url = "/accounts/login/" + (f"?next={next_url}" if next_url is not None else "")
    return client.post(url, data)


# Sign-up and email verification


def test_signup_is_verified_by_a_link_before_login_counts(client, db):
    response = client.post(
        "/accounts/signup/",
        {"email": "ada@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert _logged_in_user_id(client) is None
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)

    # Before the link is followed, the password alone does not log in.
    assert _login(Client(), "ada@example.org").status_code == 302
    assert not EmailAddress.objects.get(email="ada@example.org").verified
    other = Client()
    _login(other, "ada@example.org")
    assert _logged_in_user_id(other) is None

    path = link.split("http://testserver", 1)[-1]
    assert client.get(path).status_code == 200  # GET shows a button, it changes nothing
    assert not EmailAddress.objects.get(email="ada@example.org").verified
    client.post(path)

    assert EmailAddress.objects.get(email="ada@example.org").verified
    fresh = Client()
    _login(fresh, "ada@example.org")
    assert _logged_in_user_id(fresh) is not None


def test_signup_page_fits_the_site_layout(client, db):
    html = client.get("/accounts/signup/").content.decode()

    assert 'class="site-header"' in html
    assert 'name="email"' in html
    assert re.search(r"<title>\s*Signup\s*· BZPEER</title>", html)


def test_password_reset_sends_a_link(client, make_account):
    make_account("ada@example.org", password=PASSWORD)

    response = client.post("/accounts/password/reset/", {"email": "ada@example.org"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


# Login, logout and next


def test_login_honours_next_for_our_own_paths(client, make_account, make_author):
    make_account("ada@example.org", password=PASSWORD)
    author = make_author()

    response = _login(client, "ada@example.org", next_url=author.get_absolute_url())

    assert response.status_code == 302
    assert response["Location"] == author.get_absolute_url()


@pytest.mark.parametrize(
    "next_url", ["//evil.example", "https://evil.example/", "///evil.example", "/\\evil.example"]
)
def test_login_next_to_another_site_stays_on_site(client, make_account, next_url):
    make_account("ada@example.org", password=PASSWORD)

    response = _login(client, "ada@example.org", next_url=next_url)

    assert response.status_code == 302
    assert _logged_in_user_id(client) is not None
    assert "evil.example" not in response["Location"]
    assert response["Location"] == "/following/"


def test_logout_is_a_post_and_next_to_another_site_stays_on_site(client, make_account):
    user = make_account()
    client.force_login(user)

    client.get("/accounts/logout/")
    assert _logged_in_user_id(client) is not None  # GET asks, never logs out

    response = client.post("/accounts/logout/", {"next": "//evil.example"})

    assert _logged_in_user_id(client) is None
    assert "evil.example" not in response["Location"]


def test_anonymous_follow_goes_to_login_and_back_to_the_profile(client, make_account, make_author):
    make_account("ada@example.org", password=PASSWORD)
    author = make_author()
    html = client.get(author.get_absolute_url()).content.decode()
    follow_link = re.search(r'<a class="button" href="([^"]+)">\s*Follow researcher', html).group(1)

    login_page = client.get(follow_link.replace("&amp;", "&"))
    assert login_page.status_code == 200
    response = _login(client, "ada@example.org", next_url=author.get_absolute_url())

    assert response["Location"] == author.get_absolute_url()
    assert "Follow researcher" in visible_text(client.get(response["Location"]).content)


# Rate limits


def test_failed_logins_are_rate_limited(client, make_account):
    make_account("ada@example.org", password=PASSWORD)
    for _ in range(5):
        assert _login(client, "ada@example.org", "wrong password").status_code == 200

    response = _login(client, "ada@example.org")

    assert _logged_in_user_id(client) is None
    assert response.status_code in (200, 429)
    assert "Too many failed login attempts" in visible_text(response.content)


def test_admin_login_has_no_password_form_of_its_own(client, make_account):
    make_account("admin@example.org", password=PASSWORD, is_staff=True, is_superuser=True)

    form = client.get("/admin/login/?next=/admin/")
    posted = client.post(
        "/admin/login/?next=/admin/", {"username": "admin@example.org", "password": PASSWORD}
    )

    assert form.status_code == 302
    assert form["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert posted.status_code == 302  # never checks a password: no way around the limits
    assert _logged_in_user_id(client) is None


def test_admin_login_is_rate_limited_through_the_site_login(client, make_account):
    make_account("admin@example.org", password=PASSWORD, is_staff=True, is_superuser=True)
    login_url = client.get("/admin/")["Location"]
    login_url = client.get(login_url)["Location"] if login_url.startswith("/admin/") else login_url
    assert login_url.startswith("/accounts/login/")
    for _ in range(5):
        client.post(login_url, {"login": "admin@example.org", "password": "guess"})

    response = client.post(login_url, {"login": "admin@example.org", "password": PASSWORD})

    assert _logged_in_user_id(client) is None
    assert "Too many failed login attempts" in visible_text(response.content)
    assert client.get("/admin/").status_code == 302


def test_admin_login_with_the_right_password_reaches_the_admin(client, make_account):
    make_account("admin@example.org", password=PASSWORD, is_staff=True, is_superuser=True)

    response = _login(client, "admin@example.org", next_url="/admin/")

    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_refuses_logged_in_users_who_are_not_staff(make_account, logged_in):
    client = logged_in(make_account())

    assert client.get("/admin/login/").status_code == 403
    assert client.get("/admin/").status_code == 302


# ORCID sign-in (ORCID's servers faked, nothing else)


def test_orcid_sign_in_of_a_new_person_asks_for_an_email_to_verify(
    client, orcid_server, orcid_sign_in
):
    response = orcid_sign_in(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/3rdparty/signup/"
    response = client.post("/accounts/3rdparty/signup/", {"email": "ada@example.org"})

    assert response.status_code == 302
    account = SocialAccount.objects.get(provider="orcid")
    assert account.uid == ORCID_ID
    assert account.user.email == "ada@example.org"
    assert not EmailAddress.objects.get(email="ada@example.org").verified
    assert len(mail.outbox) == 1
    # the token exchange and the record read, server to server, on ORCID's public API
    assert [re.sub(r" \S*orcid\.org/", " /", call) for call in orcid_server.calls] == [
        "POST /oauth/token",
        f"GET /v3.0/{ORCID_ID}/record",
    ]


def test_orcid_sign_in_logs_in_a_user_who_connected_orcid(
    client, make_account, orcid_server, orcid_sign_in
):
    user = make_account("ada@example.org")
    SocialAccount.objects.create(user=user, provider="orcid", uid=ORCID_ID)

    response = orcid_sign_in(client, next_url="/inbox/")

    assert response.status_code == 302
    assert response["Location"] == "/inbox/"
    assert _logged_in_user_id(client) == str(user.pk)


def test_orcid_sign_in_never_logs_into_an_account_by_matching_email(
    client, make_account, orcid_server, orcid_sign_in
):
    make_account("ada@example.org")
    orcid_server.email = "ada@example.org"

    orcid_sign_in(client)

    assert _logged_in_user_id(client) is None
    assert not SocialAccount.objects.exists()


def test_orcid_sign_in_fails_cleanly_when_orcid_refuses_the_code(
    client, orcid_server, orcid_sign_in
):
    orcid_server.fail_token = True

    response = orcid_sign_in(client)

    assert response.status_code == 401
    assert "Third-Party Login Failure" in visible_text(response.content)
    assert _logged_in_user_id(client) is None
    assert not SocialAccount.objects.exists()
    assert not get_user_model().objects.exists()


def test_orcid_sign_in_start_is_a_post(client, orcid_server):
    response = client.get("/accounts/orcid/login/")

    assert response.status_code == 200  # a confirmation page, no redirect to ORCID
    assert orcid_server.calls == []
