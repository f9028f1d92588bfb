"""The bench's reference views answer when the bench mounts them, and only then: a broken
import here stops gunicorn in `make bench` before any figure is measured."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import RequestFactory, override_settings

from bench.discovery_reference import json_reference
from bench.reference_view import reference


@override_settings(BENCH_REFERENCE_VIEW=True)
def test_reference_views_answer_with_the_bytes_asked_for():
    request = RequestFactory().get("/_bench/reference/", {"bytes": "3000"})

    page = reference(request)
    data = json_reference(RequestFactory().get("/_bench/json-reference/", {"bytes": "500"}))

    assert page.status_code == 200 and abs(len(page.content) - 3000) < 200
    assert data.status_code == 200 and b'"lines"' in data.content


@override_settings(BENCH_REFERENCE_VIEW=False)
def test_reference_views_are_off_outside_the_bench():
    with pytest.raises(Http404):
        json_reference(RequestFactory().get("/_bench/json-reference/"))
