"""The review queue of likely duplicate works: found after imports, merged or dismissed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from works.imports.duplicates import (
    DuplicateDecided,
    work_duplicates_dismiss,
    work_duplicates_find,
    work_duplicates_merge,
)
from works.imports.run import works_import
from works.models import DuplicateWorkCandidate, Work, WorkTopic

pytestmark = pytest.mark.sqlite

FIRST = """
@article{he2016a, title={Deep Residual Learning for Image Recognition},
  author={He, Kaiming and Zhang, Xiangyu}, year={2016}, doi={10.1000/first.1}}
@article{vaswani2017, title={Attention Is All You Need},
  author={Ashish Vaswani and Noam Shazeer}, year={2017}, doi={10.1000/first.2}}
@article{other2017, title={Attention Is All You Want},
  author={Some One}, year={2017}, doi={10.1000/first.3}}
"""
SECOND = """
@inproceedings{he2016b, title={Deep residual learning for image {R}ecognition},
  author={Kaiming He and Jian Sun}, year={2016}, doi={10.1000/second.1},
  eprint={1512.03385}, archivePrefix={arXiv}}
@article{vaswani2017typo, title={Attention Is All You Nead},
  author={Ashish Vaswani}, year={2017}, doi={10.1000/second.2}}
@article{he2013, title={Deep Residual Learning for Image Recognition},
  author={Kaiming He}, year={2013}, doi={10.1000/second.3}}
