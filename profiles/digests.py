"""The "Following" page and the opt-in email digest: new works of the authors a user follows.

"New" means added to BZPEER (Work.created_at) in the last FOLLOWING_NEW_WORKS_DAYS days, or
since the user's last digest. Each read is a fixed number of queries, however many authors
the user follows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from works.models import Author, Work

from .models import UserProfile

FOLLOWING_AUTHORS_LIMIT = 200
NEW_WORKS_LIMIT = 50
DIGEST_CHUNK = 200


def follow_digest_enabled(user) -> bool:
    """A read: a user who never changed the setting has no row yet (and gets none here)."""
    return bool(
        UserProfile.objects.filter(user=user).values_list("follow_digest", flat=True).first()
    )


def followed_authors(user, *, limit: int = FOLLOWING_AUTHORS_LIMIT) -> QuerySet[Author]:
    return (
        Author.objects.listed()
        .filter(follows__user=user)
        .for_profile()
        .order_by("display_name", "pk")[:limit]
    )


def following_new_works(user, *, since: datetime, limit: int = NEW_WORKS_LIMIT) -> list[Work]:
    """Newest first; two queries (works with venue, bylines) whatever the follows."""
    ids = (
        Work.objects.filter(
            authorships__author__follows__user=user,
            authorships__author__hidden=False,
            created_at__gte=since,
        )
        .order_by("-created_at", "-pk")
        .values_list("pk", "created_at")
        .distinct()[:limit]
    )
    ids = [pk for pk, _ in ids]
    works = {work.pk: work for work in Work.objects.filter(pk__in=ids).for_listing()}
    return [works[pk] for pk in ids if pk in works]


def following_since() -> datetime:
    return timezone.now() - timedelta(days=settings.FOLLOWING_NEW_WORKS_DAYS)


@transaction.atomic
def follow_digest_set(*, user, enabled: bool) -> UserProfile:
    profile, _ = UserProfile.objects.update_or_create(
        user=user, defaults={"follow_digest": enabled}
    )
    return profile


def follow_digest_due_user_ids() -> list[int]:
    """Users who opted in and have not had a digest within the digest period."""
    period = timedelta(seconds=settings.FOLLOW_DIGEST_EVERY_SECONDS * 0.9)
    return list(
        UserProfile.objects.filter(follow_digest=True, user__is_active=True)
        .filter(
            Q(follow_digest_sent_at__isnull=True)
            | Q(follow_digest_sent_at__lte=timezone.now() - period)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def follow_digest_send(*, user_id: int) -> bool:
    """One user's digest, at most once per period: the sent_at update claims it first."""
    profile = UserProfile.objects.select_related("user").filter(pk=user_id).first()
    if profile is None or not profile.follow_digest or not profile.user.email:
        return False
    now = timezone.now()
    since = profile.follow_digest_sent_at or following_since()
    claimed = UserProfile.objects.filter(
        pk=user_id, follow_digest_sent_at=profile.follow_digest_sent_at
    ).update(follow_digest_sent_at=now)
    if not claimed:  # another worker sent it
        return False
    works = following_new_works(profile.user, since=since)
    if not works:
        return False
    body = render_to_string(
        "profiles/email/follow_digest.txt",
        {
            "works": works,
            "following_url": settings.SITE_URL.rstrip("/") + "/following/",
            "site_url": settings.SITE_URL.rstrip("/"),
        },
    )
    send_mail(
        f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}New works by researchers you follow",
        body,
        None,
        [profile.user.email],
    )
    return True
