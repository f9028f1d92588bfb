"""bench/ only: the references the discovery measures (bench/measures/discovery.py) use.

- search_reference: the bare indexed full-text query, `SELECT id, title … WHERE
  search_document @@ websearch_to_tsquery(…) LIMIT 20` (the GIN index of
  works/0008_discovery_search), its
  rows rendered as a minimal HTML list (or JSON with ?format=json): what a search costs
  through Django with no ranking, no facets, no researchers and no page around it.
- json_reference: a JSON document of the requested size from memory (no database): the cost
  of Django's request path and JSON encoding alone.

Mounted only with settings.BENCH_REFERENCE_VIEW (never in production); checked per request.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template import engines

from bench.reference_view import MAX_BYTES, _lines

TEMPLATE = engines["django"].from_string(
    '<!doctype html><html lang="en"><head><title>Reference search</title></head><body><main>'
    '<ol>{% for id, title in rows %}<li><a href="/works/{{ id }}/">{{ title }}</a></li>'
    "{% endfor %}</ol></main></body></html>"
)
SQL = (
    "SELECT id, title FROM works_work WHERE search_document @@ "
    "websearch_to_tsquery('english'::regconfig, bz_unaccent(%s)) LIMIT 20"
)


def _on() -> None:
    if not settings.BENCH_REFERENCE_VIEW:
        raise Http404("The benchmark reference views are off.")


def search_reference(request: HttpRequest) -> HttpResponse:
    _on()
    with connection.cursor() as cursor:
        cursor.execute(SQL, [request.GET.get("q", "")[:200]])
        rows = cursor.fetchall()
    if request.GET.get("format") == "json":
        return JsonResponse({"items": [{"id": pk, "title": title} for pk, title in rows]})
    return HttpResponse(TEMPLATE.render({"rows": rows}, request))


def json_reference(request: HttpRequest) -> HttpResponse:
    _on()
    try:
        size = min(max(int(request.GET.get("bytes", "2000")), 1), MAX_BYTES)
    except ValueError:
        size = 2000
    return JsonResponse({"lines": list(_lines(size))})
