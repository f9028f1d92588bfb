"""The seed researcher's works, kept as a fixture made from the seed profile page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SEED = Path(__file__).parents[2] / "works" / "fixtures" / "seed_works.json"


@pytest.fixture(scope="module")
def seed() -> dict:
    return json.loads(SEED.read_text(encoding="utf-8"))


@pytest.mark.sqlite
def test_seed_fixture_names_the_researcher(seed):
    assert seed["researcher"] == {
        "display_name": "Mingli Song",
        "bio": "Mingli Song contributes to research discovery and scholarly infrastructure.",
    }


@pytest.mark.sqlite
def test_seed_fixture_has_24_works_in_page_order(seed):
    works = seed["works"]
    assert len(works) == 24
    assert [w["title"] for w in works[:3]] == [
        "Confidence-Aware Alignment Makes Reasoning LLMs More Reliable",
        "Mitigating Many-shot Jailbreak Attacks with One Single Demonstration",
        "Tree of Preferences for Diversified Recommendation",
    ]
    # the middle of the page, lines 114-137
    assert [w["title"] for w in works[10:14]] == [
        "Online Knowledge Distillation for Efficient Pose Estimation",
        "Root-aligned SMILES: A Tight Representation for Chemical Reaction Prediction",
        "Spot-adaptive Knowledge Distillation",
        "Up to 100$\\times$ Faster Data-free Knowledge Distillation",
    ]
    assert works[-1]["title"].startswith("Unsupervised Learning Facial Parameter Regressor")
    assert len({w["title"] for w in works}) == 24


@pytest.mark.sqlite
def test_seed_fixture_years_types_and_venues(seed):
    works = seed["works"]
    assert [w["year"] for w in works] == [2026, 2026, 2025, 2023] + [2022] * 10 + [2021] * 2 + [
        2020
    ] * 8
    assert {w["type"] for w in works} == {"preprint"}
    assert {w["venue"] for w in works} == {"arXiv"}
    assert all(w["abstract"] for w in works)


@pytest.mark.sqlite
def test_seed_fixture_keeps_latex_as_written(seed):
    by_title = {w["title"]: w for w in seed["works"]}
    fast = by_title["Up to 100$\\times$ Faster Data-free Knowledge Distillation"]
    assert "achieves 10$\\times$ and even 100$\\times$ acceleration" in fast["abstract"]
    assert fast["abstract"].endswith(
        r"Code is available at \url{https://github.com/zju-vipa/Fast-Datafree}."
    )
    power = by_title[
        "Distribution-Aware Graph Representation Learning for Transient Stability "
        "Assessment of Power System"
    ]
    assert r"method, \textit{i.e.} time-domain simulation" in power["abstract"]
    assert r"learning~(DAL) module" in power["abstract"]


# The seed page as first seen (../shared/seed/profile-page.txt), copied beside the tests so
# the check never depends on what sits next to the clone.
@pytest.mark.sqlite
def test_seed_fixture_text_is_the_page_text(seed):
    page = Path(__file__).parent / "fixtures" / "seed-profile-page.txt"
    lines = set(page.read_text(encoding="utf-8").splitlines())
    for work in seed["works"]:
        assert work["title"] in lines
        assert work["abstract"] in lines
        assert f"{work['type']}{work['year']}{work['venue']}" in lines
