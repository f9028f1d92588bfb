"""The reference page the profile page is measured against (bench/measures/profile_page.py).

A minimal Django view that renders, from a template compiled once and data held in
memory (no database, no cache), a page of the requested size: the cost of Django's
request/response path and template engine alone. Mounted only when
settings.BENCH_REFERENCE_VIEW is on (BENCH_REFERENCE_VIEW=1, never in production), and
the view checks the setting again on every request.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.template import engines

MAX_BYTES = 4 << 20
LINE = "Reference line: a researcher, a work, a venue and a year, escaped like any text. "

TEMPLATE = engines["django"].from_string(
    '<!doctype html><html lang="en"><head><title>{{ title }}</title></head><body><main>'
    '{% for line in lines %}<p class="line">{{ line }}</p>\n{% endfor %}</main></body></html>'
)


@lru_cache(maxsize=64)
def _lines(size: int) -> tuple[str, ...]:
    per_line = len(LINE) + len('<p class="line"></p>\n') + 6
    return tuple(f"{LINE}{i:05d}" for i in range(max(1, size // per_line)))


def reference(request: HttpRequest) -> HttpResponse:
    if not settings.BENCH_REFERENCE_VIEW:
        raise Http404("The benchmark reference view is off.")
    try:
        size = min(max(int(request.GET.get("bytes", "20000")), 1), MAX_BYTES)
    except ValueError:
        size = 20000
    return HttpResponse(TEMPLATE.render({"title": "Reference", "lines": _lines(size)}, request))
