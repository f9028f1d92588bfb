"""What the owner of a record changes about it: featured works, and "not mine" requests an
admin decides (services: profiles/claims.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from works.models import Author

from .claims import AdminDecision


class FeaturedWork(models.Model):
    """A work the record's owner puts first on the profile."""

    author = models.ForeignKey(Author, models.CASCADE, related_name="featured")
    work = models.ForeignKey("works.Work", models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["author", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["author", "work"], name="profiles_featured_once"),
        ]

    def __str__(self) -> str:
        return f"{self.author_id} features {self.work_id}"


class WorkHiddenRequest(AdminDecision):
    """An owner's "not mine" on a work: hidden from the profile while an admin reviews it;
    approval splits the authorship off the record (profiles.curation.authorships_split)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved: split off"
        REJECTED = "rejected", "Rejected"

    author = models.ForeignKey(Author, models.CASCADE, related_name="hidden_work_requests")
    work = models.ForeignKey("works.Work", models.CASCADE, related_name="+")
    authorship = models.ForeignKey(
        "works.Authorship", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "work"],
                condition=Q(status="pending"),
                name="profiles_hidden_work_pending_once",
            ),
        ]

    def __str__(self) -> str:
        return f"not mine: work {self.work_id} on {self.author_id} ({self.status})"
