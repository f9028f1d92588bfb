"""JSON-LD in a page, escaped as Django's json_script is: no imported text can end the script."""

from __future__ import annotations

import json

from django import template
from django.utils.safestring import SafeString, mark_safe

from works.opendata import article_jsonld, person_jsonld

register = template.Library()

# What json_script escapes: "<" (so "</script>" and "<!--" cannot appear), ">" and "&";
# U+2028/2029 too, which some parsers read as line ends.
_ESCAPES = {
    ord("<"): "\\u003C",
    ord(">"): "\\u003E",
    ord("&"): "\\u0026",
    ord("\u2028"): "\\u2028",
    ord("\u2029"): "\\u2029",
}


def jsonld_text(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True).translate(_ESCAPES)


@register.filter(is_safe=True)
def jsonld_script(data: object) -> SafeString:
    """`{{ data|jsonld_script }}`: a <script type="application/ld+json"> element."""
    if not data:
        return mark_safe("")  # noqa: S308 - a constant
    return mark_safe(  # noqa: S308 - the JSON is escaped above
        f'<script type="application/ld+json">{jsonld_text(data)}</script>'
    )


@register.simple_tag(takes_context=True)
def absolute_url(context, path: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


@register.simple_tag(takes_context=True)
def author_jsonld(context, author) -> SafeString:
    """schema.org Person for a listed researcher; nothing for a hidden or merged one."""
    if author.hidden or author.merged_into_id:
        return mark_safe("")  # noqa: S308 - a constant
    return jsonld_script(person_jsonld(author, absolute_url(context, author.get_absolute_url())))


@register.simple_tag(takes_context=True)
def work_jsonld(context, work) -> SafeString:
    """schema.org ScholarlyArticle; the work page prefetches its byline and topics."""
    topics = [wt.topic.name for wt in work.work_topics.all()]
    data = article_jsonld(
        work, work.authorships.all(), lambda path: absolute_url(context, path), topics
    )
    return jsonld_script(data)
