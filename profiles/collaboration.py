"""Direct collaboration: invitations to a record's owner, conversations, messages, emails.

Only a claimed record whose owner is open to collaborate can be invited, by a logged-in
user with a verified email, within a per-user rate limit (bzpeer/lib/ratelimit.py). The
owner accepts or declines; acceptance opens a conversation that only the two can read.
Emails go through Django's email backend from Celery tasks (profiles/tasks.py) after commit,
through the outbox (bzpeer/lib/outbox): with the broker away they wait in PostgreSQL. The
tasks import this module, so each function imports its task where it sends it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone

from bzpeer.lib.outbox.services import enqueue_on_commit
from bzpeer.lib.ratelimit import rate_limit_consume
from works.models import Author

from .claims import author_owner_claim, user_has_verified_email
from .models import Conversation, Invitation, Message
from .public_names import public_names_load

MAX_SUBJECT_LENGTH = 120
MAX_INVITATION_LENGTH = 2000
MAX_MESSAGE_LENGTH = 4000
LOCKED = "Claim this author entity first to unlock direct invitations."


class CollaborationError(Exception):
    """An invitation or message that cannot be sent: the message is shown as is."""


# --- reads -------------------------------------------------------------------------------


def conversations_of(user) -> QuerySet[Conversation]:
    return Conversation.objects.filter(Q(starter=user) | Q(owner=user))


def conversation_for_user(pk: int, user) -> Conversation:
    """The conversation if the user is one of its two participants; 404 for anyone else."""
    return get_object_or_404(
        conversations_of(user).select_related("author", "starter", "owner"), pk=pk
    )


def inbox(user) -> dict:
    """Invitations received and sent, and conversations: four bounded queries (the fourth:
    the public names of the senders, profiles.public_names)."""
    received = list(
        Invitation.objects.filter(recipient=user)
        .select_related("author", "sender", "conversation")
        .order_by("-created_at", "-pk")[:100]
    )
    public_names_load([invitation.sender for invitation in received])
    return {
        "received": received,
        "sent": list(
            Invitation.objects.filter(sender=user)
            .select_related("author", "conversation")
            .order_by("-created_at", "-pk")[:100]
        ),
        "conversations": list(
            conversations_of(user)
            .select_related("author", "starter", "owner")
            .order_by("-updated_at", "-pk")[:100]
        ),
    }


# --- writes ------------------------------------------------------------------------------


def _clean(text: str, *, limit: int, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise CollaborationError(f"Write a {what}.")
    if len(text) > limit:
        raise CollaborationError(f"The {what} is longer than {limit} characters.")
    return text


@transaction.atomic
def invitation_send(*, author: Author, sender, subject: str, message: str) -> Invitation:
    from .tasks import invitation_notify

    owner = author_owner_claim(author)
    if owner is None:
        raise CollaborationError(LOCKED)
    if not author.open_to_collaborate or author.hidden:
        raise CollaborationError("This researcher is not open to invitations right now.")
    if owner.user_id == sender.pk:
        raise CollaborationError("This is your own record.")
    if not user_has_verified_email(sender):
        raise CollaborationError("Verify your email address before you send an invitation.")
    subject = _clean(subject, limit=MAX_SUBJECT_LENGTH, what="subject")
    message = _clean(message, limit=MAX_INVITATION_LENGTH, what="message")
    if Invitation.objects.filter(
        author=author, sender=sender, status=Invitation.Status.PENDING
    ).exists():
        raise CollaborationError("Your invitation to this researcher is waiting for an answer.")
    rate_limit_consume(action="invitation", user_id=sender.pk)  # RateLimited: a 429
    invitation = Invitation.objects.create(
        author=author, sender=sender, recipient=owner.user, subject=subject, message=message
    )
    enqueue_on_commit(invitation_notify, invitation.pk)
    return invitation


@transaction.atomic
def invitation_answer(*, invitation_id: int, user, accept: bool) -> Invitation:
    """The recipient accepts (a conversation opens) or declines. Answering twice is a no-op."""
    from .tasks import invitation_answered_notify

    invitation = get_object_or_404(
        Invitation.objects.select_for_update(), pk=invitation_id, recipient=user
    )
    if invitation.status != Invitation.Status.PENDING:
        return invitation
    invitation.status = Invitation.Status.ACCEPTED if accept else Invitation.Status.DECLINED
    invitation.decided_at = timezone.now()
    invitation.save(update_fields=["status", "decided_at"])
    if accept:
        conversation = Conversation.objects.create(
            invitation=invitation,
            author_id=invitation.author_id,
            starter_id=invitation.sender_id,
            owner_id=invitation.recipient_id,
        )
        # The thread starts with the invitation itself.
        Message.objects.create(
            conversation=conversation,
            sender_id=invitation.sender_id,
            body=f"{invitation.subject}\n\n{invitation.message}",
        )
    enqueue_on_commit(invitation_answered_notify, invitation.pk)
    return invitation


@transaction.atomic
def message_send(*, conversation: Conversation, user, body: str) -> Message:
    from .tasks import message_notify

    if user.pk not in (conversation.starter_id, conversation.owner_id):
        raise CollaborationError("You are not part of this conversation.")
    body = _clean(body, limit=MAX_MESSAGE_LENGTH, what="message")
    rate_limit_consume(action="message", user_id=user.pk)  # RateLimited: a 429
    message = Message.objects.create(conversation=conversation, sender=user, body=body)
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
    enqueue_on_commit(message_notify, message.pk)
    return message


# --- emails (called by tasks, with ids) --------------------------------------------------


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _mail(*, to: str, template: str, context: dict) -> bool:
    if not to:
        return False
    text = render_to_string(template, context).strip()
    subject, _, body = text.partition("\n")
    send_mail(
        settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject.strip(),
        body.strip() + "\n",
        None,
        [to],
    )
    return True


def invitation_notify_send(*, invitation_id: int) -> bool:
    invitation = Invitation.objects.select_related("author", "sender", "recipient").get(
        pk=invitation_id
    )
    return _mail(
        to=invitation.recipient.email,
        template="profiles/email/invitation_received.txt",
        context={"invitation": invitation, "inbox_url": _site_url("/inbox/")},
    )


def invitation_answered_notify_send(*, invitation_id: int) -> bool:
    invitation = Invitation.objects.select_related("author", "sender", "conversation").get(
        pk=invitation_id
    )
    url = (
        invitation.conversation.get_absolute_url()
        if invitation.status == Invitation.Status.ACCEPTED
        else "/inbox/"
    )
    return _mail(
        to=invitation.sender.email,
        template="profiles/email/invitation_answered.txt",
        context={"invitation": invitation, "url": _site_url(url)},
    )


def message_notify_send(*, message_id: int) -> bool:
    message = Message.objects.select_related(
        "conversation__author", "conversation__starter", "conversation__owner", "sender"
    ).get(pk=message_id)
    conversation = message.conversation
    recipient = conversation.other(message.sender)
    return _mail(
        to=recipient.email,
        template="profiles/email/message_received.txt",
        context={
            "message": message,
            "conversation": conversation,
            "url": _site_url(conversation.get_absolute_url()),
        },
    )
