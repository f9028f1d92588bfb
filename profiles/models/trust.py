"""The trust engine's tables: score history and the queue of authors to recompute
(services: profiles/trust_engine.py; the formula: profiles/trust.py)."""

from __future__ import annotations

from django.db import models

from works.models import Author, VerificationLevel


class TrustSnapshot(models.Model):
    author = models.ForeignKey(Author, models.CASCADE, related_name="trust_snapshots")
    score = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=20)
    level = models.PositiveSmallIntegerField(choices=VerificationLevel)
    factors = models.JSONField(help_text="Each component's inputs and points")
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-computed_at", "-pk"]
        indexes = [
            # "Why this score" and the history chart: latest snapshots of one author
            models.Index(fields=["author", "-computed_at"], name="profiles_snapshot_author_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.score} ({self.band})"


class DirtyAuthor(models.Model):
    """An author whose trust score and cached counts wait for the trust engine.

    A narrow table of ids rather than a flag on Author: marking is an upsert of a 16-byte
    row, not a new version of a wide, often-read author row (PostgreSQL rewrites the whole
    tuple on every UPDATE), and the claim query reads only this table. The beat task
    profiles.tasks.trust_dirty_recompute claims rows with FOR UPDATE SKIP LOCKED and deletes
    them in the transaction that recomputes the authors, so a crash puts them back.
    """

    author = models.OneToOneField(
        Author, models.CASCADE, primary_key=True, related_name="+", db_column="author_id"
    )
    marked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"author {self.author_id} dirty since {self.marked_at:%Y-%m-%d %H:%M:%S}"
