"""Site-wide hardening: headers, inline script, caching headers, the health check, the
unconfigured ORCID sign-in, allauth's 429, the trusted-proxy count, the deploy check, the
web statement timeout and the compose file."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from django.db import connection

from tests.integration.conftest import database_url

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db
# <script> elements a browser never runs, so a script-src policy does not apply to them.
DATA_BLOCKS = ("application/json", "application/ld+json")


class _InlineScript(HTMLParser):
    """Finds what a script-src / style-src 'self' policy would block: inline <script>
    bodies, on* handler attributes, htmx's hx-on (evaluated script), javascript: URLs,
    <style> elements and style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = "src" not in attrs and attrs.get("type") not in DATA_BLOCKS
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs.items():
            if name == "style" or name.startswith("on") or name.startswith("hx-on"):
                self.found.append(f"<{tag} {name}>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:>")

    def handle_endtag(self, tag) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data) -> None:
        if self._in_script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}")


def _inline_script(html: str) -> list[str]:
    parser = _InlineScript()
    parser.feed(html)
    return parser.found


def test_every_page_sends_a_csp_that_forbids_framing_and_inline_script(
    client, admin_client, make_author, make_work
):
    author = make_author()
    work = make_work(authors=[author])
    pages = [
        (client, "/"),
        (client, author.get_absolute_url()),
        (client, work.get_absolute_url()),
        (client, f"/explore/?center={author.slug}"),
        (client, f"/explore/?center={author.slug}&node=a{author.pk}"),
        (client, "/accounts/login/"),
        (client, "/explore/?center=%00"),  # error responses too
        (admin_client, "/admin/works/importbatch/add/"),
    ]
    for who, url in pages:
        response = who.get(url)
        policy = response["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["frame-ancestors"] == "'none'", url
        assert directives["script-src"] == "'self'", url
        assert "unsafe" not in policy, url
        if response["Content-Type"].startswith("text/html"):
            assert _inline_script(response.content.decode()) == [], url


def test_profile_page_needs_no_inline_script_for_the_graph_error_message(client, make_author):
    html = client.get(make_author().get_absolute_url()).content.decode()

    assert "data-load-error=" in html and "data-send-error=" in html
    assert re.search(r'<script src="/static/js/site\.js" defer>', html)


def test_cached_pages_and_fragments_vary_on_cookie_and_hx_request(client, make_author):
    author = make_author()
    for url, htmx in (
        (author.get_absolute_url(), False),
        (author.get_absolute_url(), False),  # the second comes from the page cache
        (f"/researchers/{author.slug}/graph/", True),
        ("/", False),
        (f"/explore/?center={author.slug}", True),
    ):
        response = client.get(url, HTTP_HX_REQUEST="true") if htmx else client.get(url)
        assert response.status_code == 200, url
        vary = {v.strip().lower() for v in response["Vary"].split(",")}
        assert {"cookie", "hx-request"} <= vary, (url, vary)


def test_imported_text_is_wrapped_in_hx_disable(client, make_author, make_work):
    author = make_author('Eve <button hx-post="/x">')
    work = make_work(authors=[author], title='A title hx-get="/admin/"', abstract="hx-trigger")

    for url in (author.get_absolute_url(), work.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "hx-disable" in html
        assert '<button hx-post="/x">' not in html  # escaped as well


def test_healthz_reports_database_and_redis(client, settings):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "redis": "ok" if settings.REDIS_URL else "not configured",
    }
    assert "no-cache" in response["Cache-Control"]


def test_orcid_sign_in_is_a_404_when_orcid_is_not_configured(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"orcid": {"APPS": []}}

    assert client.post("/accounts/orcid/login/").status_code == 404
    assert client.get("/accounts/orcid/login/callback/?code=x&state=y").status_code == 404


def test_login_rate_limit_answers_429_with_retry_after(client, settings, make_user):
    from django.core.cache import cache

    cache.clear()
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    codes = []
    for _ in range(3):
        response = client.post("/accounts/login/", {"login": "a@example.org", "password": "x"})
        codes.append(response.status_code)

    assert codes == [200, 200, 429]
    assert response["Retry-After"] == "60"
    cache.clear()


@pytest.mark.parametrize("proxies, separate", [(1, True), (0, False)])
def test_trusted_proxy_count_picks_the_client_address_for_rate_limits(
    client, settings, proxies, separate
):
    """Behind one proxy, two clients have their own login counters; without the setting
    they would share the proxy's address, and one client's failures would lock out all."""
    from django.core.cache import cache

    cache.clear()
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxies
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}

    def login(client_ip: str) -> int:
        return client.post(
            "/accounts/login/",
            {"login": "a@example.org", "password": "x"},
            REMOTE_ADDR="10.0.0.1",  # the proxy
            HTTP_X_FORWARDED_FOR=client_ip,
        ).status_code

    assert [login("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert (login("198.51.100.9") == 200) is separate
    cache.clear()


def _deploy_check(**env_overrides: str) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "bzpeer.example",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/bzpeer",
        "DJANGO_SETTINGS_MODULE": "bzpeer.settings",
        **env_overrides,
    }
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_requires_site_url_when_debug_is_off():
    env = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    missing = _deploy_check(**{**env, "SITE_URL": ""})
    plain_http = _deploy_check(SITE_URL="http://bzpeer.example")
    good = _deploy_check(SITE_URL="https://bzpeer.example")

    assert missing.returncode != 0 and "bzpeer.E001" in missing.stderr + missing.stdout
    assert plain_http.returncode != 0 and "bzpeer.E001" in plain_http.stderr + plain_http.stdout
    assert good.returncode == 0, good.stdout + good.stderr


STATEMENT = """
{wsgi}
import contextlib
import django
django.setup()
from django.db import connection, OperationalError
from bzpeer.lib.db import without_statement_timeout
with {context}, connection.cursor() as cursor:
    try:
        cursor.execute("SELECT pg_sleep(3)")
        print("finished")
    except OperationalError as error:
        print("cancelled:", type(error.__cause__).__name__)
"""


@pytest.mark.parametrize(
    "wsgi, context, expected",
    [
        ("import bzpeer.wsgi", "contextlib.nullcontext()", "cancelled: QueryCanceled"),
        ("import bzpeer.wsgi", "without_statement_timeout()", "finished"),
        ("", "contextlib.nullcontext()", "finished"),
    ],
    ids=["web process", "web process, lifted for a long admin action", "worker or command"],
)
def test_web_requests_have_a_statement_timeout_and_other_processes_do_not(wsgi, context, expected):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bzpeer.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "WEB_STATEMENT_TIMEOUT_MS": "200",
    }
    env.pop("BZPEER_PROCESS", None)
    result = subprocess.run(
        [sys.executable, "-c", STATEMENT.format(wsgi=wsgi, context=context)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.strip() == expected, result.stderr


def test_compose_shares_media_between_web_and_the_import_worker():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    def media_volume(name: str) -> str | None:
        root = services[name]["environment"]["MEDIA_ROOT"]
        for mount in services[name].get("volumes", []):
            volume, _, path = mount.partition(":")
            if path.rstrip("/") == root.rstrip("/"):
                return volume
        return None

    readers = ["web"] + [
        name
        for name, s in services.items()
        if "imports" in " ".join(map(str, s.get("command", [])))
    ]
    assert "worker-imports" in readers
    volumes = {media_volume(name) for name in readers}
    assert len(volumes) == 1 and None not in volumes
    assert volumes.pop() in compose["volumes"]
