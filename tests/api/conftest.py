from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and cached graph slices start empty in every test."""
    cache.clear()
    yield
    cache.clear()


from tests.discovery.conftest import demo  # noqa: E402, F401 - the demo data fixture
