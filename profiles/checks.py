"""System checks of the settings the account emails need."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def site_url_is_set(app_configs, **kwargs) -> list[Error]:
    """Invitation, message and digest emails link to SITE_URL: without it they would point
    at a development address (or nowhere)."""
    if settings.DEBUG:
        return []
    url = urlsplit(settings.SITE_URL or "")
    if url.scheme == "https" and url.netloc:
        return []
    return [
        Error(
            f"SITE_URL is {settings.SITE_URL!r}: set it to the site's public https:// address "
            "(emails link to it).",
            hint="e.g. SITE_URL=https://bzpeer.example",
            id="bzpeer.E001",
        )
    ]
