"""Links in the graph's text list: the same targets as the drawing's nodes."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

register = template.Library()


@dataclass(frozen=True)
class GraphLinks:
    hrefs: dict[str, str] = field(default_factory=dict)  # node id -> URL
    htmx_target: str | None = None  # the explorer: links load into it and push the URL


@register.simple_tag
def graph_link(links: GraphLinks, node_id: str, label: str) -> SafeString:
    """`{% graph_link links node.id node.label %}`: a link when the node leads somewhere,
    else the label; escaped either way."""
    href = links.hrefs.get(node_id) if links else None
    if not href:
        return conditional_escape(label)
    if links.htmx_target:
        return format_html(
            '<a href="{}" hx-get="{}" hx-target="{}" hx-swap="outerHTML" hx-push-url="true">{}</a>',
            href,
            href,
            links.htmx_target,
            label,
        )
    return format_html('<a href="{}">{}</a>', href, label)
