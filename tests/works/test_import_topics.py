"""Works from sources without topics get the keyword taxonomy's at import (issue 15, item 6)."""

from __future__ import annotations

import pytest

from works.imports.batches import import_batch_run
from works.imports.undo import import_batch_undo
from works.models import ImportBatch, Topic, Work, WorkTopic

BIB = """
@article{a, title={Knowledge Distillation for Deep Neural Networks},
  author={Ada Lovelace}, year={2021}, doi={10.1000/kd.1}}
@article{b, title={On the Cultivation of Roses},
  author={Ada Lovelace}, year={2021}, doi={10.1000/roses.1}}
"""


@pytest.mark.django_db
def test_bibtex_works_get_keyword_topics_at_import_and_lose_them_on_undo(tmp_path, make_user):
    path = tmp_path / "refs.bib"
    path.write_text(BIB, encoding="utf-8")
    batch = ImportBatch.objects.create(format="bibtex", file_name="refs.bib")

    import_batch_run(batch=batch, path=path)

    kd = Work.objects.get(doi="10.1000/kd.1")
    roses = Work.objects.get(doi="10.1000/roses.1")
    assert "cs.LG" in set(kd.work_topics.values_list("topic__external_id", flat=True))
    assert all(t.source == Topic.Source.ARXIV for t in Topic.objects.filter(work_topics__work=kd))
    assert not roses.work_topics.exists()  # nothing matches: no topic rather than a guess

    batch.refresh_from_db()
    import_batch_undo(batch=batch, user=make_user(is_staff=True))
    assert not WorkTopic.objects.exists() and not Topic.objects.exists()


@pytest.mark.django_db
def test_keyword_topics_fill_a_work_without_topics_and_leave_a_sources_own(
    tmp_path, make_work, make_topic
):
    """Keyword guesses rank below every source's topics: they fill an empty list only."""
    bare = make_work(title="Knowledge Distillation for Deep Neural Networks", doi="10.1000/kd.1")
    given = make_topic("Roses")  # a topic a source gave the other work
    tagged = make_work(title="Knowledge Distillation, Again", doi="10.1000/kd.2", topics=[given])
    path = tmp_path / "refs.bib"
    path.write_text(
        "@article{a, title={Knowledge Distillation for Deep Neural Networks},"
        " author={Ada Lovelace}, year={2021}, doi={10.1000/kd.1}}\n"
        "@article{b, title={Knowledge Distillation, Again},"
        " author={Ada Lovelace}, year={2021}, doi={10.1000/kd.2}}\n",
        encoding="utf-8",
    )

    import_batch_run(batch=ImportBatch.objects.create(format="bibtex"), path=path)

    assert "cs.LG" in set(bare.work_topics.values_list("topic__external_id", flat=True))
    assert set(tagged.work_topics.values_list("topic_id", flat=True)) == {given.pk}
