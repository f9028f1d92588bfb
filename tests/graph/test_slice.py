"""The pure core: building, ranking, cutting, layout and drawing, from plain data (no DB)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pytest
from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python

from graph.kinds import ABOUT, AFFILIATED, AUTHOR, AUTHORED, COAUTHORED, INSTITUTION, TOPIC, WORK
from graph.layout import layout_radial
from graph.slice import (
    MAX_EDGES,
    MAX_NODES,
    Neighbourhood,
    Paper,
    Person,
    Place,
    SliceParams,
    Subject,
    graph_build,
    graph_cut,
    rank_from,
    slice_from,
)
from graph.svg import draw_svg, place_labels

pytestmark = pytest.mark.sqlite

PARAMS = SliceParams(
    name="test",
    max_nodes=40,
    max_edges=200,
    coauthors=16,
    works=8,
    topics=8,
    institutions=6,
    labels=10,
    width=960,
    height=620,
)
FULL = dataclasses.replace(PARAMS, max_nodes=MAX_NODES, max_edges=MAX_EDGES, labels=36)


def _hood(*, people=4, works=6, name="Centre Person", coauthor_name=None) -> Neighbourhood:
    center = Person(id=1, slug="centre", name=name, url="/researchers/centre/", hop=0)
    persons = tuple(
        Person(
            id=100 + i,
            slug=f"p{i}",
            name=coauthor_name or f"Person {i}",
            url=f"/researchers/p{i}/",
            shared_works=people - i,
            institution_id=7 if i % 2 else None,
        )
        for i in range(people)
    )
    papers = tuple(
        Paper(id=200 + j, title=f"Paper {j}", year=2010 + j, cited_by=j, url=f"/works/{200 + j}/")
        for j in range(works)
    )
    return Neighbourhood(
        center=center,
        people=persons,
        works=papers,
        topics=(Subject(id=300, name="Graphs", works=3), Subject(id=301, name="Vision", works=1)),
        institutions=(Place(id=7, name="Home University", works=2),),
        authored=tuple(
            [(1, p.id) for p in papers]
            + [(persons[j % people].id, p.id) for j, p in enumerate(papers)]
        ),
        coauthored=((100, 101, 2),) if people > 1 else (),
        about=tuple((p.id, 300 + (j % 2)) for j, p in enumerate(papers)),
        affiliated=((1, 7), *((p.id, 7) for p in persons if p.institution_id)),
        coauthors_total=people,
        close_collaborators=sum(1 for p in persons if p.shared_works >= 2),
        topics_total=2,
        works_total=works,
    )


def _hub_hood(coauthors: int = 5000) -> Neighbourhood:
    """A neighbourhood far bigger than any query returns: the cut must still hold."""
    center = Person(id=1, slug="hub", name="Hub", hop=0)
    persons = tuple(
        Person(id=10_000 + i, slug=f"h{i}", name=f"H {i}", shared_works=1 + (i % 7))
        for i in range(coauthors)
    )
    papers = tuple(Paper(id=20_000 + j, title=f"W {j}") for j in range(800))
    return Neighbourhood(
        center=center,
        people=persons,
        works=papers,
        topics=tuple(Subject(id=30_000 + t, name=f"T {t}") for t in range(100)),
        authored=tuple(
            [(1, w.id) for w in papers]
            + [(persons[(j * 13) % coauthors].id, w.id) for j, w in enumerate(papers)]
        ),
        coauthored=tuple((persons[i].id, persons[i + 1].id, 1) for i in range(0, coauthors - 1)),
        about=tuple((w.id, 30_000 + (j % 100)) for j, w in enumerate(papers)),
        coauthors_total=coauthors,
    )


def test_graph_build_types_nodes_and_edges():
    graph = graph_build(_hood(), close_min_shared=2)

    kinds = nx.get_node_attributes(graph, "kind")
    assert sorted(set(kinds.values())) == sorted({AUTHOR, WORK, TOPIC, INSTITUTION})
    assert graph.edges["a1", "a100"] == {"kind": COAUTHORED, "weight": 4}
    assert graph.edges["a100", "a101"] == {"kind": COAUTHORED, "weight": 2}
    assert graph.edges["a1", "w200"]["kind"] == AUTHORED
    assert graph.edges["w200", "t300"]["kind"] == ABOUT
    assert graph.edges["a1", "i7"]["kind"] == AFFILIATED
    assert graph.nodes["a100"]["close"] and not graph.nodes["a103"]["close"]
    assert list(graph) == sorted(graph)  # sorted insertion: same data, same graph


def test_graph_build_skips_edges_to_unknown_nodes():
    hood = dataclasses.replace(_hood(), about=((200, 999),), affiliated=((1, 999),))

    graph = graph_build(hood, close_min_shared=2)

    assert "t999" not in graph and "i999" not in graph
    assert not any(d["kind"] in (ABOUT, AFFILIATED) for _, _, d in graph.edges(data=True))


def test_rank_from_matches_networkx_personalised_pagerank():
    graph = graph_build(_hood(people=8, works=12), close_min_shared=2)

    ours = rank_from(graph, "a1")
    reference = _pagerank_python(graph, personalization={"a1": 1}, weight="weight")

    assert ours.keys() == reference.keys()
    assert all(abs(ours[n] - reference[n]) < 1e-5 for n in ours)
    assert max(ours, key=ours.get) == "a1"


def test_rank_from_prefers_stronger_collaborators():
    rank = rank_from(graph_build(_hood(), close_min_shared=2), "a1")

    assert rank["a100"] > rank["a103"]  # 4 shared works against 1


def test_graph_cut_hub_stays_within_budget():
    graph = graph_build(_hub_hood(), close_min_shared=2)
    rank = rank_from(graph, "a1")

    cut = graph_cut(graph, rank, "a1", max_nodes=MAX_NODES, max_edges=MAX_EDGES)

    assert graph.number_of_nodes() > 5000
    assert "a1" in cut
    assert cut.number_of_nodes() <= MAX_NODES
    assert cut.number_of_edges() <= MAX_EDGES
    assert all(cut.degree(n) > 0 for n in cut if n != "a1")


def test_graph_cut_keeps_only_the_kinds_asked_for():
    graph = graph_build(_hood(), close_min_shared=2)

    cut = graph_cut(graph, rank_from(graph, "a1"), "a1", max_nodes=40, max_edges=200, kinds=[WORK])

    assert {cut.nodes[n]["kind"] for n in cut if n != "a1"} == {WORK}


def test_slice_params_refuse_a_budget_over_the_ceiling():
    with pytest.raises(ValueError):
        dataclasses.replace(PARAMS, max_nodes=MAX_NODES + 1)


def test_layout_radial_same_graph_same_positions():
    graph = graph_build(_hood(people=10, works=14), close_min_shared=2)
    rank = rank_from(graph, "a1")

    first = layout_radial(graph, rank, "a1")
    second = layout_radial(graph_build(_hood(people=10, works=14), close_min_shared=2), rank, "a1")

    assert first == second
    assert first["a1"] == (0.0, 0.0)
    assert len({(round(x, 3), round(y, 3)) for x, y in first.values()}) == len(first)


def test_slice_from_hub_fits_budget_and_lists_each_edge_once():
    s = slice_from(_hub_hood(), FULL, close_min_shared=2)

    assert len(s.nodes) <= MAX_NODES and len(s.edges) <= MAX_EDGES
    assert s.center.id == "a1" and s.nodes[0] is s.center
    to_center = [
        e for e in s.edges if e.kind == "co-authored" and s.center.id in (e.source, e.target)
    ]
    assert sum(len(n.listed_links) for n in s.nodes) + len(to_center) == len(s.edges)
    assert all(s.by_id[e.target if e.source == "a1" else e.source].detail for e in to_center)
    assert s.candidates > 5000


def test_draw_svg_same_slice_same_bytes():
    first = draw_svg(slice_from(_hood(people=9, works=12), PARAMS, close_min_shared=2))
    second = draw_svg(slice_from(_hood(people=9, works=12), PARAMS, close_min_shared=2))

    assert first == second
    assert first.startswith("<svg")


def test_draw_svg_is_accessible():
    s = slice_from(_hood(), PARAMS, close_min_shared=2)

    svg = draw_svg(s)

    assert 'role="group"' in svg  # it holds links: not an img, whose children are presentational
    assert 'aria-label="Research graph around Centre Person"' in svg
    # one per node drawn, one for the drawing
    assert svg.count("<title>") == svg.count('class="node ') + 1 > len(s.nodes) / 2
    assert "<desc " in svg


def test_draw_svg_node_shapes_by_type():
    svg = draw_svg(slice_from(_hood(), PARAMS, close_min_shared=2))

    assert re.search(r'class="node node--author"[^>]*><title>[^<]*</title><circle', svg)
    assert re.search(r'class="node node--work"[^>]*><title>[^<]*</title><rect', svg)
    assert re.search(r'class="node node--topic"[^>]*><title>[^<]*</title><polygon', svg)


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


EVIL = '<script>alert(1)</script>" hx-get="/evil" hx-trigger="load'


def test_draw_svg_names_with_markup_are_inert():
    hood = _hood(name=EVIL, coauthor_name=EVIL)
    s = slice_from(hood, dataclasses.replace(PARAMS, labels=40), close_min_shared=2)

    svg = draw_svg(s, hrefs={n.id: f"/x/{n.id}/" for n in s.nodes}, htmx_target="#explorer")
    markup = _Markup()
    markup.feed(svg)

    assert "script" not in markup.tags
    assert ("hx-get", "/evil") not in markup.attrs
    assert ("hx-trigger", "load") not in markup.attrs
    drawn = {value[3:] for name, value in markup.attrs if name == "id" and value.startswith("gn-")}
    assert drawn and drawn <= {n.id for n in s.nodes}
    assert {value for name, value in markup.attrs if name == "hx-get"} == {
        f"/x/{node_id}/" for node_id in drawn
    }
    assert any("<script>alert(1)</script>" in t for t in markup.text)  # shown as text
    assert ("aria-label", f"Research graph around {EVIL}") in markup.attrs


def test_pure_core_imports_no_django():
    """graph.slice, graph.layout and graph.kinds run without Django: marking markup safe
    belongs to graph.rendering. In a fresh interpreter, where nothing else loaded Django."""
    code = (
        "import sys, graph.slice, graph.layout, graph.kinds; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_draw_svg_every_node_drawn_has_a_label_and_no_two_labels_touch():
    s = slice_from(_hood(people=40, works=30), FULL, close_min_shared=2)

    placed = place_labels(s)
    svg = draw_svg(s)

    assert s.center.id in placed
    assert svg.count('class="node ') == len(placed) == svg.count("<text ")
    boxes = [label.box for label in placed.values()]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
    assert len(placed) < len(s.nodes)  # too many for one drawing: fewer shown, all named
    assert f"The drawing names {len(placed)} of them" in svg


def test_draw_svg_mesh_between_coauthors_lies_under_the_centres_lines():
    s = slice_from(_hood(people=12, works=12), PARAMS, close_min_shared=2)

    svg = draw_svg(s)
    edges = re.findall(
        r'<line class="edge edge--(\S+)"[^>]*stroke="([^"]+)"[^>]*stroke-opacity="([^"]+)"', svg
    )

    mesh = [
        i
        for i, (kind, stroke, _) in enumerate(edges)
        if kind == "co-authored" and stroke == "#8a94a6"
    ]
    centre = [
        i
        for i, (kind, stroke, _) in enumerate(edges)
        if kind == "co-authored" and stroke != "#8a94a6"
    ]
    assert mesh and centre
    assert max(mesh) < min(centre)
    assert all(float(edges[i][2]) < 0.3 for i in mesh)


def test_draw_svg_size_follows_its_content():
    small = draw_svg(slice_from(_hood(people=2, works=2), PARAMS, close_min_shared=2))

    width, height = map(int, re.search(r'width="(\d+)" height="(\d+)"', small).groups())
    view_box = re.search(r'viewBox="([^"]+)"', small).group(1).split()

    # cropped to what is drawn: no large empty box around a small slice
    assert width * height < PARAMS.width * PARAMS.height / 2
    assert (round(float(view_box[2])), round(float(view_box[3]))) == (width, height)
