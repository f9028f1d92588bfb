"""The synthetic data set (bench.generate): reproducible for a seed, the promised shape, real
rows untouched."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.db.models import Count

from bench import generate as generate_command
from bench import synthetic
from works.models import Author, Authorship, Work, WorkTopic

pytestmark = pytest.mark.django_db

CHECKSUM = """
    SELECT md5(string_agg(
        concat_ws('|', w.title, w.year, w.type, w.doi IS NULL, v.name, a.position,
                  au.display_name, i.display_name),
        ',' ORDER BY w.id, a.position))
    FROM works_work w
    LEFT JOIN works_venue v ON v.id = w.venue_id
    JOIN works_authorship a ON a.work_id = w.id
    JOIN profiles_author au ON au.id = a.author_id
    LEFT JOIN profiles_institution i ON i.id = au.last_known_institution_id
    WHERE w.source = 'synthetic' AND w.id > %s
"""
TOPICS_CHECKSUM = """
    SELECT md5(string_agg(t.external_id, ',' ORDER BY w.id, t.external_id))
    FROM works_work w JOIN works_worktopic wt ON wt.work_id = w.id
    JOIN works_topic t ON t.id = wt.topic_id WHERE w.source = 'synthetic' AND w.id > %s
"""


def generate(works: int, seed: int) -> tuple[str, tuple, str, str]:
    """Runs the command; returns its summary, row counts and checksums of the new rows."""
    before = {
        model: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for model in (Work, Author, Authorship, WorkTopic)
    }
    out = io.StringIO()
    argv = ["--works", str(works), "--seed", str(seed), "--no-progress"]
    assert generate_command.main(argv, stdout=out) == 0
    counts = tuple(model.objects.filter(pk__gt=last).count() for model, last in before.items())
    with connection.cursor() as cursor:
        cursor.execute(CHECKSUM, [before[Work]])
        checksum = cursor.fetchone()[0]
        cursor.execute(TOPICS_CHECKSUM, [before[Work]])
        topics = cursor.fetchone()[0]
    return out.getvalue(), counts, checksum, topics


def test_generate_scale_data_same_seed_same_rows_other_seed_other_rows():
    # Each run adds rows after the previous ones (ids move on, slugs stay unique); the
    # checksums cover what ids do not change: titles, years, bylines, names, topics.
    summary, counts, checksum, topics = generate(400, seed=7)
    assert "400 works" in summary
    assert counts[0] == 400 and counts[2] >= 400

    assert generate(400, seed=7)[1:] == (counts, checksum, topics)
    _, other_counts, other_checksum, _ = generate(400, seed=8)
    assert other_checksum != checksum


def test_generate_scale_data_shape(make_author, make_work):
    real = make_author("Real Person")
    make_work(authors=[real], title="A real paper")
    generate(3000, seed=1)

    authors = Author.objects.filter(source="synthetic").annotate(n=Count("authorships"))
    assert not authors.filter(n=0).exists()  # every author has a work
    by_works = list(authors.order_by("-n").values_list("n", flat=True))
    median = by_works[len(by_works) // 2]
    assert by_works[0] >= 50 * median  # hubs: a heavy tail of productivity
    per_work = Work.objects.filter(source="synthetic").annotate(
        n=Count("authorships", distinct=True), t=Count("work_topics", distinct=True)
    )
    sizes = sorted(per_work.values_list("n", flat=True))
    assert sizes[0] >= 1 and sizes[-1] <= synthetic.BIG_PAPER_AUTHORS[1]
    assert sizes[len(sizes) // 2] <= 5  # most papers are small
    topic_counts = set(per_work.values_list("t", flat=True))
    assert topic_counts <= {1, 2, 3, 4, 5}
    # Real rows are untouched, and foreign keys are back in place.
    real.refresh_from_db()
    assert real.source == "openalex" and real.authorships.count() == 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
            " AND conrelid = 'works_authorship'::regclass"
        )
        assert cursor.fetchone()[0] >= 2


def test_generate_scale_data_rejects_non_positive_sizes():
    err = io.StringIO()
    assert generate_command.main(["--works", "0"], stderr=err) == 2
    assert "at least 1" in err.getvalue()
    assert not Work.objects.filter(source=synthetic.SOURCE).exists()
