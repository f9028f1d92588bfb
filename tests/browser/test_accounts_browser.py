"""Accounts in Chromium: sign-up verified by the emailed link, a claim by evidence approved
in the Django admin, and an invitation answered with messages."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import Browser, Page

from profiles import claims
from profiles.models import Claim
from works.models import Institution

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fast_passwords", "clear_cache")]

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clear_cache():
    from django.core.cache import cache

    cache.clear()


def _account(email: str, **fields):
    user = get_user_model().objects.create_user(
        username=email.split("@")[0], email=email, password=PASSWORD, **fields
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _log_in(page: Page, email: str) -> None:
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def _new_page(browser: Browser) -> Page:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    return context.new_page()


def test_sign_up_verify_by_link_and_follow(page, live_server, make_author):
    author = make_author("Mingli Song", slug="mingli-song")
    page.goto(f"{live_server.url}/accounts/signup/")

    page.fill("input[name=email]", "ada@example.org")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name="Sign Up").click()

    page.get_by_text("Verify Your Email Address").first.wait_for()
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(live_server.url + "/" + link.split("://", 1)[1].split("/", 1)[1])
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}/following/")

    page.goto(f"{live_server.url}{author.get_absolute_url()}")
    page.get_by_role("button", name="Follow researcher").click()
    page.get_by_role("button", name="Following").wait_for()
    page.get_by_role("button", name="Following").click()
    page.get_by_role("button", name="Follow researcher").wait_for()
    assert page.locator("#followers-count").inner_text() == "0"


def test_claim_by_evidence_approved_in_the_admin(page, live_server, browser, make_author):
    author = make_author("Mingli Song", slug="mingli-song")
    _account("mingli@example.org")
    _account("admin@example.org", is_staff=True, is_superuser=True)

    # The researcher sends evidence.
    page.goto(f"{live_server.url}{author.get_absolute_url()}")
    page.get_by_role("link", name="Log in to claim").click()
    _log_in(page, "mingli@example.org")
    page.wait_for_url(f"{live_server.url}/researchers/mingli-song/claim/")
    page.get_by_label("Links that show this record is yours").fill("https://example.edu/~mingli")
    page.get_by_label("A note for the reviewer").fill("My lab page lists these papers.")
    page.get_by_role("button", name="Send for review").click()
    assert page.locator("#claim-status").inner_text() == "Pending review"

    # An admin approves it in the Django admin, logging in through the site login.
    admin = _new_page(browser)
    admin.goto(f"{live_server.url}/admin/profiles/claim/")
    _log_in(admin, "admin@example.org")
    admin.wait_for_url(f"{live_server.url}/admin/profiles/claim/")
    admin.get_by_role("link", name="Decide…").click()
    assert admin.get_by_text("My lab page lists these papers.").is_visible()
    admin.get_by_label("Approve (L2)").check()
    admin.get_by_label("Reason code").select_option("evidence_confirmed")
    admin.get_by_role("button", name="Save decision").click()
    admin.get_by_text("Approved: ").wait_for()
    admin.context.close()

    # The researcher sees the record at L2, with the evidence behind it.
    page.goto(f"{live_server.url}{author.get_absolute_url()}")
    assert page.get_by_text(
        "Verification L2 · Evidence reviewed and approved by an admin"
    ).first.is_visible()
    assert page.get_by_text("You own this record").is_visible()
    assert Claim.objects.get(author=author).status == "approved"


def test_invitation_accepted_and_messages_exchanged(page, live_server, browser, make_author):
    institution = Institution.objects.create(display_name="Ex", homepage_url="https://example.org")
    author = make_author(
        "Grace Hopper",
        slug="grace-hopper",
        open_to_collaborate=True,
        last_known_institution=institution,
    )
    claims.claim_by_email(author=author, user=_account("grace@example.org"))  # route 2
    _account("ada@example.org")

    page.goto(f"{live_server.url}/accounts/login/?next={author.get_absolute_url()}")
    _log_in(page, "ada@example.org")
    page.wait_for_url(f"{live_server.url}{author.get_absolute_url()}")
    page.get_by_label("Subject").fill("Compilers and engines")
    page.get_by_label("Message").fill("Would you like to write a paper together?")
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text("Your invitation was sent.").wait_for()

    owner = _new_page(browser)
    owner.goto(f"{live_server.url}/accounts/login/?next=/inbox/")
    _log_in(owner, "grace@example.org")
    owner.wait_for_url(f"{live_server.url}/inbox/")
    owner.get_by_role("button", name="Accept").click()
    owner.get_by_text("Would you like to write a paper together?").wait_for()
    owner.get_by_label("Message").fill("Yes, gladly.")
    owner.get_by_role("button", name="Send").click()
    owner.get_by_text("Yes, gladly.").wait_for()

    page.goto(f"{live_server.url}/inbox/")
    page.get_by_role("link", name="Open the conversation").first.click()
    assert page.get_by_text("Yes, gladly.").is_visible()
    page.get_by_label("Message").fill("Monday then.")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Monday then.").wait_for()
    owner.context.close()
