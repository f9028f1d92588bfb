import functools
import re

from django import template
from django.conf import settings
from django.http import QueryDict
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, get_script_prefix, reverse

register = template.Library()

# url_for: {% url %} for the links every page view builds (navigation, the profile's own
# actions), memoised. reverse() costs 30-90 µs a call; a signed-in profile made 13 of them,
# a third of its CPU. A URL taking one slug is reversed once with a stand-in and the slug
# put in its place; anything else is memoised as asked.
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_STAND_IN = "slug-stand-in-5e0c1d"


@functools.lru_cache(maxsize=512)
def _reversed(prefix: str, name: str, args: tuple) -> str:
    return reverse(name, args=args)


@functools.lru_cache(maxsize=256)
def _shape(prefix: str, name: str) -> str | None:
    try:
        return reverse(name, args=[_STAND_IN])
    except NoReverseMatch:
        return None  # not a one-slug URL


@register.simple_tag
def url_for(name: str, *args) -> str:
    """`{% url_for "profiles:follow" author.slug %}`: the same URL as `{% url %}`."""
    prefix = get_script_prefix()  # part of every key: a deployment may mount the site anywhere
    if len(args) == 1 and isinstance(args[0], str) and _SLUG.fullmatch(args[0]):
        shape = _shape(prefix, name)
        if shape is not None:
            return shape.replace(_STAND_IN, args[0])
    return _reversed(prefix, name, tuple(str(a) for a in args))


@register.simple_tag
def login_url(next_url: str = "") -> str:
    """`{% login_url next_url %}`: settings.LOGIN_URL with ?next=, as login_required builds it."""
    url = resolve_url(settings.LOGIN_URL)
    if not next_url:
        return url
    query = QueryDict(mutable=True)
    query["next"] = next_url
    return f"{url}?{query.urlencode(safe='/')}"
