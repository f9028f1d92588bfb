"""The audit trail of admins' identity decisions (services: profiles/curation.py, claims.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from works.models import Author

# Identity facts an entry's before/after name, and how the audit log words them.
IDENTITY_LABELS = {
    "slug": "slug",
    "verification_level": "verification level",
    "verification_evidence": "evidence",
    "orcid": "ORCID iD",
    "openalex_id": "OpenAlex id",
    "dblp_pid": "DBLP pid",
    "merged_into": "merged into",
    "owner": "owner",
    "name_variants": "name variants",
}


class AuthorAuditLog(models.Model):
    """Every identity change an admin made, with its reason and before/after (append-only)."""

    class Action(models.TextChoices):
        MERGE = "merge", "merge"
        UNMERGE = "unmerge", "unmerge"
        SPLIT = "split", "split"
        REMOVE = "remove", "remove authorship"
        SET_LEVEL = "set_level", "set level"
        CLAIM = "claim", "claim decision"
        REVOKE = "revoke", "claim ended"

    action = models.CharField(max_length=10, choices=Action)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # merge/unmerge: the kept author / the merged one; split: the author the authorships left /
    # the author they went to; remove, set level, claim: the author concerned.
    author = models.ForeignKey(
        Author, models.SET_NULL, null=True, blank=True, related_name="audit_log"
    )
    other_author = models.ForeignKey(
        Author, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=255, blank=True)
    # Identity facts before and after: {"author": {...}, "other_author": {...}}.
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)
    # A merge that was unmerged: the unmerge entry that undid it.
    undone_by = models.OneToOneField(
        "self", models.SET_NULL, null=True, blank=True, related_name="undoes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.author_id} / {self.other_author_id}"

    def changes_in_words(self) -> list[str]:
        """'Kang Liu: ORCID iD 0000-… → none' for each identity fact that changed."""
        lines = []
        for role in ("author", "other_author"):
            old, new = self.before.get(role) or {}, self.after.get(role) or {}
            name = new.get("display_name") or old.get("display_name") or role
            for key, label in IDENTITY_LABELS.items():
                if old.get(key) != new.get(key):
                    lines.append(f"{name}: {label} {_word(old.get(key))} → {_word(new.get(key))}")
        return lines


def _word(value) -> str:
    if value in (None, "", []):
        return "none"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
