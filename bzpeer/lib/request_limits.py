"""Hostile input stopped at the door, before any view, form or query sees it.

- A body larger than any endpoint accepts (the admin import upload, settings.
  IMPORT_MAX_UPLOAD_BYTES, plus room for the form's other fields) is refused with 413 from
  its Content-Length, before a byte of it is read. The proxy in front should refuse it
  first (nginx: client_max_body_size), and is what stops a body sent without a length.
- NUL and the other C0 control characters (tab, line feed and carriage return excepted) in
  the path, the query string or a form field are refused with 400: no field of ours takes
  them, PostgreSQL refuses NUL in text, and they are how headers and logs get forged.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat

FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# The upload form's other fields and the multipart framing around the file.
MULTIPART_SLACK = 64 << 10
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refuse(status: int, message: str) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def _forbidden_in(request: HttpRequest) -> str | None:
    """Where a forbidden character is, or None."""
    if FORBIDDEN.search(request.path):
        return "the address"
    for key, values in request.GET.lists():
        if FORBIDDEN.search(key) or any(FORBIDDEN.search(v) for v in values):
            return f"the query parameter {FORBIDDEN.sub('?', key)!r}"
    if request.method == "POST" and request.content_type in FORM_TYPES:
        for key, values in request.POST.lists():
            if FORBIDDEN.search(key) or any(FORBIDDEN.search(v) for v in values):
                return f"the form field {FORBIDDEN.sub('?', key)!r}"
    return None


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.IMPORT_MAX_UPLOAD_BYTES + MULTIPART_SLACK
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refuse(400, "Bad request: the Content-Length header is not a number.")
        if length > limit:
            return _refuse(
                413,
                f"Request too large: {filesizeformat(length)}; the largest upload accepted is "
                f"{filesizeformat(settings.IMPORT_MAX_UPLOAD_BYTES)} "
                "(setting IMPORT_MAX_UPLOAD_BYTES).",
            )
        if where := _forbidden_in(request):
            return _refuse(
                400,
                f"Bad request: {where} contains a control character (such as NUL) "
                "that no page accepts.",
            )
        return self.get_response(request)
