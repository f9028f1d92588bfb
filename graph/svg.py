"""Drawing a GraphSlice as inline SVG: a pure function of the slice, escaped throughout.

Every piece of imported text (names, titles) goes through format_html, so a name such as
`<script>` or `" hx-get="/x` is text in an element or an escaped attribute value, never
markup. Numbers are formatted with one decimal: the same slice gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from .kinds import ABOUT, AFFILIATED, AUTHOR, AUTHORED, COAUTHORED, INSTITUTION, TOPIC, WORK
from .slice import GraphSlice, SliceEdge, SliceNode

# Colour and shape per node type (the legend in templates/graph/_legend.html matches).
NODE_COLOURS = {AUTHOR: "#2456c5", WORK: "#c2410c", TOPIC: "#15803d", INSTITUTION: "#7c3aed"}
CENTER_COLOUR = "#1a3f94"
KIND_NAMES = {AUTHOR: "Co-author", WORK: "Work", TOPIC: "Topic", INSTITUTION: "Institution"}
EDGE_STYLES = {
    # stroke, dash pattern, opacity
    AUTHORED: ("#8a94a6", "", "0.45"),
    COAUTHORED: ("#2456c5", "", "0.7"),
    ABOUT: ("#15803d", "4 3", "0.6"),
    AFFILIATED: ("#7c3aed", "1.5 3", "0.75"),
}
EDGE_ORDER = (AUTHORED, ABOUT, AFFILIATED, COAUTHORED)  # co-authorship drawn on top
PEER_OPACITY = "0.22"

LABEL_CHARS = 28
LABEL_FONT = 12
CENTER_FONT = 14
# Average glyph width of the UI font at 12px: enough to keep labels from overlapping.
CHAR_WIDTH = 6.6
EDGE_ROOM = 4  # px kept free at the drawing's sides


def _n(value: float) -> str:
    return f"{value:.1f}"


def short_label(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def shape(kind: str, x: float, y: float, r: float, *, fill: str) -> SafeString:
    if kind == AUTHOR:
        return format_html('<circle cx="{}" cy="{}" r="{}" fill="{}"/>', _n(x), _n(y), _n(r), fill)
    if kind == WORK:
        side = r * 1.7
        return format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" rx="1.5" fill="{}"/>',
            _n(x - side / 2),
            _n(y - side / 2),
            _n(side),
            _n(side),
            fill,
        )
    if kind == TOPIC:
        d = r * 1.25
        points = [(x, y - d), (x + d, y), (x, y + d), (x - d, y)]
    else:  # institution: a triangle, point up
        d = r * 1.35
        points = [(x, y - d), (x + d * 0.9, y + d * 0.7), (x - d * 0.9, y + d * 0.7)]
    return format_html(
        '<polygon points="{}" fill="{}"/>', " ".join(f"{_n(a)},{_n(b)}" for a, b in points), fill
    )


def node_title(node: SliceNode, center: SliceNode) -> str:
    if node.is_center:
        return f"{node.label}: the centre of this graph"
    kind = KIND_NAMES[node.kind]
    if node.kind == AUTHOR and node.hop > 1:
        kind = "Co-author of a co-author"
    return f"{kind}: {node.label} ({node.detail})" if node.detail else f"{kind}: {node.label}"


def _edge(s: GraphSlice, edge: SliceEdge, heaviest: int) -> SafeString:
    """Co-authorship lines grow with shared works relative to the slice's heaviest one;
    those between two co-authors (not the centre) stay faint, or a dense circle of
    collaborators would hide everything else."""
    a, b = s.by_id[edge.source], s.by_id[edge.target]
    stroke, dash, opacity = EDGE_STYLES[edge.kind]
    width = 1.0
    if edge.kind == COAUTHORED:
        share = math.log1p(edge.weight) / math.log1p(max(heaviest, 1))
        if a.is_center or b.is_center:
            width = 1.0 + 3.0 * share
        else:
            width, opacity = 0.6 + 1.2 * share, PEER_OPACITY
    return format_html(
        '<line class="edge edge--{}" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"'
        ' stroke-width="{}" stroke-opacity="{}"{}/>',
        edge.kind,
        _n(a.x),
        _n(a.y),
        _n(b.x),
        _n(b.y),
        stroke,
        _n(width),
        opacity,
        format_html(' stroke-dasharray="{}"', dash) if dash else "",
    )


def _node(
    s: GraphSlice,
    node: SliceNode,
    *,
    href: str | None,
    htmx_target: str | None,
) -> SafeString:
    fill = CENTER_COLOUR if node.is_center else NODE_COLOURS[node.kind]
    body = format_html(
        "<title>{}</title>{}{}",
        node_title(node, s.center),
        shape(node.kind, node.x, node.y, node.size, fill=fill),
        format_html(
            '<circle cx="{}" cy="{}" r="{}" fill="none" stroke="{}" stroke-width="2"/>',
            _n(node.x),
            _n(node.y),
            _n(node.size + 4),
            CENTER_COLOUR,
        )
        if node.is_center
        else "",
    )
    classes = f"node node--{node.kind}" + (" node--center" if node.is_center else "")
    if not href:
        return format_html('<g class="{}" id="gn-{}">{}</g>', classes, node.id, body)
    hx = ""
    if htmx_target:
        hx = format_html(
            ' hx-get="{}" hx-target="{}" hx-swap="outerHTML" hx-push-url="true"', href, htmx_target
        )
    # Out of the tab order: the text list below has the same links for the keyboard.
    return format_html(
        '<a class="{}" id="gn-{}" href="{}"{} tabindex="-1">{}</a>',
        classes,
        node.id,
        href,
        hx,
        body,
    )


def _labels(s: GraphSlice) -> SafeString:
    """Names on the top-ranked nodes, pointing away from the centre; a label that would
    overlap one already placed (higher ranked) is left out."""
    cx, cy = s.width / 2, s.height / 2
    boxes: list[tuple[float, float, float, float]] = []
    out = []
    for node in s.nodes:
        if not node.labelled:
            continue
        font = CENTER_FONT if node.is_center else LABEL_FONT
        glyph = CHAR_WIDTH * font / LABEL_FONT
        height = font + 2
        dx, dy = node.x - cx, node.y - cy
        norm = math.hypot(dx, dy)
        cos, sin = (dx / norm, dy / norm) if norm else (0.0, 1.0)
        gap = node.size + 5
        # Within the drawing: a label running off the edge is shortened to fit.
        room = {
            "start": s.width - EDGE_ROOM - (node.x + gap),
            "end": node.x - gap - EDGE_ROOM,
        }.get("start" if cos > 0.35 else "end" if cos < -0.35 else "", s.width)
        limit = min(36 if node.is_center else LABEL_CHARS, int(room / glyph))
        if limit < 6:
            continue
        text = short_label(node.label, limit)
        width = len(text) * glyph
        if node.is_center:
            anchor, x, y = "middle", node.x, node.y + node.size + 8 + font
        elif cos > 0.35:
            anchor, x, y = "start", node.x + gap, node.y + font * 0.35
        elif cos < -0.35:
            anchor, x, y = "end", node.x - gap, node.y + font * 0.35
        else:
            anchor, x = "middle", node.x
            y = node.y + gap + font * 0.8 if sin > 0 else node.y - gap
        left = {"start": x, "end": x - width, "middle": x - width / 2}[anchor]
        box = (left, y - font, left + width, y - font + height)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes):
            continue
        boxes.append(box)
        out.append(
            format_html(
                '<text class="label{}" x="{}" y="{}" text-anchor="{}" font-size="{}">{}</text>',
                " label--center" if node.is_center else "",
                _n(x),
                _n(y),
                anchor,
                font,
                text,
            )
        )
    return mark_safe("".join(out))  # each part built by format_html


def draw_svg(
    s: GraphSlice,
    *,
    hrefs: Mapping[str, str] | None = None,
    htmx_target: str | None = None,
) -> str:
    """The slice as one <svg> element. `hrefs` maps node ids to link targets; with
    `htmx_target` the links also load through htmx into that element and push the URL."""
    hrefs = hrefs or {}
    counts = {kind: len(s.of_kind(kind)) for kind in (AUTHOR, WORK, TOPIC, INSTITUTION)}
    summary = (
        f"{counts[AUTHOR]} co-authors, {counts[WORK]} works, {counts[TOPIC]} topics and "
        f"{counts[INSTITUTION]} institutions around {s.center.label}, joined by "
        f"{len(s.edges)} edges. The same nodes and edges are listed as text below the drawing."
    )
    edges = sorted(s.edges, key=lambda e: (EDGE_ORDER.index(e.kind), e.source, e.target))
    heaviest = max((e.weight for e in s.edges if e.kind == COAUTHORED), default=1)
    # Lowest ranked first, so the important nodes are drawn on top.
    nodes = list(reversed(s.nodes))
    svg = format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="graph-svg" viewBox="0 0 {} {}"'
        ' role="img" aria-label="{}" aria-describedby="graph-svg-desc">'
        '<title>{}</title><desc id="graph-svg-desc">{}</desc>'
        '<g class="graph-svg__edges" fill="none">{}</g>'
        '<g class="graph-svg__nodes">{}</g>'
        '<g class="graph-svg__labels" fill="currentColor">{}</g>'
        "</svg>",
        s.width,
        s.height,
        f"Research graph around {s.center.label}",
        f"Research graph around {s.center.label}",
        summary,
        format_html_join("", "{}", ((_edge(s, e, heaviest),) for e in edges)),
        format_html_join(
            "",
            "{}",
            ((_node(s, n, href=hrefs.get(n.id), htmx_target=htmx_target),) for n in nodes),
        ),
        _labels(s),
    )
    return str(svg)
