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
from works.importers.records import TopicAssignment, TopicRecord

SOURCE = "arxiv"
MIN_EVIDENCE = 2
FULL_EVIDENCE = 6
MAX_TOPICS_PER_WORK = 3

ARCHIVES = {
    "cs": "Computer Science",
    "eess": "Electrical Engineering and Systems Science",
    "physics": "Physics",
    "q-bio": "Quantitative Biology",
    "stat": "Statistics",
}

# arXiv class → (arXiv's name for it, keyword phrases). Order breaks ties.
TAXONOMY: dict[str, tuple[str, tuple[str, ...]]] = {
    "cs.LG": (
        "Machine Learning",
        (
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
    ),
    "stat.ML": (
        "Machine Learning (Statistics)",
        (
            "statistical learning",
            "bayesian",
            "gaussian process",
            "variational inference",
            "kernel method",
            "causal inference",
            "markov chain monte carlo",
            "non-parametric",
        ),
    ),
    "cs.CV": (
        "Computer Vision and Pattern Recognition",
        (
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
    ),
    "cs.CL": (
        "Computation and Language",
        (
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
    ),
    "cs.AI": (
        "Artificial Intelligence",
        (
            "artificial intelligence",
            "reasoning",
            "planning",
            "knowledge graph",
            "knowledge representation",
            "commonsense",
            "theorem proving",
            "decision making",
        ),
    ),
    "cs.IR": (
        "Information Retrieval",
        (
            "information retrieval",
            "recommendation",
            "recommender",
            "collaborative filtering",
            "search engine",
            "user preference",
            "click-through",
            "learning to rank",
        ),
    ),
    "cs.CR": (
        "Cryptography and Security",
        (
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
    ),
    "cs.DC": (
        "Distributed, Parallel, and Cluster Computing",
        (
            "federated",
            "distributed training",
            "distributed computing",
            "decentralized",
            "parallel computing",
            "edge computing",
            "cloud computing",
            "on-device",
        ),
    ),
    "cs.MA": (
        "Multiagent Systems",
        ("multi-agent", "agent-based"),
    ),
    "cs.NE": (
        "Neural and Evolutionary Computing",
        (
            "evolutionary algorithm",
            "evolutionary computation",
            "genetic algorithm",
            "genetic programming",
            "neuro-evolution",
            "spiking neural network",
            "neuromorphic",
            "particle swarm",
        ),
    ),
    "cs.HC": (
        "Human-Computer Interaction",
        (
            "human-computer interaction",
            "user study",
            "user interface",
            "usability",
            "crowdsourcing",
            "human-in-the-loop",
        ),
    ),
    "cs.GR": (
        "Graphics",
        ("computer graphics", "rendering", "renderer", "polygon mesh", "animation"),
    ),
    "cs.RO": (
        "Robotics",
        ("robot", "robotic", "autonomous driving", "motion planning", "grasping"),
    ),
    "cs.SI": (
        "Social and Information Networks",
        ("social network", "social media", "community detection", "information diffusion"),
    ),
    "cs.DB": (
        "Databases",
        ("database system", "query processing", "query optimization", "data management"),
    ),
    "cs.SE": (
        "Software Engineering",
        ("software engineering", "code generation", "program repair", "software testing"),
    ),
    "eess.AS": (
        "Audio and Speech Processing",
        ("speech", "audio", "speaker", "acoustic", "lip reading"),
    ),
    "eess.SY": (
        "Systems and Control",
        (
            "power system",
            "power grid",
            "smart grid",
            "transient stability",
            "control system",
            "load forecasting",
        ),
    ),
    "physics.chem-ph": (
        "Chemical Physics",
        (
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
    ),
    "q-bio.QM": (
        "Quantitative Methods",
        (
            "drug discovery",
            "drug design",
            "protein",
            "bioinformatics",
            "genomics",
            "gene expression",
            "single-cell",
            "virtual screening",
        ),
    ),
}


@dataclass(frozen=True)
class _Class:
    topic: TopicRecord
    phrases: tuple[tuple[str, re.Pattern[str]], ...]


def _pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in re.split(r"[\s-]+", phrase.strip())]
    return re.compile(r"\b" + r"[\s-]*".join(words) + r"(?:e?s)?\b", re.IGNORECASE)


def _topic(class_id: str, name: str) -> TopicRecord:
    archive = class_id.split(".")[0]
    parent = TopicRecord(
        source=SOURCE, external_id=archive, name=ARCHIVES[archive], level="archive"
    )
    return TopicRecord(
        source=SOURCE, external_id=class_id, name=name, level="category", parent=parent
    )


_CLASSES = tuple(
    _Class(_topic(class_id, name), tuple((phrase, _pattern(phrase)) for phrase in phrases))
    for class_id, (name, phrases) in TAXONOMY.items()
)


def topic_for(class_id: str) -> TopicRecord:
    """The TopicRecord of one arXiv class of the taxonomy ('cs.CV'), with its archive."""
    name, _ = TAXONOMY[class_id]
    return _topic(class_id, name)


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
