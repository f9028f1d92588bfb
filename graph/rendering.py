"""A slice as the page shows it: where its nodes link to, the SVG, the HTML fragment.

graph.slice and graph.svg build plain strings; this is where they become markup for the
templates (mark_safe), because only here is it known how they were made: the SVG by
format_html with every imported string escaped, the fragment by an autoescaping template.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from profiles.trust_engine import CLOSE_COLLABORATOR_MIN_SHARED_WORKS

from .kinds import AUTHOR, EDGE_KINDS, EDGE_MEANINGS, NODE_KINDS
from .presets import EXPLORER, EXPLORER_TARGET, PROFILE
from .slice import GraphSlice, SliceParams
from .svg import draw_svg
from .templatetags.graph_tags import GraphLinks


def explore_url(slug: str, params: SliceParams | None = None, *, node: str = "") -> str:
    """The explorer centred on `slug`, with the filters that differ from the defaults."""
    query: list[tuple[str, object]] = [("center", slug)]
    if params is not None:
        if params.kinds != EXPLORER.kinds:
            query += [("show", kind) for kind in NODE_KINDS if kind in params.kinds]
        query += [
            (name, value)
            for name, value, default in (
                ("from", params.year_from, EXPLORER.year_from),
                ("to", params.year_to, EXPLORER.year_to),
                ("min_shared", params.min_shared, EXPLORER.min_shared),
                ("depth", params.depth, EXPLORER.depth),
            )
            if value != default
        ]
    if node:
        query.append(("node", node))
    return f"{reverse('graph:explore')}?{urlencode(query)}"


def slice_hrefs(s: GraphSlice, params: SliceParams) -> dict[str, str]:
    """Where each node leads: on the profile, to profiles and work pages; in the explorer,
    a co-author recentres it, anything else opens its panel."""
    if params.name == PROFILE.name:
        return {n.id: n.url for n in s.nodes if n.url}
    hrefs = {}
    for n in s.nodes:
        if n.kind == AUTHOR and not n.is_center:
            hrefs[n.id] = explore_url(n.slug, params)
        else:
            hrefs[n.id] = explore_url(s.center.slug, params, node=n.id)
    return hrefs


def slice_htmx_target(params: SliceParams) -> str | None:
    return None if params.name == PROFILE.name else EXPLORER_TARGET


def slice_context(s: GraphSlice, params: SliceParams, *, cache_down: bool = False) -> dict:
    """What templates/graph/_slice.html (and the explorer around it) needs."""
    return {
        "slice": s,
        # Built by graph.svg with format_html: every imported string in it is escaped.
        "slice_svg": mark_safe(s.svg),
        # Rendered by graph_slice_render below with autoescaping ("" until then).
        "slice_html": mark_safe(s.html),
        "links": GraphLinks(hrefs=slice_hrefs(s, params), htmx_target=slice_htmx_target(params)),
        "edge_meanings": [(kind, EDGE_MEANINGS[kind]) for kind in EDGE_KINDS],
        "cache_down": cache_down,
        "close_min_shared": CLOSE_COLLABORATOR_MIN_SHARED_WORKS,
        # The profile's section keeps a modest height: its lists go behind a disclosure.
        "compact": params.name == PROFILE.name,
    }


def graph_slice_render(built: GraphSlice, params: SliceParams) -> GraphSlice:
    """The slice with its SVG and its whole HTML fragment, rendered once so a cached slice
    is served without any template work."""
    svg = draw_svg(built, hrefs=slice_hrefs(built, params), htmx_target=slice_htmx_target(params))
    built = dataclasses.replace(built, svg=svg)
    html = render_to_string("graph/_slice.html", slice_context(built, params))
    return dataclasses.replace(built, html=html)
