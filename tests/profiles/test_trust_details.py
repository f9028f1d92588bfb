"""The profile page's "Why this score" breakdown and score history chart."""

from __future__ import annotations

import re

import pytest

from profiles import selectors
from profiles.models import TrustSnapshot
from profiles.trust_engine import trust_scores_recompute

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]

POLYLINE = re.compile(r'<polyline points="([^"]*)"')


def chart_points(html: str) -> list[tuple[float, float]]:
    [points] = POLYLINE.findall(html)
    return [tuple(map(float, p.split(","))) for p in points.split()]


def test_author_detail_explains_the_score_factor_by_factor(client, make_author, make_work):
    author = make_author()
    for _ in range(8):
        make_work(authors=[author])
    trust_scores_recompute(author_ids=[author.pk])

    html = client.get(author.get_absolute_url()).content.decode()

    assert "Why this score" in html
    for label in ("Identity", "Body of work", "Collaboration", "Topical footprint", "Community"):
        assert f'<th scope="row">{label}</th>' in html
    # 8 works: 5 × log2(1 + 8/8) = 5 points of 25, with the rule beside it
    assert '<span class="trust-factors__points">5</span> / 25' in html
    assert "5 × log2(1 + works / 8)" in html
    assert len(chart_points(html)) == 1


def test_author_detail_history_has_a_point_per_change_newest_right(client, make_author, make_work):
    author = make_author()
    make_work(authors=[author])
    trust_scores_recompute(author_ids=[author.pk])
    for _ in range(40):
        make_work(authors=[author])
    trust_scores_recompute(author_ids=[author.pk])
    trust_scores_recompute(author_ids=[author.pk])  # unchanged: no new point

    points = chart_points(client.get(author.get_absolute_url()).content.decode())

    assert len(points) == 2
    (x_old, y_old), (x_new, y_new) = points
    assert x_new > x_old
    assert y_new < y_old  # a higher score is drawn higher (SVG y grows downwards)


def test_author_trust_details_is_one_query_and_keeps_the_last_fifty(
    make_author, django_assert_num_queries
):
    author = make_author()
    TrustSnapshot.objects.bulk_create(
        TrustSnapshot(author=author, score=i, band="Emerging", level=1, factors=[])
        for i in range(60)
    )
    with django_assert_num_queries(1):
        details = selectors.author_trust_details(author)
        points = details.chart_points.split()
    assert len(points) == selectors.TRUST_HISTORY_LIMIT
    assert details.latest.score == 59


def test_author_detail_without_snapshot_says_not_computed(client, make_author):
    author = make_author()
    html = client.get(author.get_absolute_url()).content.decode()
    assert "has not computed this profile" in html
    assert "<polyline" not in html


def test_trust_factor_text_is_escaped(client, make_author):
    author = make_author()
    TrustSnapshot.objects.create(
        author=author, score=5, band="Emerging", level=1,
        factors=[{"key": "x", "label": "<script>x</script>", "value": 1, "points": 1,
                  "cap": 2, "rule": "<b>r</b>"}],
    )  # fmt: skip
    html = client.get(author.get_absolute_url()).content.decode()
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_author_detail_one_point_history_shows_the_point_and_its_value(
    client, make_author, make_work
):
    """A single snapshot (every new profile) is a dot with its score, not an empty box."""
    author = make_author()
    make_work(authors=[author])
    trust_scores_recompute(author_ids=[author.pk])
    author.refresh_from_db()

    html = client.get(author.get_absolute_url()).content.decode()

    [(x, y)] = chart_points(html)
    assert f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" class="trust-history__point"/>' in html
    value = re.search(r'class="trust-history__value">(\d+)</text>', html)
    assert value and int(value.group(1)) == author.trust_score
