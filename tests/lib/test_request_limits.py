"""Hostile input answered at the door: control characters → 400, oversized bodies → 413
before the body is read (bzpeer/lib/request_limits.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from works.models import ImportBatch

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/explore/?center=%00",  # reached PostgreSQL and failed with a 500
        "/explore/?center=ada%01lovelace",
        "/?q=%1b%5b31m",
        "/?%00=1",
        "/researchers/%00/",
        "/works/1.json?x=%7f%0b",
    ],
)
def test_control_characters_in_the_address_are_a_400(client, url):
    response = client.get(url)

    assert response.status_code == 400
    assert "control character" in response.content.decode()


def test_control_characters_in_a_form_field_are_a_400(client, make_user):
    response = client.post("/accounts/login/", {"login": "ada\x00@example.org", "password": "x"})

    assert response.status_code == 400
    assert "the form field 'login'" in response.content.decode()


def test_tabs_and_line_breaks_are_ordinary_text(client, make_author):
    author = make_author()

    assert client.get(f"/explore/?center=%09{author.slug}%0A").status_code == 200
    assert client.get("/?q=ada%0D%0Alovelace").status_code == 200


def test_oversized_upload_is_a_413_before_the_body_is_read(admin_client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 10_000
    url = reverse("admin:works_importbatch_add")
    # The body is 5 bytes but claims 5 MB: reading it would fail (the test client's payload
    # refuses to read past its end), so a 413 here means nothing read it.
    response = admin_client.generic(
        "POST",
        url,
        b"abcde",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(5_000_000),
    )

    assert response.status_code == 413
    assert "IMPORT_MAX_UPLOAD_BYTES" in response.content.decode()
    assert not ImportBatch.objects.exists()
