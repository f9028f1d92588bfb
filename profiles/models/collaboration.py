"""Direct collaboration: invitations to a record's owner and the conversations they open
(services: profiles/collaboration.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from works.models import Author


class Invitation(models.Model):
    """A direct invitation to the owner of a claimed, open-to-collaborate record."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    author = models.ForeignKey(Author, models.CASCADE, related_name="invitations")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="invitations_sent"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="invitations_received"
    )
    subject = models.CharField(max_length=120)
    message = models.TextField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # the inbox: a recipient's invitations, newest first
            models.Index(fields=["recipient", "-created_at"], name="profiles_invitation_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sender} → {self.recipient}: {self.subject}"


class Conversation(models.Model):
    """Opened by an accepted invitation; only its two participants can read it."""

    invitation = models.OneToOneField(Invitation, models.CASCADE, related_name="conversation")
    author = models.ForeignKey(Author, models.CASCADE, related_name="+")
    starter = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return f"conversation {self.pk}: {self.starter} and {self.owner}"

    def get_absolute_url(self) -> str:
        return reverse("profiles:conversation", kwargs={"pk": self.pk})

    def other(self, user):
        return self.owner if user.pk == self.starter_id else self.starter


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"message {self.pk} in conversation {self.conversation_id}"
