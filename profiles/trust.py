"""The trust score: a pure function from an author's facts to a score and its reasons.

No ORM here, so the formula (README, "Verification levels and trust score") is tested
without a database and benchmarked on its own as the reference for the set-based recompute
(profiles.trust_engine).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

IDENTITY_POINTS = {0: 0.0, 1: 5.0, 2: 20.0, 3: 30.0, 4: 40.0}
BANDS = ((75, "Highly trusted"), (50, "Established"), (25, "Developing"), (0, "Emerging"))


@dataclass(frozen=True)
class AuthorFacts:
    author_id: int
    level: int
    works: int
    followers: int
    topics: int
    close_collaborators: int


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    value: int
    points: float
    cap: float
    rule: str

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "value": self.value,
            "points": round(self.points, 2),
            "cap": self.cap,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class TrustScore:
    score: int
    band: str
    factors: tuple[Factor, ...]

    def factors_as_dicts(self) -> list[dict]:
        return [factor.as_dict() for factor in self.factors]


def band_for(score: int) -> str:
    return next(name for floor, name in BANDS if score >= floor)


def round_half_up(value: float) -> int:
    # Python's round() sends 22.5 to 22; a published score rounds halves up.
    return int(math.floor(value + 0.5 + 1e-9))


def trust_score(facts: AuthorFacts) -> TrustScore:
    factors = (
        Factor(
            "identity",
            "Identity",
            facts.level,
            min(IDENTITY_POINTS.get(facts.level, 0.0), 40.0),
            40.0,
            "L0 0 · L1 5 · L2 20 · L3 30 · L4 40",
        ),
        Factor(
            "works",
            "Body of work",
            facts.works,
            min(5 * math.log2(1 + facts.works / 8), 25.0),
            25.0,
            "5 × log2(1 + works / 8)",
        ),
        Factor(
            "collaboration",
            "Collaboration",
            facts.close_collaborators,
            min(float(facts.close_collaborators), 15.0),
            15.0,
            "1 per co-author on 2 or more shared works",
        ),
        Factor(
            "topics",
            "Topical footprint",
            facts.topics,
            min(facts.topics / 4, 10.0),
            10.0,
            "distinct topics / 4",
        ),
        Factor(
            "community",
            "Community",
            facts.followers,
            min(2.5 * math.log2(1 + facts.followers), 10.0),
            10.0,
            "2.5 × log2(1 + followers)",
        ),
    )
    score = min(round_half_up(sum(f.points for f in factors)), 100)
    return TrustScore(score=score, band=band_for(score), factors=factors)
