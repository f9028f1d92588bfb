"""Where a slice's nodes sit: a radial layout, deterministic (same graph, same positions).

Pure like graph.slice, which calls it once the graph is cut to its budget.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping

import networkx as nx

from .kinds import AUTHOR, WORK

# Ring of each node: the centre, its co-authors, the works, then topics, institutions and
# second-hop people on the outside. Radii are fractions of the drawing's half-size.
RING_RADII = (0.0, 0.36, 0.68, 1.0)


def _ring(graph: nx.Graph, n: str) -> int:
    data = graph.nodes[n]
    if data["kind"] == AUTHOR:
        return 1 if data.get("hop", 1) <= 1 else 3
    return 2 if data["kind"] == WORK else 3


def _circular_mean(angles: list[float]) -> float | None:
    if not angles:
        return None
    s = sum(math.sin(a) for a in angles)
    c = sum(math.cos(a) for a in angles)
    if abs(s) < 1e-9 and abs(c) < 1e-9:
        return angles[0]
    return math.atan2(s, c)


def _spread(order: list[str], targets: Mapping[str, float | None]) -> dict[str, float]:
    """Even angles around a ring for `order`, turned to sit nearest to the targets."""
    n = len(order)
    if n == 0:
        return {}
    step = 2 * math.pi / n
    offsets = [
        targets[node] - i * step for i, node in enumerate(order) if targets[node] is not None
    ]
    start = _circular_mean(offsets)
    start = -math.pi / 2 if start is None else start
    return {node: start + i * step for i, node in enumerate(order)}


def _chain(nodes: list[str], graph: nx.Graph, rank: Mapping[str, float]) -> list[str]:
    """Co-authors in an order that puts those who work together side by side: start at the
    top-ranked, then go on to the strongest tie of the last one placed, else the next."""
    left = sorted(nodes, key=lambda n: (-rank.get(n, 0.0), n))
    order: list[str] = []
    remaining = set(left)
    while remaining:
        nxt = None
        if order:
            ties = [
                (-graph.edges[order[-1], m].get("weight", 1), -rank.get(m, 0.0), m)
                for m in graph.adj[order[-1]]
                if m in remaining
            ]
            if ties:
                nxt = min(ties)[2]
        if nxt is None:
            nxt = next(n for n in left if n in remaining)
        order.append(nxt)
        remaining.discard(nxt)
    return order


def layout_radial(graph: nx.Graph, rank: Mapping[str, float], center: str) -> dict[str, tuple]:
    """Positions in [-1, 1]²: the centre in the middle, a ring per type outside it.

    Each ring is ordered by where its neighbours on the inner rings sit (circular mean of
    their angles), so works sit near their co-authors and topics near their works; then
    spread evenly. Sorted inputs and fixed tie-breaks: same graph, same positions.
    """
    rings: dict[int, list[str]] = defaultdict(list)
    for n in sorted(graph):
        rings[0 if n == center else _ring(graph, n)].append(n)
    angle: dict[str, float] = {}
    positions: dict[str, tuple[float, float]] = {center: (0.0, 0.0)} if center in graph else {}

    ring1 = _chain(rings[1], graph, rank)
    angle.update(_spread(ring1, dict.fromkeys(ring1)))
    for ring in (2, 3):
        targets = {}
        for n in rings[ring]:
            placed = [angle[m] for m in sorted(graph.adj[n]) if m in angle]
            targets[n] = _circular_mean(placed)
        # Unplaced ones (no inner neighbour) keep their rank order at the end of the ring.
        order = sorted(
            rings[ring],
            key=lambda n: (
                targets[n] is None,
                (targets[n] or 0.0) % (2 * math.pi),
                -rank.get(n, 0.0),
                n,
            ),
        )
        angle.update(_spread(order, targets))
    for ring in (1, 2, 3):
        radius = RING_RADII[ring]
        if ring == 1:  # many co-authors need a wider circle
            radius += 0.16 * min(1.0, len(rings[1]) / 70)
        for n in rings[ring]:
            positions[n] = (radius * math.cos(angle[n]), radius * math.sin(angle[n]))
    return positions
