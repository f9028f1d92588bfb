"""Emails about invitations and messages, and the follow digest (queue "default").

Tasks take ids and call the service of the same name in profiles.collaboration or
profiles.digests. Not in profiles/tasks.py, whose tasks all go to the trust engine's
"scores" queue; settings.CELERY_IMPORTS registers this module with the worker.
"""

from __future__ import annotations

from celery import shared_task

from . import collaboration, digests

# ignore_result: sent from requests through the outbox, never read back (bzpeer/lib/outbox).
MAIL = {
    "ignore_result": True,
    "acks_late": True,
    "autoretry_for": (OSError,),
    "retry_backoff": 30,
    "max_retries": 5,
}


@shared_task(**MAIL)
def invitation_notify(invitation_id: int) -> bool:
    return collaboration.invitation_notify_send(invitation_id=invitation_id)


@shared_task(**MAIL)
def invitation_answered_notify(invitation_id: int) -> bool:
    return collaboration.invitation_answered_notify_send(invitation_id=invitation_id)


@shared_task(**MAIL)
def message_notify(message_id: int) -> bool:
    return collaboration.message_notify_send(message_id=message_id)


@shared_task(ignore_result=True)
def follow_digests_send() -> int:
    """The beat task: one task per chunk of due users, never one per user."""
    user_ids = digests.follow_digest_due_user_ids()
    for start in range(0, len(user_ids), digests.DIGEST_CHUNK):
        follow_digests_send_chunk.delay(user_ids[start : start + digests.DIGEST_CHUNK])
    return len(user_ids)


@shared_task(**MAIL)
def follow_digests_send_chunk(user_ids: list[int]) -> int:
    # Each user is claimed before the email goes out, so a retried chunk skips them.
    return sum(digests.follow_digest_send(user_id=pk) for pk in user_ids)
