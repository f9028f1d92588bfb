"""/topics/<id>-<slug>/ and /institutions/<id>-<slug>/: people ranked, recent works, per year."""

from __future__ import annotations

import pytest

from tests.html import visible_text
from works.discovery import year_chart
from works.models import Authorship, Institution

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic_world(make_author, make_topic, make_work):
    field = make_topic("Computer science", level="field")
    topic = make_topic("Knowledge distillation", parent=field)
    other = make_topic("Model compression")
    busy, quiet = make_author("Busy Researcher"), make_author("Quiet Researcher")
    hidden = make_author("Hidden Researcher", hidden=True)
    make_work([busy, quiet], [topic, other], title="Distil one", year=2020)
    make_work([busy], [topic], title="Distil two", year=2021)
    make_work([busy, hidden], [topic], title="Distil three", year=2021)
    make_work([quiet], [other], title="Elsewhere", year=2019)
    return topic, busy, quiet


def test_topic_page(client, topic_world, django_assert_max_num_queries):
    topic, busy, quiet = topic_world
    url = topic.get_absolute_url()
    assert url == f"/topics/{topic.pk}-knowledge-distillation/"
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    text = visible_text(response.content)
    # ranked by works on the topic; the hidden co-author is never listed
    assert text.index("Busy Researcher 3 works here") < text.index("Quiet Researcher 1 work here")
    # (the printed byline of a work still names them, unlinked, as everywhere else)
    people = text[text.index("Researchers, by works") : text.index("Recent works")]
    assert "Hidden Researcher" not in people
    assert f'href="{busy.get_absolute_url()}"' in response.content.decode()
    assert "Distil three" in text and "Elsewhere" not in text
    assert "Works per year: 2020: 1, 2021: 2" in text
    assert "Computer science" in text  # the parent chain
    assert "Model compression 1" in text  # related: on one work together


def test_topic_old_or_missing_slug_redirects(client, topic_world):
    topic = topic_world[0]
    for wrong in (f"/topics/{topic.pk}/", f"/topics/{topic.pk}-old-name/"):
        response = client.get(wrong)
        assert (response.status_code, response["Location"]) == (301, topic.get_absolute_url())
    assert client.get("/topics/999999-nothing/").status_code == 404


def test_institution_page(client, make_author, make_work, django_assert_max_num_queries):
    university = Institution.objects.create(display_name="Zhejiang University", country_code="CN")
    lab = Institution.objects.create(
        display_name="State Key Lab of CAD&CG", ror="00a2xv884", parent=university
    )
    member = Institution.objects.create(display_name="Sub-lab", parent=lab)
    song, other = make_author("Mingli Song"), make_author("Other Person")
    w1 = make_work([song, other], title="Paper at the lab", year=2022)
    w2 = make_work([song], title="Second paper at the lab", year=2023)
    for authorship in Authorship.objects.filter(work__in=[w1, w2], author=song):
        authorship.institutions.add(lab)
    Authorship.objects.get(work=w1, author=other).institutions.add(lab)

    url = lab.get_absolute_url()
    assert url == f"/institutions/{lab.pk}-state-key-lab-of-cadcg/"
    with django_assert_max_num_queries(12):
        response = client.get(url)
    body = response.content.decode()
    text = visible_text(body)
    assert text.index("Mingli Song 2 works here") < text.index("Other Person 1 work here")
    assert 'href="https://ror.org/00a2xv884"' in body
    assert "Zhejiang University" in text and "Sub-lab" in text  # parent chain, members
    assert "Works per year: 2022: 1, 2023: 1" in text
    assert member.get_absolute_url() in body


def test_institution_without_bylines_lists_its_last_known_authors(client, make_author):
    place = Institution.objects.create(display_name="Quiet Institute", country_code="FR")
    make_author("Resident Scholar", last_known_institution=place)
    text = visible_text(client.get(place.get_absolute_url()).content)
    assert "Resident Scholar" in text and "Country: FR" in text


def test_year_chart_keeps_the_counts_and_scales_bars():
    chart = year_chart([(2021, 4), (2020, 2)])
    assert [(b.year, b.count) for b in chart.bars] == [(2020, 2), (2021, 4)]
    assert chart.bars[1].height == 2 * chart.bars[0].height
    assert chart.label == "Works per year: 2020: 2, 2021: 4"
    assert year_chart([]).label == "No dated works"


def test_work_page_links_its_topics(client, topic_world):
    topic = topic_world[0]
    work = topic.work_topics.first().work
    assert topic.get_absolute_url() in client.get(work.get_absolute_url()).content.decode()


def test_work_page_links_the_byline_institutions(client, make_author, make_work):
    lab = Institution.objects.create(display_name="Vision Lab")
    work = make_work([make_author("Someone")])
    Authorship.objects.get(work=work).institutions.add(lab)
    body = client.get(work.get_absolute_url()).content.decode()
    assert f'<a href="{lab.get_absolute_url()}">Vision Lab</a>' in body


def test_institution_page_reads_a_bounded_number_of_bylines(
    client, make_author, make_work, monkeypatch
):
    from works import discovery

    place = Institution.objects.create(display_name="Huge University")
    author = make_author("Prolific Person")
    for year in (2019, 2020, 2021):
        work = make_work([author], year=year)
        Authorship.objects.get(work=work).institutions.add(place)
    monkeypatch.setattr(discovery, "INSTITUTION_LINKS", 2)
    text = visible_text(client.get(place.get_absolute_url()).content)
    assert "Counted over the latest 2 bylines naming this institution." in text
    assert "Works per year: 2020: 1, 2021: 1" in text  # the latest two
    assert "Prolific Person 2 works here" in text
