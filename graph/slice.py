"""Graph slices as plain data: build, rank, cut and lay out. No ORM, no database.

graph.services turns a few bounded queries into a `Neighbourhood` (rows of plain values);
everything here is a pure function of it, so the same neighbourhood always gives the same
slice, down to the last coordinate, and is tested without a database:

    neighbourhood --graph_build--> networkx.Graph --rank_from--> personalised PageRank
        --graph_cut--> at most `max_nodes` nodes and `max_edges` edges
        --layout_radial--> positions by type --> GraphSlice (drawn by graph.svg)

A little over 500 lines on purpose: a slice's types and the steps that fill them change
together and are read together; the layout (graph.layout) and the kinds (graph.kinds) are
apart because they stand alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx

from .kinds import (
    ABOUT,
    AFFILIATED,
    AUTHOR,
    AUTHORED,
    COAUTHORED,
    EDGE_KINDS,
    INSTITUTION,
    LIST_HEADINGS,
    NODE_KINDS,
    TOPIC,
    WORK,
)
from .layout import layout_radial

# Hard ceilings for any slice, whatever the parameters ask.
MAX_NODES = 200
MAX_EDGES = 1000

PAGERANK_ALPHA = 0.85
PAGERANK_MAX_ITER = 100
PAGERANK_TOL = 1.0e-6


# --- input: what the bounded queries found -----------------------------------------------


@dataclass(frozen=True)
class Person:
    id: int
    slug: str
    name: str
    url: str = ""
    shared_works: int = 0  # with the centre; 0 for the centre and for 2nd-hop people
    institution_id: int | None = None  # last known institution
    hop: int = 1  # 0 the centre, 1 a co-author, 2 a co-author's co-author
    via: int | None = None  # 2nd hop: the co-author who leads there


@dataclass(frozen=True)
class Paper:
    id: int
    title: str  # plain text (LaTeX already turned into text)
    year: int | None = None
    cited_by: int | None = None  # None: no source gave a count
    url: str = ""


@dataclass(frozen=True)
class Subject:
    id: int
    name: str
    works: int = 0  # the centre's works about it
    url: str = ""  # the topic's page


@dataclass(frozen=True)
class Place:
    id: int
    name: str
    works: int | None = None  # the centre's works there; None: only someone's last known
    url: str = ""  # the institution's page


@dataclass(frozen=True)
class Neighbourhood:
    center: Person
    people: tuple[Person, ...] = ()
    works: tuple[Paper, ...] = ()
    topics: tuple[Subject, ...] = ()
    institutions: tuple[Place, ...] = ()
    authored: tuple[tuple[int, int], ...] = ()  # (author id, work id)
    coauthored: tuple[tuple[int, int, int], ...] = ()  # (author id, author id, shared works)
    about: tuple[tuple[int, int], ...] = ()  # (work id, topic id)
    affiliated: tuple[tuple[int, int], ...] = ()  # (author id, institution id)
    coauthors_total: int = 0
    close_collaborators: int = 0
    topics_total: int = 0
    works_total: int = 0


@dataclass(frozen=True)
class SliceParams:
    """How big a slice to build. SQL limits bound the queries; the budget bounds the result."""

    name: str  # part of the cache key
    max_nodes: int
    max_edges: int
    coauthors: int  # top co-authors by shared works
    works: int  # most recent works, and as many most-cited ones
    topics: int  # main topics by number of works
    institutions: int
    labels: int  # how many top-ranked nodes are named in the drawing
    width: int
    height: int
    depth: int = 1
    second_from: int = 0  # depth 2: how many co-authors are expanded
    second_each: int = 0  # depth 2: how many of each one's co-authors
    min_shared: int = 1
    year_from: int | None = None
    year_to: int | None = None
    kinds: frozenset[str] = frozenset(NODE_KINDS)

    def __post_init__(self) -> None:
        if not (0 < self.max_nodes <= MAX_NODES and 0 < self.max_edges <= MAX_EDGES):
            raise ValueError("a slice is at most 200 nodes and 1,000 edges")
        if self.depth not in (1, 2):
            raise ValueError("depth is 1 or 2")

    @property
    def key(self) -> str:
        """Canonical: equal parameters, equal keys (the cache key's last part)."""
        kinds = "".join(k[0] for k in NODE_KINDS if k in self.kinds)
        years = f"{self.year_from or ''}-{self.year_to or ''}"
        return f"{self.name}.d{self.depth}.m{self.min_shared}.y{years}.k{kinds}"


# --- output: what the page shows ---------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """One edge seen from one of its ends."""

    kind: str
    other: str  # node id
    other_label: str
    weight: int = 1
    listed: bool = False  # the text list shows each edge once, under this end


@dataclass(frozen=True)
class SliceNode:
    id: str  # "a12", "w7", "t3", "i9"
    kind: str
    pk: int
    label: str
    url: str = ""
    slug: str = ""  # authors
    detail: str = ""  # "4 shared works", "2021 · cited by 30", …
    rank: float = 0.0
    x: float = 0.0
    y: float = 0.0
    size: float = 6.0
    labelled: bool = False
    is_center: bool = False
    hop: int = 1
    close: bool = False  # a close collaborator (same definition as the profile's count)
    links: tuple[Link, ...] = ()

    @property
    def listed_links(self) -> tuple[Link, ...]:
        return tuple(link for link in self.links if link.listed)

    @property
    def listed_by_kind(self) -> list[tuple[str, list[Link]]]:
        """The edges the text list shows under this node, grouped: [(heading, links)]."""
        groups = []
        for kind in EDGE_KINDS:
            links = [link for link in self.links if link.listed and link.kind == kind]
            if links:
                groups.append((LIST_HEADINGS[kind], links))
        return groups


@dataclass(frozen=True)
class SliceEdge:
    source: str
    target: str
    kind: str
    weight: int = 1


@dataclass(frozen=True)
class GraphSlice:
    center: SliceNode
    nodes: tuple[SliceNode, ...]  # by rank, the centre first
    edges: tuple[SliceEdge, ...]
    params_key: str
    width: int
    height: int
    coauthors_total: int = 0
    close_collaborators: int = 0
    topics_total: int = 0
    works_total: int = 0
    candidates: int = 0  # nodes found before the cut
    # the explorer's filters narrowed what could be shown (types left out, years, min shared)
    filtered: bool = False
    svg: str = ""  # escaped markup from graph.svg (marked safe by graph.rendering)
    html: str = ""  # the whole fragment (templates/graph/_slice.html), rendered once
    by_id: dict[str, SliceNode] = field(default_factory=dict, compare=False, repr=False)

    def of_kind(self, kind: str) -> list[SliceNode]:
        return [n for n in self.nodes if n.kind == kind and not n.is_center]

    @property
    def coauthors(self) -> list[SliceNode]:
        return self.of_kind(AUTHOR)

    @property
    def works(self) -> list[SliceNode]:
        return self.of_kind(WORK)

    @property
    def topics(self) -> list[SliceNode]:
        return self.of_kind(TOPIC)

    @property
    def institutions(self) -> list[SliceNode]:
        return self.of_kind(INSTITUTION)

    @property
    def direct_coauthors(self) -> list[SliceNode]:
        """Co-authors of the centre (coauthors_total counts these), not their co-authors."""
        return [n for n in self.coauthors if n.hop <= 1]

    @property
    def second_hop_coauthors(self) -> list[SliceNode]:
        return [n for n in self.coauthors if n.hop > 1]

    @property
    def close_collaborators_shown(self) -> int:
        return sum(1 for n in self.coauthors if n.close)

    @property
    def is_empty(self) -> bool:
        return len(self.nodes) <= 1

    def edge_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(EDGE_KINDS, 0)
        for edge in self.edges:
            counts[edge.kind] += 1
        return counts


# --- build -------------------------------------------------------------------------------


def author_node_id(pk: int) -> str:
    return f"a{pk}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def graph_build(hood: Neighbourhood, *, close_min_shared: int) -> nx.Graph:
    """The slice's graph, nodes and edges inserted in sorted order (same data, same graph).

    Edges whose ends were not both found are left out; an edge seen twice keeps the larger
    weight.
    """
    nodes: dict[str, dict] = {}
    center = hood.center
    nodes[author_node_id(center.id)] = {
        "kind": AUTHOR,
        "pk": center.id,
        "label": center.name,
        "url": center.url,
        "slug": center.slug,
        "hop": 0,
        "detail": "centre of this graph",
    }
    for p in hood.people:
        if p.id == center.id:
            continue
        if p.hop == 1:
            detail = f"{_plural(p.shared_works, 'shared work')} with {center.name}"
        else:
            detail = "co-author of a co-author"
        nodes[author_node_id(p.id)] = {
            "kind": AUTHOR,
            "pk": p.id,
            "label": p.name,
            "url": p.url,
            "slug": p.slug,
            "hop": p.hop,
            "detail": detail,
            "close": p.hop == 1 and p.shared_works >= close_min_shared,
        }
    for w in hood.works:
        bits = [str(w.year)] if w.year else []
        if w.cited_by is not None:
            bits.append(f"cited by {w.cited_by:,}")
        nodes[f"w{w.id}"] = {
            "kind": WORK,
            "pk": w.id,
            "label": w.title,
            "url": w.url,
            "detail": " · ".join(bits),
        }
    for t in hood.topics:
        nodes[f"t{t.id}"] = {
            "kind": TOPIC,
            "pk": t.id,
            "label": t.name,
            "url": t.url,
            "detail": f"{_plural(t.works, 'work')} by {center.name}",
        }
    for i in hood.institutions:
        detail = (
            "a last known affiliation"
            if i.works is None
            else f"on {_plural(i.works, 'work')} by {center.name}"
        )
        nodes[f"i{i.id}"] = {
            "kind": INSTITUTION,
            "pk": i.id,
            "label": i.name,
            "url": i.url,
            "detail": detail,
        }

    edges: dict[tuple[str, str], dict] = {}

    def add(u: str, v: str, kind: str, weight: int = 1) -> None:
        if u == v or u not in nodes or v not in nodes:
            return
        key = (u, v) if u < v else (v, u)
        if key not in edges or edges[key]["weight"] < weight:
            edges[key] = {"kind": kind, "weight": max(1, weight)}

    c = author_node_id(center.id)
    for p in hood.people:
        if p.hop == 1 and p.shared_works:
            add(c, author_node_id(p.id), COAUTHORED, p.shared_works)
    for a, b, shared in hood.coauthored:
        add(author_node_id(a), author_node_id(b), COAUTHORED, shared)
    for author_id, work_id in hood.authored:
        add(author_node_id(author_id), f"w{work_id}", AUTHORED)
    for work_id, topic_id in hood.about:
        add(f"w{work_id}", f"t{topic_id}", ABOUT)
    for author_id, institution_id in hood.affiliated:
        add(author_node_id(author_id), f"i{institution_id}", AFFILIATED)

    graph = nx.Graph(center=c)
    graph.add_nodes_from((n, nodes[n]) for n in sorted(nodes))
    graph.add_edges_from((u, v, edges[(u, v)]) for u, v in sorted(edges))
    return graph


def rank_from(graph: nx.Graph, center: str) -> dict[str, float]:
    """Personalised PageRank: every random walk restarts at the centre.

    The same iteration as networkx.pagerank(graph, personalization={center: 1},
    weight="weight") (its pure-Python form; the default one needs SciPy, which BZPEER does not
    install for graphs of a few hundred nodes). Nodes are visited in sorted order, so the
    floating-point sums, hence the ranks, are the same on every run.
    """
    order = sorted(graph)
    if not order:
        return {}
    strength = {n: sum(d.get("weight", 1) for _, _, d in graph.edges(n, data=True)) for n in order}
    neighbours = {
        n: sorted((m, d.get("weight", 1)) for m, d in graph.adj[n].items() if m != n) for n in order
    }
    x = {n: (1.0 if n == center else 0.0) for n in order}
    for _ in range(PAGERANK_MAX_ITER):
        last = x
        dangling = sum(last[n] for n in order if strength[n] == 0)
        x = {}
        for n in order:
            inflow = sum(last[m] * w / strength[m] for m, w in neighbours[n] if strength[m])
            x[n] = PAGERANK_ALPHA * inflow
        x[center] += PAGERANK_ALPHA * dangling + (1.0 - PAGERANK_ALPHA)
        if sum(abs(x[n] - last[n]) for n in order) < len(order) * PAGERANK_TOL:
            break
    return x


def graph_cut(
    graph: nx.Graph,
    rank: Mapping[str, float],
    center: str,
    *,
    max_nodes: int,
    max_edges: int,
    kinds: Iterable[str] = NODE_KINDS,
) -> nx.Graph:
    """The top-ranked nodes of the kinds asked for (the centre always), and edges among them.

    Edges are chosen in two passes: first a backbone, each node's strongest edge towards a
    higher-ranked node (else towards any kept one), so no kept node is cut off by a dense
    clique using up the budget; then the rest, the centre's own edges first, then by their
    weaker end's rank, up to `max_edges`.
    Nodes left without an edge go.
    """
    kinds = set(kinds)
    max_nodes = min(max_nodes, MAX_NODES)
    max_edges = min(max_edges, MAX_EDGES)
    candidates = sorted(
        (n for n in graph if n == center or graph.nodes[n]["kind"] in kinds),
        key=lambda n: (n != center, -rank.get(n, 0.0), n),
    )
    order = {n: i for i, n in enumerate(candidates[:max_nodes])}

    def key(u: str, v: str) -> tuple[str, str]:
        return (u, v) if u < v else (v, u)

    chosen: dict[tuple[str, str], None] = {}
    for n in order:
        if n == center or len(chosen) >= max_edges:
            continue
        options = [
            (order[m] > order[n], -graph.edges[n, m].get("weight", 1), order[m], m)
            for m in graph.adj[n]
            if m in order
        ]
        if options:
            chosen[key(n, min(options)[3])] = None
    rest = sorted(
        (key(u, v) for u, v in graph.edges if u in order and v in order),
        key=lambda e: (center not in e, -min(rank.get(e[0], 0.0), rank.get(e[1], 0.0)), e),
    )
    for edge in rest:
        if len(chosen) >= max_edges:
            break
        chosen.setdefault(edge, None)
    edges = sorted(chosen)
    linked = {center} | {n for e in edges for n in e}
    cut = nx.Graph(center=center)
    cut.add_nodes_from((n, graph.nodes[n]) for n in sorted(set(order) & linked))
    cut.add_edges_from((u, v, graph.edges[u, v]) for u, v in edges)
    return cut


# --- the whole pipeline ------------------------------------------------------------------

NODE_SIZES = {AUTHOR: (5.0, 9.0), WORK: (4.5, 7.0), TOPIC: (5.0, 7.0), INSTITUTION: (5.0, 7.0)}
CENTER_SIZE = 17.0
LABELS_PER_KIND = 3
# Margins keep outer labels inside the drawing (names run sideways from the outer ring).
MARGIN_X = 170
MARGIN_Y = 46


def slice_from(hood: Neighbourhood, params: SliceParams, *, close_min_shared: int) -> GraphSlice:
    """Everything but the drawing: built, ranked, cut, laid out, as plain data."""
    graph = graph_build(hood, close_min_shared=close_min_shared)
    center = graph.graph["center"]
    rank = rank_from(graph, center)
    cut = graph_cut(
        graph,
        rank,
        center,
        max_nodes=params.max_nodes,
        max_edges=params.max_edges,
        kinds=params.kinds,
    )
    positions = layout_radial(cut, rank, center)
    ordered = sorted(cut, key=lambda n: (n != center, -rank.get(n, 0.0), n))
    labelled = set(ordered[: params.labels + 1])
    for kind in NODE_KINDS:  # a few names of every type, not only the top-ranked type
        labelled.update([n for n in ordered if cut.nodes[n]["kind"] == kind][:LABELS_PER_KIND])
    top = max((rank.get(n, 0.0) for n in ordered if n != center), default=0.0) or 1.0
    # A small slice is drawn small (graph.svg crops the drawing to what is in it) rather
    # than spread thin over the whole box.
    spread = min(1.0, 0.4 + len(cut) / 50)
    half_w = (params.width / 2 - MARGIN_X) * spread
    half_h = (params.height / 2 - MARGIN_Y) * spread
    position_of = {n: i for i, n in enumerate(ordered)}

    def links(n: str) -> tuple[Link, ...]:
        out = []
        for m in sorted(cut.adj[n], key=lambda m: (position_of[m], m)):
            data = cut.edges[n, m]
            # Listed once: under the work (authored, about), the person (affiliated), the
            # lower-ranked of two co-authors (co-authored); with the centre, in the detail.
            if data["kind"] in (AUTHORED, ABOUT):
                listed = cut.nodes[n]["kind"] == WORK
            elif data["kind"] == AFFILIATED:
                listed = cut.nodes[n]["kind"] == AUTHOR
            elif center in (n, m):
                listed = False  # a co-author's line to the centre is its detail text
            else:
                listed = position_of[n] > position_of[m]
            out.append(
                Link(
                    kind=data["kind"],
                    other=m,
                    other_label=cut.nodes[m]["label"],
                    weight=data.get("weight", 1),
                    listed=listed,
                )
            )
        return tuple(out)

    nodes = []
    for n in ordered:
        data = cut.nodes[n]
        x, y = positions[n]
        low, high = NODE_SIZES[data["kind"]]
        size = CENTER_SIZE if n == center else low + high * math.sqrt(rank.get(n, 0.0) / top)
        nodes.append(
            SliceNode(
                id=n,
                kind=data["kind"],
                pk=data["pk"],
                label=data["label"],
                url=data.get("url", ""),
                slug=data.get("slug", ""),
                detail=data.get("detail", ""),
                rank=round(rank.get(n, 0.0), 9),
                x=round(params.width / 2 + x * half_w, 1),
                y=round(params.height / 2 + y * half_h, 1),
                size=round(min(size, CENTER_SIZE), 1),
                labelled=n in labelled,
                is_center=n == center,
                hop=data.get("hop", 1),
                close=data.get("close", False),
                links=links(n),
            )
        )
    edges = tuple(
        SliceEdge(source=u, target=v, kind=d["kind"], weight=d.get("weight", 1))
        for u, v, d in sorted((min(u, v), max(u, v), d) for u, v, d in cut.edges(data=True))
    )
    return GraphSlice(
        center=nodes[0],
        nodes=tuple(nodes),
        edges=edges,
        params_key=params.key,
        width=params.width,
        height=params.height,
        coauthors_total=hood.coauthors_total,
        close_collaborators=hood.close_collaborators,
        topics_total=hood.topics_total,
        works_total=hood.works_total,
        candidates=graph.number_of_nodes(),
        filtered=(
            params.kinds != frozenset(NODE_KINDS)
            or bool(params.year_from or params.year_to)
            or params.min_shared > 1
        ),
        by_id={node.id: node for node in nodes},
    )
