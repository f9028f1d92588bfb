"""Load the demo data: the real OpenAlex samples and the seed's own researcher.

Everything comes from files kept in the repository (works/fixtures/), so a clean clone can
run it without ../shared:

- openalex/*.json.gz: the OpenAlex institutions, authors and works samples (CC0), imported
  through the same service as any uploaded file;
- seed_works.json: the 24 works and the researcher's name and bio, as the seed profile page
  shows them (../shared/seed/profile-page.txt);
- vipa_mingli_song.bib: BibTeX of the researcher's papers; an entry whose normalised title
  equals a seed work's gives that work its authors (and its arXiv id, if it has one).

Seed works get their topics from `works.imports.keyword_topics` (arXiv classes by keyword).
Each file (and the seed) is an import batch like any upload, named "demo/<file>", so the
demo can be undone in admin. Re-running changes nothing: a part whose batch succeeded and
was not undone is skipped, and every write is an upsert keyed as the loader keys it anyway.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from bzpeer.lib.events import Why, authors_changed_announce
from bzpeer.lib.names import name_slug, normalize_name
from bzpeer.lib.text import title_key
from works.imports.batches import import_batch_run
from works.imports.keyword_topics import assign_topics
from works.imports.loader import LoadCounts, load_records
from works.imports.readers import BadRecord
from works.imports.records import (
    AuthorRecord,
    AuthorshipRecord,
    ParseError,
    VenueRecord,
    WorkRecord,
    others_authorship,
)
from works.imports.run import ImportFailed
from works.imports.sources import bibtex
from works.imports.sources.openalex import first_code_url
from works.models import Author, BatchChange, ImportBatch, VerificationLevel, Work

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
# Institutions first, then authors, then works: each file finds what it points to.
OPENALEX_FILES = (
    "openalex/rag_institutions_sample.json.gz",
    "openalex/rag_authors_sample.json.gz",
    "openalex/rag_works_sample.json.gz",
)
SEED_FILE = "seed_works.json"
SEED_BIBTEX = "vipa_mingli_song.bib"
SEED_SOURCE = "seed"
DEMO_PREFIX = "demo/"
ARXIV = VenueRecord(name="arXiv", type="repository")


@dataclass(frozen=True)
class Seed:
    display_name: str
    bio: str
    works: tuple[dict, ...]


def read_seed(path: Path) -> Seed:
    data = json.loads(path.read_text(encoding="utf-8"))
    researcher = data["researcher"]
    return Seed(researcher["display_name"], researcher.get("bio", ""), tuple(data["works"]))


def read_bibtex(path: Path) -> list[WorkRecord]:
    """The BibTeX entries as WorkRecords; the fixture must be clean."""
    records = []
    for raw in bibtex.read(path):
        if isinstance(raw, BadRecord):
            raise CommandError(f"{path.name}, line {raw.line}: {raw.message}")
        try:
            records.append(bibtex.parse(raw))
        except ParseError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
    return records


def seed_work_records(
    seed: Seed, entries: list[WorkRecord]
) -> tuple[list[WorkRecord], dict[str, WorkRecord]]:
    """The seed's works as WorkRecords, and {seed title: the BibTeX entry it matched}.

    A BibTeX entry gives a seed work its byline when their title keys are equal; a work no
    entry matches is credited to the researcher alone.
    """
    by_key: dict[str, WorkRecord] = {}
    for entry in entries:
        by_key.setdefault(title_key(entry.title), entry)
    researcher = AuthorshipRecord(
        raw_author_name=seed.display_name, author=AuthorRecord(display_name=seed.display_name)
    )
    researcher_key = normalize_name(seed.display_name)

    records, matched = [], {}
    for work in seed.works:
        entry = by_key.get(title_key(work["title"]))
        # the seed lists only its owner: the co-authors exist but were not imported
        authorships: tuple[AuthorshipRecord, ...] = (researcher, others_authorship())
        if entry is not None:
            matched[work["title"]] = entry
            authorships = entry.authorships
            if not any(
                a.author and normalize_name(a.author.display_name) == researcher_key
                for a in authorships
            ):
                authorships = (*authorships, researcher)
        venue = ARXIV if work["venue"] == "arXiv" else VenueRecord(name=work["venue"])
        records.append(
            WorkRecord(
                title=work["title"],
                type=work["type"],
                year=work["year"],
                venue=venue,
                # the seed lists arXiv preprints: an entry's arXiv id names the same paper
                arxiv_id=entry.arxiv_id if entry is not None else None,
                abstract=work["abstract"],
                code_url=first_code_url(work["abstract"]),
                authorships=authorships,
                topics=assign_topics(work["title"], work["abstract"]),
            )
        )
    return records, matched


class Command(BaseCommand):
    help = "Load the OpenAlex samples and the seed researcher's works (idempotent)."

    def handle(self, *args, **options) -> None:
        for name in OPENALEX_FILES:
            if self._loaded_already(name):
                continue
            path = FIXTURES / name
            batch = ImportBatch.objects.create(
                format=ImportBatch.Format.OPENALEX,
                file_name=DEMO_PREFIX + name,
                bytes_total=path.stat().st_size,
            )
            try:
                result = import_batch_run(batch=batch, path=path)
            except ImportFailed as exc:
                raise CommandError(f"{name}: {exc}") from exc
            self.stdout.write(f"{name}: {result.summary()} (import batch #{batch.pk})")

        seed = read_seed(FIXTURES / SEED_FILE)
        records, matched = seed_work_records(seed, read_bibtex(FIXTURES / SEED_BIBTEX))
        summary = f"{len(records)} works, {len(matched)} with authors from {SEED_BIBTEX}"
        if self._loaded_already(SEED_FILE, summary):
            return
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                format=ImportBatch.Format.BIBTEX,
                file_name=DEMO_PREFIX + SEED_FILE,
                bytes_total=(FIXTURES / SEED_FILE).stat().st_size,
                status=ImportBatch.Status.RUNNING,
                started_at=timezone.now(),
            )
            owner = self._researcher(seed, batch)
            counts = load_records(
                records, source=SEED_SOURCE, batch=batch, counts=LoadCounts(), owner=owner
            )
            batch.status, batch.finished_at = ImportBatch.Status.SUCCEEDED, timezone.now()
            batch.records_read, batch.counts = len(records), counts.as_dict()
            batch.save()
            authors_changed_announce(
                counts.touched_author_ids | {owner.pk}, why=Why.WORKS, sender=Command
            )
            researchers = self._seed_researchers(seed, records)
        self.stdout.write(f"{SEED_FILE}: {summary}; {counts.summary()} (import batch #{batch.pk})")
        if len(researchers) != 1:
            self.stderr.write(
                f"{seed.display_name} is {len(researchers)} author records, not one: "
                "the loader found no shared co-author or work to join them by."
            )

    def _loaded_already(self, name: str, summary: str = "") -> bool:
        batch = ImportBatch.objects.filter(
            file_name=DEMO_PREFIX + name, status=ImportBatch.Status.SUCCEEDED
        ).first()
        if batch is not None:
            what = f" ({summary})" if summary else ""
            self.stdout.write(f"{name}{what}: loaded already by import batch #{batch.pk}; skipped.")
        return batch is not None

    def _researcher(self, seed: Seed, batch: ImportBatch) -> Author:
        """The seed's own researcher: the one author the seed works are a list of. Made here
        when missing, and then recorded in the batch, so that undoing the seed removes it."""
        author = (
            Author.objects.filter(source=SEED_SOURCE, name_key=normalize_name(seed.display_name))
            .order_by("pk")
            .first()
        )
        if author is None:
            slug = name_slug(seed.display_name)
            if Author.objects.filter(slug=slug).exists():
                slug = f"{slug}-{SEED_SOURCE}"
            author = Author.objects.create(
                slug=slug,
                display_name=seed.display_name,
                bio=seed.bio,
                source=SEED_SOURCE,
                verification_level=VerificationLevel.L1,
                verification_evidence="Imported from arXiv listings and curated BibTeX",
                import_batch=batch,
            )
            BatchChange.objects.create(
                batch=batch,
                model=Author._meta.label_lower,
                object_pk=author.pk,
                action=BatchChange.Action.CREATED,
            )
        return author

    def _seed_researchers(self, seed: Seed, records: list[WorkRecord]) -> list[int]:
        """The author records the seed works credit under the researcher's name."""
        works = Work.objects.filter(title_key__in={title_key(r.title) for r in records})
        return list(
            Author.objects.filter(
                authorships__work__in=works, name_key=normalize_name(seed.display_name)
            )
            .distinct()
            .values_list("pk", flat=True)
        )