"""


def _import(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return works_import(path=path, format="bibtex")


@pytest.fixture
def imported(tmp_path):
    first = _import(tmp_path, "first.bib", FIRST)
    second = _import(tmp_path, "second.bib", SECOND)
    return first, second


def _pairs() -> set[tuple[str, str, str]]:
    return {
        (c.work_a.doi, c.work_b.doi, c.reason)
        for c in DuplicateWorkCandidate.objects.select_related("work_a", "work_b")
    }


@pytest.mark.django_db
def test_duplicates_are_queued_after_an_import(imported):
    first, second = imported
    assert first.duplicates == 0
    assert second.duplicates == 2
    assert _pairs() == {
        ("10.1000/first.1", "10.1000/second.1", "same-title"),
        ("10.1000/first.2", "10.1000/second.2", "similar-title"),
    }
    # years more than one apart, and "…All You Want" (ratio < 0.93), are not duplicates
    similar = DuplicateWorkCandidate.objects.get(reason="similar-title")
    assert 0.93 <= similar.similarity < 1


@pytest.mark.django_db
def test_duplicates_find_again_adds_nothing_and_dismissed_stay_dismissed(imported, make_user):
    candidate = DuplicateWorkCandidate.objects.get(reason="similar-title")
    work_duplicates_dismiss(candidate=candidate, user=make_user())
    with pytest.raises(DuplicateDecided):
        work_duplicates_dismiss(candidate=candidate, user=None)

    added = work_duplicates_find(work_ids=Work.objects.values_list("pk", flat=True))

    assert added == 0
    assert DuplicateWorkCandidate.objects.count() == 2
    candidate.refresh_from_db()
    assert candidate.status == "dismissed" and candidate.decided_at is not None


@pytest.mark.django_db
def test_duplicates_find_costs_fixed_queries(imported, django_assert_max_num_queries):
    DuplicateWorkCandidate.objects.all().delete()
    ids = list(Work.objects.values_list("pk", flat=True))
    # the works, the candidates (on PostgreSQL with the trigram settings before and after),
    # the pairs known, the insert
    with django_assert_max_num_queries(6):
        assert work_duplicates_find(work_ids=ids) == 2


@pytest.mark.django_db
def test_duplicates_merge_keeps_the_older_work_and_moves_what_it_lacks(
    imported, tmp_path, make_user, make_topic
):
    candidate = DuplicateWorkCandidate.objects.get(reason="same-title")
    older, newer = candidate.work_a, candidate.work_b
    topic_both, topic_newer = make_topic(), make_topic()
    WorkTopic.objects.create(work=older, topic=topic_both)
    WorkTopic.objects.create(work=newer, topic=topic_both)
    WorkTopic.objects.create(work=newer, topic=topic_newer)
    admin = make_user(is_staff=True)
    # (BibTeX works also carry the keyword taxonomy's topics, given at import)
    topics = set(WorkTopic.objects.filter(work__in=[older, newer]).values_list("topic", flat=True))

    kept = work_duplicates_merge(candidate=candidate, user=admin)

    assert kept.pk == older.pk and older.pk < newer.pk
    assert not Work.objects.filter(pk=newer.pk).exists()
    byline = list(kept.authorships.order_by("position").values_list("raw_author_name", flat=True))
    # "Kaiming He" is on both bylines once; Jian Sun moves over
    assert byline == ["He, Kaiming", "Zhang, Xiangyu", "Jian Sun"]
    assert set(kept.work_topics.values_list("topic", flat=True)) == topics
    assert {topic_both.pk, topic_newer.pk} <= topics
    kept.refresh_from_db()
    assert (kept.doi, kept.arxiv_id) == ("10.1000/first.1", "1512.03385")
    candidate.refresh_from_db()
    assert (candidate.status, candidate.work_b, candidate.decided_by) == ("merged", None, admin)
    assert candidate.removed_work["doi"] == "10.1000/second.1"
    with pytest.raises(DuplicateDecided):
        work_duplicates_merge(candidate=candidate, user=admin)

    # the removed record imported again finds the kept work through the id it took over
    works_before = Work.objects.count()
    _import(tmp_path, "again.bib", SECOND.split("@article{vaswani2017typo")[0])
    assert Work.objects.count() == works_before


@pytest.mark.django_db
def test_duplicates_admin_review_side_by_side_then_merge_keeping_the_chosen_work(
    imported, client, make_user
):
    from django.contrib.admin.models import LogEntry

    admin = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:works_duplicateworkcandidate_changelist")
    same = DuplicateWorkCandidate.objects.get(reason="same-title")
    similar = DuplicateWorkCandidate.objects.get(reason="similar-title")
    older, newer = same.work_a, same.work_b
    review = reverse("admin:works_duplicateworkcandidate_review", args=[same.pk])

    listing = client.get(url).content.decode()
    page = client.get(review).content.decode()
    assert "Deep Residual Learning for Image Recognition" in listing and review in listing
    assert "merge_keep_older" not in listing  # no merge without its confirmation page
    # side by side: both bylines, both years, both DOIs, a choice of the work to keep
    for text in ("He, Kaiming", "Jian Sun", "10.1000/first.1", "10.1000/second.1", "1512.03385"):
        assert text in page
    assert f'name="keep" value="{newer.pk}"' in page

    no_reason = client.post(review, {"decision": "merge", "keep": newer.pk, "reason": ""})
    assert no_reason.status_code == 200 and Work.objects.filter(pk=older.pk).exists()
    merged = client.post(review, {"decision": "merge", "keep": newer.pk, "reason": "same paper"})
    response = client.post(url, {"action": "dismiss", "_selected_action": [similar.pk]})

    assert merged.status_code == 302 and response.status_code == 302
    same.refresh_from_db()
    similar.refresh_from_db()
    assert (same.status, similar.status) == ("merged", "dismissed")
    assert same.work_a_id == newer.pk and not Work.objects.filter(pk=older.pk).exists()
    assert similar.decided_by == admin
    newer.refresh_from_db()
    assert newer.arxiv_id == "1512.03385" and newer.doi == "10.1000/second.1"
    # the merged-away work's URL answers 301 to the kept one
    gone = client.get(reverse("works:detail", args=[older.pk]))
    assert gone.status_code == 301 and gone["Location"] == newer.get_absolute_url()
    messages = set(LogEntry.objects.values_list("change_message", flat=True))
    assert f"Pair #{same.pk} merged into work #{newer.pk}. Reason: same paper" in messages
    assert "Dismissed: not duplicates." in messages


@pytest.mark.django_db
def test_duplicates_unmerge_brings_the_removed_work_back_whole(
    imported, client, make_user, make_topic
):
    admin = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    same = DuplicateWorkCandidate.objects.get(reason="same-title")
    older, newer = same.work_a, same.work_b
    topic = make_topic()
    WorkTopic.objects.create(work=newer, topic=topic, score=0.5)
    before = Work.objects.values().get(pk=newer.pk)
    topics = sorted(WorkTopic.objects.filter(work=newer).values_list("topic", "score"))
    byline = list(
        newer.authorships.order_by("position").values_list("pk", "raw_author_name", "author")
    )
    older_byline = list(older.authorships.order_by("position").values_list("pk", "author"))
    work_duplicates_merge(candidate=same, user=admin, reason="same paper")
    assert client.get(reverse("works:detail", args=[newer.pk])).status_code == 301
    review = reverse("admin:works_duplicateworkcandidate_review", args=[same.pk])
    assert "Unmerge" in client.get(review).content.decode()

    response = client.post(review, {"decision": "unmerge", "reason": "two versions"})

    assert response.status_code == 302
    assert Work.objects.values().get(pk=newer.pk) == before
    assert (
        list(newer.authorships.order_by("position").values_list("pk", "raw_author_name", "author"))
        == byline
    )
    assert list(older.authorships.order_by("position").values_list("pk", "author")) == older_byline
    assert sorted(WorkTopic.objects.filter(work=newer).values_list("topic", "score")) == topics
    assert (topic.pk, 0.5) in topics
    older.refresh_from_db()
    assert (older.doi, older.arxiv_id) == ("10.1000/first.1", None)
    same.refresh_from_db()
    assert (same.status, same.work_a_id, same.work_b_id) == ("open", older.pk, newer.pk)
    assert client.get(reverse("works:detail", args=[newer.pk])).status_code == 200


@pytest.mark.django_db
def test_duplicates_admin_merge_needs_permission_to_delete_works(imported, client, make_user):
    from django.contrib.auth.models import Permission

    staff = make_user(is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_duplicateworkcandidate", "change_duplicateworkcandidate"]
        )
    )
    client.force_login(staff)
    same = DuplicateWorkCandidate.objects.get(reason="same-title")
    response = client.post(
        reverse("admin:works_duplicateworkcandidate_review", args=[same.pk]),
        {"decision": "merge", "keep": same.work_a_id, "reason": "same"},
    )
    assert response.status_code == 403
    same.refresh_from_db()
    assert same.status == "open"
