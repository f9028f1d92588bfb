"""The demo data (`manage.py load_demo`: OpenAlex samples and the seed researcher), loaded
through the command a new user runs, with the trust recompute it schedules on commit."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command

from works.models import Author


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Search answers are cached under the works data version, which only a commit moves:
    every test starts without the answers of the one before (its data rolled back)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks) -> Author:
    """Loads the demo; returns the seed researcher, Mingli Song."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())
    return Author.objects.get(name_key="mingli song")
