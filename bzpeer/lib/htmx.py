"""The request type of views that also answer htmx requests (django-htmx sets request.htmx)."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
