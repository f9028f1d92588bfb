from __future__ import annotations

import pytest

from tests.html import visible_text
from works.models import Authorship, Institution, Venue, WorkTopic

pytestmark = pytest.mark.sqlite

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"


def test_work_detail_shows_metadata_ids_and_topics(client, make_author, make_work, make_topic):
    author = make_author("Mingli Song")
    work = make_work(
        authors=[author],
        topics=[make_topic("Knowledge distillation")],
        title="Data-Free Adversarial Distillation",
        abstract="Code at https://github.com/VainF/Data-Free-Adversarial-Distillation.",
        year=2020,
        type="preprint",
        venue=Venue.objects.create(name="arXiv"),
        doi="10.48550/arxiv.1912.11006",
        arxiv_id="1912.11006",
        openalex_id="W2996000000",
    )

    response = client.get(f"/works/{work.pk}/")
    html = response.content.decode()
    text = visible_text(html)

    assert response.status_code == 200
    assert "Data-Free Adversarial Distillation" in text
    assert "preprint 2020 arXiv" in text
    assert "Knowledge distillation" in text
    assert 'href="https://doi.org/10.48550/arxiv.1912.11006"' in html
    assert 'href="https://arxiv.org/abs/1912.11006"' in html
    assert 'href="https://openalex.org/W2996000000"' in html
    assert '<a href="https://github.com/VainF/Data-Free-Adversarial-Distillation"' in html


def test_work_detail_lists_authors_in_byline_order(client, make_author, make_work):
    first, second = make_author("First Person"), make_author("Second Person")
    work = make_work(authors=[second, first])
    Authorship.objects.filter(work=work, author=second).update(position=9)
    Authorship.objects.create(work=work, position=4, raw_author_name="Unmatched Person")

    # the page's body: the head's JSON-LD names the authors too
    html = client.get(work.get_absolute_url()).content.decode().split("</head>", 1)[1]
    text = visible_text(html)

    assert text.index("First Person") < text.index("Unmatched Person")
    assert text.index("Unmatched Person") < text.index("Second Person")
    assert f'<a href="/researchers/{first.slug}/"><bdi>First Person</bdi></a>' in html
    assert "<a" not in html.split("Unmatched Person")[0].rsplit("<li>", 1)[1]


def test_work_detail_renders_latex_as_text(client, make_work):
    work = make_work(
        title=r"Up to 100$\times$ Faster",
        abstract=r"We show, \textit{i.e.} prove, a bound.",
    )

    html = client.get(work.get_absolute_url()).content.decode()
    text = visible_text(html)

    assert "Up to 100× Faster" in text
    assert "We show, i.e. prove, a bound." in text
    assert "\\textit" not in html


def test_work_detail_escapes_markup_from_imported_text(client, make_author, make_work):
    work = make_work(
        authors=[make_author(XSS_SCRIPT)],
        title=f"T {XSS_SCRIPT}",
        abstract=f"A {XSS_IMG} https://example.org/{XSS_SCRIPT}",
        code_url="javascript:alert(1)",
    )
    Authorship.objects.create(work=work, position=3, raw_author_name=XSS_IMG)

    html = client.get(work.get_absolute_url()).content.decode()

    assert XSS_SCRIPT not in html
    assert "<img src=x" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_work_detail_queries_do_not_grow_with_authors_or_topics(
    client, make_author, make_work, make_topic, django_assert_max_num_queries
):
    """Guards against one query per author or topic on a 100-author paper."""
    institution = Institution.objects.create(display_name="Somewhere")
    work = make_work(
        authors=[make_author(last_known_institution=institution) for _ in range(100)],
        topics=[make_topic() for _ in range(20)],
    )
    WorkTopic.objects.filter(work=work).update(score=0.5)

    with django_assert_max_num_queries(4):  # work + venue, authorships, topics
        assert client.get(work.get_absolute_url()).status_code == 200


def test_work_detail_unknown_id_404(client, db):
    response = client.get("/works/999999/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
