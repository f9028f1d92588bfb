"""What waits for a curator: pending claims, open disputes, "not mine" requests and likely
duplicate works. Counted for the admin index, and mailed to staff when something new waits.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse

from works.models import DuplicateWorkCandidate

from .models import Claim, ClaimDispute, WorkHiddenRequest


@dataclass(frozen=True)
class Queue:
    label: str
    count: int
    url: str


def review_queues() -> list[Queue]:
    """One count query per queue; each links to its admin list filtered to what waits."""
    return [
        Queue(
            "Claims pending review",
            Claim.objects.filter(status=Claim.Status.PENDING).count(),
            reverse("admin:profiles_claim_changelist") + "?status__exact=pending",
        ),
        Queue(
            "Disputes open",
            ClaimDispute.objects.filter(status=ClaimDispute.Status.OPEN).count(),
            reverse("admin:profiles_claimdispute_changelist") + "?status__exact=open",
        ),
        Queue(
            "“Not mine” requests pending",
            WorkHiddenRequest.objects.filter(status=WorkHiddenRequest.Status.PENDING).count(),
            reverse("admin:profiles_workhiddenrequest_changelist") + "?status__exact=pending",
        ),
        Queue(
            "Likely duplicate works",
            DuplicateWorkCandidate.objects.filter(
                status=DuplicateWorkCandidate.Status.OPEN
            ).count(),
            reverse("admin:works_duplicateworkcandidate_changelist") + "?status__exact=open",
        ),
    ]


def staff_waiting_notify(*, what: str) -> int:
    """Mails every active staff member with an email that `what` waits, with the queues'
    counts and links. Returns how many were mailed."""
    recipients = list(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return 0
    site = settings.SITE_URL.rstrip("/")
    lines = [f"{what} waits for review in BZPEER's admin.", ""]
    lines += [f"{q.label}: {q.count} — {site}{q.url}" for q in review_queues() if q.count]
    subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Waiting for review: {what}"
    for email in recipients:  # one each: staff addresses are not shown to one another
        send_mail(subject, "\n".join(lines), None, [email])
    return len(recipients)


def staff_review_digest() -> int:
    """The beat task's daily reminder: mails staff when anything still waits (likely
    duplicates found by imports included), nothing when every queue is empty."""
    waiting = sum(q.count for q in review_queues())
    if not waiting:
        return 0
    return staff_waiting_notify(what=f"{waiting} item(s)")
