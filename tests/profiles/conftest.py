"""Fixtures of the account tests: users with verified emails, owned records, a fake ORCID.

Only ORCID's servers are replaced (FakeOrcid, at the HTTP transport of `requests`); any other
host a test reaches raises, so nothing else is faked by accident.
"""

from __future__ import annotations

import itertools
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from profiles.models import Claim
from works.models import VerificationLevel

ORCID_ID = "0000-0002-1825-0097"
_emails = itertools.count(1)


@pytest.fixture
def clear_cache():
    """Rate-limit counters live in the cache: every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_account(db, django_user_model):
    """A user who signed up with an email; verified unless told otherwise."""

    def make(email: str | None = None, *, verified: bool = True, password=None, **fields):
        email = email or f"person{next(_emails)}@example.org"
        user = django_user_model.objects.create_user(
            username=email.split("@")[0] + str(next(_emails)),
            email=email,
            password=password,
            **fields,
        )
        EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
        return user

    return make


@pytest.fixture
def make_owned(db):
    """Gives `author` to `user` as an approved claim, as route 2 would have."""

    def make(author, user, level=VerificationLevel.L3, evidence="Institutional email verified"):
        claim = Claim.objects.create(
            author=author,
            user=user,
            status=Claim.Status.APPROVED,
            route=Claim.Route.EMAIL,
            level=level,
            evidence_summary=evidence,
            previous_level=author.verification_level,
            decided_at=timezone.now(),
        )
        type(author).objects.filter(pk=author.pk).update(
            verification_level=level, verification_evidence=evidence
        )
        author.refresh_from_db()
        return claim

    return make


@pytest.fixture
def logged_in():
    """A test client logged in as `user` (each user gets their own client)."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


class FakeOrcid:
    """ORCID's OAuth token endpoint and public record API, as the real ones answer."""

    def __init__(self) -> None:
        self.orcid = ORCID_ID
        self.email = ""
        self.fail_token = False
        self.calls: list[str] = []

    def send(self, adapter, request, **kwargs) -> requests.Response:
        url = urlsplit(request.url)
        host = url.hostname or ""
        if not (host == "orcid.org" or host.endswith(".orcid.org")):
            raise requests.ConnectionError(f"the tests reach ORCID only, not {host}")
        self.calls.append(f"{request.method} {host}{url.path}")
        if url.path == "/oauth/token" and request.method == "POST":
            if self.fail_token:
                return self._response(request, 400, {"error": "invalid_grant"})
            return self._response(
                request,
                200,
                {
                    "access_token": "fake-access-token",
                    "token_type": "bearer",
                    "refresh_token": "fake-refresh-token",
                    "expires_in": 631138518,
                    "scope": "/authenticate",
                    "name": "Ada Lovelace",
                    "orcid": self.orcid,
                },
            )
        if url.path == f"/v3.0/{self.orcid}/record":
            emails = [{"email": self.email, "verified": True}] if self.email else []
            return self._response(
                request,
                200,
                {
                    "orcid-identifier": {
                        "uri": f"https://orcid.org/{self.orcid}",
                        "path": self.orcid,
                        "host": "orcid.org",
                    },
                    "person": {
                        "name": {
                            "given-names": {"value": "Ada"},
                            "family-name": {"value": "Lovelace"},
                        },
                        "emails": {"email": emails},
                    },
                },
            )
        return self._response(request, 404, {"error": "not found"})

    @staticmethod
    def _response(request, status: int, body: dict) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.url = request.url
        response.request = request
        return response


@pytest.fixture
def orcid_app(settings):
    """ORCID sign-in configured as ORCID_CLIENT_ID / ORCID_SECRET would configure it."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "orcid": {
            "BASE_DOMAIN": "sandbox.orcid.org",
            "MEMBER_API": False,
            "APPS": [{"client_id": "APP-TEST", "secret": "test-secret", "key": ""}],
        }
    }


@pytest.fixture
def orcid_server(db, monkeypatch, orcid_app) -> FakeOrcid:
    fake = FakeOrcid()
    monkeypatch.setattr(
        requests.adapters.HTTPAdapter,
        "send",
        lambda adapter, request, **kwargs: fake.send(adapter, request, **kwargs),
    )
    return fake


@pytest.fixture
def orcid_sign_in():
    """Goes through ORCID's OAuth dance: our login view → (ORCID) → our callback."""

    def sign_in(client: Client, *, process: str = "login", next_url: str = ""):
        query = {"process": process}
        if next_url:
            query["next"] = next_url
        start = client.post(
            "/accounts/orcid/login/?" + "&".join(f"{k}={v}" for k, v in query.items())
        )
        assert start.status_code == 302, start.content
        authorize = urlsplit(start["Location"])
        assert authorize.hostname.endswith("orcid.org")
        state = parse_qs(authorize.query)["state"][0]
        # ORCID sends the browser back with a code; the callback exchanges it server to server.
        return client.get("/accounts/orcid/login/callback/", {"code": "fake-code", "state": state})

    return sign_in
