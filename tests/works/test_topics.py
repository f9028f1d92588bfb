"""The keyword taxonomy over arXiv classes, on real titles and abstracts from the fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from works.imports.keyword_topics import KEYWORDS, assign_topics, matched_phrases, topic_for

pytestmark = pytest.mark.sqlite

SEED = Path(__file__).parents[2] / "works" / "fixtures" / "seed_works.json"


@pytest.fixture(scope="module")
def seed_works() -> dict[str, dict]:
    works = json.loads(SEED.read_text(encoding="utf-8"))["works"]
    return {w["title"]: w for w in works}


def _classes(work: dict) -> list[str]:
    return [t.topic.external_id for t in assign_topics(work["title"], work["abstract"])]


def test_topics_topic_record_names_arxiv_class_and_archive():
    topic = topic_for("cs.CV")
    assert (topic.source, topic.external_id, topic.level) == ("arxiv", "cs.CV", "category")
    assert topic.name == "Computer Vision and Pattern Recognition"
    assert (topic.parent.external_id, topic.parent.name, topic.parent.level) == (
        "cs",
        "Computer Science",
        "archive",
    )
    assert topic_for("eess.SY").parent.name == "Electrical Engineering and Systems Science"


def test_topics_every_class_has_a_known_archive():
    for class_id in KEYWORDS:
        assert topic_for(class_id).parent is not None


def test_topics_power_system_paper_is_systems_and_control(seed_works):
    work = seed_works[
        "Distribution-Aware Graph Representation Learning for Transient Stability "
        "Assessment of Power System"
    ]
    assert _classes(work) == ["eess.SY", "cs.LG"]


def test_topics_chemistry_paper_is_chemical_physics(seed_works):
    work = seed_works[
        "Root-aligned SMILES: A Tight Representation for Chemical Reaction Prediction"
    ]
    (only,) = assign_topics(work["title"], work["abstract"])
    assert only.topic.external_id == "physics.chem-ph"
    assert only.score == 1.0


def test_topics_jailbreak_paper_is_security(seed_works):
    work = seed_works["Mitigating Many-shot Jailbreak Attacks with One Single Demonstration"]
    assert _classes(work) == ["cs.CR"]


def test_topics_recommendation_paper_is_information_retrieval(seed_works):
    work = seed_works["Tree of Preferences for Diversified Recommendation"]
    assert _classes(work) == ["cs.IR", "cs.CL"]


def test_topics_vision_transformer_paper_is_computer_vision(seed_works):
    work = seed_works[
        "Bootstrapping ViTs: Towards Liberating Vision Transformers from Pre-training"
    ]
    assert _classes(work) == ["cs.CV", "cs.LG"]


def test_topics_one_passing_mention_in_an_abstract_is_not_enough(seed_works):
    # "Due to the privacy, security, or intellectual property issues" is motivation, not topic
    work = seed_works["Federated Selective Aggregation for Knowledge Amalgamation"]
    assert matched_phrases(work["title"], work["abstract"])["cs.CR"] == {"security": "abstract"}
    assert _classes(work) == ["cs.DC", "cs.LG"]


def test_topics_a_phrase_inside_a_longer_one_counts_once():
    found = matched_phrases("Few-shot image classification", "")
    assert found["cs.CV"] == {"image classification": "title"}


def test_topics_latex_is_read_as_text():
    found = matched_phrases(r"Up to 100$\times$ Faster \textit{Image} Synthesis", "")
    assert found["cs.CV"] == {"image synthesis": "title"}


def test_topics_hyphens_spaces_and_plurals_match():
    found = matched_phrases("Pretrained models", "We study LLMs and life-long learning.")
    assert found["cs.LG"] == {"pre-trained model": "title", "life-long learning": "abstract"}
    assert found["cs.CL"] == {"LLM": "abstract"}


def test_topics_words_match_on_word_boundaries():
    assert matched_phrases("Imagery of vitamins and textiles", "") == {}


def test_topics_work_matching_nothing_gets_no_topic(seed_works):
    assert assign_topics("On the history of bridges", "Stone, iron and steel.") == ()
    assert _classes(seed_works["SPAGAN: Shortest Path Graph Attention Network"]) == []


def test_topics_seed_works_get_ten_distinct_classes(seed_works):
    classes = {c for work in seed_works.values() for c in _classes(work)}
    assert sorted(classes) == [
        "cs.AI",
        "cs.CL",
        "cs.CR",
        "cs.CV",
        "cs.DC",
        "cs.GR",
        "cs.IR",
        "cs.LG",
        "eess.SY",
        "physics.chem-ph",
    ]
