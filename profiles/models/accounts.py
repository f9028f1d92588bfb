"""A user's own settings, apart from any author record."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class UserProfile(models.Model):
    """A user's own settings (not an author record): the follow digest opt-in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, primary_key=True, related_name="profile"
    )
    follow_digest = models.BooleanField(
        "email me a digest of new works by researchers I follow", default=False
    )
    follow_digest_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"settings of {self.user}"
