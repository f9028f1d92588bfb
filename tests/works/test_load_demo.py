"""`manage.py load_demo`: the OpenAlex samples and the seed researcher, loaded twice."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command

from works.management.commands.load_demo import (
    FIXTURES,
    SEED_BIBTEX,
    SEED_FILE,
    read_bibtex,
    read_seed,
    seed_work_records,
)
from works.models import Author, Authorship, VerificationLevel, Work

pytestmark = pytest.mark.sqlite

# The seed works whose title equals a BibTeX entry's (bzpeer.lib.text.title_key).
MATCHED = {
    "A Survey of Neural Trees",
    "Distribution-Aware Graph Representation Learning for Transient Stability Assessment of "
    "Power System",
    "Federated Selective Aggregation for Knowledge Amalgamation",
    "Spot-adaptive Knowledge Distillation",
    "Up to 100$\\times$ Faster Data-free Knowledge Distillation",
    "Data-Free Adversarial Distillation",
    "DEPARA: Deep Attribution Graph for Deep Knowledge Transferability",
}


def _load(capture) -> str:
    out = io.StringIO()
    with capture(execute=True):  # the trust recompute runs once the import commits
        call_command("load_demo", stdout=out, stderr=out)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in ("works", "profiles")
    }


@pytest.fixture
def loaded(db, django_capture_on_commit_callbacks) -> str:
    return _load(django_capture_on_commit_callbacks)


def _seed_researcher() -> Author:
    return Author.objects.get(name_key="mingli song")


def test_seed_work_records_take_bylines_from_matching_bibtex_entries():
    seed = read_seed(FIXTURES / SEED_FILE)
    records, matched = seed_work_records(seed, read_bibtex(FIXTURES / SEED_BIBTEX))
    assert len(records) == 24
    assert set(matched) == MATCHED
    by_title = {r.title: r for r in records}
    dfad = by_title["Data-Free Adversarial Distillation"]
    assert [a.author.display_name for a in dfad.authorships][-1] == "Mingli Song"
    assert len(dfad.authorships) == 6
    assert dfad.arxiv_id == "1912.11006"
    assert dfad.code_url == "https://github.com/VainF/Data-Free-Adversarial-Distillation"
    lone = by_title["Dual Swap Disentangling"]
    # the seed names only its owner: the rest of the byline is said to be missing
    assert [a.raw_author_name for a in lone.authorships] == ["Mingli Song", "others"]
    assert lone.authorships[1].author is None
    assert (lone.type, lone.year, lone.venue.name, lone.venue.type) == (
        "preprint",
        2020,
        "arXiv",
        "repository",
    )
    assert lone.code_url == ""
    assert [t.topic.external_id for t in lone.topics] == ["cs.LG"]


def test_load_demo_loads_openalex_samples_and_seed_works(loaded):
    assert Work.objects.filter(openalex_id__isnull=False).count() == 195
    assert Author.objects.filter(openalex_id__isnull=False).count() == 933
    assert Work.objects.filter(source="seed").count() == 24
    assert Work.objects.count() == 195 + 24
    assert "24 works, 7 with authors from vipa_mingli_song.bib" in loaded


def test_load_demo_puts_24_works_on_the_seed_researchers_profile(loaded):
    researcher = _seed_researcher()  # one record, not one per work
    assert Authorship.objects.filter(author=researcher).count() == 24
    assert researcher.works_count == 24
    assert researcher.bio == (
        "Mingli Song contributes to research discovery and scholarly infrastructure."
    )
    assert researcher.verification_level == VerificationLevel.L1
    assert researcher.source == "seed"


def test_load_demo_computes_close_collaborators_and_topics(loaded):
    researcher = _seed_researcher()
    # Jie Song (7 shared works), Xinchao Wang (4), Gongfan Fang (3), Jingwen Ye (3),
    # Chengchao Shen, Haofei Zhang, Zunlei Feng (2 each): all from the matched BibTeX entries
    assert researcher.close_collaborators_count == 7
    assert researcher.topics_count == 10
    assert researcher.trust_score is not None


def test_load_demo_twice_changes_nothing(db, django_capture_on_commit_callbacks):
    _load(django_capture_on_commit_callbacks)
    counts = _row_counts()
    authorships = set(Authorship.objects.values_list("pk", "work_id", "author_id", "position"))
    _load(django_capture_on_commit_callbacks)
    assert _row_counts() == counts
    assert set(Authorship.objects.values_list("pk", "work_id", "author_id", "position")) == (
        authorships
    )


def test_load_demo_goes_through_batches_that_undo(loaded, make_user):
    from works.imports.undo import import_batch_undo
    from works.models import ImportBatch

    batches = list(ImportBatch.objects.order_by("-pk"))
    assert [b.file_name for b in reversed(batches)] == [
        "demo/openalex/rag_institutions_sample.json.gz",
        "demo/openalex/rag_authors_sample.json.gz",
        "demo/openalex/rag_works_sample.json.gz",
        "demo/seed_works.json",
    ]
    assert {b.status for b in batches} == {"succeeded"}
    seed_batch = batches[0]
    assert seed_batch.counts["created"]["works"] == 24

    import_batch_undo(batch=seed_batch, user=make_user(is_staff=True))

    assert not Work.objects.filter(source="seed").exists()
    assert not Author.objects.filter(name_key="mingli song", source="seed").exists()
    assert Work.objects.count() == 195
