"""The audit trail of admins' merges, splits and removals (services: profiles/curation.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from works.models import Author


class AuthorAuditLog(models.Model):
    """Every merge, split and removal an admin made, with what it moved (append-only)."""

    class Action(models.TextChoices):
        MERGE = "merge", "merge"
        SPLIT = "split", "split"
        REMOVE = "remove", "remove authorship"

    action = models.CharField(max_length=10, choices=Action)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # merge: the kept author / the merged one; split: the author the authorships left / the
    # author they went to; remove: the author the authorships left.
    author = models.ForeignKey(
        Author, models.SET_NULL, null=True, blank=True, related_name="audit_log"
    )
    other_author = models.ForeignKey(
        Author, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.author_id} / {self.other_author_id}"
