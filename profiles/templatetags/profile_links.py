from django import template
from django.conf import settings
from django.http import QueryDict
from django.shortcuts import resolve_url

register = template.Library()


@register.simple_tag
def login_url(next_url: str = "") -> str:
    """`{% login_url next_url %}`: settings.LOGIN_URL with ?next=, as login_required builds it."""
    url = resolve_url(settings.LOGIN_URL)
    if not next_url:
        return url
    query = QueryDict(mutable=True)
    query["next"] = next_url
    return f"{url}?{query.urlencode(safe='/')}"
