"""Topics for works whose source gives none: a keyword taxonomy over arXiv subject classes.

OpenAlex ships topics (or concepts) with each work; BibTeX, the seed page and other curated
lists do not. For those, `assign_topics(title, abstract)` tags a work with the arXiv subject
classes (https://arxiv.org/category_taxonomy) whose keyword phrases its text contains.
The method is the same for every work; nothing here names a particular paper.

How a class is chosen:

1. The title and the abstract are turned into text (`bzpeer.lib.text.plain_text`: markup
   dropped, LaTeX rendered).
2. Each phrase of a class is matched case-insensitively on word boundaries. Hyphens and
   spaces inside a phrase are interchangeable or may be absent ("pre-trained" also matches
   "pretrained" and "pre trained"), and a trailing "s"/"es" is allowed ("LLM" matches
   "LLMs").
3. Evidence: each distinct phrase found counts 2 if it is in the title, else 1. A phrase
   found only inside a longer phrase of the same class ("image" inside "image
   classification") does not count again.
4. A class is assigned when its evidence reaches `MIN_EVIDENCE` (2): one phrase in the
   title, or two different phrases in the abstract. A single passing mention in an abstract
   ("due to privacy issues") is not enough.
5. At most `MAX_TOPICS_PER_WORK` classes are kept, strongest first (ties: taxonomy order).
   The score is the evidence over `FULL_EVIDENCE`, capped at 1.0.

A work matching nothing gets no topic. Phrases are chosen to be specific to their class;
generic words ("model", "learning", "data") are left out on purpose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bzpeer.lib.text import plain_text

from .records import TopicAssignment, TopicRecord
from .sources.arxiv_taxonomy import category_topic

MIN_EVIDENCE = 2
FULL_EVIDENCE = 6
MAX_TOPICS_PER_WORK = 3

# arXiv class → keyword phrases (named as arxiv_taxonomy.CATEGORIES names it). Order breaks
# ties.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "cs.LG": (
        "machine learning",
        "deep learning",
        "neural network",
        "representation learning",
        "knowledge distillation",
        "transfer learning",
        "meta-learning",
        "few-shot learning",
        "zero-shot learning",
        "self-supervised",
        "semi-supervised",
        "weakly supervised",
        "unsupervised learning",
        "continual learning",
        "life-long learning",
        "incremental learning",
        "reinforcement learning",
        "generative adversarial network",
        "auto-encoder",
        "disentangled representation",
        "graph neural network",
        "graph convolutional network",
        "model compression",
        "pre-trained model",
        "pre-training",
        "fine-tuning",
        "over-fit",
        "decision tree",
    ),
    "stat.ML": (
        "statistical learning",
        "bayesian",
        "gaussian process",
        "variational inference",
        "kernel method",
        "causal inference",
        "markov chain monte carlo",
        "non-parametric",
    ),
    "cs.CV": (
        "computer vision",
        "image",
        "image classification",
        "object detection",
        "semantic segmentation",
        "pose estimation",
        "depth estimation",
        "scene parsing",
        "facial",
        "face recognition",
        "action unit",
        "vision transformer",
        "convolutional neural network",
        "CNN",
        "ViT",
        "ImageNet",
        "CIFAR",
        "video",
        "image synthesis",
        "image translation",
    ),
    "cs.CL": (
        "natural language",
        "language model",
        "large language model",
        "LLM",
        "machine translation",
        "question answering",
        "text classification",
        "sentiment analysis",
        "dialogue",
        "in-context learning",
        "prompt",
    ),
    "cs.AI": (
        "artificial intelligence",
        "reasoning",
        "planning",
        "knowledge graph",
        "knowledge representation",
        "commonsense",
        "theorem proving",
        "decision making",
    ),
    "cs.IR": (
        "information retrieval",
        "recommendation",
        "recommender",
        "collaborative filtering",
        "search engine",
        "user preference",
        "click-through",
        "learning to rank",
    ),
    "cs.CR": (
        "security",
        "jailbreak",
        "adversarial attack",
        "attack",
        "backdoor",
        "malicious",
        "privacy-preserving",
        "differential privacy",
        "encryption",
        "cryptography",
        "membership inference",
        "watermark",
    ),
    "cs.DC": (
        "federated",
        "distributed training",
        "distributed computing",
        "decentralized",
        "parallel computing",
        "edge computing",
        "cloud computing",
        "on-device",
    ),
    "cs.MA": (
        "multi-agent",
        "agent-based",
    ),
    "cs.NE": (
        "evolutionary algorithm",
        "evolutionary computation",
        "genetic algorithm",
        "genetic programming",
        "neuro-evolution",
        "spiking neural network",
        "neuromorphic",
        "particle swarm",
    ),
    "cs.HC": (
        "human-computer interaction",
        "user study",
        "user interface",
        "usability",
        "crowdsourcing",
        "human-in-the-loop",
    ),
    "cs.GR": (
        "computer graphics",
        "rendering",
        "renderer",
        "polygon mesh",
        "animation",
    ),
    "cs.RO": (
        "robot",
        "robotic",
        "autonomous driving",
        "motion planning",
        "grasping",
    ),
    "cs.SI": (
        "social network",
        "social media",
        "community detection",
        "information diffusion",
    ),
    "cs.DB": (
        "database system",
        "query processing",
        "query optimization",
        "data management",
    ),
    "cs.SE": (
        "software engineering",
        "code generation",
        "program repair",
        "software testing",
    ),
    "eess.AS": (
        "speech",
        "audio",
        "speaker",
        "acoustic",
        "lip reading",
    ),
    "eess.SY": (
        "power system",
        "power grid",
        "smart grid",
        "transient stability",
        "control system",
        "load forecasting",
    ),
    "physics.chem-ph": (
        "chemistry",
        "chemical",
        "chemical reaction",
        "molecule",
        "molecular",
        "retrosynthesis",
        "reaction prediction",
        "SMILES",
        "reactant",
        "organic synthesis",
        "catalyst",
    ),
    "q-bio.QM": (
        "drug discovery",
        "drug design",
        "protein",
        "bioinformatics",
        "genomics",
        "gene expression",
        "single-cell",
        "virtual screening",
    ),
}


@dataclass(frozen=True)
class _Class:
    topic: TopicRecord
    phrases: tuple[tuple[str, re.Pattern[str]], ...]


def _pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in re.split(r"[\s-]+", phrase.strip())]
    return re.compile(r"\b" + r"[\s-]*".join(words) + r"(?:e?s)?\b", re.IGNORECASE)


_CLASSES = tuple(
    _Class(category_topic(class_id), tuple((phrase, _pattern(phrase)) for phrase in phrases))
    for class_id, phrases in KEYWORDS.items()
)


def topic_for(class_id: str) -> TopicRecord:
    """The TopicRecord of one arXiv class the keywords know ('cs.CV'), with its archive."""
    if class_id not in KEYWORDS:
        raise KeyError(class_id)
    return category_topic(class_id)


def matched_phrases(title: str, abstract: str = "") -> dict[str, dict[str, str]]:
    """For each class with any match: phrase → 'title' or 'abstract' (where it was found)."""
    texts = {"title": plain_text(title or ""), "abstract": plain_text(abstract or "")}
    found: dict[str, dict[str, str]] = {}
    for cls in _CLASSES:
        where: dict[str, str] = {}
        for place, text in texts.items():  # the title first: it is the stronger evidence
            spans = {
                phrase: [m.span() for m in pattern.finditer(text)]
                for phrase, pattern in cls.phrases
            }
            for phrase, own in spans.items():
                others = [
                    span
                    for other, found_at in spans.items()
                    if other != phrase
                    for span in found_at
                ]
                if phrase not in where and any(not _inside(span, others) for span in own):
                    where[phrase] = place
        if where:
            found[cls.topic.external_id] = where
    return found


def _inside(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    """Whether a match lies within a longer match of another phrase."""
    return any(o[0] <= span[0] and span[1] <= o[1] and o != span for o in others)


def assign_topics(title: str, abstract: str = "") -> tuple[TopicAssignment, ...]:
    """The arXiv classes a work's title and abstract give it, strongest first."""
    order = {cls.topic.external_id: i for i, cls in enumerate(_CLASSES)}
    evidence = {
        class_id: sum(2 if place == "title" else 1 for place in where.values())
        for class_id, where in matched_phrases(title, abstract).items()
    }
    chosen = sorted(
        (class_id for class_id, points in evidence.items() if points >= MIN_EVIDENCE),
        key=lambda class_id: (-evidence[class_id], order[class_id]),
    )[:MAX_TOPICS_PER_WORK]
    return tuple(
        TopicAssignment(
            topic=topic_for(class_id), score=round(min(1.0, evidence[class_id] / FULL_EVIDENCE), 3)
        )
        for class_id in chosen
    )
