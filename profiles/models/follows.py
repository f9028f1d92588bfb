"""Who follows which author: the Following page, digests and the community factor."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from works.models import Author


class Follow(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="follows")
    author = models.ForeignKey(Author, models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # a double click never counts twice
            models.UniqueConstraint(fields=["user", "author"], name="profiles_follow_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.author}"
