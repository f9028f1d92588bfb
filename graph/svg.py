"""Drawing a GraphSlice as inline SVG: a pure function of the slice, escaped throughout.

Every piece of imported text (names, titles) goes through format_html, so a name such as
`<script>` or `" hx-get="/x` is text in an element or an escaped attribute value, never
markup. Numbers are formatted with one decimal: the same slice gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

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
PEER_OPACITY = "0.18"
MESH_STROKE = "#8a94a6"

LABEL_CHARS = 28
LABEL_FONT = 12
CENTER_FONT = 14
# Average glyph width of the UI font at 12px, on the wide side (DejaVu Sans, the usual
# fallback, runs about 0.6 em): label boxes must hold the real text or names could touch.
CHAR_WIDTH = 7.2
EDGE_ROOM = 4  # px kept free at the drawing's sides
# The width a drawing is expected to be shown at (a page column); wider drawings get larger
# label fonts in their own units so names stay at 12px when scaled down to it.
DISPLAY_WIDTH = 880


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
            # the mesh between co-authors: thin and grey, behind the centre's own lines
            stroke, width, opacity = MESH_STROKE, 0.5 + 0.8 * share, PEER_OPACITY
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


@dataclass(frozen=True)
class Label:
    text: str
    x: float
    y: float
    anchor: str
    font: float
    box: tuple[float, float, float, float]


def _overlaps(box, boxes) -> bool:
    return any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes)


def label_font(s: GraphSlice) -> float:
    """Label size in the drawing's units: 12px when the drawing is shown DISPLAY_WIDTH wide,
    so a wide explorer drawing scaled down to a page column still has readable names."""
    return round(LABEL_FONT * max(1.0, s.width / DISPLAY_WIDTH), 1)


def place_labels(s: GraphSlice) -> dict[str, Label]:
    """A label for every node that can have one without touching another label or node.

    Nodes are taken in rank order (the centre first); each label tries the side facing away
    from the centre, then the other sides. A node whose label fits nowhere, or whose shape
    would sit under a label already placed, is left out of the drawing: every node drawn
    is named (the lists under the drawing have them all).
    """
    cx, cy = s.width / 2, s.height / 2
    base = label_font(s)
    placed: dict[str, Label] = {}
    boxes: list[tuple[float, float, float, float]] = []
    for node in s.nodes:
        pad = node.size + (6 if node.is_center else 2)
        node_box = (node.x - pad, node.y - pad, node.x + pad, node.y + pad)
        if _overlaps(node_box, boxes):
            continue
        font = base * CENTER_FONT / LABEL_FONT if node.is_center else base
        glyph = CHAR_WIDTH * font / LABEL_FONT
        gap = node.size + 5 * font / LABEL_FONT
        dx, dy = node.x - cx, node.y - cy
        sides = ["below", "above", "start", "end"]
        if not node.is_center:
            outward = "start" if dx > 0 else "end"
            across = "below" if dy > 0 else "above"
            first = [outward, across] if abs(dx) >= abs(dy) * 0.6 else [across, outward]
            sides = first + [side for side in sides if side not in first]
        label = None
        for side in sides:
            if side == "start":
                anchor, x, y = "start", node.x + gap, node.y + font * 0.35
                room = s.width - EDGE_ROOM - x
            elif side == "end":
                anchor, x, y = "end", node.x - gap, node.y + font * 0.35
                room = x - EDGE_ROOM
            else:
                anchor, x = "middle", node.x
                y = node.y + gap + font * 0.8 if side == "below" else node.y - gap
                room = 2 * min(node.x - EDGE_ROOM, s.width - EDGE_ROOM - node.x)
            limit = min(36 if node.is_center else LABEL_CHARS, int(room / glyph))
            if limit < 6:
                continue
            text = short_label(node.label, limit)
            width = len(text) * glyph
            left = {"start": x, "end": x - width, "middle": x - width / 2}[anchor]
            box = (left - 1, y - font, left + width + 1, y + font * 0.3)
            if box[1] < 0 or box[3] > s.height or _overlaps(box, boxes):
                continue
            label = Label(text, x, y, anchor, font, box)
            break
        if label is None:
            continue
        placed[node.id] = label
        boxes += [node_box, label.box]
    return placed


def _labels(s: GraphSlice, placed: Mapping[str, Label]) -> SafeString:
    out = [
        format_html(
            '<text class="label{}" x="{}" y="{}" text-anchor="{}" font-size="{}">{}</text>',
            " label--center" if node.is_center else "",
            _n(placed[node.id].x),
            _n(placed[node.id].y),
            placed[node.id].anchor,
            _n(placed[node.id].font),
            placed[node.id].text,
        )
        for node in s.nodes
        if node.id in placed
    ]
    return mark_safe("".join(out))  # each part built by format_html


def _extent(s: GraphSlice, placed: Mapping[str, Label]) -> tuple[float, float, float, float]:
    """The drawn nodes' and labels' bounding box, padded: the drawing's size follows what
    is in it, and a small slice is a small drawing."""
    boxes = [label.box for label in placed.values()]
    boxes += [
        (n.x - n.size - 6, n.y - n.size - 6, n.x + n.size + 6, n.y + n.size + 6)
        for n in s.nodes
        if n.id in placed
    ]
    left = max(0.0, min(b[0] for b in boxes) - 12)
    top = max(0.0, min(b[1] for b in boxes) - 8)
    right = min(float(s.width), max(b[2] for b in boxes) + 12)
    bottom = min(float(s.height), max(b[3] for b in boxes) + 8)
    return left, top, right - left, bottom - top


def draw_svg(
    s: GraphSlice,
    *,
    hrefs: Mapping[str, str] | None = None,
    htmx_target: str | None = None,
) -> str:
    """The slice as one <svg> element. `hrefs` maps node ids to link targets; with
    `htmx_target` the links also load through htmx into that element and push the URL."""
    hrefs = hrefs or {}
    placed = place_labels(s)
    drawn = [n for n in s.nodes if n.id in placed]
    counts = {kind: len(s.of_kind(kind)) for kind in (AUTHOR, WORK, TOPIC, INSTITUTION)}
    left_out = len(s.nodes) - len(drawn)
    summary = (
        f"{counts[AUTHOR]} co-authors, {counts[WORK]} works, {counts[TOPIC]} topics and "
        f"{counts[INSTITUTION]} institutions around {s.center.label}, joined by "
        f"{len(s.edges)} edges. "
        + (f"The drawing names {len(drawn)} of them; " if left_out else "")
        + "the same nodes and edges are listed as text below the drawing."
    )
    edges = sorted(
        (e for e in s.edges if e.source in placed and e.target in placed),
        key=lambda e: (_edge_layer(s, e), e.source, e.target),
    )
    heaviest = max((e.weight for e in s.edges if e.kind == COAUTHORED), default=1)
    # Lowest ranked first, so the important nodes are drawn on top.
    nodes = list(reversed(drawn))
    left, top, width, height = _extent(s, placed)
    svg = format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="graph-svg" viewBox="{} {} {} {}"'
        ' width="{}" height="{}"'
        ' role="group" aria-label="{}" aria-describedby="graph-svg-desc">'
        '<title>{}</title><desc id="graph-svg-desc">{}</desc>'
        '<g class="graph-svg__edges" fill="none">{}</g>'
        '<g class="graph-svg__nodes">{}</g>'
        '<g class="graph-svg__labels" fill="currentColor">{}</g>'
        "</svg>",
        _n(left),
        _n(top),
        _n(width),
        _n(height),
        round(width),
        round(height),
        f"Research graph around {s.center.label}",
        f"Research graph around {s.center.label}",
        summary,
        format_html_join("", "{}", ((_edge(s, e, heaviest),) for e in edges)),
        format_html_join(
            "",
            "{}",
            ((_node(s, n, href=hrefs.get(n.id), htmx_target=htmx_target),) for n in nodes),
        ),
        _labels(s, placed),
    )
    return str(svg)


def _edge_layer(s: GraphSlice, edge: SliceEdge) -> int:
    """Drawing order: the co-author-to-co-author mesh first, underneath everything, then
    the other kinds, the centre's own co-authorships on top."""
    if edge.kind == COAUTHORED and not (
        s.by_id[edge.source].is_center or s.by_id[edge.target].is_center
    ):
        return -1
    return EDGE_ORDER.index(edge.kind)
